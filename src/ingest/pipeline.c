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
 *
 * Two threads per file (ingest_pipeline_file): a reader thread runs the
 * format reader (parsing, normalisation, author splitting) and moves each
 * record, or each error report, into a bounded queue (queue.h,
 * PIPELINE_QUEUE items); the calling thread takes them in order and does
 * exactly what the sink would have done: print, count, upsert, commit.
 * Every message, count and transaction is therefore the same as with one
 * thread, and the store handle is only ever used by the calling thread.
 * The first store error stops the consumer, which stops the queue: the
 * reader's next push fails (a reader blocked on a full queue is woken),
 * the reader returns, and whatever was queued after the failing record is
 * dropped unreported, as a single-threaded reader would never have read
 * it. A failure of the input itself (truncated gzip) travels through the
 * queue as the reader's result after its last item. Memory is bounded by
 * the queue: PIPELINE_QUEUE records alive at most, besides the reader's.
 * The sink returned by ingest_pipeline_sink() (used by the harvester on
 * pages already in memory) stays synchronous.
 */
#include "ingest/pipeline.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/input.h"
#include "ingest/queue.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Records (or error reports) in flight between the reader thread and the
 * storing thread: deep enough to ride out a slow commit, small enough that
 * memory stays flat (a few MiB of typical records). */
#define PIPELINE_QUEUE 512

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

/* Stores one record: what the sink does with it, and what the storing
 * thread does with a queued one. */
static int store_record(struct ingest_pipeline *p, const struct ingest_record *rec)
{
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

static int on_record(void *ctx, const struct ingest_record *rec)
{
    return store_record(ctx, rec);
}

/* Reports a reader's error (see on_error): shared like store_record(). */
static void report_error(struct ingest_pipeline *p, long where, const char *reason)
{
    const char *src = p->source ? p->source : "?";
    if (where > 0) {
        fprintf(stderr, "%s:%ld: %s\n", src, where, reason);
        p->stats.failed++;
    } else {
        /* A failure of the input as a whole (truncated, unreadable). */
        fprintf(stderr, "%s: %s\n", src, reason);
    }
}

static void on_error(void *ctx, long where, const char *reason)
{
    report_error(ctx, where, reason);
}

/* ---------------------------------------------------------------------------
 * Two threads: the reader fills the queue, the caller stores
 * ------------------------------------------------------------------------- */

struct reader_job {
    enum ingest_format format;
    struct ingest_input *in;  /* borrowed */
    struct ingest_queue *q;   /* borrowed */
    struct ingest_sink sink;  /* pushes into q */
};

/* Reader-thread sink: moves the record out of the reader's structs (the
 * reader only cleans them up after on_record, see reader.h). */
static int queue_record(void *ctx, const struct ingest_record *rec)
{
    struct reader_job *j = ctx;
    struct ingest_item it;
    memset(&it, 0, sizeof it);
    it.kind = INGEST_ITEM_RECORD;
    it.where = rec->where;
    it.paper = *rec->paper;
    paper_init(rec->paper);
    if (rec->daily) {
        it.daily = *rec->daily;
        daily_entry_init(rec->daily);
        it.has_daily = 1;
    }
    return ingest_queue_push(j->q, &it);
}

static void queue_error(void *ctx, long where, const char *reason)
{
    struct reader_job *j = ctx;
    struct ingest_item it;
    memset(&it, 0, sizeof it);
    it.kind = INGEST_ITEM_ERROR;
    it.where = where;
    it.reason = xstrdup(reason ? reason : "");
    ingest_queue_push(j->q, &it); /* a stopped queue drops it, as wanted */
}

static void *reader_main(void *arg)
{
    struct reader_job *j = arg;
    int rc = ingest_read(j->format, j->in, &j->sink);
    ingest_queue_close(j->q, rc);
    return NULL;
}

/* Reads in with a reader thread and stores on this one; returns what the
 * single-threaded ingest_read() through the pipeline's sink would have:
 * the first store error, else the reader's result. */
static int read_threaded(struct ingest_pipeline *p, enum ingest_format f, struct ingest_input *in)
{
    struct ingest_queue *q = ingest_queue_new(PIPELINE_QUEUE);
    struct reader_job job = {f, in, q, {queue_record, queue_error, NULL}};
    job.sink.ctx = &job;
    pthread_t tid;
    if (pthread_create(&tid, NULL, reader_main, &job) != 0) {
        ingest_queue_free(q);
        return ingest_read(f, in, &p->sink); /* no thread: do it all here */
    }
    int rc = 0, reader_rc = 0;
    struct ingest_item it;
    memset(&it, 0, sizeof it);
    while (ingest_queue_pop(q, &it, &reader_rc)) {
        if (it.kind == INGEST_ITEM_ERROR) {
            report_error(p, it.where, it.reason);
        } else {
            struct ingest_record rec = {&it.paper, it.has_daily ? &it.daily : NULL, it.where};
            rc = store_record(p, &rec);
        }
        ingest_item_cleanup(&it);
        if (rc != 0) {
            ingest_queue_stop(q);
            break;
        }
    }
    pthread_join(tid, NULL);
    ingest_queue_free(q);
    return rc ? rc : reader_rc;
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
    rc = read_threaded(p, f, in);
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
