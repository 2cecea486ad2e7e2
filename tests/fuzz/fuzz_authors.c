/*
 * fuzz_authors.c - libFuzzer target for authors_split() and tex_to_utf8().
 *
 * Invariants: the split reports exactly the authors it appended; every
 * author has a non-empty name; and when the input is valid UTF-8, every
 * string that comes out is too (decoding only ever adds whole characters
 * and cuts at ASCII bytes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ingest/authors.h"
#include "paper_check.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    char *copy = xstrndup(p, size); /* NUL-terminated, for the UTF-8 check */
    int valid = memchr(p, '\0', size) == NULL && check_utf8(copy);
    free(copy);

    char *t = tex_to_utf8(p, size);
    CHECK(t != NULL);
    if (valid)
        CHECK(check_utf8(t));
    free(t);

    struct paper paper;
    paper_init(&paper);
    size_t n = authors_split(&paper, p, size);
    CHECK(n == paper.n_authors);
    for (size_t i = 0; i < paper.n_authors; i++) {
        const struct paper_author *a = &paper.authors[i];
        CHECK(a->name != NULL && a->name[0] != '\0');
        if (valid)
            CHECK(check_utf8(a->name) && check_utf8(a->last) && check_utf8(a->first) &&
                  check_utf8(a->suffix) && check_utf8(a->affiliation));
    }
    paper_cleanup(&paper);
    return 0;
}
