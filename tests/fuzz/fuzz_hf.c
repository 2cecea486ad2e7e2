/*
 * fuzz_hf.c - libFuzzer target for the Hugging Face daily-papers reader.
 *
 * The fuzz input is read as an in-memory file; every record must satisfy
 * the invariants in paper_check.h (and its daily entry must match its
 * paper), every error must have a reason, and the reader may only return
 * 0, ERR_PARSE (data after the array) or ERR_TRUNCATED (array not closed).
 */
#include <stddef.h>
#include <stdint.h>

#include "ingest/input.h"
#include "ingest/reader.h"
#include "paper_check.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ingest_input *in;
    if (ingest_input_mem("fuzz", data, size, &in) != 0)
        return 0;
    long last = 0;
    struct ingest_sink sink = {check_on_record, check_on_error, &last};
    int rc = hf_read(in, &sink);
    CHECK(rc == 0 || rc == ERR_PARSE || rc == ERR_TRUNCATED);
    ingest_input_close(in);
    return 0;
}
