/*
 * kaggle.c - the Kaggle arXiv snapshot (arxiv-metadata-oai-snapshot.json).
 *
 * Format: JSON lines, one object per line:
 *   {"id":"0704.0001","submitter":..,"authors":"C. Bal\\'azs, E. L. Berger",
 *    "title":..,"comments":..,"journal-ref":..,"doi":..,"report-no":..,
 *    "categories":"hep-ph math.CO","license":..,"abstract":..,
 *    "versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],
 *    "update_date":"2008-11-26","authors_parsed":[["Bal\u00e1zs","C.",""]]}
 * Any field but id and title may be null or absent (update_date and
 * authors_parsed are null in some dumps).
 *
 * Mapping to struct paper: id normalised (arxiv_id_parse); title/abstract
 * raw as given and folded for display (LaTeX is kept as written);
 * categories folded, the first one primary; versions with normalised dates,
 * created = the first version's date, updated = the latest version's date
 * or else update_date. Authors come from authors_parsed ([last, first,
 * suffix, affiliation?], TeX decoded, name = "first last suffix") and else
 * from splitting the authors string; authors_raw keeps the string.
 *
 * Streaming: lines come from a line_reader (lines.h) capped at
 * KAGGLE_MAX_LINE; one record is alive at a time, so memory is flat. A bad
 * line is reported with its line number and skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/authors.h"
#include "ingest/authors_int.h"
#include "ingest/json_util.h"
#include "ingest/lines.h"
#include "ingest/normalize.h"
#include "ingest/reader.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

/* The longest line accepted: real records are a few KiB; 8 MiB leaves room
 * for monster author lists while keeping memory bounded. */
#define KAGGLE_MAX_LINE (8u << 20)

/* One authors_parsed part: TeX decoded, UTF-8 checked, folded; NULL if
 * empty. */
static char *clean_part(const cJSON *item)
{
    if (!cJSON_IsString(item))
        return NULL;
    const char *s = item->valuestring;
    size_t n = strlen(s);
    char *dec = strpbrk(s, "\\{}~$") ? tex_to_utf8(s, n) : NULL;
    char *u = json_utf8_dup(dec ? dec : s, dec ? strlen(dec) : n);
    free(dec);
    char *f = text_fold(u, strlen(u));
    free(u);
    if (!f[0]) {
        free(f);
        return NULL;
    }
    return f;
}

/* The snapshot writes hyphenated initials "C.-P." as "C. -P."; undo that. */
static void fix_initials(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == ' ' && r[1] == '-' && r > s && r[-1] == '.')
            continue;
        *w++ = *r;
    }
    *w = '\0';
}

static void add_parsed_authors(struct paper *p, const cJSON *list)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, list)
    {
        if (!cJSON_IsArray(a))
            continue;
        char *last = clean_part(cJSON_GetArrayItem(a, 0));
        char *first = clean_part(cJSON_GetArrayItem(a, 1));
        char *suffix = clean_part(cJSON_GetArrayItem(a, 2));
        char *aff = clean_part(cJSON_GetArrayItem(a, 3));
        if (first)
            fix_initials(first);
        if (last || first) {
            size_t n = (first ? strlen(first) + 1 : 0) + (last ? strlen(last) + 1 : 0) +
                       (suffix ? strlen(suffix) + 1 : 0) + 1;
            char *name = xmalloc(n);
            snprintf(name, n, "%s%s%s%s%s", first ? first : "", first && last ? " " : "",
                     last ? last : "", suffix ? " " : "", suffix ? suffix : "");
            paper_add_author(p, name, last, first, suffix);
            if (aff && authors_is_affiliation(aff))
                p->authors[p->n_authors - 1].affiliation = xstrdup(aff);
            free(name);
        }
        free(last);
        free(first);
        free(suffix);
        free(aff);
    }
}

/* "v12" -> 12; 0 when it is not a version. */
static int parse_version(const char *s)
{
    if (!s || (s[0] != 'v' && s[0] != 'V') || !s[1])
        return 0;
    int n = 0;
    for (const char *q = s + 1; *q; q++) {
        if (*q < '0' || *q > '9' || n > 100000)
            return 0;
        n = n * 10 + (*q - '0');
    }
    return n;
}

static void add_versions(struct paper *p, const cJSON *list)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        int num = parse_version(json_str(v, "version"));
        if (num <= 0)
            continue;
        const char *created = json_str(v, "created");
        char *date = created ? date_normalize(created, strlen(created)) : NULL;
        char *size = json_dup(v, "size");
        paper_add_version(p, num, date, size);
        free(date);
        free(size);
    }
}

/* The fields of one record, found in one pass over the object (cJSON's
 * lookup by name is a linear scan with strcmp per key). The first of
 * duplicate keys wins, as with cJSON_GetObjectItem. */
struct kaggle_fields {
    const cJSON *id, *submitter, *authors, *title, *comments, *journal_ref, *doi, *report_no,
        *categories, *license, *abstract, *versions, *update_date, *authors_parsed;
};

static void kaggle_collect(const cJSON *o, struct kaggle_fields *f)
{
    memset(f, 0, sizeof *f);
    for (const cJSON *c = o->child; c; c = c->next) {
        const char *k = c->string;
        const cJSON **slot = NULL;
        if (!k)
            continue;
        switch (k[0]) {
        case 'a':
            if (strcmp(k, "authors") == 0)
                slot = &f->authors;
            else if (strcmp(k, "abstract") == 0)
                slot = &f->abstract;
            else if (strcmp(k, "authors_parsed") == 0)
                slot = &f->authors_parsed;
            break;
        case 'c':
            if (strcmp(k, "categories") == 0)
                slot = &f->categories;
            else if (strcmp(k, "comments") == 0)
                slot = &f->comments;
            break;
        case 'd':
            if (strcmp(k, "doi") == 0)
                slot = &f->doi;
            break;
        case 'i':
            if (strcmp(k, "id") == 0)
                slot = &f->id;
            break;
        case 'j':
            if (strcmp(k, "journal-ref") == 0)
                slot = &f->journal_ref;
            break;
        case 'l':
            if (strcmp(k, "license") == 0)
                slot = &f->license;
            break;
        case 'r':
            if (strcmp(k, "report-no") == 0)
                slot = &f->report_no;
            break;
        case 's':
            if (strcmp(k, "submitter") == 0)
                slot = &f->submitter;
            break;
        case 't':
            if (strcmp(k, "title") == 0)
                slot = &f->title;
            break;
        case 'u':
            if (strcmp(k, "update_date") == 0)
                slot = &f->update_date;
            break;
        case 'v':
            if (strcmp(k, "versions") == 0)
                slot = &f->versions;
            break;
        default:
            break;
        }
        if (slot && !*slot)
            *slot = c;
    }
}

/* Fills p from one parsed record. ERR_PARSE with a reason in why when the
 * record lacks what every paper needs. */
static int kaggle_fill(const cJSON *o, struct paper *p, char *why, size_t why_len)
{
    struct kaggle_fields f;
    kaggle_collect(o, &f);
    if (json_arxiv_id(f.id, "id", &p->id, why, why_len) != 0)
        return ERR_PARSE;
    const char *title = json_item_str(f.title);
    if (!title) {
        snprintf(why, why_len, "missing \"title\"");
        return ERR_PARSE;
    }
    p->title_raw = json_utf8_dup(title, strlen(title));
    p->title = text_fold(p->title_raw, strlen(p->title_raw));
    const char *abs = json_item_str(f.abstract);
    if (abs) {
        p->abstract_raw = json_utf8_dup(abs, strlen(abs));
        p->abstract = text_fold(p->abstract_raw, strlen(p->abstract_raw));
    }
    p->categories = json_item_dup_folded(f.categories);
    if (p->categories) {
        size_t n = strcspn(p->categories, " ");
        p->primary_category = xstrndup(p->categories, n);
    }
    p->submitter = json_item_dup_folded(f.submitter);
    p->comments = json_item_dup_folded(f.comments);
    p->journal_ref = json_item_dup_folded(f.journal_ref);
    p->doi = json_item_dup_folded(f.doi);
    p->report_no = json_item_dup_folded(f.report_no);
    p->license = json_item_dup_folded(f.license);

    if (cJSON_IsArray(f.versions))
        add_versions(p, f.versions);
    if (p->n_versions > 0) {
        p->created = xstrdup(p->versions[0].date);
        p->updated = xstrdup(p->versions[p->n_versions - 1].date);
    }
    const char *ud = json_item_str(f.update_date);
    if (!p->updated && ud)
        p->updated = date_normalize(ud, strlen(ud));

    const char *authors = json_item_str(f.authors);
    if (authors)
        p->authors_raw = json_utf8_dup(authors, strlen(authors));
    if (cJSON_IsArray(f.authors_parsed))
        add_parsed_authors(p, f.authors_parsed);
    if (p->n_authors == 0 && p->authors_raw)
        authors_split(p, p->authors_raw, strlen(p->authors_raw));
    return 0;
}

static int is_blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* Parses one line and hands the record to the sink. Returns the sink's
 * non-zero answer (which stops the reader), else 0. */
static int kaggle_line(const char *p, size_t len, long lineno, const struct ingest_sink *sink)
{
    char why[160];
    cJSON *root = NULL;
    struct paper paper;
    paper_init(&paper);
    int rc = json_parse_object(p, len, &root, why, sizeof why);
    if (rc == 0)
        rc = kaggle_fill(root, &paper, why, sizeof why);
    if (rc == 0) {
        struct ingest_record rec = {&paper, NULL, lineno};
        rc = sink->on_record(sink->ctx, &rec);
    } else {
        sink->on_error(sink->ctx, lineno, why);
        rc = 0;
    }
    cJSON_Delete(root);
    paper_cleanup(&paper);
    return rc;
}

int kaggle_read(struct ingest_input *in, const struct ingest_sink *sink)
{
    struct line_reader lr;
    int rc = 0;
    json_hooks_init();
    line_reader_init(&lr, in, KAGGLE_MAX_LINE);
    for (;;) {
        const char *p;
        size_t len;
        int newline;
        int got = line_reader_next(&lr, &p, &len, &newline);
        if (got == 0)
            break;
        if (got == ERR_TOO_LARGE) {
            char why[80];
            snprintf(why, sizeof why, "line too long (over %u MiB)", KAGGLE_MAX_LINE >> 20);
            sink->on_error(sink->ctx, lr.lineno, why);
            continue;
        }
        if (got < 0) {
            char why[160];
            if (got == ERR_TRUNCATED)
                snprintf(why, sizeof why,
                         "input truncated after line %ld (the compressed stream ends early)",
                         lr.lineno);
            else
                snprintf(why, sizeof why, "%s after line %ld", err_str(got), lr.lineno);
            sink->on_error(sink->ctx, 0, why);
            rc = got;
            break;
        }
        if (lr.lineno == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3; /* a UTF-8 byte order mark */
            len -= 3;
        }
        if (is_blank(p, len))
            continue;
        rc = kaggle_line(p, len, lr.lineno, sink);
        if (rc != 0)
            break;
    }
    line_reader_cleanup(&lr);
    return rc;
}
