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
 *   dense   the query text is embedded and the stored vectors nearest by
 *           cosine (dot product of unit vectors) are listed, best first;
 *           query syntax (filters, exclusions) does not apply.
 *   hybrid  the top max(k, HYBRID_DEPTH) BM25 hits and the top
 *           max(k, HYBRID_DEPTH) dense hits fused by reciprocal rank:
 *           score(d) = sum over lists of 1 / (RRF_K + rank), RRF_K = 60
 *           (Cormack et al. 2009; the k sweep is in bench/RESULTS.md).
 *           Pinned ids and exact-title matches stay first in their order.
 *           Ties: rowid ascending.
 *
 * A hybrid query runs its BM25 side (search_run, paper loads included) on
 * a thread of its own while the calling thread embeds the query and
 * searches the vectors; the two lists are fused once both are in.
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
#include "search/search.h"
#include "util/err.h"
#include "util/mem.h"

#define HYBRID_DEPTH 100
#define RRF_K 60.0

struct search_semantic {
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

/* The folder holding db_path ("." when it has none) into out. */
static int db_dir(const char *db_path, char *out, size_t cap)
{
    const char *slash = strrchr(db_path, '/');
    int n;
    if (slash)
        n = snprintf(out, cap, "%.*s", slash == db_path ? 1 : (int)(slash - db_path), db_path);
    else
        n = snprintf(out, cap, ".");
    return n < 0 || (size_t)n >= cap ? ERR_TOO_LARGE : 0;
}

int search_semantic_open(const char *db_path, const char *models_dir, const char *vectors_dir,
                         struct search_semantic **out, char *why, size_t why_len)
{
    char dir[4096], model[4400], vdir[4400], err[1024] = "";
    if (db_dir(db_path, dir, sizeof dir) != 0) {
        if (why && why_len)
            snprintf(why, why_len, "database path too long");
        return ERR_TOO_LARGE;
    }
    if (models_dir)
        snprintf(model, sizeof model, "%s/%s", models_dir, ENCODER_MODEL_NAME);
    else
        snprintf(model, sizeof model, "%s/models/%s", dir, ENCODER_MODEL_NAME);
    if (vectors_dir)
        snprintf(vdir, sizeof vdir, "%s", vectors_dir);
    else
        snprintf(vdir, sizeof vdir, "%s/vectors", dir);
    struct search_semantic *ss = xcalloc(1, sizeof *ss);
    /* The vectors first: without them there is nothing to search, and
     * this check is cheap (the encoder maps 90 MB). */
    int rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &ss->vs, err, sizeof err);
    if (rc == 0 && vecstore_count(ss->vs) == 0) {
        snprintf(err, sizeof err, "no paper vectors in %.900s (run `paperboy embed`)", vdir);
        rc = ERR_NOT_FOUND;
    }
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

void search_semantic_close(struct search_semantic *ss)
{
    if (!ss)
        return;
    vecstore_close(ss->vs);
    encoder_close(ss->enc);
    store_close(ss->st);
    free(ss);
}

/* ------------------------------------------------------------------ */
/* Ranking                                                             */

struct fuse {
    int64_t rowid;
    double score;
    long lex; /* index into the lexical result, or -1 */
};

static int cmp_fuse(const void *a, const void *b)
{
    const struct fuse *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Replaces *r (the lexical result for hybrid, empty otherwise) with the
 * fusion of it and the dense hits dh[0..nd) (hybrid), or with the dense
 * hits alone, cut at k. Papers already in *r are moved over; the others
 * are loaded from the store (a vector whose paper is gone is skipped). */
static int fuse_into(struct search_semantic *ss, const struct vechit *dh, size_t nd, size_t k,
                     int hybrid, struct search_result *r)
{
    struct fuse *f = xmalloc((r->n + nd + 1) * sizeof *f);
    size_t nf = 0;
    for (size_t i = 0; hybrid && i < r->n; i++) {
        /* pinned ids and exact titles stay first, in their order */
        int pin = r->hits[i].why != SEARCH_WHY_TEXT;
        f[nf].rowid = r->hits[i].rowid;
        f[nf].score = pin ? 1e9 - (double)i : 1.0 / (RRF_K + (double)(i + 1));
        f[nf++].lex = (long)i;
    }
    for (size_t i = 0; i < nd; i++) {
        double sc = hybrid ? 1.0 / (RRF_K + (double)(i + 1)) : dh[i].score;
        size_t j = 0;
        while (j < nf && f[j].rowid != dh[i].rowid)
            j++;
        if (j < nf) {
            f[j].score += sc;
        } else {
            f[nf].rowid = dh[i].rowid;
            f[nf].score = sc;
            f[nf++].lex = -1;
        }
    }
    qsort(f, nf, sizeof *f, cmp_fuse);
    size_t m = nf < k ? nf : k;
    struct search_result out;
    memset(&out, 0, sizeof out);
    out.query_flags = r->query_flags;
    out.hits = xcalloc(m ? m : 1, sizeof *out.hits);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m; i++) {
        struct search_hit *h = &out.hits[out.n];
        if (f[i].lex >= 0) {
            *h = r->hits[f[i].lex];
            paper_init(&r->hits[f[i].lex].paper); /* moved */
            if (h->why == SEARCH_WHY_TEXT)
                h->score = (float)f[i].score;
        } else {
            paper_init(&h->paper);
            int grc = store_paper_get_by_rowid(ss->st, f[i].rowid, &h->paper);
            if (grc == ERR_NOT_FOUND) {
                paper_cleanup(&h->paper);
                continue; /* a vector whose paper is gone */
            }
            if (grc != 0) {
                paper_cleanup(&h->paper);
                rc = grc;
                break;
            }
            h->rowid = f[i].rowid;
            h->score = (float)f[i].score;
            h->why = SEARCH_WHY_TEXT;
        }
        out.n++;
    }
    free(f);
    if (rc) {
        search_result_cleanup(&out);
        return rc;
    }
    search_result_cleanup(r);
    *r = out;
    return 0;
}

/* The dense hits of text: at most depth, into a new array (*hits, caller
 * frees). */
static int dense_hits(struct search_semantic *ss, const char *text, size_t depth,
                      struct vechit **hits, size_t *n)
{
    float qv[ENCODER_DIM];
    size_t len = strlen(text), nd = 0;
    struct vechit *dh = xmalloc(depth * sizeof *dh);
    int rc = encoder_embed(ss->enc, &text, &len, 1, qv);
    if (rc == 0)
        rc = vecstore_search(ss->vs, qv, depth, -1, NULL, dh, &nd);
    if (rc) {
        free(dh);
        return rc;
    }
    *hits = dh;
    *n = nd;
    return 0;
}

/* The lexical side of a hybrid query, run on a thread of its own while
 * the caller's thread embeds the query and searches the vectors. */
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
    j->rc = search_run(j->s, j->q, j->depth, &j->r);
    return NULL;
}

int search_run_mode(struct search *s, struct search_semantic *ss, const struct search_query *q,
                    const char *text, enum search_mode mode, size_t k, struct search_result *out)
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
    struct search_result r;
    memset(&r, 0, sizeof r);
    int hybrid = mode == SEARCH_MODE_HYBRID;
    size_t depth = hybrid && k < HYBRID_DEPTH ? HYBRID_DEPTH : k;
    int rc = 0;
    /* Hybrid: BM25 (with its paper loads) on a second thread, concurrent
     * with the query encoding and vector search here; run inline when no
     * thread can be started. s is used by that thread alone meanwhile. */
    struct lex_job lj;
    memset(&lj, 0, sizeof lj);
    lj.s = s;
    lj.q = q;
    lj.depth = depth;
    pthread_t lex_tid;
    int lex_thread = hybrid && pthread_create(&lex_tid, NULL, lex_run, &lj) == 0;
    if (hybrid && !lex_thread)
        lex_run(&lj);
    if (!hybrid)
        r.query_flags = q->flags;
    struct vechit *dh = NULL;
    size_t nd = 0;
    int drc = dense_hits(ss, text, depth, &dh, &nd);
    if (lex_thread)
        pthread_join(lex_tid, NULL);
    if (hybrid) {
        r = lj.r;
        rc = lj.rc;
    }
    if (rc == 0)
        rc = drc;
    if (rc == 0)
        rc = fuse_into(ss, dh, nd, k, hybrid, &r);
    free(dh);
    if (rc) {
        search_result_cleanup(&r);
        return rc;
    }
    *out = r;
    return 0;
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
    struct search_result r;
    memset(&r, 0, sizeof r);
    if (rc == 0)
        rc = fuse_into(ss, dh, nd, k, 0, &r);
    free(dh);
    if (rc) {
        search_result_cleanup(&r);
        return rc;
    }
    *out = r;
    return 0;
}
