/*
 * store_list.c - day/week/month listings, the latest day, and counts.
 *
 * The day a paper is listed under is kept in papers.list_day (its earliest
 * daily entry's day, else the day of `created`; maintained by the upserts,
 * see store_paper.c) together with that entry's upvotes in list_upvotes.
 * The index papers_list (list_day DESC, list_upvotes DESC, arxiv_id) is the
 * listing order itself, so a page is an index range scan with LIMIT/OFFSET
 * and the total a count over the same range; no sort, no join. Only papers
 * that are stored are listed: a daily entry whose paper has not arrived yet
 * waits until it does. Each listed paper is then loaded in full (authors,
 * versions) with the daily entry of its list day (the one with the most
 * upvotes when several sources listed it that day).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/mem.h"

void store_listing_free(struct store_listing *l, size_t n)
{
    if (!l)
        return;
    for (size_t i = 0; i < n; i++) {
        paper_cleanup(&l[i].paper);
        daily_entry_cleanup(&l[i].daily);
        free(l[i].day);
    }
    free(l);
}

static int list_total(struct store *s, const char *from, const char *to, size_t *total)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_LIST_COUNT, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, from);
    if (rc == 0)
        rc = store_bind_text(st, 2, to);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        *total = (size_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        rc = 0;
    }
    return rc;
}

int store_list_days(struct store *s, const char *day_from, const char *day_to, size_t offset,
                    size_t limit, struct store_listing **out /* OUT */, size_t *n /* OUT */,
                    size_t *total /* OUT */)
{
    if (!day_from || !day_to)
        return store_fail(s, ERR_INVALID, "list: a day range is required");
    struct store_listing *l = NULL;
    size_t count = 0, cap = 0, all = 0;
    int rc = 0;
    int64_t lim = limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)limit;
    int64_t off = offset > (size_t)INT64_MAX ? INT64_MAX : (int64_t)offset;

    if (total)
        rc = list_total(s, day_from, day_to, &all);
    sqlite3_stmt *st = store_stmt(s, ST_LIST, &rc);
    if (rc == 0) {
        store_bind_text(st, 1, day_from);
        store_bind_text(st, 2, day_to);
        sqlite3_bind_int64(st, 3, lim);
        sqlite3_bind_int64(st, 4, off);
    }
    /* The page's rows first, then each paper's children and daily entry:
     * the listing statement is done (reset) before the others run. */
    int64_t *rowids = NULL;
    while (rc == 0) {
        int r = store_step(s, st);
        if (r <= 0) {
            rc = r;
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            l = xrealloc(l, cap * sizeof *l);
            rowids = xrealloc(rowids, cap * sizeof *rowids);
        }
        struct store_listing *e = &l[count];
        memset(e, 0, sizeof *e);
        rowids[count] = store_paper_from_row(st, 0, &e->paper);
        e->day = store_col_dup(st, STORE_PAPER_SELECT_NCOLS);
        count++;
    }
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = store_paper_load_children(s, rowids[i], &l[i].paper);
        if (rc == 0)
            rc = store_daily_load(s, l[i].paper.id, l[i].day, &l[i].daily);
    }
    free(rowids);
    if (rc != 0) {
        store_listing_free(l, count);
        return rc;
    }
    *out = l;
    *n = count;
    if (total)
        *total = all;
    return 0;
}

int store_latest_day(struct store *s, char *day /* OUT */)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_LATEST_DAY, &rc);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        const char *d = (const char *)sqlite3_column_text(st, 0);
        if (d) {
            snprintf(day, 11, "%s", d);
            rc = 0;
        } else {
            rc = store_fail(s, ERR_NOT_FOUND, "latest day: the store lists no paper");
        }
        sqlite3_reset(st);
    }
    return rc;
}

int store_count_papers(struct store *s, int64_t *n /* OUT */)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_COUNT, &rc);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        *n = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        rc = 0;
    }
    return rc;
}

static int count_rows(struct store *s, enum store_stmt id, store_count_fn fn, void *ctx)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, id, &rc);
    while (rc == 0) {
        int r = store_step(s, st);
        if (r <= 0) {
            rc = r;
            break;
        }
        const char *key = (const char *)sqlite3_column_text(st, 0);
        fn(ctx, key ? key : "", sqlite3_column_int64(st, 1));
    }
    return rc;
}

int store_count_by_category(struct store *s, store_count_fn fn, void *ctx)
{
    return count_rows(s, ST_COUNT_PRIMARY, fn, ctx);
}

int store_count_by_category_all(struct store *s, store_count_fn fn, void *ctx)
{
    return count_rows(s, ST_COUNT_CATEGORY, fn, ctx);
}

int store_count_by_month(struct store *s, store_count_fn fn, void *ctx)
{
    return count_rows(s, ST_COUNT_MONTH, fn, ctx);
}
