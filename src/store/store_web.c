/*
 * store_web.c - the few queries the web app needs beyond store.h's core
 * (declared in store.h under "Web"; written by the web module's owner).
 *
 * - store_list_trending(): papers listed in a day range that were on a
 *   daily list that day, by upvotes (papers.list_upvotes), then id. Same
 *   listing shape and loading as store_list_days().
 * - store_day_before()/store_day_after(): the nearest listed day before or
 *   after a day, for previous/next navigation (one index probe each on
 *   papers_list).
 * - store_daily_get(): a paper's daily entry on its list day (upvotes,
 *   comments, submitter for the paper page).
 * - store_search_basic(): a plain substring search (every word must occur
 *   in the title, abstract or author list; optional category and day
 *   range) used by the web app only while no search index exists. It scans
 *   papers (O(N)); the real engine is src/search/.
 *
 * These statements are prepared per call (sqlite3_prepare_v3) instead of
 * joining the store's statement cache, to keep this file self-contained;
 * the web app caches rendered pages, so they run rarely.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

/* Prepares sql on s; ERR_DB with the message recorded on failure. */
static int prep(struct store *s, const char *sql, sqlite3_stmt **st)
{
    int r = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (r != SQLITE_OK)
        return store_fail_db(s, r, "preparing a web query");
    return 0;
}

/* Runs a listing statement (rows: STORE_PAPER_SELECT, list_day) whose
 * parameters are bound, loads each paper in full with its daily entry. */
static int run_listing(struct store *s, sqlite3_stmt *st, struct store_listing **out, size_t *n)
{
    struct store_listing *l = NULL;
    int64_t *rowids = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (;;) {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = store_fail_db(s, r, "listing");
            break;
        }
        if (count == cap) {
            cap = cap ? 2 * cap : 16;
            l = xrealloc(l, cap * sizeof *l);
            rowids = xrealloc(rowids, cap * sizeof *rowids);
        }
        memset(&l[count], 0, sizeof l[count]);
        rowids[count] = store_paper_from_row(st, 0, &l[count].paper);
        l[count].day = store_col_dup(st, STORE_PAPER_SELECT_NCOLS);
        count++;
    }
    sqlite3_reset(st);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        rc = store_paper_load_children(s, rowids[i], &l[i].paper);
        if (rc == 0 && l[i].day)
            rc = store_daily_load(s, l[i].paper.id, l[i].day, &l[i].daily);
    }
    free(rowids);
    if (rc) {
        store_listing_free(l, count);
        return rc;
    }
    *out = l;
    *n = count;
    return 0;
}

/* Steps a one-row count statement. */
static int run_count(struct store *s, sqlite3_stmt *st, size_t *total)
{
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW)
        return store_fail_db(s, r, "counting");
    *total = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

#define TRENDING_WHERE                                                                             \
    " FROM papers p WHERE p.list_day BETWEEN ?1 AND ?2 AND EXISTS (SELECT 1 FROM"                  \
    " daily_entries d WHERE d.paper_id = p.arxiv_id AND d.day = p.list_day)"

int store_list_trending(struct store *s, const char *day_from, const char *day_to, size_t offset,
                        size_t limit, struct store_listing **out /* OUT */, size_t *n /* OUT */,
                        size_t *total /* OUT */)
{
    sqlite3_stmt *st = NULL, *ct = NULL;
    size_t all = 0;
    int rc = prep(s,
                  "SELECT " STORE_PAPER_SELECT ", p.list_day" TRENDING_WHERE
                  " ORDER BY p.list_upvotes DESC, p.arxiv_id LIMIT ?3 OFFSET ?4",
                  &st);
    if (rc == 0 && total)
        rc = prep(s, "SELECT count(*)" TRENDING_WHERE, &ct);
    if (rc == 0 && ct) {
        store_bind_text(ct, 1, day_from);
        store_bind_text(ct, 2, day_to);
        rc = run_count(s, ct, &all);
    }
    if (rc == 0) {
        store_bind_text(st, 1, day_from);
        store_bind_text(st, 2, day_to);
        sqlite3_bind_int64(st, 3, (int64_t)(limit > INT32_MAX ? INT32_MAX : limit));
        sqlite3_bind_int64(st, 4, (int64_t)(offset > INT32_MAX ? INT32_MAX : offset));
        rc = run_listing(s, st, out, n);
    }
    if (rc == 0 && total)
        *total = all;
    sqlite3_finalize(st);
    sqlite3_finalize(ct);
    return rc;
}

/* One text value from a one-row query with one bound day. */
static int day_query(struct store *s, const char *sql, const char *day, char out[11])
{
    sqlite3_stmt *st = NULL;
    int rc = prep(s, sql, &st);
    if (rc == 0) {
        store_bind_text(st, 1, day);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            const char *d = (const char *)sqlite3_column_text(st, 0);
            if (d)
                snprintf(out, 11, "%s", d);
            else
                rc = ERR_NOT_FOUND;
        } else {
            rc = store_fail_db(s, r, "finding a neighbouring day");
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int store_day_before(struct store *s, const char *day, char out[11] /* OUT */)
{
    return day_query(s, "SELECT max(list_day) FROM papers WHERE list_day < ?1", day, out);
}

int store_day_after(struct store *s, const char *day, char out[11] /* OUT */)
{
    return day_query(s, "SELECT min(list_day) FROM papers WHERE list_day > ?1", day, out);
}

int store_daily_get(struct store *s, const char *id, struct daily_entry *e /* OUT */)
{
    char day[11];
    int rc = day_query(s, "SELECT list_day FROM papers WHERE arxiv_id = ?1", id, day);
    if (rc)
        return rc;
    struct daily_entry tmp;
    daily_entry_init(&tmp);
    rc = store_daily_load(s, id, day, &tmp);
    if (rc == 0 && !tmp.paper_id)
        rc = ERR_NOT_FOUND;
    if (rc) {
        daily_entry_cleanup(&tmp);
        return rc;
    }
    *e = tmp;
    return 0;
}

/* Escapes LIKE wildcards with '\'. */
static void like_pattern(struct buf *b, int *rc, const char *w, size_t len)
{
    buf_put(b, rc, "%", 1);
    for (size_t i = 0; i < len; i++) {
        if (w[i] == '%' || w[i] == '_' || w[i] == '\\')
            buf_put(b, rc, "\\", 1);
        buf_put(b, rc, &w[i], 1);
    }
    buf_put(b, rc, "%", 1);
}

int store_search_basic(struct store *s, const char *const *words, size_t n_words,
                       const char *category, const char *day_from, const char *day_to,
                       size_t offset, size_t limit, struct store_listing **out /* OUT */,
                       size_t *n /* OUT */, size_t *total /* OUT */)
{
    if (n_words > 8)
        n_words = 8;
    struct buf where, pat[8];
    buf_init(&where, 8192);
    int brc = 0;
    buf_puts(&where, &brc, " FROM papers p WHERE p.list_day BETWEEN ?1 AND ?2");
    for (size_t i = 0; i < n_words; i++) {
        buf_init(&pat[i], 1024);
        like_pattern(&pat[i], &brc, words[i], strlen(words[i]));
        buf_putf(&where, &brc,
                 " AND (COALESCE(p.title, p.title_raw) LIKE ?%zu ESCAPE '\\'"
                 " OR COALESCE(p.abstract, p.abstract_raw) LIKE ?%zu ESCAPE '\\'"
                 " OR p.authors_raw LIKE ?%zu ESCAPE '\\' OR EXISTS (SELECT 1 FROM paper_authors a"
                 " WHERE a.paper = p.id AND a.name LIKE ?%zu ESCAPE '\\'))",
                 i + 4, i + 4, i + 4, i + 4);
    }
    if (category && *category)
        buf_puts(&where, &brc,
                 " AND EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper = p.id AND"
                 " (c.category = ?3 OR c.category LIKE ?3 || '.%'))");
    struct buf sql;
    buf_init(&sql, 16384);
    sqlite3_stmt *st = NULL, *ct = NULL;
    size_t all = 0;
    int rc = brc;
    if (rc == 0) {
        buf_putf(&sql, &brc,
                 "SELECT " STORE_PAPER_SELECT ", p.list_day%s ORDER BY p.list_day DESC,"
                 " p.list_upvotes DESC, p.arxiv_id LIMIT %zu OFFSET %zu",
                 buf_cstr(&where), limit > 1000 ? (size_t)1000 : limit, offset);
        rc = brc ? brc : prep(s, buf_cstr(&sql), &st);
    }
    if (rc == 0 && total) {
        buf_reset(&sql);
        buf_putf(&sql, &brc, "SELECT count(*) FROM (SELECT 1%s LIMIT 10000)", buf_cstr(&where));
        rc = brc ? brc : prep(s, buf_cstr(&sql), &ct);
    }
    sqlite3_stmt *both[2] = {ct, st};
    for (int k = 0; k < 2 && rc == 0; k++) {
        sqlite3_stmt *x = both[k];
        if (!x)
            continue;
        store_bind_text(x, 1, day_from && *day_from ? day_from : "0000-00-00");
        store_bind_text(x, 2, day_to && *day_to ? day_to : "9999-99-99");
        if (category && *category)
            store_bind_text(x, 3, category);
        for (size_t i = 0; i < n_words; i++)
            store_bind_text(x, (int)i + 4, buf_cstr(&pat[i]));
        if (x == ct)
            rc = run_count(s, ct, &all);
        else
            rc = run_listing(s, st, out, n);
    }
    if (rc == 0 && total)
        *total = all;
    sqlite3_finalize(st);
    sqlite3_finalize(ct);
    for (size_t i = 0; i < n_words; i++)
        buf_cleanup(&pat[i]);
    buf_cleanup(&where);
    buf_cleanup(&sql);
    return rc;
}
