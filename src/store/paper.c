/* paper.c - lifecycle of struct paper and struct daily_entry (see paper.h). */
#include "store/paper.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void paper_init(struct paper *p)
{
    memset(p, 0, sizeof *p);
}

void paper_cleanup(struct paper *p)
{
    char **fields[] = {&p->id,       &p->title_raw,   &p->title,       &p->abstract_raw,
                       &p->abstract, &p->authors_raw, &p->primary_category, &p->categories,
                       &p->comments, &p->journal_ref, &p->doi,         &p->report_no,
                       &p->license,  &p->submitter,   &p->created,     &p->updated};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        free(*fields[i]);
    for (size_t i = 0; i < p->n_authors; i++) {
        free(p->authors[i].name);
        free(p->authors[i].last);
        free(p->authors[i].first);
        free(p->authors[i].suffix);
        free(p->authors[i].affiliation);
    }
    free(p->authors);
    for (size_t i = 0; i < p->n_versions; i++) {
        free(p->versions[i].date);
        free(p->versions[i].size);
    }
    free(p->versions);
    memset(p, 0, sizeof *p);
}

void paper_add_author(struct paper *p, const char *name, const char *last, const char *first,
                      const char *suffix)
{
    p->authors = xrealloc(p->authors, (p->n_authors + 1) * sizeof *p->authors);
    struct paper_author *a = &p->authors[p->n_authors++];
    a->name = xstrdup(name);
    a->last = xstrdup(last);
    a->first = xstrdup(first);
    a->suffix = xstrdup(suffix);
    a->affiliation = NULL;
}

void paper_add_version(struct paper *p, int num, const char *date, const char *size)
{
    size_t i = 0;
    while (i < p->n_versions && p->versions[i].num < num)
        i++;
    if (i < p->n_versions && p->versions[i].num == num) {
        if (!p->versions[i].date && date)
            p->versions[i].date = xstrdup(date);
        if (!p->versions[i].size && size)
            p->versions[i].size = xstrdup(size);
        return;
    }
    p->versions = xrealloc(p->versions, (p->n_versions + 1) * sizeof *p->versions);
    memmove(&p->versions[i + 1], &p->versions[i], (p->n_versions - i) * sizeof *p->versions);
    p->versions[i].num = num;
    p->versions[i].date = xstrdup(date);
    p->versions[i].size = xstrdup(size);
    p->n_versions++;
    if (num > p->latest_version)
        p->latest_version = num;
}

void daily_entry_init(struct daily_entry *e)
{
    memset(e, 0, sizeof *e);
}

void daily_entry_cleanup(struct daily_entry *e)
{
    free(e->paper_id);
    free(e->day);
    free(e->published_at);
    free(e->submitter);
    free(e->submitter_name);
    free(e->title);
    free(e->thumbnail);
    free(e->source);
    memset(e, 0, sizeof *e);
}
