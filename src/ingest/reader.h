/*
 * reader.h - the contract between format readers and whoever stores records.
 *
 * A reader (kaggle.c, hf.c, oai.c, atom.c) streams one input and, for each
 * record, fills a struct paper (and for Hugging Face items a struct
 * daily_entry) and hands it to sink->on_record. The record is owned by the
 * reader and valid only during the call; the sink may move the contents
 * out of rec->paper and rec->daily (leaving them zeroed, as paper_init()
 * and daily_entry_init() do), since a reader does nothing with a record
 * after on_record but clean it up (the pipeline's reader thread does this
 * to hand records over without copying). A malformed record is reported
 * through sink->on_error with where it was (line for line-based formats,
 * record number otherwise) and skipped; the reader goes on with the next.
 * Memory stays flat: readers hold one record at a time.
 *
 * A reader returns 0 when it reached the end of input, the first non-zero
 * code on_record returned (which stops it), or a code for a failure of the
 * whole input (ERR_TRUNCATED, ERR_IO, ERR_PARSE for a document that cannot
 * be read on) after reporting it through on_error.
 */
#ifndef PAPERBOY_INGEST_READER_H
#define PAPERBOY_INGEST_READER_H

#include "ingest/input.h"
#include "store/paper.h"

struct ingest_record {
    struct paper *paper;        /* always set */
    struct daily_entry *daily;  /* set for daily-list items, else NULL */
    long where;                 /* 1-based line (JSONL) or record number */
};

struct ingest_sink {
    int (*on_record)(void *ctx, const struct ingest_record *rec);
    /* where: 1-based line or record number; 0 for the input as a whole. */
    void (*on_error)(void *ctx, long where, const char *reason);
    void *ctx;
};

enum ingest_format {
    INGEST_FORMAT_UNKNOWN = 0,
    INGEST_FORMAT_KAGGLE,   /* arxiv-metadata-oai-snapshot JSON lines */
    INGEST_FORMAT_HF,       /* Hugging Face /api/daily_papers JSON array */
    INGEST_FORMAT_OAI,      /* OAI-PMH ListRecords/GetRecord, arXiv or arXivRaw */
    INGEST_FORMAT_ATOM      /* arXiv API Atom feed */
};

/* Guesses the format from the first bytes of in (not consumed). */
enum ingest_format ingest_detect(struct ingest_input *in);
/* "kaggle", "hf", "oai", "atom" or "unknown". */
const char *ingest_format_name(enum ingest_format f);
/* Runs the reader for format f over in. ERR_UNSUPPORTED for UNKNOWN. */
int ingest_read(enum ingest_format f, struct ingest_input *in, const struct ingest_sink *sink);

/* The readers themselves. */
int kaggle_read(struct ingest_input *in, const struct ingest_sink *sink);
int hf_read(struct ingest_input *in, const struct ingest_sink *sink);
int oai_read(struct ingest_input *in, const struct ingest_sink *sink);
int atom_read(struct ingest_input *in, const struct ingest_sink *sink);

#endif
