/*
 * cmd_similar.c - `paperboy similar ID [--k 10] [--json]`: the papers whose
 * stored vectors are nearest (cosine) to paper ID's stored vector.
 *
 * Needs only the vectors `paperboy embed` wrote (<dir of db>/vectors, or
 * --vectors DIR), not the model. --mode picks the search: exact (default:
 * a full float scan), int8 or bit (two-stage, see embed/vecstore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "ingest/normalize.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/mem.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"k", "N", "how many neighbours (default 10)"},
    {"json", NULL, "print JSON"},
    {"mode", "MODE", "exact (default), int8 or bit"},
    {"vectors", "DIR", "vectors folder (default: vectors/ beside the database)"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "ID [--k N] [--json] [--mode exact|int8|bit] [--db FILE]";

int cmd_similar(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("similar", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos != 1) {
        fprintf(stderr, "paperboy similar: give one paper id\n");
        cli_usage(stderr, "similar", usage, opts, N_OPTS);
        return 2;
    }
    long k = 10;
    if (cli_get_long(&a, opts, N_OPTS, "k", 10, 1, 1000, &k))
        return 2;
    struct vecsearch_opts so = {VECSEARCH_EXACT, 0, 0};
    const char *mode = cli_get(&a, opts, N_OPTS, "mode", "exact");
    if (strcmp(mode, "int8") == 0)
        so.mode = VECSEARCH_INT8;
    else if (strcmp(mode, "bit") == 0)
        so.mode = VECSEARCH_BIT;
    else if (strcmp(mode, "exact") != 0) {
        fprintf(stderr, "paperboy similar: --mode must be exact, int8 or bit, not '%s'\n", mode);
        return 2;
    }
    char *id = NULL;
    if (arxiv_id_parse(a.pos[0], strlen(a.pos[0]), &id, NULL) != 0) {
        fprintf(stderr, "paperboy similar: '%s' is not an arXiv id\n", a.pos[0]);
        return 2;
    }
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    char dir[4096], vectors[4200], err[1024];
    const char *slash = strrchr(db, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", slash == db ? 1 : (int)(slash - db), db);
    else
        snprintf(dir, sizeof dir, ".");
    snprintf(vectors, sizeof vectors, "%s/vectors", dir);
    const char *vdir = cli_get(&a, opts, N_OPTS, "vectors", vectors);

    struct store *s = NULL;
    struct vecstore *vs = NULL;
    struct vechit *hits = NULL;
    struct paper p;
    paper_init(&p);
    int status = 1;
    int64_t rowid;
    rc = store_open(db, 1, &s);
    if (rc) {
        fprintf(stderr, "paperboy similar: cannot open database %s: %s\n", db, err_str(rc));
        goto out;
    }
    rc = store_paper_rowid(s, id, &rowid);
    if (rc) {
        fprintf(stderr, "paperboy similar: no paper %s%s\n", id,
                rc == ERR_NOT_FOUND ? "" : " (database error)");
        goto out;
    }
    rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &vs, err, sizeof err);
    if (rc) {
        fprintf(stderr, "paperboy similar: semantic features are off: %s\n", err);
        goto out;
    }
    uint64_t th;
    const float *v;
    if (vecstore_get(vs, rowid, &th, &v) != 0) {
        fprintf(stderr, "paperboy similar: paper %s has no vector yet (run `paperboy embed`)\n",
                id);
        goto out;
    }
    hits = xmalloc((size_t)k * sizeof *hits);
    size_t n = 0;
    rc = vecstore_search(vs, v, (size_t)k, rowid, &so, hits, &n);
    if (rc) {
        fprintf(stderr, "paperboy similar: search failed: %s\n", err_str(rc));
        goto out;
    }
    struct buf b;
    struct jsonw w;
    int json = cli_get(&a, opts, N_OPTS, "json", NULL) != NULL;
    buf_init(&b, 0);
    if (json) {
        jsonw_init(&w, &b);
        jsonw_obj_begin(&w);
        jsonw_kv_str(&w, "id", id);
        jsonw_kv_str(&w, "model", ENCODER_MODEL_NAME);
        jsonw_key(&w, "similar");
        jsonw_arr_begin(&w);
    }
    for (size_t i = 0; i < n; i++) {
        int have = store_paper_get_by_rowid(s, hits[i].rowid, &p) == 0;
        const char *pid = have ? p.id : "?", *title = have && p.title ? p.title : "";
        if (json) {
            jsonw_obj_begin(&w);
            jsonw_kv_str(&w, "id", pid);
            jsonw_kv_str(&w, "title", title);
            jsonw_key(&w, "score");
            jsonw_double(&w, hits[i].score);
            jsonw_obj_end(&w);
        } else {
            printf("%2zu. %.4f  %-16s %s\n", i + 1, hits[i].score, pid, title);
        }
    }
    if (json) {
        jsonw_arr_end(&w);
        jsonw_obj_end(&w);
        if (w.rc == 0)
            printf("%s\n", buf_cstr(&b));
    }
    buf_cleanup(&b);
    status = 0;
out:
    free(hits);
    paper_cleanup(&p);
    vecstore_close(vs);
    store_close(s);
    free(id);
    return status;
}
