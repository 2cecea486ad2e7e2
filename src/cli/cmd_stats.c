/*
 * cmd_stats.c - `paperboy stats [--db FILE] [--json]`: how many papers,
 * by primary category and by month of first submission.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"json", NULL, "print JSON"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--json]";

static void print_row(void *ctx, const char *key, int64_t count)
{
    (void)ctx;
    printf("  %-20s %10lld\n", key ? key : "(none)", (long long)count);
}

static void json_row(void *ctx, const char *key, int64_t count)
{
    struct jsonw *w = ctx;
    jsonw_key(w, key ? key : "");
    jsonw_int(w, count);
}

int cmd_stats(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("stats", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy stats: unexpected argument '%s'\n", a.pos[0]);
        return 2;
    }
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    struct store *s = NULL;
    rc = store_open(db, 1, &s);
    if (rc) {
        fprintf(stderr, "paperboy stats: cannot open database %s: %s\n", db, err_str(rc));
        return 1;
    }
    int64_t n = 0;
    rc = store_count_papers(s, &n);
    if (rc == 0 && cli_get(&a, opts, N_OPTS, "json", NULL)) {
        struct buf b;
        buf_init(&b, 0);
        struct jsonw w;
        jsonw_init(&w, &b);
        jsonw_obj_begin(&w);
        jsonw_kv_int(&w, "papers", n);
        jsonw_key(&w, "by_category");
        jsonw_obj_begin(&w);
        if (rc == 0)
            rc = store_count_by_category(s, json_row, &w);
        jsonw_obj_end(&w);
        jsonw_key(&w, "by_month");
        jsonw_obj_begin(&w);
        if (rc == 0)
            rc = store_count_by_month(s, json_row, &w);
        jsonw_obj_end(&w);
        jsonw_obj_end(&w);
        if (rc == 0)
            printf("%s\n", buf_cstr(&b));
        buf_cleanup(&b);
    } else if (rc == 0) {
        printf("papers: %lld\n\nby primary category:\n", (long long)n);
        rc = store_count_by_category(s, print_row, NULL);
        if (rc == 0) {
            printf("\nby month of first submission:\n");
            rc = store_count_by_month(s, print_row, NULL);
        }
    }
    if (rc)
        fprintf(stderr, "paperboy stats: %s: %s\n", err_str(rc), store_errmsg(s));
    store_close(s);
    return rc ? 1 : 0;
}
