/*
 * fuzz_atom.c - libFuzzer target for the arXiv API Atom reader (atom.c,
 * xml_stream.c).
 *
 * Each input is one feed. Every emitted record is walked (every string read
 * to its NUL) so that a dangling or unterminated field shows up under ASan;
 * simple invariants are checked with abort(). Seeds: tests/fuzz/corpus/atom/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/input.h"
#include "ingest/reader.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
    return s ? strlen(s) : 0;
}

static int on_record(void *ctx, const struct ingest_record *rec)
{
    size_t *sum = ctx;
    const struct paper *p = rec->paper;
    if (!p->id || !p->title || !*p->title || rec->where < 1)
        abort();
    if (p->categories && (!p->primary_category ||
                          strncmp(p->categories, p->primary_category,
                                  strlen(p->primary_category)) != 0))
        abort(); /* the primary category comes first */
    *sum += touch(p->id) + touch(p->title) + touch(p->title_raw) + touch(p->abstract) +
            touch(p->abstract_raw) + touch(p->authors_raw) + touch(p->categories) +
            touch(p->comments) + touch(p->journal_ref) + touch(p->doi) + touch(p->created) +
            touch(p->updated);
    for (size_t i = 0; i < p->n_authors; i++)
        *sum += touch(p->authors[i].name) + touch(p->authors[i].affiliation);
    for (size_t i = 0; i < p->n_versions; i++)
        *sum += touch(p->versions[i].date);
    if (p->n_versions && p->versions[p->n_versions - 1].num != p->latest_version)
        abort();
    return 0;
}

static void on_error(void *ctx, long where, const char *reason)
{
    size_t *sum = ctx;
    if (where < 0 || !reason)
        abort();
    *sum += strlen(reason);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t sum = 0;
    struct ingest_sink sink = {on_record, on_error, &sum};
    struct ingest_input *in = NULL;
    if (ingest_input_mem("fuzz", data, size, &in) != 0)
        return 0;
    if (atom_read(in, &sink) > 0)
        abort();
    ingest_input_close(in);
    return 0;
}
