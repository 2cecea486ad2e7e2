/*
 * hybrid.c - the semantic side of the search facade: dense and hybrid
 * ranking over the paper vectors (embed/), shared by the CLI and the web.
 *
 * struct search_semantic holds the encoder (embed/encoder.h), the vector
 * store (embed/vecstore.h, read-only) and a store connection of its own
 * (to load the papers the vectors name). It is opened from the folders
 * beside the database by default: models/all-MiniLM-L6-v2 and vectors/.
 *
 * Modes (search_run_mode):
 *   bm25    search_run() as is.
 *   dense   the query's free text (its unfielded words and phrases) is
 *           embedded and the stored vectors nearest by cosine (dot
 *           product of unit vectors) are listed, best first, as far as
 *           they pass the query's constraints (cat:, dates, fields,
 *           phrases, exclusions: search_constraints_check); with
 *           constraints, 5x as many candidates are fetched first.
 *   hybrid  the top max(k, FUSE_DEPTH) BM25 hits and the top
 *           max(k, FUSE_DEPTH) dense hits fused by search/fuse.h (a convex
 *           combination of normalised scores; the study that chose it
 *           against reciprocal-rank fusion is in bench/RESULTS.md).
 *           Ties: rowid ascending.
 * In both, pinned ids and exact-title matches (from the lexical side,
 * when there is one) come first, in their order.
 *
 * The lexical side (search_run_ranked: its text hits come without their
 * papers, so only the k shown are loaded) runs on a thread of its own,
 * concurrent with the query encoding and vector search, when the query has
 * no constraints; the lists are ranked together once both are in.
 *
 * search_similar() lists the nearest neighbours of a paper's own stored
 * vector, leaving the paper out.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "search/fuse.h"
#include "search/search.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct search_semantic {
    char *vdir; /* the vectors' folder, for search_semantic_refresh */
    struct encoder *enc;
    struct vecstore *vs;
    struct store *st;
};

/* ------------------------------------------------------------------ */
/* Modes                                                               */

int search_mode_parse(const char *s, enum search_mode *out)
{
    if (strcmp(s, "bm25") == 0 || strcmp(s, "lexical") == 0)
        *out = SEARCH_MODE_BM25;
    else if (strcmp(s, "dense") == 0 || strcmp(s, "semantic") == 0)
        *out = SEARCH_MODE_DENSE;
    else if (strcmp(s, "hybrid") == 0)
        *out = SEARCH_MODE_HYBRID;
    else
        return ERR_INVALID;
    return 0;
}

const char *search_mode_name(enum search_mode m)
{
    return m == SEARCH_MODE_DENSE ? "dense" : m == SEARCH_MODE_HYBRID ? "hybrid" : "bm25";
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */

/* Opens the vectors in vdir read-only; ERR_NOT_FOUND when there are
 * none. */
static int open_vectors(const char *vdir, struct vecstore **out, char *err, size_t errlen)
{
    int rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, out, err, errlen);
    if (rc == 0 && vecstore_count(*out) == 0) {
        vecstore_close(*out);
        *out = NULL;
        snprintf(err, errlen, "no paper vectors in %.900s (run `paperboy embed`)", vdir);
        rc = ERR_NOT_FOUND;
    }
    return rc;
}

int search_semantic_open(const char *db_path, const char *models_dir, const char *vectors_dir,
                         struct search_semantic **out, char *why, size_t why_len)
{
    char models[4096], model[4200], vdir[4096], err[1024] = "";
    int rc = 0;
    if (models_dir)
        snprintf(models, sizeof models, "%s", models_dir);
    else
        rc = search_path_beside(db_path, "models", models, sizeof models);
    if (vectors_dir)
        snprintf(vdir, sizeof vdir, "%s", vectors_dir);
    else if (rc == 0)
        rc = search_path_beside(db_path, "vectors", vdir, sizeof vdir);
    if (rc) {
        if (why && why_len)
            snprintf(why, why_len, "database path too long");
        return ERR_TOO_LARGE;
    }
    snprintf(model, sizeof model, "%s/%s", models, ENCODER_MODEL_NAME);
    struct search_semantic *ss = xcalloc(1, sizeof *ss);
    ss->vdir = xstrdup(vdir);
    /* The vectors first: without them there is nothing to search, and
     * this check is cheap (the encoder maps 90 MB). */
    rc = open_vectors(ss->vdir, &ss->vs, err, sizeof err);
    if (rc == 0)
        rc = encoder_open(model, NULL, &ss->enc, err, sizeof err);
    if (rc == 0 && (rc = store_open(db_path, 1, &ss->st)) != 0)
        snprintf(err, sizeof err, "cannot open database %s: %s", db_path, err_str(rc));
    if (rc) {
        if (why && why_len)
            snprintf(why, why_len, "%s", err[0] ? err : err_str(rc));
        search_semantic_close(ss);
        return rc;
    }
    *out = ss;
    return 0;
}

int search_semantic_refresh(struct search_semantic *ss, char *why, size_t why_len)
{
    char err[1024] = "";
    int rc = vecstore_refresh(ss->vs, NULL, err, sizeof err);
    if (rc == 0 && vecstore_count(ss->vs) == 0) { /* reopened onto none */
        snprintf(err, sizeof err, "no paper vectors in %.900s (run `paperboy embed`)", ss->vdir);
        rc = ERR_NOT_FOUND;
    }
    if (rc && why && why_len)
        snprintf(why, why_len, "%s", err[0] ? err : err_str(rc));
    return rc;
}

void search_semantic_close(struct search_semantic *ss)
{
    if (!ss)
        return;
    vecstore_close(ss->vs);
    encoder_close(ss->enc);
    store_close(ss->st);
    free(ss->vdir);
    free(ss);
}

/* ------------------------------------------------------------------ */
/* Ranking                                                             */

/* Builds into *out: first the hits of *lex that are not ranked by text
 * (pinned ids, exact titles), in their order; then, for hybrid, the fusion
 * (search/fuse.h) of lex's text hits and the dense hits dh[0..nd), or for
 * dense, the dense hits by cosine; cut at k. Papers already in *lex are
 * moved over; the others are loaded from the store (a vector whose paper
 * is gone is skipped). */
static int rank_into(struct search_semantic *ss, struct search_result *lex,
                     const struct vechit *dh, size_t nd, size_t k, int hybrid,
                     struct search_result *out)
{
    size_t nl = 0, np = 0;
    struct fuse_in *in = xmalloc((lex->n + nd + 1) * sizeof *in);
    int64_t *pinned = xmalloc((lex->n + 1) * sizeof *pinned);
    long *lex_at = xmalloc((lex->n + 1) * sizeof *lex_at); /* text hit i -> lex index */
    for (size_t i = 0; i < lex->n; i++) {
        if (lex->hits[i].why != SEARCH_WHY_TEXT) {
            pinned[np++] = lex->hits[i].rowid;
        } else if (hybrid) {
            lex_at[nl] = (long)i;
            in[nl++] = (struct fuse_in){lex->hits[i].rowid, lex->hits[i].score};
        }
    }
    size_t nv = 0; /* dense hits that are not pinned */
    for (size_t i = 0; i < nd; i++) {
        size_t j = 0;
        while (j < np && pinned[j] != dh[i].rowid)
            j++;
        if (j == np)
            in[nl + nv++] = (struct fuse_in){dh[i].rowid, dh[i].score};
    }
    struct fused *f = xmalloc((nl + nv + 1) * sizeof *f);
    size_t nf;
    if (hybrid) {
        struct fuse_opts fo;
        fuse_opts_default(&fo); /* the product's fusion */
        nf = fuse_lists(&fo, in, nl, in + nl, nv, f);
    } else {
        for (size_t i = 0; i < nv; i++)
            f[i] = (struct fused){in[nl + i].rowid, in[nl + i].score, -1, (long)i};
        nf = nv;
    }
    struct search_result r;
    memset(&r, 0, sizeof r);
    r.query_flags = lex->query_flags;
    r.hits = xcalloc(k, sizeof *r.hits);
    int rc = 0;
    for (size_t i = 0; i < lex->n && r.n < k; i++) {
        if (lex->hits[i].why == SEARCH_WHY_TEXT)
            continue;
        r.hits[r.n++] = lex->hits[i];
        paper_init(&lex->hits[i].paper); /* moved */
    }
    for (size_t i = 0; rc == 0 && i < nf && r.n < k; i++) {
        struct search_hit *h = &r.hits[r.n];
        struct search_hit *from = f[i].lex >= 0 ? &lex->hits[lex_at[f[i].lex]] : NULL;
        if (from && from->paper.id) {
            *h = *from;
            paper_init(&from->paper); /* moved */
        } else {
            /* a dense hit, or a lexical one without its paper
             * (search_run_ranked) */
            paper_init(&h->paper);
            int grc = store_paper_get_by_rowid(ss->st, f[i].rowid, &h->paper);
            if (grc == ERR_NOT_FOUND) {
                paper_cleanup(&h->paper);
                continue; /* a paper gone since it was indexed or embedded */
            }
            if (grc != 0) {
                paper_cleanup(&h->paper);
                rc = grc;
                break;
            }
            h->rowid = f[i].rowid;
            h->why = SEARCH_WHY_TEXT;
        }
        h->score = (float)f[i].score;
        r.n++;
    }
    free(f);
    free(lex_at);
    free(pinned);
    free(in);
    if (rc) {
        search_result_cleanup(&r);
        return rc;
    }
    *out = r;
    return 0;
}

/* How many more dense candidates are fetched when the query has
 * constraints (cat:, dates, fields, exclusions) that some will fail. */
#define DENSE_CONSTRAINED_FACTOR 5

/* Keeps the dense hits dh[0..*n) that pass q's constraints (search.h:
 * search_constraints_check), in order, at most depth. */
static int dense_constrain(struct search *s, const struct search_query *q, struct vechit *dh,
                           size_t *n, size_t depth)
{
    int64_t *rows = xmalloc((*n + 1) * sizeof *rows);
    unsigned char *pass = xmalloc(*n + 1);
    for (size_t i = 0; i < *n; i++)
        rows[i] = dh[i].rowid;
    int rc = search_constraints_check(s, q, rows, *n, pass);
    if (rc == 0) {
        size_t m = 0;
        for (size_t i = 0; i < *n && m < depth; i++)
            if (pass[i])
                dh[m++] = dh[i];
        *n = m;
    }
    free(pass);
    free(rows);
    return rc;
}

/* The dense hits of the query's free text (query_free_text: its unfielded
 * words and phrases; filters and fields are not text to embed) that pass
 * its constraints when s is there to check them: at most depth, into a new
 * array (*hits, caller frees; NULL and 0 when the query has no free text). */
static int dense_hits(struct search_semantic *ss, struct search *s, const struct search_query *q,
                      size_t depth, struct vechit **hits, size_t *n)
{
    struct buf text;
    buf_init(&text, QUERY_MAX_BYTES + 1);
    int rc = query_free_text(q, &text);
    *hits = NULL;
    *n = 0;
    if (rc || text.len == 0) {
        buf_cleanup(&text);
        return rc;
    }
    int constrained = s && search_query_has_constraints(q);
    size_t want = depth;
    if (constrained)
        want = depth * DENSE_CONSTRAINED_FACTOR > INDEX_MAX_K ? INDEX_MAX_K
                                                              : depth * DENSE_CONSTRAINED_FACTOR;
    float qv[ENCODER_DIM];
    const char *t = buf_cstr(&text);
    size_t len = text.len, nd = 0;
    struct vechit *dh = xmalloc(want * sizeof *dh);
    rc = encoder_embed(ss->enc, &t, &len, 1, qv);
    buf_cleanup(&text);
    if (rc == 0)
        rc = vecstore_search(ss->vs, qv, want, -1, NULL, dh, &nd);
    if (rc == 0 && constrained)
        rc = dense_constrain(s, q, dh, &nd, depth);
    if (rc) {
        free(dh);
        return rc;
    }
    *hits = dh;
    *n = nd;
    return 0;
}

/* The lexical side of a query, run on a thread of its own while the
 * caller's thread embeds the query and searches the vectors. */
struct lex_job {
    struct search *s;
    const struct search_query *q;
    size_t depth;
    struct search_result r;
    int rc;
};

static void *lex_run(void *arg)
{
    struct lex_job *j = arg;
    j->rc = search_run_ranked(j->s, j->q, j->depth, &j->r);
    return NULL;
}

int search_run_mode(struct search *s, struct search_semantic *ss, const struct search_query *q,
                    enum search_mode mode, size_t k, struct search_result *out)
{
    if (k == 0 || k > INDEX_MAX_K)
        return ERR_INVALID;
    if (mode == SEARCH_MODE_BM25 || (mode == SEARCH_MODE_HYBRID && !ss)) {
        if (!s)
            return ERR_INVALID;
        return search_run(s, q, k, out);
    }
    if (!ss || (mode == SEARCH_MODE_HYBRID && !s))
        return ERR_INVALID;
    int hybrid = mode == SEARCH_MODE_HYBRID;
    size_t depth = k < FUSE_DEPTH ? FUSE_DEPTH : k;
    struct lex_job lj;
    memset(&lj, 0, sizeof lj);
    lj.s = s;
    lj.q = q;
    lj.depth = depth;
    lj.r.query_flags = q->flags;
    /* Dense mode runs the lexical side too when it can, for the pinned ids
     * and exact titles that always come first. It runs on a thread of its
     * own, concurrent with the query encoding and vector search here, when
     * the query has no constraints (dense_hits then does not touch s);
     * inline otherwise, or when no thread can be started. */
    pthread_t lex_tid;
    int concurrent = s && !search_query_has_constraints(q) &&
                     pthread_create(&lex_tid, NULL, lex_run, &lj) == 0;
    if (s && !concurrent)
        lex_run(&lj);
    int rc = concurrent ? 0 : lj.rc;
    struct vechit *dh = NULL;
    size_t nd = 0;
    if (rc == 0)
        rc = dense_hits(ss, concurrent ? NULL : s, q, depth, &dh, &nd);
    if (concurrent) {
        pthread_join(lex_tid, NULL);
        if (rc == 0)
            rc = lj.rc;
    }
    if (rc == 0)
        rc = rank_into(ss, &lj.r, dh, nd, k, hybrid, out);
    free(dh);
    search_result_cleanup(&lj.r);
    return rc;
}

int search_similar(struct search_semantic *ss, int64_t rowid, size_t k,
                   struct search_result *out)
{
    if (k == 0 || k > INDEX_MAX_K)
        return ERR_INVALID;
    const float *v;
    uint64_t hash;
    int rc = vecstore_get(ss->vs, rowid, &hash, &v);
    if (rc)
        return rc;
    struct vechit *dh = xmalloc(k * sizeof *dh);
    size_t nd = 0;
    rc = vecstore_search(ss->vs, v, k, rowid, NULL, dh, &nd);
    struct search_result none;
    memset(&none, 0, sizeof none);
    if (rc == 0)
        rc = rank_into(ss, &none, dh, nd, k, 0, out);
    free(dh);
    return rc;
}
