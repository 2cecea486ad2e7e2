/*
 * bench/hybrid - hybrid search latency end to end (issue #4: p50 < 20 ms
 * at 1M papers on 2 cores, query encoding included), its breakdown, and
 * the recall of the vector search's two-stage modes on real embeddings.
 * Run through bench/hybrid/run.sh, which builds the 1M data set once
 * under build/bench-hybrid/ and then runs the subcommands below.
 *
 *   hybrid encode  --models DIR --queries FILE [--n N] [--threads T]
 *       Query encoding alone: each query text embedded 5 times, its
 *       median wall and CPU time; p50/p90 overall and by token count.
 *   hybrid recall  --models DIR --vectors DIR --queries FILE [--n N] [--dump F]
 *       Real embeddings: the vectors in DIR (e.g. the SciFact corpus as
 *       `paperboy eval --mode dense --vectors DIR` stores them), the
 *       queries embedded here; recall@10 and @100 of each search mode and
 *       candidate count against the exact search. --dump writes the query
 *       vectors (n x 384 floats) to F.
 *   hybrid vectors --db FILE --vectors DIR [--seed S]
 *       One synthetic clustered unit vector (bench/embed/vecgen.h, n/50
 *       centres) per paper of the store, written with vecstore_add for
 *       the paper's rowid: the 1M vector set (real embeddings of 1M
 *       papers would take ~2 CPU-days here).
 *   hybrid run     --db FILE --models DIR --vectors DIR --queries FILE [--n N]
 *       Every query through search_run_mode(HYBRID, k = 10) as the product
 *       runs it, and in the same run the baselines and the parts: BM25
 *       mode (k 10), the encoder alone, the vector search alone (default
 *       mode and exact, depth 100 as hybrid asks), BM25 at depth 100.
 *       Wall and process CPU ms per query: p50 / p90 / p99. --only-hybrid
 *       times the hybrid call alone (for profiling).
 *
 * Queries: BEIR queries JSONL (SciFact's queries-train.jsonl: claims of
 * 5-40 tokens); with --short each is cut to its first 2 + i % 9 words
 * (2-10 words, about 4-15 tokens: search-box queries). Each text is used
 * as typed (parsed by query_parse for the
 * BM25 side, embedded as is for the dense side). One untimed warm-up pass
 * over the first 20.
 *
 * CPU time is the whole process's (CLOCK_PROCESS_CPUTIME_ID: every thread
 * of the query): on the shared 2-core machine wall time also counts time
 * other jobs ran, CPU time does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../embed/vecgen.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "embed/wordpiece.h"
#include "ingest/beir.h"
#include "search/query.h"
#include "search/search.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of v[0..n) (sorts v). */
static double pct(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, dbl_cmp);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* ------------------------------------------------------------------ */
/* Arguments and queries                                               */

struct args {
    const char *models, *queries, *vectors, *db, *dump;
    char model[4200]; /* models/all-MiniLM-L6-v2 */
    size_t n;
    int threads, qthreads, short_q, only_hybrid;
    uint64_t seed;
};

static const char *arg_val(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

struct qlist {
    char **text;
    size_t n, cap;
};

static int on_query(void *ctx, const struct beir_query *q)
{
    struct qlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->text = xrealloc(l->text, l->cap * sizeof *l->text);
    }
    l->text[l->n++] = xstrdup(q->text);
    return 0;
}

/* Cuts text after its first nw words (in place). */
static void cut_words(char *text, size_t nw)
{
    size_t w = 0;
    char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (w++ == nw) {
            p[-1] = '\0';
            return;
        }
        while (*p && *p != ' ')
            p++;
    }
}

static int load_queries(const char *path, size_t max, int short_queries, struct qlist *l)
{
    memset(l, 0, sizeof *l);
    long bad = 0;
    int rc = beir_queries_read_file(path, on_query, l, &bad);
    if (rc) {
        fprintf(stderr, "hybrid: cannot read queries %s: %s\n", path, err_str(rc));
        return rc;
    }
    if (max && l->n > max)
        l->n = max; /* the rest leak until exit: a bench */
    if (short_queries)
        for (size_t i = 0; i < l->n; i++)
            cut_words(l->text[i], 2 + i % 9);
    return 0;
}

static int open_encoder(const struct args *a, struct encoder **enc)
{
    char err[512];
    struct encoder_opts o = {a->threads, 0};
    int rc = encoder_open(a->model, a->threads ? &o : NULL, enc, err, sizeof err);
    if (rc)
        fprintf(stderr, "hybrid: %s\n", err);
    else if (a->qthreads)
        encoder_set_query_threads(*enc, a->qthreads);
    return rc;
}

/* ------------------------------------------------------------------ */
/* encode                                                              */

static int cmd_encode(const struct args *a)
{
    struct qlist ql;
    struct encoder *enc;
    if (load_queries(a->queries, a->n, a->short_q, &ql) || open_encoder(a, &enc))
        return 1;
    const struct wordpiece *wp = encoder_tokenizer(enc);
    double *w = xmalloc(ql.n * sizeof *w), *c = xmalloc(ql.n * sizeof *c);
    size_t *ntok = xmalloc(ql.n * sizeof *ntok);
    float v[ENCODER_DIM];
    int32_t ids[ENCODER_MAX_TOKENS];
    for (size_t i = 0; i < ql.n && i < 20; i++) {
        size_t len = strlen(ql.text[i]);
        encoder_embed(enc, (const char *const *)&ql.text[i], &len, 1, v);
    }
    for (size_t i = 0; i < ql.n; i++) {
        size_t len = strlen(ql.text[i]);
        wordpiece_encode(wp, ql.text[i], len, ENCODER_MAX_TOKENS, ids, &ntok[i]);
        double tw[5], tc[5];
        for (int r = 0; r < 5; r++) {
            double t0 = time_mono(), c0 = cpu_s();
            encoder_embed(enc, (const char *const *)&ql.text[i], &len, 1, v);
            tw[r] = (time_mono() - t0) * 1e3;
            tc[r] = (cpu_s() - c0) * 1e3;
        }
        w[i] = pct(tw, 5, 50);
        c[i] = pct(tc, 5, 50);
    }
    static const size_t lo[] = {1, 3, 8, 16, 24}, hi[] = {512, 7, 15, 23, 512};
    static const char *const name[] = {"all", "3-7", "8-15", "16-23", "24+"};
    double *bw = xmalloc(ql.n * sizeof *bw), *bc = xmalloc(ql.n * sizeof *bc);
    printf("encode: %zu queries, threads=%d query_threads=%d (0 = default), %d CPUs, load ", ql.n,
           a->threads, a->qthreads, (int)sysconf(_SC_NPROCESSORS_ONLN));
    FILE *la = fopen("/proc/loadavg", "r");
    char lbuf[128] = "?";
    if (la && fgets(lbuf, sizeof lbuf, la))
        printf("%s", lbuf);
    else
        printf("?\n");
    if (la)
        fclose(la);
    for (size_t b = 0; b < 5; b++) {
        size_t m = 0;
        for (size_t i = 0; i < ql.n; i++)
            if (ntok[i] >= lo[b] && ntok[i] <= hi[b]) {
                bw[m] = w[i];
                bc[m++] = c[i];
            }
        if (!m)
            continue;
        double w50 = pct(bw, m, 50), w90 = pct(bw, m, 90);
        double c50 = pct(bc, m, 50), c90 = pct(bc, m, 90);
        printf("encode tokens %-5s n=%4zu  wall p50 %6.2f p90 %6.2f ms  CPU p50 %6.2f p90 %6.2f "
               "ms\n",
               name[b], m, w50, w90, c50, c90);
    }
    encoder_close(enc);
    return 0;
}

/* ------------------------------------------------------------------ */
/* recall                                                              */

static int cmd_recall(const struct args *a)
{
    struct qlist ql;
    struct encoder *enc;
    struct vecstore *vs;
    char err[512];
    if (load_queries(a->queries, a->n, a->short_q, &ql) || open_encoder(a, &enc))
        return 1;
    if (vecstore_open(a->vectors, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 1, &vs, err, sizeof err)) {
        fprintf(stderr, "hybrid: %s\n", err);
        return 1;
    }
    size_t n = vecstore_count(vs), nq = ql.n;
    float *qv = xmalloc(nq * ENCODER_DIM * sizeof *qv);
    for (size_t i = 0; i < nq; i += 32) {
        size_t m = nq - i < 32 ? nq - i : 32;
        size_t lens[32];
        for (size_t j = 0; j < m; j++)
            lens[j] = strlen(ql.text[i + j]);
        encoder_embed(enc, (const char *const *)ql.text + i, lens, m, qv + i * ENCODER_DIM);
    }
    if (a->dump[0]) { /* the query vectors, for experiments elsewhere */
        FILE *f = fopen(a->dump, "wb");
        if (f) {
            fwrite(qv, sizeof *qv, nq * ENCODER_DIM, f);
            fclose(f);
        }
    }
    enum { K = 100 };
    struct vechit *ex = xmalloc(nq * K * sizeof *ex), h[K];
    size_t *nex = xmalloc(nq * sizeof *nex), nh;
    struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 1};
    for (size_t i = 0; i < nq; i++)
        vecstore_search(vs, qv + i * ENCODER_DIM, K, -1, &oe, ex + i * K, &nex[i]);
    printf("recall: %zu real vectors, %zu real queries (each query's exact top 10 / top 100 "
           "is the truth)\n",
           n, nq);
    /* Candidate counts as fractions of n: what the 1M defaults amount to. */
    struct {
        enum vecsearch_mode mode;
        double frac; /* of n; 0 = the mode's default */
    } cfg[] = {
        {VECSEARCH_AUTO, 0},   {VECSEARCH_INT8, 0},      {VECSEARCH_BIT, 0},
        {VECSEARCH_BIT, 0.005}, {VECSEARCH_BIT, 0.01},   {VECSEARCH_BIT, 0.02},
        {VECSEARCH_BIT, 0.03}, {VECSEARCH_BIT, 0.04},    {VECSEARCH_BIT, 0.05},
        {VECSEARCH_INT8, 0.0025}, {VECSEARCH_INT8, 0.005},
    };
    static const char *const mname[] = {"exact", "int8", "bit", "auto"};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        for (size_t kk = 10; kk <= K; kk *= 10) {
            size_t cand = cfg[c].frac > 0 ? (size_t)(cfg[c].frac * (double)n) : 0;
            if (cfg[c].frac > 0 && cand < kk)
                continue;
            struct vecsearch_opts o = {cfg[c].mode, cand, 1};
            size_t hit = 0, tot = 0, worst = kk;
            for (size_t i = 0; i < nq; i++) {
                vecstore_search(vs, qv + i * ENCODER_DIM, kk, -1, &o, h, &nh);
                size_t t = nex[i] < kk ? nex[i] : kk, qh = 0;
                for (size_t x = 0; x < t; x++)
                    for (size_t y = 0; y < nh; y++)
                        if (ex[i * K + x].rowid == h[y].rowid) {
                            qh++;
                            break;
                        }
                hit += qh;
                tot += t;
                if (qh < worst)
                    worst = qh;
            }
            printf("recall@%-3zu mode=%-5s candidates=%-6s (%5.2f%% of n) recall %.4f  worst "
                   "query %zu/%zu\n",
                   kk, mname[cfg[c].mode], cand ? "" : "dflt",
                   cand ? 100.0 * (double)cand / (double)n : 0.0, (double)hit / (double)tot,
                   worst, kk);
        }
    }
    vecstore_close(vs);
    encoder_close(enc);
    return 0;
}

/* ------------------------------------------------------------------ */
/* vectors                                                             */

struct vec_ctx {
    struct vecstore *vs;
    float *cent;
    size_t nc, i;
    uint64_t rng;
    int rc;
};

static int on_paper(void *ctx, int64_t rowid, const struct paper *p)
{
    (void)p;
    struct vec_ctx *c = ctx;
    float v[ENCODER_DIM];
    vecgen_around(&c->rng, c->cent + (c->i++ % c->nc) * ENCODER_DIM, v, ENCODER_DIM);
    c->rc = vecstore_add(c->vs, rowid, (uint64_t)rowid, v);
    if (c->i % 100000 == 0)
        fprintf(stderr, "vectors: %zu\n", c->i);
    return c->rc;
}

static int cmd_vectors(const struct args *a)
{
    struct store *st;
    char err[512];
    int rc = store_open(a->db, 1, &st);
    if (rc) {
        fprintf(stderr, "hybrid: cannot open %s: %s\n", a->db, err_str(rc));
        return 1;
    }
    int64_t np = 0;
    store_count_papers(st, &np);
    struct vec_ctx c;
    memset(&c, 0, sizeof c);
    c.nc = np / 50 > 0 ? (size_t)np / 50 : 1;
    c.rng = a->seed ? a->seed : 0x9E3779B97F4A7C15ull;
    c.cent = xmalloc(c.nc * ENCODER_DIM * sizeof *c.cent);
    for (size_t i = 0; i < c.nc * ENCODER_DIM; i++)
        c.cent[i] = vecgen_nrand(&c.rng);
    if (vecstore_open(a->vectors, ENCODER_MODEL_NAME, ENCODER_DIM, 1, 0, &c.vs, err, sizeof err)) {
        fprintf(stderr, "hybrid: %s\n", err);
        return 1;
    }
    double t0 = time_mono();
    rc = store_paper_each(st, 0, on_paper, &c);
    if (rc == 0)
        rc = vecstore_sync(c.vs);
    vecstore_close(c.vs);
    store_close(st);
    printf("vectors: %zu written for %lld papers in %.1f s (%s)\n", c.i, (long long)np,
           time_mono() - t0, err_str(rc));
    free(c.cent);
    return rc ? 1 : 0;
}

/* ------------------------------------------------------------------ */
/* run                                                                 */

/* The share of the first kk exact hits found among the approximate ones. */
static double overlap(const struct vechit *ex, size_t nex, const struct vechit *ap, size_t nap,
                      size_t kk)
{
    size_t t = nex < kk ? nex : kk, hit = 0;
    for (size_t i = 0; i < t; i++)
        for (size_t j = 0; j < nap; j++)
            if (ex[i].rowid == ap[j].rowid) {
                hit++;
                break;
            }
    return t ? (double)hit / (double)t : 1.0;
}

/* Recall of the default search at k 10 and 100 against exact for 100
 * queries drawn around the same centres as the stored vectors (the
 * `vectors` subcommand's generator, same seed). */
static void clustered_recall(const struct vecstore *vs, uint64_t seed)
{
    size_t np = vecstore_count(vs), nc = np / 50 > 0 ? np / 50 : 1;
    uint64_t rng = seed ? seed : 0x9E3779B97F4A7C15ull;
    float *cent = xmalloc(nc * ENCODER_DIM * sizeof *cent), q[ENCODER_DIM];
    for (size_t i = 0; i < nc * ENCODER_DIM; i++)
        cent[i] = vecgen_nrand(&rng);
    struct vechit ex[100], ap[100];
    size_t nex, nap;
    double r10 = 0, r100 = 0, c0 = cpu_s(), w0 = time_mono();
    struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 0};
    enum { NQ = 100 };
    for (size_t i = 0; i < NQ; i++) {
        vecgen_around(&rng, cent + (i * 7919 % nc) * ENCODER_DIM, q, ENCODER_DIM);
        vecstore_search(vs, q, 100, -1, &oe, ex, &nex);
        vecstore_search(vs, q, 100, -1, NULL, ap, &nap);
        r10 += overlap(ex, nex, ap, nap, 10);
        r100 += overlap(ex, nex, ap, nap, 100);
    }
    printf("default vector search vs exact, %d queries around the clusters: recall@10 %.4f, "
           "recall@100 %.4f (%.0f s)\n",
           NQ, r10 / NQ, r100 / NQ, time_mono() - w0);
    (void)c0;
    free(cent);
}

enum { T_HYBRID, T_BM25, T_DENSE, T_ENCODE, T_VEC, T_VEC_EXACT, T_BM25_100, NT };
static const char *const tname[NT] = {
    "hybrid k=10 (search_run_mode)", "bm25 mode k=10", "dense mode k=10",
    "  part: encode query",          "  part: vector search, default mode, top 100",
    "  baseline: exact vector scan, top 100", "  part: BM25 top 100 + paper loads"};

static int cmd_run(const struct args *a)
{
    struct qlist ql;
    struct encoder *enc = NULL;
    struct vecstore *vs = NULL;
    struct search *s = NULL;
    struct search_semantic *ss = NULL;
    char err[1024], idx[4096];
    if (load_queries(a->queries, a->n, a->short_q, &ql) || open_encoder(a, &enc))
        return 1;
    search_index_dir(a->db, idx, sizeof idx);
    if (search_open(a->db, idx, NULL, &s, err, sizeof err) ||
        search_semantic_open(a->db, a->models, a->vectors, &ss, err, sizeof err) ||
        vecstore_open(a->vectors, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &vs, err, sizeof err)) {
        fprintf(stderr, "hybrid: %s\n", err);
        return 1;
    }
    size_t nq = ql.n;
    double *w[NT], *c[NT];
    for (int t = 0; t < NT; t++) {
        w[t] = xcalloc(nq, sizeof(double));
        c[t] = xcalloc(nq, sizeof(double));
    }
    size_t *ntok = xmalloc(nq * sizeof *ntok);
    struct vechit *h = xmalloc(100 * sizeof *h), *hx = xmalloc(100 * sizeof *hx);
    size_t nhx = 0;
    double rec10 = 0, rec100 = 0;
    int32_t ids[ENCODER_MAX_TOKENS];
    printf("run: %zu papers' vectors, %zu queries\n", vecstore_count(vs), nq);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nq; i++) {
            if (pass == 0 && i >= 20)
                break;
            const char *text = ql.text[i];
            size_t len = strlen(text), nh;
            struct search_query q;
            struct search_result r;
            float v[ENCODER_DIM];
            wordpiece_encode(encoder_tokenizer(enc), text, len, ENCODER_MAX_TOKENS, ids, &ntok[i]);
            query_parse(text, len, &q);
            for (int t = 0; t < (a->only_hybrid ? 1 : NT); t++) {
                struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 0};
                double t0 = time_mono(), c0 = cpu_s();
                int rc = 0;
                switch (t) {
                case T_HYBRID:
                case T_BM25:
                case T_DENSE:
                    rc = search_run_mode(s, ss, &q,
                                         t == T_HYBRID ? SEARCH_MODE_HYBRID
                                         : t == T_BM25 ? SEARCH_MODE_BM25
                                                       : SEARCH_MODE_DENSE,
                                         10, &r);
                    if (rc == 0)
                        search_result_cleanup(&r);
                    break;
                case T_ENCODE:
                    rc = encoder_embed(enc, &text, &len, 1, v);
                    break;
                case T_VEC:
                case T_VEC_EXACT:
                    encoder_embed(enc, &text, &len, 1, v);
                    t0 = time_mono(), c0 = cpu_s();
                    rc = vecstore_search(vs, v, 100, -1, t == T_VEC ? NULL : &oe,
                                         t == T_VEC ? h : hx, t == T_VEC ? &nh : &nhx);
                    break;
                case T_BM25_100:
                    rc = search_run(s, &q, 100, &r);
                    if (rc == 0)
                        search_result_cleanup(&r);
                    break;
                }
                if (rc) {
                    fprintf(stderr, "hybrid: query %zu step %d: %s\n", i, t, err_str(rc));
                    return 1;
                }
                w[t][i] = (time_mono() - t0) * 1e3;
                c[t][i] = (cpu_s() - c0) * 1e3;
            }
            if (pass == 1) {
                rec10 += overlap(hx, nhx, h, nh, 10);
                rec100 += overlap(hx, nhx, h, nh, 100);
            }
            query_cleanup(&q);
        }
    }
    double tok[3], *td = xmalloc(nq * sizeof *td);
    for (size_t i = 0; i < nq; i++)
        td[i] = (double)ntok[i];
    tok[0] = pct(td, nq, 10), tok[1] = pct(td, nq, 50), tok[2] = pct(td, nq, 90);
    printf("query tokens ([CLS]/[SEP] included): p10 %.0f, p50 %.0f, p90 %.0f\n", tok[0], tok[1],
           tok[2]);
    static const size_t blo[] = {1, 16, 24}, bhi[] = {15, 23, 512};
    double *bw = xmalloc(nq * sizeof *bw), *bc = xmalloc(nq * sizeof *bc);
    for (int b = 0; b < 3; b++) {
        size_t m = 0;
        for (size_t i = 0; i < nq; i++)
            if (ntok[i] >= blo[b] && ntok[i] <= bhi[b]) {
                bw[m] = w[T_HYBRID][i];
                bc[m++] = c[T_HYBRID][i];
            }
        if (m)
            printf("hybrid, queries of %zu-%zu tokens (n=%zu): wall p50 %.2f p90 %.2f ms, CPU p50 "
                   "%.2f ms\n",
                   blo[b], bhi[b], m, pct(bw, m, 50), pct(bw, m, 90), pct(bc, m, 50));
    }
    printf("%-46s %8s %8s %8s | %8s %8s %8s\n", "ms per query", "wall p50", "p90", "p99",
           "CPU p50", "p90", "p99");
    for (int t = 0; t < NT; t++) {
        double a50 = pct(w[t], nq, 50), a90 = pct(w[t], nq, 90), a99 = pct(w[t], nq, 99);
        double b50 = pct(c[t], nq, 50), b90 = pct(c[t], nq, 90), b99 = pct(c[t], nq, 99);
        printf("%-46s %8.2f %8.2f %8.2f | %8.2f %8.2f %8.2f\n", tname[t], a50, a90, a99, b50, b90,
               b99);
    }
    if (!a->only_hybrid) {
        printf("default vector search vs exact, these text queries: recall@10 %.4f, "
               "recall@100 %.4f\n",
               rec10 / (double)nq, rec100 / (double)nq);
        clustered_recall(vs, a->seed);
    }
    search_semantic_close(ss);
    search_close(s);
    vecstore_close(vs);
    encoder_close(enc);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hybrid encode|recall|vectors|run [options] (see the source)\n");
        return 2;
    }
    struct args a;
    a.models = arg_val(argc, argv, "--models", "data/models");
    snprintf(a.model, sizeof a.model, "%s/%s", a.models, ENCODER_MODEL_NAME);
    a.queries = arg_val(argc, argv, "--queries", "");
    a.vectors = arg_val(argc, argv, "--vectors", "build/bench-hybrid/1m/vectors");
    a.db = arg_val(argc, argv, "--db", "build/bench-hybrid/1m/paperboy.db");
    a.dump = arg_val(argc, argv, "--dump", "");
    a.short_q = a.only_hybrid = 0;
    for (int i = 2; i < argc; i++) {
        a.short_q |= strcmp(argv[i], "--short") == 0;
        a.only_hybrid |= strcmp(argv[i], "--only-hybrid") == 0;
    }
    a.n = (size_t)atol(arg_val(argc, argv, "--n", "0"));
    a.threads = atoi(arg_val(argc, argv, "--threads", "0"));
    a.qthreads = atoi(arg_val(argc, argv, "--query-threads", "0"));
    a.seed = (uint64_t)atoll(arg_val(argc, argv, "--seed", "0"));
    const char *cmd = argv[1];
    if (strcmp(cmd, "encode") == 0)
        return cmd_encode(&a);
    if (strcmp(cmd, "recall") == 0)
        return cmd_recall(&a);
    if (strcmp(cmd, "vectors") == 0)
        return cmd_vectors(&a);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(&a);
    fprintf(stderr, "hybrid: unknown subcommand %s\n", cmd);
    return 2;
}
