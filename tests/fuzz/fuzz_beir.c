/*
 * fuzz_beir.c - libFuzzer target for the BEIR readers (JSON lines via cJSON,
 * qrels TSV). Any bytes must be read without crashes, leaks or UB; every
 * record handed out must have a non-empty id.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/beir.h"
#include "ingest/input.h"

static int on_doc(void *ctx, const struct beir_doc *d)
{
    (void)ctx;
    if (!d->id[0] || !d->title || !d->text)
        abort();
    return 0;
}

static int on_query(void *ctx, const struct beir_query *q)
{
    (void)ctx;
    if (!q->id[0] || !q->text)
        abort();
    return 0;
}

static int on_qrel(void *ctx, const struct beir_qrel *r)
{
    (void)ctx;
    if (!r->query_id[0] || !r->doc_id[0])
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_input *in;
    long bad;
    ingest_input_mem("fuzz", data, size, &in);
    beir_corpus_read(in, on_doc, NULL, &bad);
    ingest_input_close(in);
    ingest_input_mem("fuzz", data, size, &in);
    beir_queries_read(in, on_query, NULL, &bad);
    ingest_input_close(in);
    ingest_input_mem("fuzz", data, size, &in);
    beir_qrels_read(in, on_qrel, NULL, &bad);
    ingest_input_close(in);
    return 0;
}
