/*
 * bench/ingest_json - parse-only throughput of the JSON readers.
 *
 *   build/bench/ingest_json kaggle FILE [MIN_RECORDS]
 *   build/bench/ingest_json hf FILE [MIN_RECORDS]
 *
 * Loads FILE into memory, repeats it until the copy holds at least
 * MIN_RECORDS records (default 200000; for hf the array is re-joined), and
 * runs the reader over it with a sink that only counts, so the number is
 * the reader's own cost: line splitting, cJSON, normalisation, authors.
 * Prints records, errors, wall and CPU seconds, and records/s and MB/s per
 * CPU second (one core; CPU time is the fair number on a shared machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/input.h"
#include "ingest/reader.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct count {
    long records, errors, authors;
};

static int on_record(void *ctx, const struct ingest_record *rec)
{
    struct count *c = ctx;
    c->records++;
    c->authors += (long)rec->paper->n_authors;
    return 0;
}

static void on_error(void *ctx, long where, const char *reason)
{
    struct count *c = ctx;
    if (c->errors++ < 5)
        fprintf(stderr, "error at %ld: %s\n", where, reason);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int slurp(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(b, tmp, n);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "kaggle") != 0 && strcmp(argv[1], "hf") != 0)) {
        fprintf(stderr, "usage: %s kaggle|hf FILE [MIN_RECORDS]\n", argv[0]);
        return 2;
    }
    int hf = strcmp(argv[1], "hf") == 0;
    long min_records = argc > 3 ? atol(argv[3]) : 200000;
    struct buf one, all;
    buf_init(&one, 0);
    buf_init(&all, 0);
    if (slurp(argv[2], &one) != 0 || one.len == 0) {
        fprintf(stderr, "cannot read %s\n", argv[2]);
        return 1;
    }
    /* Count records in one copy by running the reader once. */
    struct count c = {0};
    struct ingest_sink sink = {on_record, on_error, &c};
    struct ingest_input *in;
    ingest_input_mem("one", one.p, one.len, &in);
    if (hf)
        hf_read(in, &sink);
    else
        kaggle_read(in, &sink);
    ingest_input_close(in);
    if (c.records == 0) {
        fprintf(stderr, "no records in %s\n", argv[2]);
        return 1;
    }
    long copies = (min_records + c.records - 1) / c.records;
    if (hf) {
        /* Strip the outer brackets and re-join the items into one array. */
        const char *s = memchr(one.p, '[', one.len);
        const char *e = one.p + one.len;
        while (e > s && e[-1] != ']')
            e--;
        buf_append(&all, "[", 1);
        for (long i = 0; i < copies; i++) {
            if (i)
                buf_append(&all, ",", 1);
            buf_append(&all, s + 1, (size_t)(e - 1 - (s + 1)));
        }
        buf_append(&all, "]", 1);
    } else {
        for (long i = 0; i < copies; i++) {
            buf_append(&all, one.p, one.len);
            if (one.p[one.len - 1] != '\n')
                buf_append(&all, "\n", 1);
        }
    }
    memset(&c, 0, sizeof c);
    ingest_input_mem("all", all.p, all.len, &in);
    double t0 = time_mono(), c0 = cpu_now();
    int rc = hf ? hf_read(in, &sink) : kaggle_read(in, &sink);
    double dt = time_mono() - t0, cpu = cpu_now() - c0;
    ingest_input_close(in);
    printf("%s: rc=%d records=%ld errors=%ld authors=%ld bytes=%zu wall_s=%.3f cpu_s=%.3f "
           "records/cpu_s=%.0f MB/cpu_s=%.1f\n",
           argv[1], rc, c.records, c.errors, c.authors, all.len, dt, cpu, c.records / cpu,
           all.len / cpu / 1e6);
    buf_cleanup(&one);
    buf_cleanup(&all);
    return rc == 0 ? 0 : 1;
}
