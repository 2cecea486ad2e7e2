/*
 * cmd_search.c - `paperboy search [--db FILE] [--k 10] [--json] QUERY...`
 *
 * Joins the arguments with spaces into one query (query.h has the syntax),
 * runs it through the search facade (search.h) over the database and the
 * index beside it (data/paperboy.db -> data/index; --index overrides), and
 * prints the ranked papers:
 *
 *    1. 1706.03762  12.3456  Attention Is All You Need
 *       Ashish Vaswani, Noam Shazeer, Niki Parmar, et al.  2017-06-12  [id]
 *
 * ("[id]" or "[title]" marks a paper put first because the query named its
 * arXiv id or its exact title.) With --json: one object
 *   {"query", "parsed", "mode", "truncated", "degraded", "hits": [{"rank", "score",
 *    "why", "paper": {the shape of store/paper_json.h}}]}
 * --explain prints the parsed query and the index query on stderr.
 * Arguments starting with a single '-' are query words (exclusions), not
 * options: `paperboy search attention -recurrent` works as typed.
 * Exit status: 0 (also with no hits), 1 on failure, 2 on usage errors.
 *
 * --mode dense: the query's free text is embedded (embed/encoder.h; the
 * model in --models DIR, default models/ beside the database) and the
 * papers whose stored vectors (`paperboy embed`; vectors/ beside the
 * database) are the nearest by cosine are listed, as far as they pass the
 * query's constraints (cat:, since:/until:, fields, phrases, exclusions).
 * --mode hybrid: the fusion (search/fuse.h) of the top 100 BM25 hits and
 * the top 100 dense hits. In both, pinned ids and exact-title matches come
 * first, as in bm25. Without the model or the vectors, hybrid
 * says that semantic features are off and runs bm25; dense fails. Without
 * --mode: hybrid when the vectors and the model are there, else bm25
 * (silently). The ranking itself is search_run_mode() (search/hybrid.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "search/query.h"
#include "search/search.h"
#include "store/paper_json.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/mem.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database (default " CLI_DEFAULT_DB ")"},
    {"index", "DIR", "lexical index (default: 'index' beside the database)"},
    {"k", "N", "number of results (default 10)"},
    {"json", NULL, "print JSON"},
    {"explain", NULL, "print the parsed query and the index query on stderr"},
    {"mode", "MODE", "bm25, dense or hybrid (bm25 + dense fused; the default when vectors exist)"},
    {"models", "DIR", "models folder for dense/hybrid (default: models/ beside the database)"},
    {"vectors", "DIR", "paper vectors (default: vectors/ beside the database)"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
#define USAGE "[--db FILE] [--k 10] [--json] [--mode bm25|dense|hybrid] QUERY..."

/* Authors for display: the first three names, then "et al.". */
static void authors_line(const struct paper *p, struct buf *b)
{
    int rc = 0;
    if (p->n_authors == 0) {
        buf_puts(b, &rc, p->authors_raw ? p->authors_raw : "");
        return;
    }
    for (size_t i = 0; i < p->n_authors && i < 3; i++)
        buf_putf(b, &rc, "%s%s", i ? ", " : "", p->authors[i].name ? p->authors[i].name : "?");
    if (p->n_authors > 3)
        buf_puts(b, &rc, ", et al.");
}

static const char *why_name(enum search_why w)
{
    return w == SEARCH_WHY_ID ? "id" : w == SEARCH_WHY_TITLE ? "title" : "text";
}

static void print_text(const struct search_result *r)
{
    if (r->n == 0) {
        printf("no results\n");
        return;
    }
    struct buf au;
    buf_init(&au, 4096);
    for (size_t i = 0; i < r->n; i++) {
        const struct search_hit *h = &r->hits[i];
        const struct paper *p = &h->paper;
        buf_reset(&au);
        authors_line(p, &au);
        char day[11] = "";
        if (p->created)
            snprintf(day, sizeof day, "%.10s", p->created);
        printf("%3zu. %-16s %8.4f  %s\n", i + 1, p->id, (double)h->score,
               p->title ? p->title : "(untitled)");
        printf("     %s%s%s", buf_cstr(&au), day[0] ? "  " : "", day);
        if (h->why != SEARCH_WHY_TEXT)
            printf("  [%s]", why_name(h->why));
        printf("\n");
    }
    buf_cleanup(&au);
}

static int print_json(const char *text, const struct search_query *q, enum search_mode mode,
                      const struct search_result *r)
{
    struct buf out, parsed;
    buf_init(&out, 0);
    buf_init(&parsed, 0);
    struct search_query copy = *q;
    copy.flags = 0;
    query_format(&copy, &parsed);
    struct jsonw w;
    jsonw_init(&w, &out);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "query", text);
    jsonw_kv_str(&w, "parsed", buf_cstr(&parsed));
    jsonw_kv_str(&w, "mode", search_mode_name(mode));
    jsonw_key(&w, "truncated");
    jsonw_bool(&w, (q->flags & (QUERY_TRUNC_BYTES | QUERY_TRUNC_TERMS | QUERY_TRUNC_PINS)) != 0);
    jsonw_key(&w, "degraded");
    jsonw_bool(&w, (q->flags & QUERY_DEGRADED) != 0);
    jsonw_key(&w, "hits");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < r->n; i++) {
        const struct search_hit *h = &r->hits[i];
        jsonw_obj_begin(&w);
        jsonw_kv_int(&w, "rank", (int64_t)(i + 1));
        jsonw_key(&w, "score");
        jsonw_double(&w, (double)h->score);
        jsonw_kv_str(&w, "why", why_name(h->why));
        jsonw_key(&w, "paper");
        paper_json_write(&w, &h->paper);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    int rc = w.rc;
    if (rc == 0)
        printf("%s\n", buf_cstr(&out));
    buf_cleanup(&out);
    buf_cleanup(&parsed);
    return rc;
}

/* Query words may start with '-' (exclusions: "-quantum", "-au:smith"),
 * which the option parser would take for unknown options. Reorders argv
 * into out: argv[0], the options (with their values), "--", then every
 * other argument in its order. out has room for argc + 1 pointers. */
static int reorder_args(int argc, char **argv, char **out)
{
    int n = 0, n_pos = 0;
    char **pos = out + argc + 1; /* scratch at the end, see the caller */
    out[n++] = argv[0];
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_pos || arg[0] != '-' || strcmp(arg, "-") == 0 ||
            (arg[1] != '-' && strcmp(arg, "-h") != 0)) {
            pos[n_pos++] = argv[i];
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_pos = 1;
            continue;
        }
        out[n++] = argv[i];
        const char *eq = strchr(arg, '=');
        size_t nl = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        for (size_t k = 0; k < N_OPTS; k++)
            if (!eq && opts[k].value_name && strlen(opts[k].name) == nl &&
                strncmp(opts[k].name, arg + 2, nl) == 0 && i + 1 < argc)
                out[n++] = argv[++i];
    }
    out[n++] = "--";
    for (int i = 0; i < n_pos; i++)
        out[n++] = pos[i];
    return n;
}

int cmd_search(int argc, char **argv)
{
    struct cli_args a;
    /* argc + 1 for the reordered list, argc for reorder_args' scratch. */
    char **args = xcalloc(2 * (size_t)argc + 2, sizeof *args);
    int nargs = reorder_args(argc, argv, args);
    int prc = cli_args_parse("search", USAGE, opts, N_OPTS, nargs, args, &a);
    free(args);
    if (prc == 1)
        return 0;
    if (prc != 0)
        return prc;
    long k;
    if (cli_get_long(&a, opts, N_OPTS, "k", 10, 1, 1000, &k) != 0)
        return 2;
    if (a.n_pos == 0) {
        cli_usage(stderr, "search", USAGE, opts, N_OPTS);
        return 2;
    }
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    char ixdir[4096];
    const char *ix = cli_get(&a, opts, N_OPTS, "index", NULL);
    if (ix) {
        snprintf(ixdir, sizeof ixdir, "%s", ix);
    } else if (search_index_dir(db, ixdir, sizeof ixdir) != 0) {
        fprintf(stderr, "paperboy search: database path too long\n");
        return 2;
    }
    int json = cli_get(&a, opts, N_OPTS, "json", NULL) != NULL;
    int explain = cli_get(&a, opts, N_OPTS, "explain", NULL) != NULL;
    const char *mode_arg = cli_get(&a, opts, N_OPTS, "mode", NULL);
    enum search_mode mode = SEARCH_MODE_BM25;
    if (mode_arg && (search_mode_parse(mode_arg, &mode) != 0 || strcmp(mode_arg, "lexical") == 0 ||
                     strcmp(mode_arg, "semantic") == 0)) {
        fprintf(stderr, "paperboy search: --mode must be bm25, dense or hybrid, not '%s'\n",
                mode_arg);
        return 2;
    }
    struct search_semantic *sem = NULL;
    if (!mode_arg || mode != SEARCH_MODE_BM25) {
        char swhy[1200] = "";
        int src = search_semantic_open(db, cli_get(&a, opts, N_OPTS, "models", NULL),
                                       cli_get(&a, opts, N_OPTS, "vectors", NULL), &sem, swhy,
                                       sizeof swhy);
        if (src == 0 && !mode_arg) {
            mode = SEARCH_MODE_HYBRID;
        } else if (src != 0 && mode_arg) {
            fprintf(stderr, "paperboy search: semantic features are off: %s\n", swhy);
            if (mode == SEARCH_MODE_DENSE)
                return 1;
            fprintf(stderr, "paperboy search: running --mode bm25 instead\n");
            mode = SEARCH_MODE_BM25;
        }
    }

    /* The query: the arguments joined by spaces (the parser caps it). */
    struct buf text;
    buf_init(&text, 4 * QUERY_MAX_BYTES);
    for (size_t i = 0; i < a.n_pos; i++) {
        if (i && buf_append(&text, " ", 1) != 0)
            break;
        if (buf_append_str(&text, a.pos[i]) != 0)
            break;
    }
    struct search_query q;
    query_parse(buf_cstr(&text), text.len, &q);
    if (q.flags & (QUERY_TRUNC_BYTES | QUERY_TRUNC_TERMS | QUERY_TRUNC_PINS))
        fprintf(stderr, "paperboy search: the query was too long and was cut (at most %d bytes, "
                        "%d terms, %d ids)\n",
                QUERY_MAX_BYTES, QUERY_MAX_TERMS, QUERY_MAX_PINS);

    int status = 1;
    struct search *s = NULL;
    struct search_result r;
    memset(&r, 0, sizeof r);
    char why[512] = "";
    int rc = 0;
    rc = search_open(db, ixdir, NULL, &s, why, sizeof why);
    if (rc != 0 && mode == SEARCH_MODE_DENSE) {
        rc = 0; /* dense needs no index: only the pinned ids and exact titles are missed */
        s = NULL;
    } else if (rc != 0) {
        fprintf(stderr, "paperboy search: %s\n", why[0] ? why : err_str(rc));
        goto out;
    }
    if (explain && s) {
        struct buf b;
        buf_init(&b, 0);
        query_format(&q, &b);
        fprintf(stderr, "parsed: %s\n", buf_cstr(&b));
        buf_reset(&b);
        search_explain(s, &q, &b);
        fprintf(stderr, "index query: %s\n", buf_cstr(&b));
        buf_cleanup(&b);
    }
    rc = search_run_mode(s, sem, &q, mode, (size_t)k, &r);
    if (rc != 0) {
        fprintf(stderr, "paperboy search: %s\n", err_str(rc));
        goto out;
    }
    if (json) {
        if (print_json(buf_cstr(&text), &q, mode, &r) != 0)
            goto out;
    } else {
        print_text(&r);
    }
    status = 0;
out:
    search_result_cleanup(&r);
    search_semantic_close(sem);
    search_close(s);
    query_cleanup(&q);
    buf_cleanup(&text);
    return status;
}
