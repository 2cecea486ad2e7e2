/*
 * bench/index - lexical index speed: build rate, size, top-k latency.
 *
 *   build/bench/index [--docs N] [--dir DIR] [--queries Q] [--k K] [--threads N]
 *                     [--keep] [--reuse]
 *
 * Generates N synthetic abstracts (default 1,000,000): words are drawn
 * i.i.d. from the word-frequency distribution of the SciFact corpus when
 * $SHARED/data/scifact/corpus.jsonl exists (so term statistics look like
 * scientific abstracts), else from a Zipf law over 200k made-up words;
 * 40% of a document's words come from its 1-3 topics (of 1000; a topic
 * is 300 words with Zipf weights), so topical words co-occur; titles 6-14
 * words, abstracts 100-250 words, 3 authors, 1-3 categories.
 * Reports: indexing rate (docs/s, analysis + in-memory inversion + segment
 * flushes, on --threads worker threads; the text generation is not timed,
 * but with threads it overlaps the workers), the force-merge time, the
 * index size on disk, and the latency of top-k searches (p50/p90/p99, wall
 * clock and thread CPU time) for
 *   topical: 1-4 words of one topic (typed queries about a subject),
 *   short: 2-4 words drawn by frequency among the 100th..20000th most
 *          frequent words, unrelated to each other (a hard case),
 *   claims: the SciFact train queries (long: ~8-15 terms), when present,
 * plus how much faster than the exhaustive search that gives the same
 * result (checked equal on the first 100 queries).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index/index.h"
#include "util/err.h"
#include "util/mem.h"

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* --- vocabulary --- */

struct vocab {
    char **w;
    double *cum; /* cumulative probability */
    size_t n;
};

static size_t pick(const struct vocab *v, double u)
{
    size_t lo = 0, hi = v->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->cum[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->n ? lo : v->n - 1;
}

static double unif(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

struct wc {
    char *w;
    long c;
};

static int wc_cmp(const void *a, const void *b)
{
    const struct wc *x = a, *y = b;
    return x->c < y->c ? 1 : x->c > y->c ? -1 : strcmp(x->w, y->w);
}

/* Word counts of the SciFact corpus (crude split), or a Zipf vocabulary. */
static void vocab_load(struct vocab *v, const char *corpus)
{
    size_t cap = 1 << 18, n = 0;
    struct wc *t = xcalloc(cap, sizeof *t); /* open addressing */
    FILE *f = corpus ? fopen(corpus, "r") : NULL;
    if (f) {
        char *line = NULL;
        size_t lc = 0;
        while (getline(&line, &lc, f) > 0) {
            char *p = line;
            while (*p) {
                while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                    p++;
                char *s = p;
                while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
                    p++;
                size_t l = (size_t)(p - s);
                if (l < 2 || l > 30)
                    continue;
                char w[32];
                for (size_t i = 0; i < l; i++)
                    w[i] = (char)(s[i] | 0x20);
                w[l] = 0;
                if (!strcmp(w, "_id") || !strcmp(w, "title") || !strcmp(w, "text") ||
                    !strcmp(w, "metadata"))
                    continue;
                uint64_t h = 1469598103934665603ull;
                for (size_t i = 0; i < l; i++)
                    h = (h ^ (uint8_t)w[i]) * 1099511628211ull;
                size_t k = h & (cap - 1);
                while (t[k].w && strcmp(t[k].w, w))
                    k = (k + 1) & (cap - 1);
                if (!t[k].w) {
                    t[k].w = xstrdup(w);
                    n++;
                }
                t[k].c++;
            }
        }
        free(line);
        fclose(f);
    }
    if (n == 0) { /* Zipf over made-up words */
        static const char *syl[] = {"ka", "lo", "mi", "ne", "pu", "ra", "si", "to", "ve", "zu",
                                    "ba", "de", "fi", "go", "hu", "ja"};
        for (size_t i = 0; i < 200000; i++) {
            char w[32];
            size_t l = 0, x = i;
            do {
                memcpy(w + l, syl[x % 16], 2);
                l += 2;
                x /= 16;
            } while (x);
            w[l++] = 'q';
            w[l] = 0;
            t[i].w = xstrdup(w);
            t[i].c = (long)(1e7 / pow((double)i + 2.7, 1.05));
        }
        n = 200000;
    }
    struct wc *all = xmalloc(n * sizeof *all);
    size_t m = 0;
    for (size_t i = 0; i < cap; i++)
        if (t[i].w)
            all[m++] = t[i];
    qsort(all, m, sizeof *all, wc_cmp);
    v->n = m;
    v->w = xmalloc(m * sizeof *v->w);
    v->cum = xmalloc(m * sizeof *v->cum);
    double tot = 0;
    for (size_t i = 0; i < m; i++)
        tot += (double)all[i].c;
    double acc = 0;
    for (size_t i = 0; i < m; i++) {
        v->w[i] = all[i].w;
        acc += (double)all[i].c;
        v->cum[i] = acc / tot;
    }
    free(all);
    free(t);
}

/* Topics: each is TOPIC_WORDS words drawn from the vocabulary's ranks
 * [100, 30000) with Zipf weights within the topic. A document mixes the
 * background distribution (60%) with 1-3 topics (40%), so topical words
 * co-occur as they do in real abstracts. */
#define N_TOPICS 1000
#define TOPIC_WORDS 300
static uint32_t topic_w[N_TOPICS][TOPIC_WORDS];
static double topic_cum[TOPIC_WORDS];

static void topics_init(const struct vocab *v)
{
    size_t lo = v->n > 30000 ? 100 : v->n / 50, hi = v->n > 30000 ? 30000 : v->n;
    for (int t = 0; t < N_TOPICS; t++)
        for (int i = 0; i < TOPIC_WORDS; i++)
            topic_w[t][i] = (uint32_t)(lo + rnd() % (hi - lo));
    double acc = 0, tot = 0;
    for (int i = 0; i < TOPIC_WORDS; i++)
        tot += 1.0 / (i + 1);
    for (int i = 0; i < TOPIC_WORDS; i++) {
        acc += 1.0 / (i + 1);
        topic_cum[i] = acc / tot;
    }
}

static uint32_t topic_pick(int t)
{
    double u = unif();
    size_t lo = 0, hi = TOPIC_WORDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (topic_cum[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return topic_w[t][lo < TOPIC_WORDS ? lo : TOPIC_WORDS - 1];
}

static void gen_words(const struct vocab *v, char *out, size_t cap, int n, const int *topics,
                      int nt)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *w = nt && unif() < 0.4 ? v->w[topic_pick(topics[rnd() % (unsigned)nt])]
                                           : v->w[pick(v, unif())];
        size_t l = strlen(w);
        if (len + l + 2 >= cap)
            break;
        memcpy(out + len, w, l);
        len += l;
        out[len++] = ' ';
    }
    out[len] = 0;
}

/* --- queries --- */

struct qset {
    struct index_clause (*cl)[64];
    char (*terms)[64][72];
    size_t *n;
    size_t count;
};

struct qb {
    struct index_clause *cl;
    char (*terms)[72];
    size_t n;
};

static int qb_tok(void *ctx, const struct text_token *t)
{
    struct qb *q = ctx;
    if (q->n >= 64)
        return 0;
    memcpy(q->terms[q->n], t->term, t->len + 1);
    q->cl[q->n] = (struct index_clause){q->terms[q->n], t->len, INDEX_FIELD_BODY, 1.0f, INDEX_SHOULD};
    q->n++;
    return 0;
}

static void qset_add(struct qset *s, struct text_analyzer *a, const char *text, size_t cap)
{
    if (s->count >= cap)
        return;
    struct qb q = {s->cl[s->count], s->terms[s->count], 0};
    text_analyze(a, text, strlen(text), 0, qb_tok, &q, NULL);
    if (q.n == 0)
        return;
    s->n[s->count++] = q.n;
}

static void qset_init(struct qset *s, size_t cap)
{
    s->cl = xcalloc(cap, sizeof *s->cl);
    s->terms = xcalloc(cap, sizeof *s->terms);
    s->n = xcalloc(cap, sizeof *s->n);
    s->count = 0;
}

static char *json_text(const char *line)
{
    const char *p = strstr(line, "\"text\": \"");
    if (!p)
        return NULL;
    p += 9;
    char *o = xmalloc(strlen(p) + 1);
    size_t n = 0;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p += 2;
            o[n++] = ' ';
            continue;
        }
        o[n++] = *p++;
    }
    o[n] = 0;
    return o;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run_set(const char *name, struct index_snapshot *s, struct qset *qs, size_t k)
{
    if (qs->count == 0)
        return;
    double *wall = xmalloc(qs->count * sizeof *wall), *cpu = xmalloc(qs->count * sizeof *cpu);
    struct index_hit *h = xmalloc(k * sizeof *h), *h2 = xmalloc(k * sizeof *h2);
    double terms = 0;
    uint64_t scored = 0, cands = 0;
    /* warm up: touch the pages */
    for (size_t i = 0; i < qs->count && i < 200; i++) {
        struct index_query q;
        index_query_init(&q);
        q.clauses = qs->cl[i];
        q.n_clauses = qs->n[i];
        size_t n;
        index_search(s, &q, k, h, &n, NULL);
    }
    for (size_t i = 0; i < qs->count; i++) {
        struct index_query q;
        index_query_init(&q);
        q.clauses = qs->cl[i];
        q.n_clauses = qs->n[i];
        size_t n;
        struct index_search_info info;
        double t0 = now(), c0 = cpu_now();
        index_search(s, &q, k, h, &n, &info);
        cpu[i] = cpu_now() - c0;
        wall[i] = now() - t0;
        terms += (double)qs->n[i];
        scored += info.scored;
        cands += info.postings;
    }
    /* exhaustive on the first 100: speedup and equality */
    double tb = 0, te = 0;
    int same = 1;
    size_t ne = qs->count < 100 ? qs->count : 100;
    for (size_t i = 0; i < ne; i++) {
        struct index_query q;
        index_query_init(&q);
        q.clauses = qs->cl[i];
        q.n_clauses = qs->n[i];
        size_t n1, n2;
        double t0 = now();
        index_search(s, &q, k, h, &n1, NULL);
        double t1 = now();
        index_search_exhaustive(s, &q, k, h2, &n2, NULL);
        te += now() - t1;
        tb += t1 - t0;
        same &= n1 == n2 && memcmp(h, h2, n1 * sizeof *h) == 0;
    }
    qsort(wall, qs->count, sizeof *wall, dcmp);
    qsort(cpu, qs->count, sizeof *cpu, dcmp);
    size_t c = qs->count;
    printf("%-7s %5zu queries, %.1f terms avg, top-%zu: wall p50 %.3f ms p90 %.3f p99 %.3f | "
           "cpu p50 %.3f ms p90 %.3f p99 %.3f | %.0f candidates, %.0f scored/query | exhaustive %.1fx "
           "slower, results %s\n",
           name, c, terms / (double)c, k, wall[c / 2] * 1e3, wall[c * 9 / 10] * 1e3,
           wall[c * 99 / 100] * 1e3, cpu[c / 2] * 1e3, cpu[c * 9 / 10] * 1e3,
           cpu[c * 99 / 100] * 1e3, (double)cands / (double)c, (double)scored / (double)c, tb > 0 ? te / tb : 0,
           same ? "identical" : "DIFFERENT");
    free(wall);
    free(cpu);
    free(h);
    free(h2);
}

int main(int argc, char **argv)
{
    long ndocs = 1000000, nq = 2000, k = 10;
    const char *dir = "/tmp/paperboy-bench-index";
    int keep = 0, reuse = 0, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--docs") && i + 1 < argc)
            ndocs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--queries") && i + 1 < argc)
            nq = atol(argv[++i]);
        else if (!strcmp(argv[i], "--k") && i + 1 < argc)
            k = atol(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else if (!strcmp(argv[i], "--reuse"))
            reuse = keep = 1;
        else {
            fprintf(stderr, "usage: %s [--docs N] [--dir DIR] [--queries Q] [--k K] [--threads N] [--keep] [--reuse]\n",
                    argv[0]);
            return 2;
        }
    }
    const char *shared = getenv("SHARED");
    char corpus[512], queries[512];
    snprintf(corpus, sizeof corpus, "%s/data/scifact/corpus.jsonl", shared ? shared : "../shared");
    snprintf(queries, sizeof queries, "%s/data/scifact/queries-train.jsonl",
             shared ? shared : "../shared");
    struct vocab v;
    vocab_load(&v, corpus);
    topics_init(&v);
    printf("vocabulary: %zu words (%s)\n", v.n, v.n > 0 && v.w[0][strlen(v.w[0]) - 1] == 'q' ? "zipf" : "scifact frequencies");

    struct index *ix = NULL;
    int rc = reuse ? index_open(dir, &ix) : ERR_NOT_FOUND;
    if (rc) {
        rc = index_create(dir, NULL, &ix);
        if (rc) {
            fprintf(stderr, "create %s: %s\n", dir, err_str(rc));
            return 1;
        }
        struct index_writer *w;
        index_writer_new(ix, &w);
        if (threads > 1 && index_writer_set_threads(w, threads) != 0)
            fprintf(stderr, "bad --threads\n");
        static const char *cats[] = {"cs.LG", "cs.AI", "cs.CL", "cs.CV", "stat.ML", "hep-th",
                                     "math.OC", "cs.IR", "q-bio.NC", "physics.optics"};
        /* Generate the whole corpus first, so only indexing is timed. */
        char **text = xmalloc((size_t)ndocs * 4 * sizeof *text);
        double tg = now();
        for (long i = 0; i < ndocs; i++) {
            char title[256], abs[4096], auth[128], cat[64];
            int tp[3], nt = 1 + (int)(rnd() % 3);
            for (int j = 0; j < nt; j++)
                tp[j] = (int)(rnd() % N_TOPICS);
            gen_words(&v, title, sizeof title, 6 + (int)(rnd() % 9), tp, nt);
            gen_words(&v, abs, sizeof abs, 100 + (int)(rnd() % 151), tp, nt);
            snprintf(auth, sizeof auth, "A. %s, B. %s, C. %s", v.w[rnd() % v.n], v.w[rnd() % v.n],
                     v.w[rnd() % v.n]);
            snprintf(cat, sizeof cat, "%s %s", cats[rnd() % 10], cats[rnd() % 10]);
            text[4 * i] = xstrdup(title);
            text[4 * i + 1] = xstrdup(abs);
            text[4 * i + 2] = xstrdup(auth);
            text[4 * i + 3] = xstrdup(cat);
        }
        fprintf(stderr, "generated %ld docs in %.1f s\n", ndocs, now() - tg);
        double t_index = 0, c_index = 0;
        {
            double t0 = now(), c0 = cpu_now();
            for (long i = 0; i < ndocs; i++) {
                struct index_doc d = {i + 1, text[4 * i], text[4 * i + 1], text[4 * i + 2],
                                      text[4 * i + 3], (int32_t)(12000 + i % 8000)};
                index_writer_add(w, &d);
            }
            t_index += now() - t0;
            c_index += cpu_now() - c0;
        }
        double t0 = now(), c0 = cpu_now();
        rc = index_writer_commit(w);
        t_index += now() - t0;
        c_index += cpu_now() - c0;
        fprintf(stderr, "\r");
        if (rc) {
            fprintf(stderr, "commit: %s\n", err_str(rc));
            return 1;
        }
        printf("build (%d thread%s): %ld docs in %.1f s wall (%.1f s cpu of the feeding thread): "
               "%.0f docs/s\n",
               threads, threads > 1 ? "s" : "", ndocs, t_index, c_index, ndocs / t_index);
        t0 = now();
        c0 = cpu_now();
        int merged = 0;
        rc = index_merge(ix, 1, &merged);
        printf("force merge of %d segments: %.1f s wall (%.1f s cpu)%s\n", merged, now() - t0,
               cpu_now() - c0, rc ? " FAILED" : "");
        for (long i = 0; i < 4 * ndocs; i++)
            free(text[i]);
        free(text);
    }
    struct index_snapshot *s = index_snapshot_acquire(ix);
    struct index_stats st;
    index_snapshot_stats(s, &st);
    printf("index: %lld docs, %d segment(s), %.1f MiB on disk (%.0f bytes/doc), avg body length %.1f\n",
           (long long)st.n_docs, st.n_segments, st.bytes / 1048576.0,
           (double)st.bytes / (double)st.n_docs, (double)st.total_len[0] / (double)st.n_docs);

    struct text_analyzer *a;
    text_analyzer_new(NULL, &a);
    struct qset shortq, topical, claims;
    qset_init(&shortq, (size_t)nq);
    qset_init(&topical, (size_t)nq);
    qset_init(&claims, 1000);
    for (long i = 0; i < nq; i++) {
        char text[256];
        size_t len = 0;
        int t = (int)(rnd() % N_TOPICS), nt = 1 + (int)(rnd() % 4);
        for (int j = 0; j < nt; j++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s ", v.w[topic_pick(t)]);
        qset_add(&topical, a, text, (size_t)nq);
    }
    size_t lo = v.n > 20000 ? 100 : v.n / 50, hi = v.n > 20000 ? 20000 : v.n;
    for (long i = 0; i < nq; i++) {
        char text[256];
        size_t len = 0;
        int nt = 2 + (int)(rnd() % 3);
        for (int j = 0; j < nt; j++) {
            /* frequency-weighted within ranks [lo, hi) */
            double u = v.cum[lo] + unif() * (v.cum[hi - 1] - v.cum[lo]);
            const char *w = v.w[pick(&v, u)];
            len += (size_t)snprintf(text + len, sizeof text - len, "%s ", w);
        }
        qset_add(&shortq, a, text, (size_t)nq);
    }
    FILE *fq = fopen(queries, "r");
    if (fq) {
        char *line = NULL;
        size_t lc = 0;
        while (getline(&line, &lc, fq) > 0) {
            char *t = json_text(line);
            if (t)
                qset_add(&claims, a, t, 1000);
            free(t);
        }
        free(line);
        fclose(fq);
    }
    run_set("topical", s, &topical, (size_t)k);
    run_set("short", s, &shortq, (size_t)k);
    run_set("claims", s, &claims, (size_t)k);
    index_snapshot_release(s);
    text_analyzer_free(a);
    index_close(ix);
    if (!keep) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return 0;
}
