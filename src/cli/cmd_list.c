/*
 * cmd_list.c - `paperboy list [--db FILE] [--json] [--limit N] [--offset N]
 *               --date YYYY-MM-DD | --week YYYY-Www | --month YYYY-MM`
 *
 * The same listing the web's day/week/month pages show: a paper is listed
 * on its daily-list day when it was on one, else on the day of its first
 * version (store_list_days). Without a period, the latest day with papers.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/paper_json.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"date", "YYYY-MM-DD", "one day"},
    {"week", "YYYY-Www", "an ISO week (Monday to Sunday)"},
    {"month", "YYYY-MM", "a calendar month"},
    {"limit", "N", "at most N papers (default 100)"},
    {"offset", "N", "skip the first N papers"},
    {"json", NULL, "print JSON"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--json] [--limit N] [--offset N] "
                            "[--date YYYY-MM-DD | --week YYYY-Www | --month YYYY-MM]";

/* Resolves the period options into an inclusive day range. */
static int period(const struct cli_args *a, struct store *s, char *from, char *to)
{
    const char *date = cli_get(a, opts, N_OPTS, "date", NULL);
    const char *week = cli_get(a, opts, N_OPTS, "week", NULL);
    const char *month = cli_get(a, opts, N_OPTS, "month", NULL);
    if ((date != NULL) + (week != NULL) + (month != NULL) > 1) {
        fprintf(stderr, "paperboy list: give one of --date, --week, --month\n");
        return 2;
    }
    int64_t t;
    if (date) {
        if (time_parse_day(date, &t)) {
            fprintf(stderr, "paperboy list: --date wants YYYY-MM-DD, not '%s'\n", date);
            return 2;
        }
        time_format_day(t, from);
        time_format_day(t, to);
    } else if (week) {
        if (time_parse_week(week, &t)) {
            fprintf(stderr, "paperboy list: --week wants YYYY-Www (e.g. 2024-W43), not '%s'\n",
                    week);
            return 2;
        }
        time_format_day(t, from);
        time_format_day(t + 6 * 86400, to);
    } else if (month) {
        if (time_parse_month(month, &t)) {
            fprintf(stderr, "paperboy list: --month wants YYYY-MM, not '%s'\n", month);
            return 2;
        }
        time_format_day(t, from);
        int y, m;
        time_to_civil(t, &y, &m, NULL, NULL, NULL, NULL);
        int64_t next = m == 12 ? time_from_civil(y + 1, 1, 1, 0, 0, 0)
                               : time_from_civil(y, m + 1, 1, 0, 0, 0);
        time_format_day(next - 86400, to);
    } else {
        int rc = store_latest_day(s, from);
        if (rc == ERR_NOT_FOUND) {
            fprintf(stderr, "paperboy list: the database has no papers yet "
                            "(paperboy ingest FILE, or paperboy harvest)\n");
            return 1;
        }
        if (rc)
            return 1;
        memcpy(to, from, 11);
    }
    return 0;
}

int cmd_list(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("list", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy list: unexpected argument '%s'\n", a.pos[0]);
        return 2;
    }
    long limit, offset;
    if (cli_get_long(&a, opts, N_OPTS, "limit", 100, 1, 100000, &limit) ||
        cli_get_long(&a, opts, N_OPTS, "offset", 0, 0, 100000000, &offset))
        return 2;
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    int json = cli_get(&a, opts, N_OPTS, "json", NULL) != NULL;
    struct store *s = NULL;
    rc = store_open(db, 1, &s);
    if (rc) {
        fprintf(stderr, "paperboy list: cannot open database %s: %s\n", db, err_str(rc));
        return 1;
    }
    char from[16], to[16];
    int status = period(&a, s, from, to);
    struct store_listing *l = NULL;
    size_t n = 0, total = 0;
    if (status == 0) {
        rc = store_list_days(s, from, to, (size_t)offset, (size_t)limit, &l, &n, &total);
        if (rc) {
            fprintf(stderr, "paperboy list: %s: %s\n", err_str(rc), store_errmsg(s));
            status = 1;
        }
    }
    if (status == 0 && json) {
        struct buf b;
        buf_init(&b, 0);
        struct jsonw w;
        jsonw_init(&w, &b);
        jsonw_obj_begin(&w);
        jsonw_kv_str(&w, "from", from);
        jsonw_kv_str(&w, "to", to);
        jsonw_kv_int(&w, "total", (int64_t)total);
        jsonw_key(&w, "papers");
        jsonw_arr_begin(&w);
        for (size_t i = 0; i < n; i++) {
            jsonw_obj_begin(&w);
            jsonw_kv_str(&w, "day", l[i].day);
            jsonw_kv_int(&w, "upvotes", l[i].daily.paper_id ? l[i].daily.upvotes : 0);
            jsonw_kv_str(&w, "submitted_by", l[i].daily.submitter);
            jsonw_key(&w, "paper");
            paper_json_write(&w, &l[i].paper);
            jsonw_obj_end(&w);
        }
        jsonw_arr_end(&w);
        jsonw_obj_end(&w);
        printf("%s\n", buf_cstr(&b));
        buf_cleanup(&b);
    } else if (status == 0) {
        if (strcmp(from, to) == 0)
            printf("%s: %zu papers\n", from, total);
        else
            printf("%s to %s: %zu papers\n", from, to, total);
        for (size_t i = 0; i < n; i++) {
            const struct paper *p = &l[i].paper;
            printf("%s  %-16s %5d  %s\n", l[i].day, p->id,
                   l[i].daily.paper_id ? l[i].daily.upvotes : 0, p->title ? p->title : "");
        }
        if ((size_t)offset + n < total)
            printf("... %zu more (--offset %zu)\n", total - (size_t)offset - n,
                   (size_t)offset + n);
    }
    store_listing_free(l, n);
    store_close(s);
    return status;
}
