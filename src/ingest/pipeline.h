/*
 * pipeline.h - the one path by which records reach the store.
 *
 * `paperboy ingest` and `paperboy harvest` both hand records to a pipeline:
 * it upserts them into the store in batches, each batch one transaction,
 * so a kill at any moment leaves every committed batch present and the
 * database consistent; running again finishes the job without duplicates
 * (upserts are idempotent). It counts added/updated/unchanged/failed and
 * reports malformed records as "FILE:LINE: reason" on stderr.
 *
 * ingest_pipeline_file() parses on a second thread of its own while the
 * calling thread stores (a bounded queue between them, so memory stays
 * flat); messages, counts, batches and results are exactly those of one
 * thread. Everything else, the sink included, runs on the caller's
 * thread. The store handle is only used by the calling thread.
 */
#ifndef PAPERBOY_INGEST_PIPELINE_H
#define PAPERBOY_INGEST_PIPELINE_H

#include <stdio.h>

#include "ingest/reader.h"
#include "store/store.h"

struct ingest_stats {
    long added, updated, unchanged, failed; /* papers */
    long daily;                             /* daily-list entries stored */
};

struct ingest_pipeline;

/* Creates a pipeline writing to s (borrowed; must outlive it) in batches of
 * batch records (0 means 2000). progress: a FILE to draw a progress line on
 * (stderr on a terminal), or NULL for none. */
int ingest_pipeline_new(struct store *s, size_t batch, FILE *progress,
                        struct ingest_pipeline **out /* OUT */);
/* The sink readers write to; valid for the pipeline's life. */
const struct ingest_sink *ingest_pipeline_sink(struct ingest_pipeline *p);
/* Names the input that following errors refer to (copied). */
void ingest_pipeline_set_source(struct ingest_pipeline *p, const char *name);
/* Commits the open batch, if any. */
int ingest_pipeline_flush(struct ingest_pipeline *p);
/* Opens path ("-" = stdin, .gz read directly), detects its format, reads
 * every record and commits. Returns 0 when the file was read to its end
 * (individual bad records are counted in failed, not returned), or the code
 * of what stopped it (ERR_IO, ERR_UNSUPPORTED for an unknown format,
 * ERR_TRUNCATED, ERR_PARSE, ERR_DB), after printing why. */
int ingest_pipeline_file(struct ingest_pipeline *p, const char *path);
/* Totals so far. */
void ingest_pipeline_stats(const struct ingest_pipeline *p, struct ingest_stats *out /* OUT */);
/* Rolls back an uncommitted batch and frees; NULL does nothing. */
void ingest_pipeline_free(struct ingest_pipeline *p);

#endif
