/*
 * bench/store_upsert - upsert rate of the paper store.
 *
 *   build/bench/store_upsert [N [BATCH [DBPATH]]]
 *
 * Upserts N (default 200000) synthetic papers shaped like arXiv records
 * (title, ~1 KB abstract, 4 authors, 2 versions, 2 categories) in
 * transactions of BATCH (default 2000) into a fresh database at DBPATH
 * (default /tmp/paperboy-bench-store.db, removed first), then upserts the
 * same N again (all unchanged) and reports both rates in records/s, by
 * wall clock and by this process's CPU time (on a shared, busy machine the
 * CPU rate is the one to compare).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"

static void make_paper(struct paper *p, long i, char *abstract)
{
    char id[32], title[128], cats[64], date[32];
    snprintf(id, sizeof id, "%02ld%02ld.%05ld", 10 + (i / 600000) % 15, 1 + (i / 50000) % 12,
             i % 100000);
    snprintf(title, sizeof title, "A synthetic study of item %ld in large collections", i);
    snprintf(cats, sizeof cats, "cs.%s stat.ML", (i % 3) ? "LG" : "CL");
    snprintf(date, sizeof date, "20%02ld-%02ld-%02ldT12:00:00Z", 10 + (i / 600000) % 15,
             1 + (i / 50000) % 12, 1 + i % 28);
    paper_init(p);
    p->id = strdup(id);
    p->title_raw = strdup(title);
    p->title = strdup(title);
    p->abstract_raw = strdup(abstract);
    p->abstract = strdup(abstract);
    p->authors_raw = strdup("Ada Lovelace, Alan Turing, Grace Hopper and Edsger Dijkstra");
    paper_add_author(p, "Ada Lovelace", "Lovelace", "Ada", NULL);
    paper_add_author(p, "Alan Turing", "Turing", "Alan", NULL);
    paper_add_author(p, "Grace Hopper", "Hopper", "Grace", NULL);
    paper_add_author(p, "Edsger Dijkstra", "Dijkstra", "Edsger", NULL);
    p->primary_category = strndup(cats, strcspn(cats, " "));
    p->categories = strdup(cats);
    p->comments = strdup("12 pages, 3 figures");
    p->created = strdup(date);
    p->updated = strdup(date);
    paper_add_version(p, 1, date, "120kb");
    paper_add_version(p, 2, date, "130kb");
}

/* CPU seconds this process used: the rate that matters on a busy machine. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run(struct store *s, long n, long batch, char *abstract, long *counts, double *cpu)
{
    double t0 = time_mono(), c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        if (i % batch == 0 && store_begin(s) != 0)
            goto fail;
        struct paper p;
        make_paper(&p, i, abstract);
        enum store_change ch;
        if (store_paper_upsert(s, &p, &ch) != 0)
            goto fail;
        counts[ch]++;
        paper_cleanup(&p);
        if ((i + 1) % batch == 0 || i + 1 == n)
            if (store_commit(s) != 0)
                goto fail;
    }
    *cpu = cpu_now() - c0;
    return time_mono() - t0;
fail:
    fprintf(stderr, "store_upsert: %s\n", store_errmsg(s));
    exit(1);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    long batch = argc > 2 ? atol(argv[2]) : 2000;
    const char *path = argc > 3 ? argv[3] : "/tmp/paperboy-bench-store.db";
    char wal[512], shm[512];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
    char abstract[1101];
    for (int i = 0; i < 1100; i++)
        abstract[i] = "abcdefghij klmnopqrstuvwxyz "[i % 28];
    abstract[1100] = '\0';

    struct store *s;
    char why[256];
    if (store_open_err(path, 0, &s, why, sizeof why) != 0) {
        fprintf(stderr, "store_upsert: %s\n", why);
        return 1;
    }
    long c1[4] = {0}, c2[4] = {0};
    double u1 = 0, u2 = 0;
    double t1 = run(s, n, batch, abstract, c1, &u1);
    double t2 = run(s, n, batch, abstract, c2, &u2);
    int64_t total = 0;
    store_count_papers(s, &total);
    store_close(s);
    printf("insert:    %ld papers in %.2fs wall = %.0f/s; %.2fs CPU = %.0f/s (added %ld)\n", n,
           t1, n / t1, u1, n / u1, c1[STORE_ADDED]);
    printf("unchanged: %ld papers in %.2fs wall = %.0f/s; %.2fs CPU = %.0f/s (unchanged %ld)\n", n,
           t2, n / t2, u2, n / u2, c2[STORE_UNCHANGED]);
    printf("papers stored: %" PRId64 ", batch %ld\n", total, batch);
    return 0;
}
