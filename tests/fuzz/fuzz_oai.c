/*
 * fuzz_oai.c - libFuzzer target for the OAI-PMH reader (oai.c, xml_stream.c).
 *
 * Each input is one response document. Every emitted record is walked
 * (every string read to its NUL) so that a dangling or unterminated field
 * shows up under ASan; the invariants the harvester relies on are checked
 * with abort(). Seeds: tests/fuzz/corpus/oai/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/input.h"
#include "ingest/oai.h"
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
    *sum += touch(p->id) + touch(p->title) + touch(p->title_raw) + touch(p->abstract) +
            touch(p->abstract_raw) + touch(p->authors_raw) + touch(p->categories) +
            touch(p->primary_category) + touch(p->comments) + touch(p->journal_ref) +
            touch(p->doi) + touch(p->report_no) + touch(p->license) + touch(p->submitter) +
            touch(p->created) + touch(p->updated);
    for (size_t i = 0; i < p->n_authors; i++)
        *sum += touch(p->authors[i].name) + touch(p->authors[i].last) +
                touch(p->authors[i].first) + touch(p->authors[i].suffix) +
                touch(p->authors[i].affiliation);
    for (size_t i = 0; i < p->n_versions; i++) {
        if (i > 0 && p->versions[i].num <= p->versions[i - 1].num)
            abort();
        *sum += touch(p->versions[i].date) + touch(p->versions[i].size);
    }
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
    struct oai_page pg;
    oai_page_init(&pg);
    int rc = oai_read_page(in, &sink, &pg);
    if (rc > 0 || pg.records < 0 || pg.deleted < 0)
        abort();
    if (rc == 0 && pg.token)
        sum += strlen(pg.token);
    sum += touch(pg.error_code) + touch(pg.error_message) + touch(pg.response_date);
    oai_page_cleanup(&pg);
    ingest_input_close(in);
    return 0;
}
