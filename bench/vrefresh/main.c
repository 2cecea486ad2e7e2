/*
 * bench/vrefresh - what it costs a read-only vector store to see newly
 * committed vectors: vecstore_refresh (in place) after a writer appended
 * and committed N vectors, against a full reopen (vecstore_open + close of
 * the old store, what search_semantic_refresh did before), plus a refresh
 * with nothing new, and the first bit-mode search after each (a reopen
 * maps the files anew, so that search faults their pages in again; the
 * remap keeps the pages already mapped).
 *
 *   build/bench/vrefresh DIR [--append N] [--rounds R]
 *
 * DIR holds all-MiniLM-L6-v2.{f32,i8,b1} (384-d), e.g. a COPY of a 1M set
 * (bench/embed --vec writes one): the bench APPENDS N random unit vectors
 * (new rowids from 2^40) per round to it. Times are CPU seconds of the
 * process (everything here runs on one thread) and wall seconds; median
 * of the rounds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "embed/vecstore.h"
#include "util/err.h"
#include "util/timeutil.h"

#define MODEL "all-MiniLM-L6-v2"
#define DIM 384

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static void unit_vector(float *v)
{
    double s = 0;
    for (int j = 0; j < DIM; j++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        v[j] = (float)((double)(rng >> 11) / 9007199254740992.0 - 0.5);
        s += (double)v[j] * v[j];
    }
    for (int j = 0; j < DIM; j++)
        v[j] /= (float)sqrt(s);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, cmp_d);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* One bit-mode search on this thread: CPU ms. */
static double search_ms(struct vecstore *vs, const float *q)
{
    struct vecsearch_opts o = {VECSEARCH_BIT, 0, 1};
    struct vechit h[10];
    size_t n;
    double c = cpu_s();
    vecstore_search(vs, q, 10, -1, &o, h, &n);
    return (cpu_s() - c) * 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [--append N] [--rounds R]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int append = 100, rounds = 5;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--append") == 0)
            append = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = atoi(argv[i + 1]);
    }
    if (append < 1 || rounds < 1 || rounds > 100)
        return 2;
    char err[1024];
    struct vecstore *ro = NULL, *w = NULL;
    double t = time_mono();
    int rc = vecstore_open(dir, MODEL, DIM, 0, 0, &ro, err, sizeof err);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    printf("read-only open: %zu vectors, %.1f ms wall\n", vecstore_count(ro),
           (time_mono() - t) * 1e3);
    rc = vecstore_open(dir, MODEL, DIM, 1, 0, &w, err, sizeof err);
    if (rc) {
        fprintf(stderr, "writer: %s\n", err);
        return 1;
    }
    float q[DIM], v[DIM];
    unit_vector(q);
    double cold = search_ms(ro, q), pre = search_ms(ro, q);
    double rc_cpu[100], rc_wall[100], nothing_cpu[100], post[100];
    int64_t next = (int64_t)1 << 40;
    for (int r = 0; r < rounds && rc == 0; r++) {
        for (int i = 0; i < append && rc == 0; i++) {
            unit_vector(v);
            rc = vecstore_add(w, next++, 1, v);
        }
        if (rc == 0)
            rc = vecstore_sync(w);
        int changed = -1;
        double c = cpu_s();
        t = time_mono();
        if (rc == 0)
            rc = vecstore_refresh(ro, &changed, err, sizeof err);
        rc_wall[r] = (time_mono() - t) * 1e3;
        rc_cpu[r] = (cpu_s() - c) * 1e3;
        if (rc == 0 && changed != VECSTORE_EXTENDED) {
            fprintf(stderr, "refresh did not extend in place (changed %d)\n", changed);
            rc = ERR_INVALID;
        }
        c = cpu_s();
        if (rc == 0)
            rc = vecstore_refresh(ro, &changed, err, sizeof err);
        nothing_cpu[r] = (cpu_s() - c) * 1e3;
        post[r] = search_ms(ro, q);
    }
    if (rc) {
        fprintf(stderr, "failed: %s (%s)\n", err_str(rc), err);
        return 1;
    }
    printf("now %zu vectors\n", vecstore_count(ro));
    printf("refresh after %d appended: median %.3f ms CPU, %.3f ms wall (%d rounds)\n", append,
           median(rc_cpu, rounds), median(rc_wall, rounds), rounds);
    printf("refresh with nothing new: median %.4f ms CPU\n", median(nothing_cpu, rounds));
    printf("bit search: first after open %.1f ms CPU, second %.1f, first after each refresh "
           "median %.1f\n",
           cold, pre, median(post, rounds));
    vecstore_close(w);
    double oc[3], ow[3], cc[3], first[3];
    for (int r = 0; r < 3; r++) {
        struct vecstore *fresh = NULL;
        double c = cpu_s();
        t = time_mono();
        rc = vecstore_open(dir, MODEL, DIM, 0, 0, &fresh, err, sizeof err);
        ow[r] = (time_mono() - t) * 1e3;
        oc[r] = (cpu_s() - c) * 1e3;
        c = cpu_s();
        vecstore_close(ro); /* as the old refresh did: the previous store goes */
        cc[r] = (cpu_s() - c) * 1e3;
        ro = fresh;
        if (rc)
            return 1;
        first[r] = search_ms(ro, q);
    }
    printf("full reopen: open median %.1f ms CPU, %.1f ms wall; closing the old %.1f ms CPU; "
           "first bit search after it %.1f ms CPU\n",
           median(oc, 3), median(ow, 3), median(cc, 3), median(first, 3));
    vecstore_close(ro);
    return 0;
}
