/*
 * cmd_embed.c - `paperboy embed [--db FILE] [--batch 32]`: embed every paper
 * that lacks an up-to-date vector.
 *
 * A paper's text is title + " " + abstract (display forms); its vector is
 * up to date when the vector store holds one for its row whose text hash
 * matches. Pass 1 walks the store and lists the rows to (re-)embed; pass 2
 * walks it again, embeds those rows in batches and appends the vectors,
 * committing after every batch, so an interrupted run loses at most one
 * batch and the next run carries on (resumable, idempotent). A progress
 * line is drawn on stderr when it is a terminal.
 *
 * Files: the model from --models DIR (or $PAPERBOY_MODELS, else
 * <dir of db>/models)/all-MiniLM-L6-v2, the vectors in <dir of db>/vectors
 * (or --vectors DIR). Without the model, semantic features are off: the
 * command says so and exits 1; nothing else changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"batch", "N", "texts per forward pass (default 32)"},
    {"models", "DIR", "models folder (default: models/ beside the database)"},
    {"vectors", "DIR", "vectors folder (default: vectors/ beside the database)"},
    {"threads", "N", "encoder threads (default: all CPUs)"},
    {"quiet", NULL, "no progress line"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--batch N] [--models DIR] [--vectors DIR]";

/* dirname of the database path, "." when it has none. */
static void db_dir(const char *db, char *out, size_t len)
{
    const char *slash = strrchr(db, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == db)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(slash - db), db);
}

/* The text embedded for a paper (malloc'ed). */
static char *paper_text(const struct paper *p)
{
    const char *t = p->title ? p->title : "", *a = p->abstract ? p->abstract : "";
    size_t tl = strlen(t), al = strlen(a);
    char *s = xmalloc(tl + al + 2);
    memcpy(s, t, tl);
    s[tl] = ' ';
    memcpy(s + tl + 1, a, al);
    s[tl + 1 + al] = '\0';
    return s;
}

struct plan {
    struct vecstore *vs;
    int64_t *rows; /* rows to embed, ascending */
    size_t n, cap, total;
};

static int plan_fn(void *ctx, int64_t rowid, const struct paper *p)
{
    struct plan *pl = ctx;
    pl->total++;
    char *text = paper_text(p);
    uint64_t h = vecstore_text_hash(text, strlen(text)), old;
    free(text);
    const float *v;
    if (vecstore_get(pl->vs, rowid, &old, &v) == 0 && old == h)
        return 0;
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? pl->cap * 2 : 1024;
        pl->rows = xrealloc(pl->rows, pl->cap * sizeof *pl->rows);
    }
    pl->rows[pl->n++] = rowid;
    return 0;
}

struct run {
    struct encoder *enc;
    struct vecstore *vs;
    const struct plan *pl;
    size_t next; /* index into pl->rows */
    size_t batch;
    char **texts;
    size_t *lens;
    int64_t *rowids;
    size_t nb; /* texts queued */
    float *out;
    size_t done;
    double t0, last_draw;
    int progress;
    int rc;
    char err[256];
};

static void draw(struct run *r, int final)
{
    if (!r->progress)
        return;
    double now = time_mono();
    if (!final && now - r->last_draw < 0.2)
        return;
    r->last_draw = now;
    double el = now - r->t0, rate = el > 0 ? (double)r->done / el : 0;
    size_t total = r->pl->n;
    double eta = rate > 0 ? (double)(total - r->done) / rate : 0;
    int width = 30, fill = total ? (int)((double)width * (double)r->done / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\rembed [%s] %zu/%zu %5.1f papers/s ETA %02d:%02d%s", bar, r->done, total,
            rate, (int)(eta / 60), (int)eta % 60, final ? "\n" : "");
    fflush(stderr);
}

static int flush_batch(struct run *r)
{
    if (r->nb == 0)
        return 0;
    int rc = encoder_embed(r->enc, (const char *const *)r->texts, r->lens, r->nb, r->out);
    for (size_t i = 0; i < r->nb && rc == 0; i++)
        rc = vecstore_add(r->vs, r->rowids[i], vecstore_text_hash(r->texts[i], r->lens[i]),
                          r->out + i * ENCODER_DIM);
    if (rc == 0)
        rc = vecstore_sync(r->vs);
    for (size_t i = 0; i < r->nb; i++)
        free(r->texts[i]);
    r->done += r->nb;
    r->nb = 0;
    draw(r, 0);
    return rc;
}

static int embed_fn(void *ctx, int64_t rowid, const struct paper *p)
{
    struct run *r = ctx;
    if (r->next >= r->pl->n)
        return 1; /* all planned rows done: stop the walk */
    if (rowid != r->pl->rows[r->next])
        return 0;
    r->next++;
    r->texts[r->nb] = paper_text(p);
    r->lens[r->nb] = strlen(r->texts[r->nb]);
    r->rowids[r->nb] = rowid;
    r->nb++;
    if (r->nb == r->batch) {
        int rc = flush_batch(r);
        if (rc) {
            r->rc = rc;
            return 2;
        }
    }
    return 0;
}

int cmd_embed(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("embed", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy embed: unexpected argument '%s'\n", a.pos[0]);
        return 2;
    }
    long batch = 32, threads = 0;
    if (cli_get_long(&a, opts, N_OPTS, "batch", 32, 1, 1024, &batch) ||
        cli_get_long(&a, opts, N_OPTS, "threads", 0, 0, 64, &threads))
        return 2;
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    char dir[4096], models[4200], model_dir[4300], vectors[4200], err[1024];
    db_dir(db, dir, sizeof dir);
    snprintf(models, sizeof models, "%s/models", dir);
    snprintf(vectors, sizeof vectors, "%s/vectors", dir);
    snprintf(model_dir, sizeof model_dir, "%s/%s", cli_get(&a, opts, N_OPTS, "models", models),
             ENCODER_MODEL_NAME);
    const char *vdir = cli_get(&a, opts, N_OPTS, "vectors", vectors);

    struct encoder *enc = NULL;
    struct store *s = NULL;
    struct vecstore *vs = NULL;
    struct plan pl = {0};
    struct run r;
    memset(&r, 0, sizeof r);
    int status = 1;

    struct encoder_opts eo = {(int)threads, 0, 0};
    rc = encoder_open(model_dir, &eo, &enc, err, sizeof err);
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr,
                "paperboy embed: semantic features are off: %s\n"
                "  (install the model with `make model`; lexical search works without it)\n",
                err);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "paperboy embed: cannot load the model: %s\n", err);
        goto out;
    }
    rc = store_open(db, 1, &s);
    if (rc) {
        fprintf(stderr, "paperboy embed: cannot open database %s: %s\n", db, err_str(rc));
        goto out;
    }
    rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 1, 1, &vs, err, sizeof err);
    if (rc) {
        fprintf(stderr, "paperboy embed: vector store: %s\n", err);
        goto out;
    }
    pl.vs = vs;
    rc = store_paper_each(s, 0, plan_fn, &pl);
    if (rc) {
        fprintf(stderr, "paperboy embed: reading papers: %s: %s\n", err_str(rc), store_errmsg(s));
        goto out;
    }
    if (pl.n == 0) {
        printf("embed: all %zu papers have up-to-date vectors\n", pl.total);
        status = 0;
        goto out;
    }
    r.enc = enc;
    r.vs = vs;
    r.pl = &pl;
    r.batch = (size_t)batch;
    r.texts = xcalloc(r.batch, sizeof *r.texts);
    r.lens = xcalloc(r.batch, sizeof *r.lens);
    r.rowids = xcalloc(r.batch, sizeof *r.rowids);
    r.out = xmalloc(r.batch * ENCODER_DIM * sizeof(float));
    r.progress = isatty(2) && !cli_get(&a, opts, N_OPTS, "quiet", NULL);
    r.t0 = time_mono();
    rc = store_paper_each(s, pl.rows[0] - 1, embed_fn, &r);
    if (rc == 1)
        rc = 0; /* stopped after the last planned row */
    if (rc == 2 || r.rc) {
        fprintf(stderr, "\npaperboy embed: writing vectors: %s\n", err_str(r.rc));
        goto out;
    }
    if (rc == 0)
        rc = flush_batch(&r);
    if (rc) {
        fprintf(stderr, "\npaperboy embed: %s\n", err_str(rc));
        goto out;
    }
    draw(&r, 1);
    double el = time_mono() - r.t0;
    printf("embed: %zu of %zu papers embedded in %.1f s (%.1f papers/s); vectors in %s\n", r.done,
           pl.total, el, el > 0 ? (double)r.done / el : 0.0, vdir);
    status = 0;
out:
    for (size_t i = 0; i < r.nb; i++)
        free(r.texts[i]);
    free(r.texts);
    free(r.lens);
    free(r.rowids);
    free(r.out);
    free(pl.rows);
    vecstore_close(vs);
    store_close(s);
    encoder_close(enc);
    return status;
}
