/*
 * fuzz_query.c - libFuzzer target for the search box parser.
 *
 * Any bytes must parse without crashing, leaks or UB, and the result must
 * keep the parser's promises: caps respected, no empty term, words without
 * spaces, pins normalised and unique, dates well-formed and rendering a
 * query then parsing the rendering again gives the same rendering (when the
 * rendering itself fits the byte cap).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search/query.h"
#include "util/buf.h"

static void check(int cond)
{
    if (!cond)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct search_query q;
    query_parse((const char *)data, size, &q);
    check(q.n_terms <= QUERY_MAX_TERMS);
    check(q.n_pins <= QUERY_MAX_PINS);
    for (size_t i = 0; i < q.n_terms; i++) {
        const struct query_term *t = &q.terms[i];
        check(t->text && t->text[0]);
        check(strlen(t->text) <= QUERY_MAX_BYTES);
        if (!t->phrase)
            for (const char *c = t->text; *c; c++)
                check((unsigned char)*c > 0x20 && *c != 0x7f);
    }
    for (size_t i = 0; i < q.n_pins; i++)
        for (size_t j = i + 1; j < q.n_pins; j++)
            check(strcmp(q.pins[i], q.pins[j]) != 0);
    check(q.since[0] == '\0' || strlen(q.since) == 10);
    check(q.until[0] == '\0' || strlen(q.until) == 10);

    struct buf once, twice;
    buf_init(&once, 0);
    buf_init(&twice, 0);
    /* Rendered without flags ("#bytes" could not be told from a word). */
    unsigned flags = q.flags;
    q.flags = 0;
    check(query_format(&q, &once) == 0);
    if (once.len <= QUERY_MAX_BYTES && !(flags & (QUERY_TRUNC_BYTES | QUERY_TRUNC_TERMS))) {
        struct search_query q2;
        query_parse(once.p ? once.p : "", once.len, &q2);
        q2.flags = 0;
        check(query_format(&q2, &twice) == 0);
        check(once.len == twice.len && memcmp(buf_cstr(&once), buf_cstr(&twice), once.len) == 0);
        query_cleanup(&q2);
    }
    struct buf ft;
    buf_init(&ft, 0);
    check(query_free_text(&q, &ft) == 0);
    buf_cleanup(&ft);
    buf_cleanup(&once);
    buf_cleanup(&twice);
    query_cleanup(&q);
    return 0;
}
