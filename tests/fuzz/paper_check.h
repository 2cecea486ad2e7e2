/*
 * paper_check.h - invariants every record a reader emits must satisfy,
 * shared by the JSON readers' fuzz targets. A violation aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef PAPERBOY_FUZZ_PAPER_CHECK_H
#define PAPERBOY_FUZZ_PAPER_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "ingest/normalize.h"
#include "ingest/reader.h"
#include "store/paper.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Is the NUL-terminated s valid UTF-8 (NULL counts as valid)? */
static inline int check_utf8(const char *s)
{
    if (!s)
        return 1;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, cp, min;
        size_t need;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 2, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 3, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        for (size_t i = 1; i < need; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += need;
    }
    return 1;
}

/* A display form: no leading/trailing space, no runs, no line breaks. */
static inline int check_folded(const char *s)
{
    if (!s)
        return 1;
    size_t n = strlen(s);
    if (n && (s[0] == ' ' || s[n - 1] == ' '))
        return 0;
    return strstr(s, "  ") == NULL && strchr(s, '\n') == NULL && strchr(s, '\t') == NULL;
}

static inline int check_date(const char *s)
{
    if (!s)
        return 1;
    size_t n = strlen(s);
    return (n == 10 || n == 20) && s[4] == '-' && s[7] == '-';
}

static inline void check_paper(const struct paper *p)
{
    CHECK(p->id != NULL);
    char *again = NULL;
    int ver = -1;
    CHECK(arxiv_id_parse(p->id, strlen(p->id), &again, &ver) == 0);
    CHECK(strcmp(again, p->id) == 0 && ver == 0);
    free(again);
    CHECK(p->title != NULL && p->title_raw != NULL);
    const char *strs[] = {
        p->title_raw,        p->title,      p->abstract_raw, p->abstract,    p->authors_raw,
        p->primary_category, p->categories, p->comments,     p->journal_ref, p->doi,
        p->report_no,        p->license,    p->submitter,    p->created,     p->updated};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        CHECK(check_utf8(strs[i]));
    CHECK(check_folded(p->title) && check_folded(p->abstract) && check_folded(p->categories));
    CHECK(check_date(p->created) && check_date(p->updated));
    CHECK((p->primary_category == NULL) == (p->categories == NULL));
    CHECK(p->n_authors == 0 || p->authors != NULL);
    for (size_t i = 0; i < p->n_authors; i++) {
        const struct paper_author *a = &p->authors[i];
        CHECK(a->name != NULL && a->name[0] != '\0');
        CHECK(check_utf8(a->name) && check_utf8(a->last) && check_utf8(a->first) &&
              check_utf8(a->suffix) && check_utf8(a->affiliation));
    }
    int maxv = 0;
    for (size_t i = 0; i < p->n_versions; i++) {
        CHECK(p->versions[i].num > 0);
        CHECK(i == 0 || p->versions[i].num > p->versions[i - 1].num);
        CHECK(check_date(p->versions[i].date) && check_utf8(p->versions[i].size));
        maxv = p->versions[i].num;
    }
    CHECK(p->latest_version == maxv);
}

static inline void check_daily(const struct paper *p, const struct daily_entry *d)
{
    CHECK(d->paper_id != NULL && strcmp(d->paper_id, p->id) == 0);
    CHECK(d->day != NULL && strlen(d->day) == 10);
    CHECK(d->published_at != NULL && strncmp(d->published_at, d->day, 10) == 0);
    CHECK(d->source != NULL && strcmp(d->source, "hf") == 0);
    CHECK(check_utf8(d->submitter) && check_utf8(d->submitter_name) && check_utf8(d->title) &&
          check_utf8(d->thumbnail));
}

static inline int check_on_record(void *ctx, const struct ingest_record *rec)
{
    long *last = ctx;
    CHECK(rec->paper != NULL);
    CHECK(rec->where >= 1 && rec->where > *last);
    *last = rec->where;
    check_paper(rec->paper);
    if (rec->daily)
        check_daily(rec->paper, rec->daily);
    return 0;
}

static inline void check_on_error(void *ctx, long where, const char *reason)
{
    (void)ctx;
    CHECK(where >= 0);
    CHECK(reason != NULL && reason[0] != '\0' && check_utf8(reason));
}

#endif
