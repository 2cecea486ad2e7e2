/*
 * vectors_upkeep.c - planning and embedding the papers whose vectors are
 * missing or stale (see vectors_upkeep.h for the contract).
 *
 * Plan: the rows found by the walk (store_paper_each in row order, or
 * store_paper_each_changed in seq order) are collected and sorted
 * descending, so both callers work newest first. Memory: 8 bytes per
 * planned row.
 *
 * Run: a batch is filled by loading each planned row with
 * store_paper_get_by_rowid (a point lookup; the forward pass costs far
 * more), embedded with one encoder_embed call, appended and committed.
 * The writable vector store's vecstore_get shows what was committed when
 * it was opened, which catches rows another writer embedded after the
 * plan was made; rows embedded by this run are not looked up again (each
 * planned row is visited once).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed/embed_batch.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "search/search.h"
#include "search/vectors_upkeep.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"

#define PATH_CAP 4400

struct vectors_upkeep {
    struct encoder *enc;
    struct store *st; /* opened by the first plan or run, read-only */
    char *db_path;
    char vdir[PATH_CAP];
    size_t batch;
    int verified; /* the vectors' checksum was checked by a writable open */
    struct vecstore *seen; /* read-only view for planning; NULL until vectors exist */
};

/* Writes the one-line reason into why (why_len bytes; NULL: nowhere). */
static void say(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

int vectors_upkeep_open(const char *db_path, const struct vectors_upkeep_opts *o,
                        struct vectors_upkeep **out, char *why, size_t why_len)
{
    struct vectors_upkeep_opts def = {0};
    if (!o)
        o = &def;
    char models[PATH_CAP], model[PATH_CAP + 64], err[1024] = "";
    struct vectors_upkeep *up = xcalloc(1, sizeof *up);
    up->batch = o->batch ? o->batch : 32;
    int rc = 0;
    if (o->models_dir)
        snprintf(models, sizeof models, "%s", o->models_dir);
    else
        rc = search_path_beside(db_path, "models", models, sizeof models);
    if (rc == 0 && o->vectors_dir)
        snprintf(up->vdir, sizeof up->vdir, "%s", o->vectors_dir);
    else if (rc == 0)
        rc = search_path_beside(db_path, "vectors", up->vdir, sizeof up->vdir);
    if (rc) {
        say(why, why_len, "%s: path too long", db_path);
        goto out;
    }
    snprintf(model, sizeof model, "%s/%s", models, ENCODER_MODEL_NAME);
    struct encoder_opts eo = {o->threads, o->blas_threads};
    rc = encoder_open(model, &eo, &up->enc, err, sizeof err);
    if (rc) {
        say(why, why_len, "%s", err);
        goto out;
    }
    up->db_path = xstrdup(db_path);
out:
    if (rc) {
        vectors_upkeep_close(up);
        return rc;
    }
    *out = up;
    return 0;
}

void vectors_upkeep_close(struct vectors_upkeep *up)
{
    if (!up)
        return;
    vecstore_close(up->seen);
    encoder_close(up->enc);
    store_close(up->st);
    free(up->db_path);
    free(up);
}

const char *vectors_upkeep_dir(const struct vectors_upkeep *up)
{
    return up->vdir;
}

/* Opens the store on first use (the database may appear after the
 * encoder was loaded: serve creates it). */
static int store_ready(struct vectors_upkeep *up, char *why, size_t why_len)
{
    if (up->st)
        return 0;
    char err[1024] = "";
    int rc = store_open_err(up->db_path, 1, &up->st, err, sizeof err);
    if (rc)
        say(why, why_len, "cannot open database: %s", err);
    return rc;
}

int vectors_upkeep_seq(struct vectors_upkeep *up, int64_t *seq)
{
    int rc = store_ready(up, NULL, 0);
    return rc ? rc : store_seq_max(up->st, seq);
}

/* The text embedded for a paper (malloc'ed) and its length. */
static char *paper_text(const struct paper *p, size_t *len)
{
    const char *t = p->title ? p->title : "", *a = p->abstract ? p->abstract : "";
    size_t tl = strlen(t), al = strlen(a);
    char *s = xmalloc(tl + al + 2);
    memcpy(s, t, tl);
    s[tl] = ' ';
    memcpy(s + tl + 1, a, al);
    s[tl + 1 + al] = '\0';
    *len = tl + 1 + al;
    return s;
}

/* 1 when vs (may be NULL) holds a vector of this text for rowid. */
static int current(const struct vecstore *vs, int64_t rowid, const char *text, size_t len)
{
    uint64_t old;
    const float *v;
    return vs && vecstore_get(vs, rowid, &old, &v) == 0 && old == vecstore_text_hash(text, len);
}

/* ------------------------------------------------------------------ */
/* Plan                                                                */

struct planning {
    struct vecstore *vs; /* read-only, NULL when there are no vectors */
    struct vectors_plan *pl;
    size_t cap;
    vectors_stop_fn stop;
    void *ctx;
};

static int plan_one(struct planning *g, int64_t rowid, const struct paper *p)
{
    struct vectors_plan *pl = g->pl;
    if (g->stop && pl->checked % 1024 == 1023 && g->stop(g->ctx))
        return ERR_INTERRUPTED;
    pl->checked++;
    size_t len;
    char *text = paper_text(p, &len);
    int cur = current(g->vs, rowid, text, len);
    free(text);
    if (cur)
        return 0;
    if (pl->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        pl->rows = xrealloc(pl->rows, g->cap * sizeof *pl->rows);
    }
    pl->rows[pl->n++] = rowid;
    return 0;
}

static int plan_fn(void *ctx, int64_t rowid, const struct paper *p)
{
    return plan_one(ctx, rowid, p);
}

static int plan_changed_fn(void *ctx, int64_t rowid, int64_t seq, const struct paper *p)
{
    (void)seq;
    return plan_one(ctx, rowid, p);
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Brings up->seen, the read-only view of the vectors the plans compare
 * with, up to date: opened on first use, then refreshed (in place when
 * records were only appended, O(new records); a full reopen when the files
 * were replaced) instead of reopened per plan, which is O(vectors).
 * ERR_NOT_FOUND (up->seen NULL) while there are no vectors. */
static int seen_ready(struct vectors_upkeep *up, char *err, size_t errlen)
{
    int rc;
    if (up->seen)
        rc = vecstore_refresh(up->seen, NULL, err, errlen);
    else
        rc = vecstore_open(up->vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &up->seen, err,
                           errlen);
    if (rc == ERR_NOT_FOUND) {
        vecstore_close(up->seen); /* the files are gone */
        up->seen = NULL;
    }
    return rc;
}

int vectors_upkeep_plan(struct vectors_upkeep *up, int64_t after_seq, vectors_stop_fn stop,
                        void *ctx, struct vectors_plan *out, char *why, size_t why_len)
{
    struct vectors_plan pl = {0};
    struct planning g = {NULL, &pl, 0, stop, ctx};
    char err[1024] = "";
    int rc = store_ready(up, why, why_len);
    if (rc)
        return rc;
    rc = seen_ready(up, err, sizeof err);
    if (rc == ERR_NOT_FOUND) {
        rc = 0; /* no vectors yet: every paper is planned */
    } else if (rc) {
        say(why, why_len, "vector store: %s", err);
        return rc;
    }
    g.vs = up->seen;
    pl.vectors = g.vs ? vecstore_count(g.vs) : 0;
    /* The mark is read before the walk: a paper changed during it has a
     * higher seq and is planned next time (perhaps twice: harmless). */
    rc = store_seq_max(up->st, &pl.seq);
    if (rc == 0 && after_seq < 0)
        rc = store_paper_each(up->st, 0, plan_fn, &g);
    else if (rc == 0)
        rc = store_paper_each_changed(up->st, after_seq, plan_changed_fn, &g);
    if (rc == ERR_INTERRUPTED)
        say(why, why_len, "stopped");
    else if (rc)
        say(why, why_len, "reading papers: %s: %s", err_str(rc), store_errmsg(up->st));
    if (rc) {
        vectors_plan_cleanup(&pl);
        return rc;
    }
    if (pl.n > 1)
        qsort(pl.rows, pl.n, sizeof *pl.rows, cmp_desc);
    *out = pl;
    return 0;
}

int vectors_plan_has(const struct vectors_plan *pl, int64_t rowid)
{
    return pl->n && bsearch(&rowid, pl->rows, pl->n, sizeof *pl->rows, cmp_desc) != NULL;
}

void vectors_plan_cleanup(struct vectors_plan *pl)
{
    free(pl->rows);
    memset(pl, 0, sizeof *pl);
}

/* ------------------------------------------------------------------ */
/* Run                                                                 */

struct batch {
    char **texts;
    size_t *lens;
    int64_t *rowids;
    int *fresh; /* the row had no vector before */
    float *out;
    size_t n;
};

/* Embeds, appends and commits the batch; the texts are freed. */
static int batch_flush(struct vectors_upkeep *up, struct vecstore *vs, struct batch *b,
                       struct vectors_progress *pr)
{
    if (b->n == 0)
        return 0;
    int rc = embed_batch_commit(up->enc, vs, (const char *const *)b->texts, b->lens, b->rowids,
                                b->n, b->out);
    for (size_t i = 0; i < b->n; i++) {
        if (rc == 0) {
            pr->embedded++;
            pr->vectors += (size_t)b->fresh[i];
        }
        free(b->texts[i]);
    }
    b->n = 0;
    return rc;
}

int vectors_upkeep_run(struct vectors_upkeep *up, const struct vectors_plan *pl,
                       struct vectors_progress *pr, vectors_step_fn step, void *ctx, char *why,
                       size_t why_len)
{
    if (pr->next >= pl->n)
        return 0;
    char err[1024] = "";
    struct vecstore *vs = NULL;
    struct batch b = {0};
    int rc = store_ready(up, why, why_len);
    if (rc)
        return rc;
    rc = vecstore_open(up->vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 1, !up->verified, &vs, err,
                       sizeof err);
    if (rc) {
        say(why, why_len, "vector store: %s", err);
        return rc;
    }
    up->verified = 1;
    pr->vectors = vecstore_count(vs);
    b.texts = xcalloc(up->batch, sizeof *b.texts);
    b.lens = xcalloc(up->batch, sizeof *b.lens);
    b.rowids = xcalloc(up->batch, sizeof *b.rowids);
    b.fresh = xcalloc(up->batch, sizeof *b.fresh);
    b.out = xmalloc(up->batch * ENCODER_DIM * sizeof(float));
    int stop = step ? step(ctx, pr, pl->n) : 0;
    while (rc == 0 && !stop && pr->next < pl->n) {
        /* Fill a batch; pr->next moves only once it is committed. */
        size_t i = pr->next;
        for (; i < pl->n && b.n < up->batch && rc == 0; i++) {
            struct paper p;
            paper_init(&p);
            rc = store_paper_get_by_rowid(up->st, pl->rows[i], &p);
            if (rc == ERR_NOT_FOUND) {
                rc = 0; /* deleted since the plan */
            } else if (rc == 0) {
                size_t len;
                char *text = paper_text(&p, &len);
                uint64_t old;
                const float *v;
                int had = vecstore_get(vs, pl->rows[i], &old, &v) == 0;
                if (had && old == vecstore_text_hash(text, len)) {
                    free(text); /* another writer embedded it meanwhile */
                } else {
                    b.texts[b.n] = text;
                    b.lens[b.n] = len;
                    b.rowids[b.n] = pl->rows[i];
                    b.fresh[b.n] = !had;
                    b.n++;
                }
            } else {
                say(why, why_len, "reading papers: %s: %s", err_str(rc), store_errmsg(up->st));
            }
            paper_cleanup(&p);
        }
        if (rc == 0) {
            rc = batch_flush(up, vs, &b, pr);
            if (rc)
                say(why, why_len, "writing vectors to %s: %s", up->vdir, err_str(rc));
        }
        if (rc == 0) {
            pr->next = i;
            stop = step ? step(ctx, pr, pl->n) : 0;
        }
    }
    for (size_t i = 0; i < b.n; i++)
        free(b.texts[i]);
    free(b.texts);
    free(b.lens);
    free(b.rowids);
    free(b.fresh);
    free(b.out);
    vecstore_close(vs);
    return rc;
}
