/*
 * beir.h - readers for BEIR benchmark folders (corpus, queries, qrels).
 *
 * A BEIR dataset folder holds:
 *   corpus.jsonl      one JSON object per line: {"_id", "title", "text",
 *                     "metadata"}; title may be empty or absent
 *   queries.jsonl     one JSON object per line: {"_id", "text", "metadata"}
 *                     (some copies split it as queries-<split>.jsonl)
 *   qrels/<split>.tsv tab-separated "query-id corpus-id score" with a
 *                     header line; score is an integer relevance grade
 *
 * The readers stream a file (plain or gzip, through ingest/input.h), one
 * line at a time with a cap on the line length (BEIR_MAX_LINE), and call
 * back once per record; the record's strings are owned by the reader and
 * valid only during the call. "_id" may be a JSON string or a number
 * (written as an integer when it is one). A malformed line (not JSON, no
 * "_id", over the cap, a qrels line without three fields or whose grade is
 * not an integer) is reported on stderr as "FILE:LINE: reason" through
 * util/log.h, counted in *bad and skipped. Blank lines are ignored. The qrels
 * reader also takes TREC qrels lines ("qid 0 docid grade", spaces or tabs)
 * and skips a first line whose grade field is not a number (the header).
 *
 * JSON is parsed with cJSON, which only ingest/ may use (STYLE rule 15).
 */
#ifndef PAPERBOY_INGEST_BEIR_H
#define PAPERBOY_INGEST_BEIR_H

#include "ingest/input.h"

/* Longest line read; longer lines are skipped as malformed. */
#define BEIR_MAX_LINE (16u << 20)

struct beir_doc {
    const char *id;    /* never NULL or empty */
    const char *title; /* "" when absent */
    const char *text;  /* "" when absent */
    long line;         /* 1-based line number */
};

struct beir_query {
    const char *id;
    const char *text; /* "" when absent */
    long line;
};

struct beir_qrel {
    const char *query_id;
    const char *doc_id;
    int grade; /* relevance grade as written (0 = judged not relevant) */
    long line;
};

/* Callbacks: a non-zero return stops the reader, which returns it. */
typedef int (*beir_doc_fn)(void *ctx, const struct beir_doc *d);
typedef int (*beir_query_fn)(void *ctx, const struct beir_query *q);
typedef int (*beir_qrel_fn)(void *ctx, const struct beir_qrel *r);

/* Reads every document of a corpus.jsonl from in (borrowed). Writes the
 * number of malformed lines skipped to *bad (may be NULL). Returns 0 at the
 * end of input, the callback's non-zero return, or ERR_IO / ERR_TRUNCATED
 * when the input failed. */
int beir_corpus_read(struct ingest_input *in, beir_doc_fn fn, void *ctx, long *bad /* OUT */);

/* Reads every query of a queries.jsonl, as beir_corpus_read(). */
int beir_queries_read(struct ingest_input *in, beir_query_fn fn, void *ctx, long *bad /* OUT */);

/* Reads every judgment of a qrels file, as beir_corpus_read(). */
int beir_qrels_read(struct ingest_input *in, beir_qrel_fn fn, void *ctx, long *bad /* OUT */);

/* Convenience: opens path (plain or .gz) and runs the matching reader.
 * ERR_IO when it cannot be opened (the reason is logged). */
int beir_corpus_read_file(const char *path, beir_doc_fn fn, void *ctx, long *bad /* OUT */);
int beir_queries_read_file(const char *path, beir_query_fn fn, void *ctx, long *bad /* OUT */);
int beir_qrels_read_file(const char *path, beir_qrel_fn fn, void *ctx, long *bad /* OUT */);

#endif
