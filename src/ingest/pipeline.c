/*
 * pipeline.c - records from any reader into the store, in batches
 * (see pipeline.h).
 *
 * Each batch is one transaction: the first record of a batch opens it,
 * the batch-th record (or flush) commits it. A kill between commits loses
 * at most the open batch, which the next run re-reads: upserts are
 * idempotent, so nothing is duplicated. Errors from readers are printed as
 * "SOURCE:WHERE: reason" (WHERE is a line for JSON lines, a record number
 * for the others) and counted as failed.
 *
 * The progress line (records, records/s) is redrawn at most every 0.25 s
 * with a carriage return, only when a progress FILE was given.
 */
#include "ingest/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "ingest/input.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

struct ingest_pipeline {
    struct store *store;  /* borrowed */
    size_t batch;
    size_t in_batch;      /* records in the open transaction */
    int in_tx;
    int db_rc;            /* first store error, sticky */
    FILE *progress;
    double started, last_draw;
    long seen;
    char *source;
    enum ingest_format format;
    struct ingest_stats stats;
    struct ingest_sink sink;
};

static void draw_progress(struct ingest_pipeline *p, int final)
{
    if (!p->progress)
        return;
    double now = time_mono();
    if (!final && now - p->last_draw < 0.25)
        return;
    p->last_draw = now;
    double dt = now - p->started;
    fprintf(p->progress, "\r%s: %ld records, %.0f records/s   ", p->source ? p->source : "",
            p->seen, dt > 0 ? (double)p->seen / dt : 0.0);
    if (final)
        fputc('\n', p->progress);
    fflush(p->progress);
}

static int on_record(void *ctx, const struct ingest_record *rec)
{
    struct ingest_pipeline *p = ctx;
    int rc = 0;
    if (!p->in_tx) {
        rc = store_begin(p->store);
        if (rc) {
            p->db_rc = rc;
            return rc;
        }
        p->in_tx = 1;
        p->in_batch = 0;
    }
    enum store_change ch;
    rc = store_paper_upsert(p->store, rec->paper, &ch);
    if (rc == ERR_INVALID) {
        /* The reader let through a record the store refuses: report it like
         * any malformed record rather than failing the whole file. */
        fprintf(stderr, "%s:%ld: record refused by the store: %s\n",
                p->source ? p->source : "?", rec->where, store_errmsg(p->store));
        p->stats.failed++;
        rc = 0;
    } else if (rc) {
        fprintf(stderr, "%s:%ld: storing %s failed: %s (%s)\n", p->source ? p->source : "?",
                rec->where, rec->paper->id ? rec->paper->id : "?", err_str(rc),
                store_errmsg(p->store));
        p->db_rc = rc;
        return rc;
    } else if (ch == STORE_ADDED) {
        p->stats.added++;
    } else if (ch == STORE_UPDATED) {
        p->stats.updated++;
    } else {
        p->stats.unchanged++;
    }
    if (rec->daily) {
        enum store_change dch;
        rc = store_daily_upsert(p->store, rec->daily, &dch);
        if (rc) {
            fprintf(stderr, "%s:%ld: storing the daily entry of %s failed: %s (%s)\n",
                    p->source ? p->source : "?", rec->where, rec->daily->paper_id, err_str(rc),
                    store_errmsg(p->store));
            p->db_rc = rc;
            return rc;
        }
        if (dch != STORE_UNCHANGED)
            p->stats.daily++;
    }
    p->seen++;
    if (++p->in_batch >= p->batch) {
        rc = ingest_pipeline_flush(p);
        if (rc)
            return rc;
    }
    draw_progress(p, 0);
    return 0;
}

static void on_error(void *ctx, long where, const char *reason)
{
    struct ingest_pipeline *p = ctx;
    const char *src = p->source ? p->source : "?";
    if (where > 0) {
        fprintf(stderr, "%s:%ld: %s\n", src, where, reason);
        p->stats.failed++;
    } else {
        /* A failure of the input as a whole (truncated, unreadable). */
        fprintf(stderr, "%s: %s\n", src, reason);
    }
}

int ingest_pipeline_new(struct store *s, size_t batch, FILE *progress,
                        struct ingest_pipeline **out)
{
    struct ingest_pipeline *p = xcalloc(1, sizeof *p);
    p->store = s;
    p->batch = batch ? batch : 2000;
    p->progress = progress;
    p->started = time_mono();
    p->sink.on_record = on_record;
    p->sink.on_error = on_error;
    p->sink.ctx = p;
    *out = p;
    return 0;
}

const struct ingest_sink *ingest_pipeline_sink(struct ingest_pipeline *p)
{
    return &p->sink;
}

void ingest_pipeline_set_source(struct ingest_pipeline *p, const char *name)
{
    free(p->source);
    p->source = xstrdup(name);
}

int ingest_pipeline_flush(struct ingest_pipeline *p)
{
    if (!p->in_tx)
        return p->db_rc;
    int rc = store_commit(p->store);
    p->in_tx = 0;
    p->in_batch = 0;
    if (rc) {
        fprintf(stderr, "%s: committing a batch failed: %s (%s)\n", p->source ? p->source : "?",
                err_str(rc), store_errmsg(p->store));
        store_rollback(p->store);
        p->db_rc = rc;
    }
    return rc;
}

int ingest_pipeline_file(struct ingest_pipeline *p, const char *path)
{
    struct ingest_input *in = NULL;
    int rc = ingest_input_open(path, &in);
    ingest_pipeline_set_source(p, strcmp(path, "-") == 0 ? "<stdin>" : path);
    if (rc) {
        fprintf(stderr, "%s: cannot open: %m\n", p->source);
        return rc;
    }
    enum ingest_format f = ingest_detect(in);
    if (f == INGEST_FORMAT_UNKNOWN) {
        const char *peek;
        size_t n = 0;
        int prc = ingest_input_peek(in, &peek, &n);
        if (prc == ERR_TRUNCATED)
            fprintf(stderr, "%s: the gzip stream is truncated\n", p->source);
        else if (prc)
            fprintf(stderr, "%s: cannot read: %s\n", p->source, err_str(prc));
        else if (n == 0)
            fprintf(stderr, "%s: the file is empty\n", p->source);
        else
            fprintf(stderr,
                    "%s: unknown format (expected Kaggle arXiv JSON lines, Hugging Face "
                    "daily_papers JSON, arXiv OAI-PMH XML or arXiv API Atom)\n",
                    p->source);
        ingest_input_close(in);
        return prc ? prc : ERR_UNSUPPORTED;
    }
    p->format = f;
    rc = ingest_read(f, in, &p->sink);
    int frc = ingest_pipeline_flush(p);
    if (rc == 0)
        rc = frc;
    if (rc == 0)
        rc = p->db_rc;
    draw_progress(p, 1);
    ingest_input_close(in);
    return rc;
}

void ingest_pipeline_stats(const struct ingest_pipeline *p, struct ingest_stats *out)
{
    *out = p->stats;
}

void ingest_pipeline_free(struct ingest_pipeline *p)
{
    if (!p)
        return;
    if (p->in_tx)
        store_rollback(p->store);
    free(p->source);
    free(p);
}
