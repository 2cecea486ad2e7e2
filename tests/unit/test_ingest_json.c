/*
 * test_ingest_json.c - the Kaggle and Hugging Face readers, the line
 * reader, and format detection.
 *
 * Fixtures are written inline (or to a temporary file for gzip cases);
 * the real samples under $SHARED/data are read when present.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest/input.h"
#include "ingest/lines.h"
#include "ingest/reader.h"
#include "ok.h"
#include "store/paper.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* A sink that keeps copies of what it is given                        */
/* ------------------------------------------------------------------ */

struct got_rec {
    long where;
    char *id, *title, *title_raw, *abstract, *created, *updated, *primary, *categories;
    char *authors_raw, *names, *last0, *first0, *suffix0, *aff0, *doi, *license, *comments;
    char *v1date, *v2date;
    int latest, n_versions;
    size_t n_authors;
    int has_daily;
    char *day, *published_at, *submitter, *submitter_name, *dtitle, *thumbnail, *dsource, *dpid;
    int upvotes, num_comments;
};

#define MAX_ERRS 64

struct got {
    struct got_rec *r;
    size_t n;
    long err_where[MAX_ERRS];
    char *err_reason[MAX_ERRS];
    size_t n_err;
    size_t stop_at; /* return 99 from the stop_at-th record (1-based), 0 = never */
};

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static int got_record(void *ctx, const struct ingest_record *rec)
{
    struct got *g = ctx;
    g->r = xrealloc(g->r, (g->n + 1) * sizeof *g->r);
    struct got_rec *r = &g->r[g->n++];
    memset(r, 0, sizeof *r);
    const struct paper *p = rec->paper;
    r->where = rec->where;
    r->id = dup_or_null(p->id);
    r->title = dup_or_null(p->title);
    r->title_raw = dup_or_null(p->title_raw);
    r->abstract = dup_or_null(p->abstract);
    r->created = dup_or_null(p->created);
    r->updated = dup_or_null(p->updated);
    r->primary = dup_or_null(p->primary_category);
    r->categories = dup_or_null(p->categories);
    r->authors_raw = dup_or_null(p->authors_raw);
    r->doi = dup_or_null(p->doi);
    r->license = dup_or_null(p->license);
    r->comments = dup_or_null(p->comments);
    r->latest = p->latest_version;
    r->n_versions = (int)p->n_versions;
    r->v1date = p->n_versions > 0 ? dup_or_null(p->versions[0].date) : NULL;
    r->v2date = p->n_versions > 1 ? dup_or_null(p->versions[1].date) : NULL;
    r->n_authors = p->n_authors;
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, "", 0);
    for (size_t i = 0; i < p->n_authors; i++) {
        if (i)
            buf_append(&b, "|", 1);
        buf_append_str(&b, p->authors[i].name);
    }
    r->names = buf_steal(&b);
    if (p->n_authors) {
        r->last0 = dup_or_null(p->authors[0].last);
        r->first0 = dup_or_null(p->authors[0].first);
        r->suffix0 = dup_or_null(p->authors[0].suffix);
        r->aff0 = dup_or_null(p->authors[0].affiliation);
    }
    if (rec->daily) {
        const struct daily_entry *d = rec->daily;
        r->has_daily = 1;
        r->dpid = dup_or_null(d->paper_id);
        r->day = dup_or_null(d->day);
        r->published_at = dup_or_null(d->published_at);
        r->submitter = dup_or_null(d->submitter);
        r->submitter_name = dup_or_null(d->submitter_name);
        r->dtitle = dup_or_null(d->title);
        r->thumbnail = dup_or_null(d->thumbnail);
        r->dsource = dup_or_null(d->source);
        r->upvotes = d->upvotes;
        r->num_comments = d->num_comments;
    }
    return g->stop_at && g->n == g->stop_at ? 99 : 0;
}

static void got_error(void *ctx, long where, const char *reason)
{
    struct got *g = ctx;
    if (g->n_err < MAX_ERRS) {
        g->err_where[g->n_err] = where;
        g->err_reason[g->n_err] = xstrdup(reason);
    }
    g->n_err++;
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        struct got_rec *r = &g->r[i];
        char *all[] = {
            r->id,           r->title,     r->title_raw,      r->abstract,    r->created,
            r->updated,      r->primary,   r->categories,     r->authors_raw, r->names,
            r->last0,        r->first0,    r->suffix0,        r->aff0,        r->doi,
            r->license,      r->comments,  r->v1date,         r->v2date,      r->day,
            r->published_at, r->submitter, r->submitter_name, r->dtitle,      r->thumbnail,
            r->dsource,      r->dpid};
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            free(all[k]);
    }
    free(g->r);
    for (size_t i = 0; i < g->n_err && i < MAX_ERRS; i++)
        free(g->err_reason[i]);
    memset(g, 0, sizeof *g);
}

typedef int (*reader_fn)(struct ingest_input *, const struct ingest_sink *);

/* Runs reader over the NUL-terminated text; returns its code. */
static int run_mem(reader_fn reader, const char *text, size_t len, struct got *g)
{
    struct ingest_input *in;
    ingest_input_mem("mem", text, len, &in);
    struct ingest_sink sink = {got_record, got_error, g};
    int rc = reader(in, &sink);
    ingest_input_close(in);
    return rc;
}

static int run_str(reader_fn reader, const char *text, struct got *g)
{
    return run_mem(reader, text, strlen(text), g);
}

static int run_file(reader_fn reader, const char *path, struct got *g)
{
    struct ingest_input *in;
    int rc = ingest_input_open(path, &in);
    if (rc)
        return rc;
    struct ingest_sink sink = {got_record, got_error, g};
    rc = reader(in, &sink);
    ingest_input_close(in);
    return rc;
}

static const struct got_rec *find_id(const struct got *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (g->r[i].id && strcmp(g->r[i].id, id) == 0)
            return &g->r[i];
    return NULL;
}

static int reason_has(const struct got *g, size_t i, const char *needle)
{
    return i < g->n_err && i < MAX_ERRS && strstr(g->err_reason[i], needle) != NULL;
}

/* Writes len bytes to a new temporary file, gzip-compressed when gz. The
 * caller unlinks and frees the returned path. */
static char *write_temp(const char *data, size_t len, int gz)
{
    char *path = xstrdup("/tmp/paperboy-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return path;
    if (gz) {
        gzFile f = gzdopen(fd, "wb");
        gzwrite(f, data, (unsigned)len);
        gzclose(f);
    } else {
        ssize_t w = write(fd, data, len);
        (void)w;
        close(fd);
    }
    return path;
}

static const char *shared_path(char *out, size_t n, const char *rel)
{
    const char *sh = getenv("SHARED");
    if (!sh || !*sh)
        return NULL;
    snprintf(out, n, "%s/%s", sh, rel);
    return access(out, R_OK) == 0 ? out : NULL;
}

/* ------------------------------------------------------------------ */
/* Kaggle                                                              */
/* ------------------------------------------------------------------ */

#define K_0704_0001                                                                                \
    "{\"id\":\"0704.0001\",\"submitter\":\"Pavel Nadolsky\",\"authors\":\"C. Bal\\\\'azs, E. L. "  \
    "Berger, P. M. Nadolsky, C.-P. Yuan\",\"title\":\"Calculation of prompt diphoton "             \
    "production cross sections at Tevatron and\\n  LHC energies\",\"comments\":\"37 pages, 15 "    \
    "figures; published version\",\"journal-ref\":\"Phys.Rev.D76:013009,2007\",\"doi\":"           \
    "\"10.1103/PhysRevD.76.013009\",\"report-no\":\"ANL-HEP-PR-07-12\",\"categories\":"            \
    "\"hep-ph\",\"license\":null,\"abstract\":\"  A fully differential calculation\\nin "          \
    "QCD.\\n\",\"versions\":[{\"version\":\"v1\",\"created\":\"Mon, 2 Apr 2007 19:18:42 "          \
    "GMT\"},{\"version\":\"v2\",\"created\":\"Tue, 24 Jul 2007 20:10:27 GMT\"}],"                  \
    "\"update_date\":\"2008-11-26\",\"authors_parsed\":[[\"Bal\\u00e1zs\",\"C.\",\"\"],"           \
    "[\"Berger\",\"E. L.\",\"\"],[\"Nadolsky\",\"P. M.\",\"\"],[\"Yuan\",\"C. -P.\",\"\"]]}"

#define K_OLD                                                                                      \
    "{\"id\":\"acc-phys/9411001\",\"submitter\":\"Salman Habib\",\"authors\":\"Salman Habib and "  \
    "Robert D. Ryne\",\"title\":\"Symplectic Computation of Lyapunov Exponents\",\"comments\":"    \
    "\"12 pages\",\"journal-ref\":null,\"doi\":null,\"report-no\":\"LA-UR-94-3641\","              \
    "\"categories\":\"acc-phys physics.acc-ph\",\"license\":null,\"abstract\":\"  A recently "     \
    "developed method.\\n\",\"versions\":[{\"version\":\"v1\",\"created\":\"Tue, 1 Nov 1994 "      \
    "18:57:48 GMT\"}],\"update_date\":null,\"authors_parsed\":null}"

static void test_kaggle_fields(void)
{
    struct got g = {0};
    int rc = run_str(kaggle_read, K_0704_0001 "\n" K_OLD "\n", &g);
    ok_eq_int(rc, 0, "kaggle: reads to the end");
    ok_eq_int(g.n, 2, "kaggle: two records");
    ok_eq_int(g.n_err, 0, "kaggle: no errors");
    const struct got_rec *r = find_id(&g, "0704.0001");
    ok(r != NULL, "kaggle: 0704.0001 found");
    if (r) {
        ok_eq_int(r->where, 1, "where is the line number");
        ok_eq_str(r->title,
                  "Calculation of prompt diphoton production cross sections at Tevatron "
                  "and LHC energies",
                  "title folded");
        ok_eq_str(r->title_raw,
                  "Calculation of prompt diphoton production cross sections at "
                  "Tevatron and\n  LHC energies",
                  "title_raw as given");
        ok_eq_str(r->abstract, "A fully differential calculation in QCD.", "abstract folded");
        ok_eq_int(r->latest, 2, "latest_version");
        ok_eq_int(r->n_versions, 2, "two versions");
        ok_eq_str(r->v1date, "2007-04-02T19:18:42Z", "v1 date normalised");
        ok_eq_str(r->v2date, "2007-07-24T20:10:27Z", "v2 date normalised");
        ok_eq_str(r->created, "2007-04-02T19:18:42Z", "created = v1");
        ok_eq_str(r->updated, "2007-07-24T20:10:27Z", "updated = latest version");
        ok_eq_str(r->primary, "hep-ph", "primary category");
        ok_eq_str(r->names, "C. Balázs|E. L. Berger|P. M. Nadolsky|C.-P. Yuan",
                  "authors from authors_parsed");
        ok_eq_str(r->last0, "Balázs", "author last");
        ok_eq_str(r->first0, "C.", "author first");
        ok_eq_str(r->suffix0, NULL, "empty suffix is NULL");
        ok_eq_str(r->authors_raw, "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
                  "authors_raw as written");
        ok_eq_str(r->doi, "10.1103/PhysRevD.76.013009", "doi");
        ok_eq_str(r->license, NULL, "null license");
        ok_eq_int(r->has_daily, 0, "no daily entry");
    }
    r = find_id(&g, "acc-phys/9411001");
    ok(r != NULL, "kaggle: old-style id");
    if (r) {
        ok_eq_str(r->names, "Salman Habib|Robert D. Ryne", "authors split when not parsed");
        ok_eq_str(r->last0, "Habib", "split author last");
        ok_eq_str(r->categories, "acc-phys physics.acc-ph", "categories");
        ok_eq_str(r->primary, "acc-phys", "first category is primary");
        ok_eq_str(r->created, "1994-11-01T18:57:48Z", "created");
        ok_eq_str(r->updated, "1994-11-01T18:57:48Z", "updated = only version");
        ok_eq_str(r->doi, NULL, "null doi");
        ok_eq_int(r->where, 2, "second line");
    }
    got_free(&g);

    /* Fallbacks and odd shapes. */
    rc = run_str(kaggle_read,
                 "{\"id\":\"arXiv:2401.12345v3\",\"title\":\"T\",\"update_date\":\"2024-02-01\","
                 "\"versions\":[],\"authors\":\"A. One and B. Two\",\"authors_parsed\":[],"
                 "\"categories\":\"  cs.LG\\n stat.ML \"}",
                 &g);
    ok_eq_int(g.n, 1, "kaggle: versioned wrapped id accepted");
    if (g.n == 1) {
        ok_eq_str(g.r[0].id, "2401.12345", "id normalised");
        ok_eq_str(g.r[0].updated, "2024-02-01", "updated falls back to update_date");
        ok_eq_str(g.r[0].created, NULL, "no versions: created unknown");
        ok_eq_int(g.r[0].latest, 0, "no versions: latest 0");
        ok_eq_str(g.r[0].names, "A. One|B. Two", "empty authors_parsed: split the string");
        ok_eq_str(g.r[0].categories, "cs.LG stat.ML", "categories folded");
        ok_eq_str(g.r[0].primary, "cs.LG", "primary of folded categories");
    }
    got_free(&g);

    rc = run_str(kaggle_read,
                 "{\"id\":\"0704.0002\",\"title\":\"T\",\"versions\":[{\"version\":\"v2\","
                 "\"created\":\"Tue, 24 Jul 2007 20:10:27 GMT\"},{\"version\":\"bogus\"},"
                 "{\"version\":\"v1\",\"created\":\"not a date\"},7],"
                 "\"authors_parsed\":[[\"M{\\\\\\\"u}ller\",\"J.\",\"Jr\",\"MIT\"],\"x\",[],"
                 "[\"Solo\"]]}\n",
                 &g);
    ok_eq_int(g.n, 1, "kaggle: odd versions and authors");
    if (g.n == 1) {
        ok_eq_int(g.r[0].n_versions, 2, "bad version entries skipped");
        ok_eq_int(g.r[0].latest, 2, "latest from unsorted list");
        ok_eq_str(g.r[0].v1date, NULL, "bad date kept as unknown");
        ok_eq_str(g.r[0].created, NULL, "created is v1's (unknown)");
        ok_eq_str(g.r[0].updated, "2007-07-24T20:10:27Z", "updated is v2's");
        ok_eq_str(g.r[0].names, "J. Müller Jr|Solo", "parsed names decoded, junk skipped");
        ok_eq_str(g.r[0].suffix0, "Jr", "parsed suffix");
        ok_eq_str(g.r[0].aff0, "MIT", "parsed affiliation");
    }
    got_free(&g);
}

static void test_kaggle_errors(void)
{
    struct got g = {0};
    const char *text = "{\"id\":\"0704.0001\",\"title\":\"one\"}\n"
                       "{\"id\":\"0704.0002\",\"title\":\"two\"}\n"
                       "{\"id\":\"0704.0003\",\"title\":\"three\"}\n"
                       "{\"id\":\"0704.0004\",\"title\":\"fo\n"
                       "{\"id\":\"0704.0005\",\"title\":\"five\"}\n"
                       "{\"id\":\"0704.0006\",\"title\":\"six\"}\n";
    int rc = run_str(kaggle_read, text, &g);
    ok_eq_int(rc, 0, "broken line 4: reader goes on");
    ok_eq_int(g.n, 5, "broken line 4: five records");
    ok_eq_int(g.n_err, 1, "broken line 4: one error");
    ok_eq_int(g.err_where[0], 4, "error is on line 4");
    ok(reason_has(&g, 0, "invalid JSON near byte"), "reason names invalid JSON");
    if (g.n == 5) {
        ok_eq_str(g.r[2].id, "0704.0003", "record 3 before the break");
        ok_eq_str(g.r[3].id, "0704.0005", "record 5 after the break");
        ok_eq_int(g.r[3].where, 5, "record 5 on line 5");
    }
    got_free(&g);

    text = "{\"title\":\"no id\"}\n"                           /* 1 */
           "{\"id\":\"foo\",\"title\":\"x\"}\n"                /* 2 */
           "{\"id\":\"0704.0001\"}\n"                          /* 3 */
           "[1,2]\n"                                           /* 4 */
           "{\"id\":\"0704.0001\",\"title\":\"x\"} trailing\n" /* 5 */
           "\n"                                                /* 6 */
           "   \r\n"                                           /* 7 */
           "{\"id\":17,\"title\":\"x\"}\n"                     /* 8 */
           "{\"id\":\"0704.0009\",\"title\":\"crlf\"}\r\n"     /* 9 */
           "{\"id\":null,\"title\":\"x\"}\n"                   /* 10 */
           "{\"id\":\"0704.0011\",\"title\":null}\n"           /* 11 */
           "{\"id\":\"0704.0012\",\"title\":\"last, no newline\"}";
    rc = run_str(kaggle_read, text, &g);
    ok_eq_int(rc, 0, "errors: rc 0");
    ok_eq_int(g.n, 2, "errors: two good records");
    ok_eq_int(g.n_err, 8, "errors: eight bad lines");
    if (g.n_err == 8) {
        ok_eq_int(g.err_where[0], 1, "missing id: line");
        ok(reason_has(&g, 0, "missing \"id\""), "missing id: reason");
        ok_eq_int(g.err_where[1], 2, "bad id: line");
        ok(reason_has(&g, 1, "bad arXiv id \"foo\""), "bad id: reason");
        ok(reason_has(&g, 2, "missing \"title\""), "missing title: reason");
        ok(reason_has(&g, 3, "not a JSON object"), "array: reason");
        ok(reason_has(&g, 4, "unexpected data after the object"), "trailing data: reason");
        ok_eq_int(g.err_where[5], 8, "numeric id: blank lines still count");
        ok(reason_has(&g, 5, "\"id\" is not a string"), "numeric id: reason");
        ok(reason_has(&g, 6, "missing \"id\""), "null id: reason");
        ok(reason_has(&g, 7, "missing \"title\""), "null title: reason");
    }
    if (g.n == 2) {
        ok_eq_int(g.r[0].where, 9, "CRLF line parsed");
        ok_eq_str(g.r[1].title, "last, no newline", "final line without newline");
        ok_eq_int(g.r[1].where, 12, "final line number");
    }
    got_free(&g);

    /* A final line without newline that is broken: what truncation looks like. */
    rc = run_str(kaggle_read, "{\"id\":\"0704.0001\",\"title\":\"one\"}\n{\"id\":\"0704.00", &g);
    ok_eq_int(rc, 0, "cut last line: rc 0");
    ok_eq_int(g.n, 1, "cut last line: first record kept");
    ok_eq_int(g.n_err, 1, "cut last line: reported");
    ok_eq_int(g.err_where[0], 2, "cut last line: on line 2");
    got_free(&g);

    /* Bad bytes become U+FFFD; a BOM on line 1 is skipped. */
    rc = run_str(kaggle_read,
                 "\xEF\xBB\xBF{\"id\":\"0704.0001\",\"title\":\"a\xFF"
                 "b\"}\n",
                 &g);
    ok_eq_int(g.n, 1, "BOM line parsed");
    if (g.n == 1)
        ok_eq_str(g.r[0].title,
                  "a\xEF\xBF\xBD"
                  "b",
                  "invalid UTF-8 replaced");
    got_free(&g);

    /* The sink can stop the reader. */
    g.stop_at = 2;
    rc = run_str(kaggle_read, text, &g);
    ok_eq_int(rc, 99, "sink stop code returned");
    ok_eq_int(g.n, 2, "no records after stop");
    got_free(&g);

    /* Empty input and whitespace only. */
    ok_eq_int(run_str(kaggle_read, "", &g), 0, "empty input");
    ok_eq_int(run_str(kaggle_read, "\n\n  \n", &g), 0, "blank input");
    ok_eq_int(g.n + g.n_err, 0, "nothing from blank input");
    got_free(&g);
}

static void test_kaggle_long_line(void)
{
    /* A 9 MiB line is refused; the lines around it are read. */
    size_t big = 9u << 20;
    struct buf b;
    buf_init(&b, 0);
    buf_append_str(&b,
                   "{\"id\":\"0704.0001\",\"title\":\"a\"}\n{\"id\":\"0704.0002\",\"title\":\"");
    char *fill = xmalloc(big);
    memset(fill, 'x', big);
    buf_append(&b, fill, big);
    free(fill);
    buf_append_str(&b, "\"}\n{\"id\":\"0704.0003\",\"title\":\"c\"}\n");
    struct got g = {0};
    int rc = run_mem(kaggle_read, b.p, b.len, &g);
    ok_eq_int(rc, 0, "long line: rc 0");
    ok_eq_int(g.n, 2, "long line: neighbours read");
    ok_eq_int(g.n_err, 1, "long line: one error");
    ok_eq_int(g.err_where[0], 2, "long line: line 2");
    ok(reason_has(&g, 0, "line too long"), "long line: reason");
    if (g.n == 2)
        ok_eq_int(g.r[1].where, 3, "long line: next line number");
    got_free(&g);

    /* The same at end of input, without a newline. */
    b.len -= strlen("\n{\"id\":\"0704.0003\",\"title\":\"c\"}\n");
    rc = run_mem(kaggle_read, b.p, b.len, &g);
    ok_eq_int(g.n, 1, "long last line: first kept");
    ok_eq_int(g.n_err, 1, "long last line: refused");
    got_free(&g);
    buf_cleanup(&b);
}

static void test_kaggle_gzip(void)
{
    /* 3000 records, gzip-compressed: read whole, then cut in half. */
    struct buf b;
    buf_init(&b, 0);
    for (int i = 1; i <= 3000; i++)
        buf_appendf(&b,
                    "{\"id\":\"0704.%04d\",\"title\":\"Paper %d\",\"abstract\":\"%d: lorem ipsum "
                    "dolor sit amet %x\"}\n",
                    i, i, i * 7919, (unsigned)(i * 2654435761u));
    char *path = write_temp(b.p, b.len, 1);
    struct got g = {0};
    int rc = run_file(kaggle_read, path, &g);
    ok_eq_int(rc, 0, "gz: read");
    ok_eq_int(g.n, 3000, "gz: all records");
    ok_eq_int(g.n_err, 0, "gz: no errors");
    got_free(&g);

    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ok(truncate(path, size / 2) == 0, "gz: cut the file in half");
    rc = run_file(kaggle_read, path, &g);
    ok_eq_int(rc, ERR_TRUNCATED, "truncated gz: ERR_TRUNCATED");
    ok(g.n > 100 && g.n < 3000, "truncated gz: records before the cut");
    ok_eq_int(g.n_err, 1, "truncated gz: one error");
    ok_eq_int(g.err_where[0], 0, "truncated gz: about the whole input");
    ok(reason_has(&g, 0, "truncated"), "truncated gz: reason says so");
    got_free(&g);
    unlink(path);
    free(path);
    buf_cleanup(&b);
}

static void test_kaggle_shared(void)
{
    char path[4096];
    struct got g = {0};
    if (!shared_path(path, sizeof path, "data/arxiv/kaggle-snapshot-head-200.jsonl")) {
        ok_skip("kaggle head-200", "no $SHARED data");
    } else {
        int rc = run_file(kaggle_read, path, &g);
        ok_eq_int(rc, 0, "head-200: rc");
        ok_eq_int(g.n, 200, "head-200: 200 records");
        ok_eq_int(g.n_err, 0, "head-200: no errors");
        const struct got_rec *r = find_id(&g, "0704.0001");
        ok(r != NULL, "head-200: 0704.0001");
        if (r) {
            ok_eq_int(r->latest, 2, "0704.0001 latest v2");
            ok_eq_str(r->created, "2007-04-02T19:18:42Z", "0704.0001 created");
            ok_eq_str(r->updated, "2007-07-24T20:10:27Z", "0704.0001 updated");
            ok_eq_str(r->names, "C. Balázs|E. L. Berger|P. M. Nadolsky|C.-P. Yuan",
                      "0704.0001 authors");
        }
        size_t with_authors = 0, with_abs = 0;
        for (size_t i = 0; i < g.n; i++) {
            with_authors += g.r[i].n_authors > 0;
            with_abs += g.r[i].abstract != NULL;
        }
        ok_eq_int(with_authors, 200, "head-200: every record has authors");
        ok_eq_int(with_abs, 200, "head-200: every record has an abstract");
        got_free(&g);
    }
    if (!shared_path(path, sizeof path, "data/arxiv/arxiv-abs-1130.jsonl")) {
        ok_skip("kaggle abs-1130", "no $SHARED data");
    } else {
        int rc = run_file(kaggle_read, path, &g);
        ok_eq_int(rc, 0, "abs-1130: rc");
        ok_eq_int(g.n, 1130, "abs-1130: 1130 records");
        ok_eq_int(g.n_err, 0, "abs-1130: no errors");
        const struct got_rec *r = find_id(&g, "acc-phys/9411001");
        ok(r != NULL, "abs-1130: acc-phys/9411001");
        if (r) {
            ok_eq_str(r->names, "Salman Habib|Robert D. Ryne", "acc-phys/9411001 authors");
            ok_eq_str(r->updated, "1994-11-01T18:57:48Z", "acc-phys/9411001 updated");
        }
        size_t with_authors = 0;
        for (size_t i = 0; i < g.n; i++)
            with_authors += g.r[i].n_authors > 0;
        ok_eq_int(with_authors, 1130, "abs-1130: every record has authors");
        got_free(&g);
    }
}

/* ------------------------------------------------------------------ */
/* Hugging Face                                                        */
/* ------------------------------------------------------------------ */

#define HF_ITEM(id, extra)                                                                         \
    "{\"paper\":{\"id\":\"" id "\",\"authors\":[{\"_id\":\"x\",\"name\":\"Zesen Cheng\","          \
    "\"user\":{\"fullname\":\"Z\"}},{\"name\":\"Hang  Zhang\"}],\"publishedAt\":"                  \
    "\"2024-10-22T17:59:30.000Z\",\"title\":\"Breaking the Memory Barrier,\\n  [really] "          \
    "{x} \\\"y\\\"\",\"summary\":\"Contrastive\\nloss.\",\"upvotes\":64},\"publishedAt\":"         \
    "\"2024-10-25T00:57:09.392Z\",\"title\":\"Breaking\",\"thumbnail\":\"https://t/x.png\","       \
    "\"numComments\":3,\"submittedBy\":{\"name\":\"ClownRat\",\"fullname\":\"Zesen Cheng\"}" extra \
    "}"

static void test_hf_fields(void)
{
    struct got g = {0};
    int rc = run_str(hf_read, "[" HF_ITEM("2410.17243", "") "]", &g);
    ok_eq_int(rc, 0, "hf: rc");
    ok_eq_int(g.n, 1, "hf: one item");
    ok_eq_int(g.n_err, 0, "hf: no errors");
    if (g.n == 1) {
        const struct got_rec *r = &g.r[0];
        ok_eq_str(r->id, "2410.17243", "hf: id");
        ok_eq_str(r->title, "Breaking the Memory Barrier, [really] {x} \"y\"", "hf: title");
        ok_eq_str(r->abstract, "Contrastive loss.", "hf: abstract from summary");
        ok_eq_str(r->names, "Zesen Cheng|Hang Zhang", "hf: author names");
        ok_eq_str(r->last0, "Cheng", "hf: author last");
        ok_eq_str(r->created, "2024-10-22T17:59:30Z", "hf: created = paper.publishedAt");
        ok_eq_int(r->latest, 0, "hf: latest_version unknown");
        ok_eq_int(r->where, 1, "hf: where = item number");
        ok_eq_int(r->has_daily, 1, "hf: daily entry");
        ok_eq_str(r->dpid, "2410.17243", "daily: paper_id");
        ok_eq_str(r->day, "2024-10-25", "daily: day of the list");
        ok_eq_str(r->published_at, "2024-10-25T00:57:09Z", "daily: published_at");
        ok_eq_str(r->submitter, "ClownRat", "daily: submitter");
        ok_eq_str(r->submitter_name, "Zesen Cheng", "daily: submitter_name");
        ok_eq_str(r->dtitle, "Breaking", "daily: title");
        ok_eq_str(r->thumbnail, "https://t/x.png", "daily: thumbnail");
        ok_eq_int(r->upvotes, 64, "daily: upvotes");
        ok_eq_int(r->num_comments, 3, "daily: num_comments");
        ok_eq_str(r->dsource, "hf", "daily: source");
    }
    got_free(&g);

    /* One object alone; JSON lines; pretty-printed sequence. */
    rc = run_str(hf_read, "  " HF_ITEM("2410.00001", "") "  \n", &g);
    ok_eq_int(g.n, 1, "hf: single object");
    got_free(&g);
    rc = run_str(
        hf_read,
        HF_ITEM("2410.00001", "") "\n" HF_ITEM("2410.00002", "") "\n\n" HF_ITEM("2410.00003", ""),
        &g);
    ok_eq_int(rc, 0, "hf jsonl: rc");
    ok_eq_int(g.n, 3, "hf jsonl: three items");
    if (g.n == 3)
        ok_eq_int(g.r[2].where, 3, "hf jsonl: third item");
    got_free(&g);

    /* No top-level publishedAt: a paper without a daily entry. */
    rc = run_str(hf_read, "[{\"paper\":{\"id\":\"2410.00009\",\"title\":\"t\"}}]", &g);
    ok_eq_int(g.n, 1, "hf: bare item");
    if (g.n == 1) {
        ok_eq_int(g.r[0].has_daily, 0, "hf: no list date, no daily entry");
        ok_eq_int(g.r[0].n_authors, 0, "hf: no authors");
    }
    got_free(&g);

    /* Empty array. */
    ok_eq_int(run_str(hf_read, " [ ] ", &g), 0, "hf: empty array");
    ok_eq_int(g.n + g.n_err, 0, "hf: empty array has nothing");
    got_free(&g);
}

static void test_hf_errors(void)
{
    struct got g = {0};
    int rc = run_str(
        hf_read,
        "[" HF_ITEM("2410.00001", "") ",{\"nopaper\":1}," HF_ITEM(
            "2410.00003",
            "") ",{\"paper\":{\"id\":\"bogus\",\"title\":\"t\"}},"
                "{\"paper\":{\"id\":\"2410.00005\",\"title\":\"t\"}} x ,"
                "7,"
                "{\"paper\":{\"id\":\"2410.00007\"}},"
                "{\"paper\":{\"id\":\"2410.00008\",\"title\":\"brackets ]} in a string\"}}]",
        &g);
    ok_eq_int(rc, 0, "hf errors: rc");
    ok_eq_int(g.n, 3, "hf errors: three good items");
    ok_eq_int(g.n_err, 5, "hf errors: five bad items");
    if (g.n == 3) {
        ok_eq_int(g.r[0].where, 1, "item 1");
        ok_eq_int(g.r[1].where, 3, "item 3");
        ok_eq_int(g.r[2].where, 8, "item 8");
        ok_eq_str(g.r[2].title, "brackets ]} in a string", "brackets inside strings");
    }
    if (g.n_err == 5) {
        ok_eq_int(g.err_where[0], 2, "missing paper: item 2");
        ok(reason_has(&g, 0, "missing \"paper\""), "missing paper: reason");
        ok(reason_has(&g, 1, "bad arXiv id \"bogus\""), "bad id: reason");
        ok(reason_has(&g, 2, "unexpected data after the object"), "garbage: reason");
        ok(reason_has(&g, 3, "not a JSON object"), "scalar item: reason");
        ok(reason_has(&g, 4, "missing \"title\""), "missing title: reason");
    }
    got_free(&g);

    /* An array cut short: items before it, then ERR_TRUNCATED. */
    rc = run_str(hf_read, "[" HF_ITEM("2410.00001", "") "," HF_ITEM("2410.00002", "") ",{\"pa", &g);
    ok_eq_int(rc, ERR_TRUNCATED, "unclosed array: ERR_TRUNCATED");
    ok_eq_int(g.n, 2, "unclosed array: items before");
    ok_eq_int(g.n_err, 2, "unclosed array: bad item and the array");
    ok_eq_int(g.err_where[0], 3, "unclosed array: item 3 reported");
    ok_eq_int(g.err_where[1], 0, "unclosed array: whole input reported");
    got_free(&g);
    rc = run_str(hf_read, "[" HF_ITEM("2410.00001", ""), &g);
    ok_eq_int(rc, ERR_TRUNCATED, "missing ']' only: ERR_TRUNCATED");
    ok_eq_int(g.n, 1, "missing ']' only: the complete item is kept");
    got_free(&g);

    rc = run_str(hf_read, "[" HF_ITEM("2410.00001", "") "] junk", &g);
    ok_eq_int(rc, ERR_PARSE, "data after array: ERR_PARSE");
    ok_eq_int(g.n, 1, "data after array: item read");
    ok(reason_has(&g, 0, "after the top-level array"), "data after array: reason");
    got_free(&g);

    /* JSON lines with a broken line: the scanner resyncs at the next object
     * only once brackets balance, so the damage is one item. */
    rc = run_str(hf_read, HF_ITEM("2410.00001", "") "\nnot json\n" HF_ITEM("2410.00003", ""), &g);
    ok_eq_int(g.n, 2, "hf jsonl garbage: two items");
    ok_eq_int(g.n_err, 1, "hf jsonl garbage: one error");
    got_free(&g);

    /* The sink can stop the reader. */
    g.stop_at = 1;
    rc = run_str(hf_read, "[" HF_ITEM("2410.00001", "") "," HF_ITEM("2410.00002", "") "]", &g);
    ok_eq_int(rc, 99, "hf: sink stop code");
    ok_eq_int(g.n, 1, "hf: stopped after one");
    got_free(&g);
}

static void test_hf_big(void)
{
    /* An item bigger than a read chunk, then one over the cap. */
    struct buf b;
    buf_init(&b, 0);
    buf_append_str(&b, "[{\"paper\":{\"id\":\"2410.00001\",\"title\":\"t\",\"summary\":\"");
    for (int i = 0; i < 20000; i++)
        buf_append_str(&b, "a[b]{c}\\\" ");
    buf_append_str(&b, "\"}},{\"paper\":{\"id\":\"2410.00002\",\"title\":\"t\",\"summary\":\"");
    char *fill = xmalloc(5u << 20);
    memset(fill, 'y', 5u << 20);
    buf_append(&b, fill, 5u << 20);
    free(fill);
    buf_append_str(&b, "\"}},{\"paper\":{\"id\":\"2410.00003\",\"title\":\"t\"}}]");
    struct got g = {0};
    int rc = run_mem(hf_read, b.p, b.len, &g);
    ok_eq_int(rc, 0, "hf big: rc");
    ok_eq_int(g.n, 2, "hf big: two items");
    ok_eq_int(g.n_err, 1, "hf big: one too large");
    ok(reason_has(&g, 0, "too large"), "hf big: reason");
    ok_eq_int(g.err_where[0], 2, "hf big: item 2");
    if (g.n == 2) {
        ok_eq_int(strlen(g.r[0].abstract), 20000 * 9 - 1, "hf big: 180 KB summary intact");
        ok_eq_int(g.r[1].where, 3, "hf big: item 3 after the big one");
    }
    got_free(&g);

    /* gzip, whole and cut. */
    buf_reset(&b);
    buf_append_str(&b, "[");
    for (int i = 1; i <= 2000; i++)
        buf_appendf(&b, "%s" HF_ITEM("2410.%05d", ",\"n\":\"%x\""), i > 1 ? "," : "", i,
                    (unsigned)(i * 2654435761u));
    buf_append_str(&b, "]");
    char *path = write_temp(b.p, b.len, 1);
    rc = run_file(hf_read, path, &g);
    ok_eq_int(rc, 0, "hf gz: rc");
    ok_eq_int(g.n, 2000, "hf gz: all items");
    got_free(&g);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    ok(truncate(path, size / 2) == 0, "hf gz: cut");
    rc = run_file(hf_read, path, &g);
    ok_eq_int(rc, ERR_TRUNCATED, "hf truncated gz: ERR_TRUNCATED");
    ok(g.n > 10 && g.n < 2000, "hf truncated gz: items before the cut");
    ok(g.n_err == 1 && g.err_where[0] == 0 && reason_has(&g, 0, "truncated"),
       "hf truncated gz: one error about the input");
    got_free(&g);
    unlink(path);
    free(path);
    buf_cleanup(&b);
}

static void test_hf_shared(void)
{
    char path[4096];
    if (!shared_path(path, sizeof path, "data/hf/daily_papers_2024-10-25_first9.json")) {
        ok_skip("hf daily papers sample", "no $SHARED data");
        return;
    }
    struct got g = {0};
    int rc = run_file(hf_read, path, &g);
    ok_eq_int(rc, 0, "hf sample: rc");
    ok_eq_int(g.n, 9, "hf sample: 9 items");
    ok_eq_int(g.n_err, 0, "hf sample: no errors");
    const struct got_rec *r = find_id(&g, "2410.17243");
    ok(r != NULL, "hf sample: 2410.17243");
    if (r) {
        ok_eq_int(r->n_authors, 9, "2410.17243: 9 authors");
        ok_eq_str(r->last0, "Cheng", "2410.17243: first author");
        ok_eq_str(r->day, "2024-10-25", "2410.17243: day");
        ok_eq_str(r->submitter, "ClownRat", "2410.17243: submitter");
        ok_eq_int(r->upvotes, 64, "2410.17243: upvotes");
        ok_eq_int(r->num_comments, 3, "2410.17243: comments");
        ok_eq_str(r->created, "2024-10-22T17:59:30Z", "2410.17243: created");
    }
    size_t daily = 0;
    for (size_t i = 0; i < g.n; i++)
        daily += g.r[i].has_daily && g.r[i].day && strcmp(g.r[i].day, "2024-10-25") == 0;
    ok_eq_int(daily, 9, "hf sample: all on the 2024-10-25 list");
    got_free(&g);
}

/* ------------------------------------------------------------------ */
/* Line reader and detection                                           */
/* ------------------------------------------------------------------ */

static void test_lines(void)
{
    const char *text = "a\n\nbb\r\nccc";
    struct ingest_input *in;
    ingest_input_mem("m", text, strlen(text), &in);
    struct line_reader lr;
    line_reader_init(&lr, in, 16);
    const char *p;
    size_t len;
    int nl;
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 1, "lines: first");
    ok(len == 1 && p[0] == 'a' && nl, "lines: 'a'");
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 1, "lines: empty line");
    ok_eq_int(len, 0, "lines: empty");
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 1, "lines: third");
    ok(len == 3 && memcmp(p, "bb\r", 3) == 0, "lines: CR kept");
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 1, "lines: last");
    ok(len == 3 && !nl, "lines: last without newline");
    ok_eq_int(lr.lineno, 4, "lines: numbered");
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 0, "lines: end");
    ok_eq_int(line_reader_next(&lr, &p, &len, &nl), 0, "lines: end stays");
    line_reader_cleanup(&lr);
    ingest_input_close(in);
}

static enum ingest_format detect_str(const char *s, size_t len)
{
    struct ingest_input *in;
    ingest_input_mem("m", s, len, &in);
    enum ingest_format f = ingest_detect(in);
    /* Detection does not consume: the first byte is still there. */
    char c = 0;
    ssize_t got = ingest_input_read(in, &c, 1);
    if (len > 0 && (got != 1 || c != s[0]))
        f = (enum ingest_format) - 1;
    ingest_input_close(in);
    return f;
}

#define DETECT(s) detect_str((s), sizeof(s) - 1)

static void test_detect(void)
{
    ok_eq_int(DETECT("{\"id\":\"0704.0001\",\"title\":\"x\"}\n"), INGEST_FORMAT_KAGGLE,
              "detect: kaggle");
    ok_eq_int(DETECT("\xEF\xBB\xBF \n {\"id\":\"0704.0001\"}"), INGEST_FORMAT_KAGGLE,
              "detect: BOM and whitespace skipped");
    ok_eq_int(DETECT("[{\"paper\":{}}]"), INGEST_FORMAT_HF, "detect: hf array");
    ok_eq_int(DETECT("{\"paper\":{\"id\":\"2410.1\"},\"title\":\"x\"}\n"), INGEST_FORMAT_HF,
              "detect: hf jsonl");
    ok_eq_int(DETECT("{\n  \"paper\": {\n    \"id\": \"2410.1\"\n  }\n}\n"), INGEST_FORMAT_HF,
              "detect: hf pretty object");
    ok_eq_int(DETECT("{\"title\":\"paper\",\"x\":{\"paper\":1}}"), INGEST_FORMAT_KAGGLE,
              "detect: \"paper\" as a value or nested key is not hf");
    ok_eq_int(DETECT("<?xml version=\"1.0\"?>\n<OAI-PMH xmlns=\"x\">"), INGEST_FORMAT_OAI,
              "detect: oai");
    ok_eq_int(DETECT("<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
              INGEST_FORMAT_ATOM, "detect: atom");
    ok_eq_int(DETECT("<html><body>nope</body></html>"), INGEST_FORMAT_UNKNOWN, "detect: other XML");
    ok_eq_int(DETECT("{\"id\":\0\"x\"}"), INGEST_FORMAT_UNKNOWN, "detect: NUL byte");
    ok_eq_int(DETECT("\x1f\x8b\x08\x00\xff\xfe\x00\x01"), INGEST_FORMAT_UNKNOWN, "detect: binary");
    ok_eq_int(DETECT("{\"id\":\"\xC3\x28\"}"), INGEST_FORMAT_UNKNOWN, "detect: invalid UTF-8");
    ok_eq_int(DETECT("hello"), INGEST_FORMAT_UNKNOWN, "detect: text");
    ok_eq_int(DETECT(""), INGEST_FORMAT_UNKNOWN, "detect: empty");
    ok_eq_int(DETECT("  \n "), INGEST_FORMAT_UNKNOWN, "detect: blank");

    /* A multi-byte character cut by the end of the 4096-byte peek. */
    char big[5000];
    memset(big, ' ', sizeof big);
    big[0] = '{';
    memcpy(big + 4095, "\xC3\xA9", 2);
    ok_eq_int(detect_str(big, sizeof big), INGEST_FORMAT_KAGGLE, "detect: cut UTF-8 at peek end");

    ok_eq_str(ingest_format_name(INGEST_FORMAT_KAGGLE), "kaggle", "name kaggle");
    ok_eq_str(ingest_format_name(INGEST_FORMAT_HF), "hf", "name hf");
    ok_eq_str(ingest_format_name(INGEST_FORMAT_OAI), "oai", "name oai");
    ok_eq_str(ingest_format_name(INGEST_FORMAT_ATOM), "atom", "name atom");
    ok_eq_str(ingest_format_name(INGEST_FORMAT_UNKNOWN), "unknown", "name unknown");

    /* gzip is looked through. */
    const char *k = "{\"id\":\"0704.0001\",\"title\":\"x\"}\n";
    char *path = write_temp(k, strlen(k), 1);
    struct ingest_input *in;
    if (ingest_input_open(path, &in) == 0) {
        ok_eq_int(ingest_detect(in), INGEST_FORMAT_KAGGLE, "detect: gzip kaggle");
        ingest_input_close(in);
    }
    unlink(path);
    free(path);

    static const struct {
        const char *rel;
        enum ingest_format want;
    } files[] = {
        {"data/arxiv/kaggle-snapshot-head-200.jsonl", INGEST_FORMAT_KAGGLE},
        {"data/arxiv/arxiv-abs-1130.jsonl", INGEST_FORMAT_KAGGLE},
        {"data/hf/daily_papers_2024-10-25_first9.json", INGEST_FORMAT_HF},
        {"data/arxiv/oai/hepcrawl_arxiv-single.xml", INGEST_FORMAT_OAI},
        {"data/arxiv/oai/hepcrawl_sample_arxiv_record.xml", INGEST_FORMAT_OAI},
        {"data/arxiv/api/atom-1601.00001.xml", INGEST_FORMAT_ATOM},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[4096];
        if (!shared_path(p, sizeof p, files[i].rel)) {
            ok_skip(files[i].rel, "no $SHARED data");
            continue;
        }
        if (ingest_input_open(p, &in) != 0) {
            ok(0, files[i].rel);
            continue;
        }
        ok_eq_int(ingest_detect(in), files[i].want, files[i].rel);
        ingest_input_close(in);
    }
}

int main(void)
{
    test_lines();
    test_kaggle_fields();
    test_kaggle_errors();
    test_kaggle_long_line();
    test_kaggle_gzip();
    test_kaggle_shared();
    test_hf_fields();
    test_hf_errors();
    test_hf_big();
    test_hf_shared();
    test_detect();
    return ok_done();
}
