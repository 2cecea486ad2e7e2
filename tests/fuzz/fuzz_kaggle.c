/*
 * fuzz_kaggle.c - libFuzzer target for the Kaggle JSON-lines reader (and
 * format detection, which peeks at the same bytes).
 *
 * The fuzz input is read as an in-memory file; every record must satisfy
 * the invariants in paper_check.h, every error must have a reason, and
 * the reader must return 0 (a memory input cannot be truncated or fail).
 */
#include <stddef.h>
#include <stdint.h>

#include "ingest/input.h"
#include "ingest/reader.h"
#include "paper_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_input *in;
    if (ingest_input_mem("fuzz", data, size, &in) != 0)
        return 0;
    enum ingest_format f = ingest_detect(in);
    CHECK(f >= INGEST_FORMAT_UNKNOWN && f <= INGEST_FORMAT_ATOM);
    long last = 0;
    struct ingest_sink sink = {check_on_record, check_on_error, &last};
    CHECK(kaggle_read(in, &sink) == 0);
    ingest_input_close(in);
    return 0;
}
