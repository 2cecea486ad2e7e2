/*
 * bench/embed - encoder speed: abstracts/s at batch 1, 8 and 32, latency of
 * a 10-token query, and the fraction of this machine's sgemm peak that the
 * encoder reaches. Run through bench/embed/run.sh, which also times the
 * reference PyTorch implementation on the same texts.
 *
 *   build/bench/embed [--model DIR] [--texts FILE] [--n N] [--peak-n N]
 *   build/bench/embed --vec N [--dir DIR]
 *
 * FILE holds one text per line (title + " " + abstract); without it, the
 * bench makes synthetic abstract-length texts. Peak: cblas_sgemm on two
 * N x N matrices (default 2048), best of 3, with OpenBLAS on every core and
 * on one. Encoder FLOPs are counted by encoder_flops() (matrix products
 * only: 2 per multiply-add) over the actual token counts.
 *
 * --vec N: the vector search instead: N synthetic unit vectors (384-d,
 * around N/50 random centres, so neighbourhoods exist as in real
 * embeddings) written to DIR (default build/bench-embed/vec), then 50
 * queries (new draws around the same centres): ms per query and recall@10
 * vs exact for the exact, int8 and bit searches.
 *
 * Modes: "own" = our pthreads over rows / attention pairs with
 * single-threaded OpenBLAS; "blas" = one caller thread, OpenBLAS threaded;
 * "1core" = everything on one thread.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../embed/vecgen.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "embed/wordpiece.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const char *const words[] = {
    "we",        "propose",  "a",          "novel",      "method",      "for",        "learning",
    "graph",     "neural",   "networks",   "with",       "attention",   "and",        "show",
    "that",      "it",       "improves",   "accuracy",   "on",          "several",    "benchmarks",
    "the",       "model",    "is",         "trained",    "using",       "stochastic", "gradient",
    "descent",   "results",  "indicate",   "robustness", "to",          "noise",      "in",
    "molecular", "property", "prediction", "tasks",      "furthermore", "analysis",   "reveals"};

/* CPU seconds used by the whole process (all threads): on a shared
 * machine this, unlike wall time, does not count time others ran. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char **synthetic(size_t n)
{
    char **t = xmalloc(n * sizeof *t);
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        char buf[4096];
        size_t o = 0, nw = 120 + i % 100;
        for (size_t w = 0; w < nw && o < sizeof buf - 32; w++) {
            s = s * 1103515245u + 12345u;
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", w ? " " : "",
                                  words[(s >> 16) % (sizeof words / sizeof words[0])]);
        }
        t[i] = xstrdup(buf);
    }
    return t;
}

static char **load_texts(const char *path, size_t want, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **t = xmalloc(want * sizeof *t);
    char *line = NULL;
    size_t cap = 0, k = 0;
    ssize_t got;
    while (k < want && (got = getline(&line, &cap, f)) > 0) {
        if (line[got - 1] == '\n')
            line[--got] = '\0';
        if (got > 0)
            t[k++] = xstrdup(line);
    }
    free(line);
    fclose(f);
    *n = k;
    return t;
}

struct peak {
    double wall, cpu; /* GFLOP per wall second, per CPU second */
};

static struct peak peak_gflops(int n, int threads)
{
    openblas_set_num_threads(threads);
    float *a = xmalloc((size_t)n * n * sizeof(float)), *b = xmalloc((size_t)n * n * sizeof(float));
    float *c = xmalloc((size_t)n * n * sizeof(float));
    for (size_t i = 0; i < (size_t)n * n; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.2f;
    }
    double best = 1e30, bestc = 1e30;
    for (int r = 0; r < 4; r++) {
        double t0 = time_mono(), c0 = cpu_s();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
        double dt = time_mono() - t0, dc = cpu_s() - c0;
        if (r > 0 && dt < best) /* the first run warms up */
            best = dt;
        if (r > 0 && dc < bestc)
            bestc = dc;
    }
    free(a);
    free(b);
    free(c);
    double fl = 2.0 * n * (double)n * n / 1e9;
    struct peak p = {fl / best, fl / bestc};
    return p;
}

struct result {
    double per_s, gflops;           /* per wall second */
    double cpu_per_abs, gflops_cpu; /* CPU seconds per abstract, GFLOP per CPU second */
};

static struct result run_batches(struct encoder *enc, char **texts, size_t n, size_t batch)
{
    const struct wordpiece *wp = encoder_tokenizer(enc);
    size_t *lens = xmalloc(n * sizeof *lens), *nids = xmalloc(n * sizeof *nids);
    int32_t ids[ENCODER_MAX_TOKENS];
    for (size_t i = 0; i < n; i++) {
        lens[i] = strlen(texts[i]);
        wordpiece_encode(wp, texts[i], lens[i], ENCODER_MAX_TOKENS, ids, &nids[i]);
    }
    float *out = xmalloc(batch * ENCODER_DIM * sizeof(float));
    /* warm-up */
    encoder_embed(enc, (const char *const *)texts, lens, batch < n ? batch : n, out);
    double t0 = time_mono(), c0 = cpu_s();
    for (size_t i = 0; i < n; i += batch) {
        size_t k = n - i < batch ? n - i : batch;
        encoder_embed(enc, (const char *const *)texts + i, lens + i, k, out);
    }
    double dt = time_mono() - t0, dc = cpu_s() - c0;
    double fl = encoder_flops(nids, n) / 1e9;
    struct result r = {(double)n / dt, fl / dt, dc / (double)n, fl / dc};
    free(lens);
    free(nids);
    free(out);
    return r;
}

static void sort_d(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* Median wall and CPU milliseconds of embedding query q alone. */
static void query_latency(struct encoder *enc, const char *q, size_t *ntok, double *wall_ms,
                          double *cpu_ms)
{
    int32_t ids[ENCODER_MAX_TOKENS];
    wordpiece_encode(encoder_tokenizer(enc), q, strlen(q), ENCODER_MAX_TOKENS, ids, ntok);
    float out[ENCODER_DIM];
    size_t len = strlen(q);
    double ts[41], cs[41];
    encoder_embed(enc, &q, &len, 1, out);
    for (int r = 0; r < 41; r++) {
        double t0 = time_mono(), c0 = cpu_s();
        encoder_embed(enc, &q, &len, 1, out);
        ts[r] = time_mono() - t0;
        cs[r] = cpu_s() - c0;
    }
    sort_d(ts, 41);
    sort_d(cs, 41);
    *wall_ms = ts[20] * 1e3;
    *cpu_ms = cs[20] * 1e3;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static void around(const float *c, float *v)
{
    vecgen_around(&rng, c, v, ENCODER_DIM);
}

static int vec_bench(size_t n, const char *dir)
{
    char err[512];
    size_t nc = n / 50 ? n / 50 : 1;
    float *cent = xmalloc(nc * ENCODER_DIM * sizeof(float)), v[ENCODER_DIM];
    for (size_t i = 0; i < nc * ENCODER_DIM; i++)
        cent[i] = vecgen_nrand(&rng);
    struct vecstore *vs;
    char path[4200];
    snprintf(path, sizeof path, "%s/bench.f32", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bench.i8", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bench.b1", dir);
    unlink(path);
    double t0 = time_mono();
    if (vecstore_open(dir, "bench", ENCODER_DIM, 1, 0, &vs, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        around(cent + (i % nc) * ENCODER_DIM, v);
        vecstore_add(vs, (int64_t)i + 1, i, v);
    }
    vecstore_close(vs);
    printf("vec bench: %zu vectors written in %.1f s\n", n, time_mono() - t0);
    if (vecstore_open(dir, "bench", ENCODER_DIM, 0, 0, &vs, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    enum { NQ = 50, K = 10 };
    float *q = xmalloc(NQ * ENCODER_DIM * sizeof(float));
    for (int i = 0; i < NQ; i++)
        around(cent + ((size_t)i * 7919 % nc) * ENCODER_DIM, q + i * ENCODER_DIM);
    struct vechit ex[NQ][K], h[K];
    size_t nh;
    static const char *const names[] = {"exact", "int8", "bit"};
    for (int m = 0; m < 3; m++) {
        for (int threads = 1; threads <= 2; threads++) {
            struct vecsearch_opts o = {(enum vecsearch_mode)m, 0, threads};
            size_t hit = 0;
            vecstore_search(vs, q, K, -1, &o, h, &nh); /* warm the page cache */
            double c0 = cpu_s(), w0 = time_mono();
            for (int i = 0; i < NQ; i++) {
                vecstore_search(vs, q + i * ENCODER_DIM, K, -1, &o, m ? h : ex[i], &nh);
                for (size_t a = 0; m && a < nh; a++)
                    for (size_t b = 0; b < K; b++)
                        hit += h[a].rowid == ex[i][b].rowid;
            }
            double wall = (time_mono() - w0) / NQ * 1e3, cpu = (cpu_s() - c0) / NQ * 1e3;
            printf("vec n=%zu mode=%-5s threads=%d: %7.2f ms/query wall, %7.2f CPU-ms; "
                   "recall@10 vs exact %s%.4f\n",
                   n, names[m], threads, wall, cpu, m ? "" : "(itself) ",
                   m ? (double)hit / (NQ * K) : 1.0);
        }
    }
    vecstore_close(vs);
    free(q);
    free(cent);
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--vec") == 0) {
            const char *dir = "build/bench-embed/vec";
            for (int j = 1; j + 1 < argc; j++)
                if (strcmp(argv[j], "--dir") == 0)
                    dir = argv[j + 1];
            return vec_bench((size_t)atol(argv[i + 1]), dir);
        }
    const char *model = "data/models/" ENCODER_MODEL_NAME, *texts_path = NULL;
    size_t n = 64;
    int peak_n = 2048;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model = argv[i + 1];
        else if (strcmp(argv[i], "--texts") == 0)
            texts_path = argv[i + 1];
        else if (strcmp(argv[i], "--n") == 0)
            n = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--peak-n") == 0)
            peak_n = atoi(argv[i + 1]);
    }
    int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    size_t got = 0;
    char **texts = texts_path ? load_texts(texts_path, n, &got) : NULL;
    const char *src = texts_path;
    if (!texts || got < n) {
        texts = synthetic(n);
        src = "synthetic";
    }
    printf("embed bench: %zu texts (%s), %d CPUs, OpenBLAS %s\n", n, src, cpus,
           openblas_get_config());
    struct peak peak_all = peak_gflops(peak_n, cpus), peak_one = peak_gflops(peak_n, 1);
    printf("sgemm peak (%dx%d): %.1f GFLOP/s wall (%.1f per CPU-s) on %d threads; "
           "%.1f wall (%.1f per CPU-s) on 1\n",
           peak_n, peak_n, peak_all.wall, peak_all.cpu, cpus, peak_one.wall, peak_one.cpu);

    struct {
        const char *name;
        struct encoder_opts o;
        struct peak peak;
    } modes[] = {
        {"own", {cpus, 1}, peak_all},
        {"blas", {1, cpus}, peak_all},
        {"1core", {1, 1}, peak_one},
    };
    static const size_t batches[] = {1, 8, 32};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        struct encoder *enc;
        char err[512];
        if (encoder_open(model, &modes[m].o, &enc, err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        for (size_t b = 0; b < 3; b++) {
            struct result r = run_batches(enc, texts, n, batches[b]);
            printf("mode=%-5s batch=%-2zu abstracts/s=%7.2f GFLOP/s=%6.1f (%3.0f%% of peak) | "
                   "CPU-ms/abstract=%6.1f GFLOP/CPU-s=%5.1f (%3.0f%% of peak per CPU-s)\n",
                   modes[m].name, batches[b], r.per_s, r.gflops,
                   100.0 * r.gflops / modes[m].peak.wall, r.cpu_per_abs * 1e3, r.gflops_cpu,
                   100.0 * r.gflops_cpu / modes[m].peak.cpu);
        }
        size_t ntok;
        double wms, cms;
        query_latency(enc, "graph neural networks for protein structure prediction tasks", &ntok,
                      &wms, &cms);
        printf("mode=%-5s query latency (%zu tokens): %.2f ms (CPU %.2f ms)\n", modes[m].name, ntok,
               wms, cms);
        encoder_close(enc);
    }
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    return 0;
}
