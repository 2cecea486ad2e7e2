/*
 * bench/exclude - the cost and the exactness of exclusions (-"a phrase",
 * -cat:ARCHIVE, -cat:X.Y, -word) in BM25 search on a large index.
 *
 *   build/bench/exclude --work DIR [--reps 20] [--k 10]
 *
 * DIR is a bench/qfilter work folder (DIR/index, DIR/paperboy.db; build it
 * with bench/qfilter first). Its store is empty, so search_run() finds no
 * paper to load: what it times is the plan build, the main index search
 * (k + slack hits), the exact-title candidate search and the failed store
 * look-ups, i.e. everything but loading papers.
 *
 * First one untimed pass over all queries (warms the page cache), then per
 * query --reps timed search_run() calls; reported: p50 and mean
 * milliseconds. Then exactness: the top 100 of the
 * plan (search_plan_build + index_search) are checked with
 * search_constraints_check(), which tests every constraint on each hit
 * itself; "leaked" is how many of those 100 hits hold an excluded phrase
 * or category (should be 0).
 *
 *   make bench && build/bench/exclude --work /tmp/qf-bench-1m --reps 30
 *
 * Result (shared 2-core machine under load ~2.5, one thread; the 1M-record
 * bench/qfilter index: 5 segments; p50 ms, 30 reps; "before": exclusion
 * sets found by a sub-search and cut at INDEX_MAX_K, "after": the index's
 * not_phrases / not_categories checked on each candidate):
 *
 *   query                                      before (leaked)  after (leaked)
 *   model                                        5.0              5.0
 *   model -cat:cs.LG (MUST_NOT)                  5.1              5.1
 *   model -cat:cs                               23.3  (4/100)     5.4  (0)
 *   model -cat:math                             24.6 (29/100)     5.6  (0)
 *   model -cat:cond-mat -cat:math               40.4 (49/100)     5.9  (0)
 *   quasar -cat:astro-ph (quasar alone 0.7)     16.2              0.6
 *   neural network -cat:cs                      19.9  (4/100)     2.6  (0)
 *   energy -"x ray"                             12.2  (3/100)     3.4  (0)
 *   model -"magnetic field"                     19.6              5.4
 *   model -"toy zebra" (no holder)               5.1              4.0
 *   quantum field -"field theory" -cat:hep-th   35.3             15.3 (alone 13.6)
 *   ray -"x ray" (ray alone 1.3-1.6)            10.6 (84/100)     4.3  (0)
 *   ray -"x ray" -"gamma ray"                   18.2 (99/100)     9.2  (0)
 *
 * An exclusion now costs about what its checks on the documents that would
 * enter the top k cost; the worst case is an exclusion that refuses most of
 * the best candidates ("ray -\"x ray\""), where every refused one is
 * scored and its positions read. The sub-search it replaces cost 10-35 ms
 * whatever the query, and let through every holder past the first 10,000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"
#include "search/query.h"
#include "search/search.h"
#include "text/analyzer.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *const queries[] = {
    /* no exclusion, and exclusions that MUST_NOT expresses */
    "model",
    "model -cat:cs.LG",
    "model -quantum",
    /* archives: cs ~7%, math ~35%, cond-mat ~28% of the documents */
    "model -cat:cs",
    "model -cat:zz",
    "model cat:cs",
    "model -cat:math",
    "model -cat:cond-mat -cat:math",
    "energy -cat:q-bio",
    "learning -cat:cs",
    "neural network -cat:cs",
    /* phrases: "x ray" ~6% of the documents, "two dimensional" ~2% */
    "energy -\"x ray\"",
    "model -\"two dimensional\"",
    "model -\"magnetic field\"",
    "quantum field",
    "quantum field -\"field theory\" -cat:hep-th",
    "model -\"toy zebra\"",
    /* worst cases: the exclusion refuses most of the best candidates */
    "ray",
    "ray -\"x ray\"",
    "ray -\"x ray\" -\"gamma ray\"",
    "quasar",
    "quasar -cat:astro-ph",
};

/* How many of the plan's top 100 hits fail the query's constraints. */
static int leaked(struct search *s, struct index *ix, const struct search_query *q, size_t *n_out)
{
    struct index_snapshot *snap = index_snapshot_acquire(ix);
    struct text_analyzer_opts ao;
    struct text_analyzer *an = NULL;
    index_analyzer_opts(ix, &ao);
    text_analyzer_new(&ao, &an);
    struct search_opts so;
    search_opts_default(&so);
    struct search_plan *pl = NULL;
    struct index_hit hits[100];
    size_t n = 0;
    int bad = -1;
    if (search_plan_build(an, snap, q, &so, &pl) == 0 &&
        index_search(snap, search_plan_query(pl), 100, hits, &n, NULL) == 0) {
        int64_t ids[100];
        unsigned char pass[100];
        for (size_t i = 0; i < n; i++)
            ids[i] = hits[i].rowid;
        if (search_constraints_check(s, q, ids, n, pass) == 0) {
            bad = 0;
            for (size_t i = 0; i < n; i++)
                bad += !pass[i];
        }
    }
    *n_out = n;
    search_plan_free(pl);
    text_analyzer_free(an);
    index_snapshot_release(snap);
    return bad;
}

int main(int argc, char **argv)
{
    const char *work = NULL;
    size_t reps = 20, k = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--work") && v)
            work = argv[++i];
        else if (!strcmp(a, "--reps") && v)
            reps = (size_t)atol(argv[++i]);
        else if (!strcmp(a, "--k") && v)
            k = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: exclude --work DIR [--reps 20] [--k 10]\n");
            return 2;
        }
    }
    if (!work || reps < 1 || k < 1 || k > INDEX_MAX_K) {
        fprintf(stderr, "exclude: --work DIR needed (a bench/qfilter folder); k 1..%d\n",
                INDEX_MAX_K);
        return 2;
    }
    char db[1024], ixdir[1024];
    snprintf(db, sizeof db, "%s/paperboy.db", work);
    snprintf(ixdir, sizeof ixdir, "%s/index", work);
    struct search *s = NULL;
    struct index *ix = NULL;
    char why[512];
    if (search_open(db, ixdir, NULL, &s, why, sizeof why) != 0 || index_open(ixdir, &ix) != 0) {
        fprintf(stderr, "exclude: %s\n", why);
        search_close(s);
        return 1;
    }
    struct index_snapshot *snap = index_snapshot_acquire(ix);
    struct index_stats stats;
    index_snapshot_stats(snap, &stats);
    index_snapshot_release(snap);
    printf("index: %lld docs, %d segments; search_run k=%zu, %zu reps\n", (long long)stats.n_live,
           stats.n_segments, k, reps);
    printf("%-44s %9s %9s %12s\n", "query", "p50 ms", "mean ms", "leaked/top");
    double *t = xmalloc(reps * sizeof *t);
    int rc = 0;
    for (size_t qi = 0; rc == 0 && qi < sizeof queries / sizeof queries[0]; qi++) {
        struct search_query q;
        struct search_result res;
        query_parse(queries[qi], strlen(queries[qi]), &q);
        rc = search_run(s, &q, k, &res);
        if (rc == 0)
            search_result_cleanup(&res);
        query_cleanup(&q);
    }
    for (size_t qi = 0; rc == 0 && qi < sizeof queries / sizeof queries[0]; qi++) {
        struct search_query q;
        query_parse(queries[qi], strlen(queries[qi]), &q);
        for (size_t r = 0; rc == 0 && r < reps; r++) {
            struct search_result res;
            double t0 = time_mono();
            rc = search_run(s, &q, k, &res);
            double dt = time_mono() - t0;
            if (rc == 0)
                search_result_cleanup(&res);
            t[r] = dt * 1e3;
        }
        size_t n = 0;
        int bad = rc == 0 ? leaked(s, ix, &q, &n) : -1;
        query_cleanup(&q);
        if (rc != 0)
            break;
        double sum = 0;
        for (size_t r = 0; r < reps; r++)
            sum += t[r];
        qsort(t, reps, sizeof *t, cmp_double);
        printf("%-44s %9.2f %9.2f %8d/%zu\n", queries[qi], t[reps / 2], sum / (double)reps, bad, n);
    }
    if (rc != 0)
        fprintf(stderr, "exclude: search_run: %s\n", err_str(rc));
    free(t);
    index_close(ix);
    search_close(s);
    return rc == 0 ? 0 : 1;
}
