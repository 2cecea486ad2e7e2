/*
 * bench/qfilter - the time of search_constraints_check() for a batch of
 * rowids (the dense side's top 100 in hybrid search) on a large index.
 *
 *   build/bench/qfilter --kaggle FILE --work DIR [--n N] [--batch 100]
 *                       [--reps 300] [--seed S]
 *
 * DIR/index is built from the first N records (default all) of FILE, a
 * Kaggle arXiv JSON-lines file (real or bench-generated), unless it exists
 * already (then it is reused as is); rowid = the record's ordinal (1..N),
 * mapped as `paperboy reindex` maps papers (index_doc_from_paper), written
 * by one worker thread and left unmerged (flush every 200,000 docs: the
 * slower, several-segment case). DIR/paperboy.db is an empty store (the
 * check never reads the store).
 *
 * Per query: --reps batches of --batch distinct random rowids in 1..N,
 * one untimed warm-up call, then each batch timed once; reported: p50,
 * p99 and mean microseconds per call and the share of rowids that passed.
 *
 * Result (shared 2-core machine, one thread; 1,000,000 records of
 * /work/main/build/bench/kaggle-1000000.jsonl, generated Kaggle-format
 * records; 5 segments, 579 MiB; index built in 140 s; 300 batches of 100):
 * p50 87-233 us per call, p99 135-442 us: filters only (cat:, since:)
 * ~95-112 us, a fielded word ~87-125 us, -cat:cs 170 us, a phrase
 * 139-184 us, -"phrase" -word 233 us. Most of the base cost is the 100
 * rowid look-ups per segment (binary searches in the mmap-ed rowid index)
 * and the plan (analyzer) build.
 *
 *   make bench && build/bench/qfilter --kaggle /work/main/build/bench/kaggle-1000000.jsonl \
 *       --work /tmp/qf-bench-1m --reps 300
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "index/index.h"
#include "index/sync.h"
#include "ingest/input.h"
#include "ingest/reader.h"
#include "search/query.h"
#include "search/search.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct build {
    struct index_writer *w;
    int64_t n, max;
    int rc;
};

static int on_record(void *ctx, const struct ingest_record *rec)
{
    struct build *b = ctx;
    if (b->n >= b->max)
        return ERR_TOO_LARGE; /* enough: stops the reader */
    struct buf au;
    buf_init(&au, 1 << 16);
    struct index_doc d;
    index_doc_from_paper(&d, ++b->n, rec->paper, &au);
    b->rc = index_writer_add(b->w, &d);
    buf_cleanup(&au);
    if (b->n % 100000 == 0)
        fprintf(stderr, "  %lld docs\n", (long long)b->n);
    return b->rc;
}

static void on_error(void *ctx, long where, const char *reason)
{
    (void)ctx;
    (void)where;
    (void)reason;
}

static int build_index(const char *kaggle, const char *ixdir, int64_t max)
{
    struct index *ix = NULL;
    struct ingest_input *in = NULL;
    struct build b = {NULL, 0, max, 0};
    double t0 = time_mono();
    int rc = index_create(ixdir, NULL, &ix);
    if (rc == 0)
        rc = index_writer_new(ix, &b.w);
    if (rc == 0)
        rc = index_writer_set_threads(b.w, 1);
    if (rc == 0)
        rc = ingest_input_open(kaggle, &in);
    if (rc == 0) {
        struct ingest_sink sink = {on_record, on_error, &b};
        rc = kaggle_read(in, &sink);
        if (rc == ERR_TOO_LARGE && b.rc == 0 && b.n >= b.max)
            rc = 0;
    }
    if (rc == 0 && b.rc == 0) {
        rc = index_writer_commit(b.w);
    } else {
        index_writer_abort(b.w);
        if (rc == 0)
            rc = b.rc;
    }
    fprintf(stderr, "built %lld docs in %.1f s (rc %d)\n", (long long)b.n, time_mono() - t0, rc);
    ingest_input_close(in);
    index_close(ix);
    return rc;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const queries[] = {
    "cat:cs.CL since:2024-01-01 -survey transformers",
    "cat:cs",
    "cat:hep-th cat:hep-ph",
    "-cat:cs",
    "-cat:math.AP -cat:cs.LG",
    "since:2015 until:2018-06",
    "ti:quantum",
    "ti:learning",
    "au:smith",
    "abs:GPT-4",
    "\"magnetic field\"",
    "\"neural network\"",
    "-\"magnetic field\" -quantum",
    "ti:\"deep learning\" cat:cs since:2016",
    "-model",
};

int main(int argc, char **argv)
{
    const char *kaggle = NULL, *work = NULL;
    int64_t max = INT64_MAX;
    size_t batch = 100, reps = 300;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--kaggle") && v)
            kaggle = argv[++i];
        else if (!strcmp(a, "--work") && v)
            work = argv[++i];
        else if (!strcmp(a, "--n") && v)
            max = atoll(argv[++i]);
        else if (!strcmp(a, "--batch") && v)
            batch = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--reps") && v)
            reps = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--seed") && v)
            rng = (uint64_t)atoll(argv[++i]) | 1;
        else {
            fprintf(stderr, "usage: qfilter --kaggle FILE --work DIR [--n N] [--batch 100] "
                            "[--reps 300] [--seed S]\n");
            return 2;
        }
    }
    if (!work || batch < 1 || batch > INDEX_MAX_K || reps < 1) {
        fprintf(stderr, "qfilter: --work DIR needed; batch 1..%d\n", INDEX_MAX_K);
        return 2;
    }
    char db[1024], ixdir[1024], manifest[1100];
    snprintf(db, sizeof db, "%s/paperboy.db", work);
    snprintf(ixdir, sizeof ixdir, "%s/index", work);
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", ixdir);
    mkdir(work, 0755);
    struct stat stt;
    if (stat(manifest, &stt) != 0) {
        if (!kaggle) {
            fprintf(stderr, "qfilter: no index in %s and no --kaggle\n", ixdir);
            return 1;
        }
        if (build_index(kaggle, ixdir, max) != 0)
            return 1;
    }
    struct store *st = NULL;
    if (store_open(db, 0, &st) != 0) {
        fprintf(stderr, "qfilter: cannot create %s\n", db);
        return 1;
    }
    store_close(st);
    struct search *s = NULL;
    char why[512];
    if (search_open(db, ixdir, NULL, &s, why, sizeof why) != 0) {
        fprintf(stderr, "qfilter: %s\n", why);
        return 1;
    }
    struct index *ix = NULL;
    struct index_stats stats;
    index_open(ixdir, &ix);
    struct index_snapshot *snap = index_snapshot_acquire(ix);
    index_snapshot_stats(snap, &stats);
    index_snapshot_release(snap);
    index_close(ix);
    int64_t n_docs = stats.n_live;
    printf("index: %lld docs, %d segments, %.1f MiB; batches of %zu random rowids, %zu reps\n",
           (long long)n_docs, stats.n_segments, (double)stats.bytes / 1048576.0, batch, reps);
    printf("%-48s %9s %9s %9s %7s\n", "query", "p50 us", "p99 us", "mean us", "pass");
    int64_t *ids = xmalloc(batch * sizeof *ids);
    unsigned char *pass = xmalloc(batch);
    double *t = xmalloc(reps * sizeof *t);
    int rc = 0;
    for (size_t qi = 0; rc == 0 && qi < sizeof queries / sizeof queries[0]; qi++) {
        struct search_query q;
        query_parse(queries[qi], strlen(queries[qi]), &q);
        uint64_t passed = 0;
        for (size_t r = 0; rc == 0 && r <= reps; r++) {
            for (size_t i = 0; i < batch; i++)
                ids[i] = 1 + (int64_t)(next_rand() % (uint64_t)n_docs);
            double t0 = time_mono();
            rc = search_constraints_check(s, &q, ids, batch, pass);
            double dt = time_mono() - t0;
            if (r == 0)
                continue; /* warm-up */
            t[r - 1] = dt * 1e6;
            for (size_t i = 0; i < batch; i++)
                passed += pass[i];
        }
        query_cleanup(&q);
        if (rc != 0)
            break;
        double sum = 0;
        for (size_t r = 0; r < reps; r++)
            sum += t[r];
        qsort(t, reps, sizeof *t, cmp_double);
        printf("%-48s %9.1f %9.1f %9.1f %6.1f%%\n", queries[qi], t[reps / 2],
               t[(size_t)((double)reps * 0.99)], sum / (double)reps,
               100.0 * (double)passed / (double)(reps * batch));
    }
    if (rc != 0)
        fprintf(stderr, "qfilter: search_constraints_check: %s\n", err_str(rc));
    free(ids);
    free(pass);
    free(t);
    search_close(s);
    return rc == 0 ? 0 : 1;
}
