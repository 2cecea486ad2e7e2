/*
 * test_ingest_xml.c - the OAI-PMH and Atom readers (oai.c, atom.c) and
 * their libxml2 wrapper (xml_stream.c).
 *
 * Fixtures live in tests/fixtures/xml/ (run from the repository root, as
 * scripts/run-tests.sh does); damaged, truncated and hostile documents are
 * built in memory here. The real arXiv samples under $SHARED/data are read
 * when present and skipped otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ingest/input.h"
#include "ingest/oai.h"
#include "ingest/reader.h"
#include "ok.h"
#include "store/paper.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define FIX "tests/fixtures/xml/"

/* ------------------------------------------------------------------------- */
/* A sink that keeps deep copies of what it is given                         */
/* ------------------------------------------------------------------------- */

#define MAXREC 64

struct got {
    struct paper p[MAXREC];
    long where[MAXREC];
    int n;
    long err_where[MAXREC];
    char *err[MAXREC];
    int nerr;
    int stop_after; /* on_record returns ERR_INVALID after this many (0: never) */
};

static char *dup0(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void paper_copy(struct paper *d, const struct paper *s)
{
    paper_init(d);
    d->id = dup0(s->id);
    d->title_raw = dup0(s->title_raw);
    d->title = dup0(s->title);
    d->abstract_raw = dup0(s->abstract_raw);
    d->abstract = dup0(s->abstract);
    d->authors_raw = dup0(s->authors_raw);
    d->primary_category = dup0(s->primary_category);
    d->categories = dup0(s->categories);
    d->comments = dup0(s->comments);
    d->journal_ref = dup0(s->journal_ref);
    d->doi = dup0(s->doi);
    d->report_no = dup0(s->report_no);
    d->license = dup0(s->license);
    d->submitter = dup0(s->submitter);
    d->created = dup0(s->created);
    d->updated = dup0(s->updated);
    for (size_t i = 0; i < s->n_authors; i++) {
        const struct paper_author *a = &s->authors[i];
        paper_add_author(d, a->name, a->last, a->first, a->suffix);
        d->authors[i].affiliation = dup0(a->affiliation);
    }
    for (size_t i = 0; i < s->n_versions; i++)
        paper_add_version(d, s->versions[i].num, s->versions[i].date, s->versions[i].size);
    d->latest_version = s->latest_version;
}

static int got_record(void *ctx, const struct ingest_record *rec)
{
    struct got *g = ctx;
    if (g->n < MAXREC) {
        paper_copy(&g->p[g->n], rec->paper);
        g->where[g->n] = rec->where;
        g->n++;
    }
    if (g->stop_after && g->n >= g->stop_after)
        return ERR_INVALID;
    return 0;
}

static void got_error(void *ctx, long where, const char *reason)
{
    struct got *g = ctx;
    if (g->nerr < MAXREC) {
        g->err_where[g->nerr] = where;
        g->err[g->nerr] = xstrdup(reason);
        g->nerr++;
    }
}

static void got_init(struct got *g)
{
    memset(g, 0, sizeof *g);
}

static void got_cleanup(struct got *g)
{
    for (int i = 0; i < g->n; i++)
        paper_cleanup(&g->p[i]);
    for (int i = 0; i < g->nerr; i++)
        free(g->err[i]);
    memset(g, 0, sizeof *g);
}

/* Does any error message contain needle? */
static int got_err_has(const struct got *g, const char *needle)
{
    for (int i = 0; i < g->nerr; i++)
        if (strstr(g->err[i], needle))
            return 1;
    return 0;
}

static const struct paper *got_find(const struct got *g, const char *id)
{
    for (int i = 0; i < g->n; i++)
        if (g->p[i].id && strcmp(g->p[i].id, id) == 0)
            return &g->p[i];
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* Running the readers                                                       */
/* ------------------------------------------------------------------------- */

enum which { OAI, ATOM };

static int run_mem(enum which w, const char *doc, size_t len, struct got *g,
                   struct oai_page *pg /* may be NULL */)
{
    struct ingest_input *in = NULL;
    struct ingest_sink sink = {got_record, got_error, g};
    int rc = ingest_input_mem("mem", doc, len, &in);
    if (rc == 0) {
        if (w == ATOM)
            rc = atom_read(in, &sink);
        else if (pg)
            rc = oai_read_page(in, &sink, pg);
        else
            rc = oai_read(in, &sink);
    }
    ingest_input_close(in);
    return rc;
}

static int run_file(enum which w, const char *path, struct got *g, struct oai_page *pg)
{
    struct ingest_input *in = NULL;
    struct ingest_sink sink = {got_record, got_error, g};
    int rc = ingest_input_open(path, &in);
    if (rc != 0)
        return rc;
    if (w == ATOM)
        rc = atom_read(in, &sink);
    else if (pg)
        rc = oai_read_page(in, &sink, pg);
    else
        rc = oai_read(in, &sink);
    ingest_input_close(in);
    return rc;
}

/* Reads a whole file into a malloc'ed buffer; NULL if it cannot. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 0);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    *len = b.len;
    return b.p ? buf_steal(&b) : xstrdup("");
}

/* ------------------------------------------------------------------------- */
/* OAI-PMH, arXiv format                                                     */
/* ------------------------------------------------------------------------- */

static void test_oai_arxiv(void)
{
    struct got g;
    struct oai_page pg;
    got_init(&g);
    oai_page_init(&pg);
    int rc = run_file(OAI, FIX "oai-arxiv-list.xml", &g, &pg);
    ok_eq_int(rc, 0, "arXiv ListRecords: read to the end");
    ok_eq_int(g.n, 2, "arXiv ListRecords: two good records emitted");
    ok_eq_int(pg.records, 2, "arXiv ListRecords: page counts 2 records");
    ok_eq_int(pg.deleted, 1, "arXiv ListRecords: one deleted record counted");
    ok_eq_str(pg.token, "6960524|1001", "resumptionToken text");
    ok_eq_int(pg.cursor, 0, "resumptionToken cursor");
    ok_eq_int(pg.complete_size, 2345, "resumptionToken completeListSize");
    ok_eq_str(pg.response_date, "2024-05-01T10:00:00Z", "responseDate");
    ok(pg.error_code == NULL, "no OAI error");

    const struct paper *p = g.n > 0 ? &g.p[0] : NULL;
    ok(p != NULL, "first record present");
    if (p) {
        ok_eq_int(g.where[0], 1, "first record is record 1");
        ok_eq_str(p->id, "0704.0001", "id");
        ok_eq_str(p->title, "Calculation of prompt diphoton production cross sections at "
                            "Tevatron and LHC energies",
                  "title folded");
        ok_eq_str(p->title_raw, "Calculation of prompt diphoton production cross sections at "
                                "Tevatron and\n  LHC energies",
                  "title_raw kept as given");
        ok_eq_str(p->abstract, "A fully differential calculation in perturbative quantum "
                               "chromodynamics is presented & compared to data.",
                  "abstract folded, entity decoded");
        ok(p->abstract_raw && strncmp(p->abstract_raw, "  A fully", 9) == 0,
           "abstract_raw keeps leading spaces");
        ok_eq_int(p->n_authors, 2, "two authors");
        if (p->n_authors == 2) {
            ok_eq_str(p->authors[0].name, "C. Bal\xc3\xa1zs", "author name TeX-decoded");
            ok_eq_str(p->authors[0].last, "Bal\xc3\xa1zs", "author keyname");
            ok_eq_str(p->authors[0].first, "C.", "author forenames");
            ok_eq_str(p->authors[1].name, "C. -P. Yuan Jr", "name with suffix");
            ok_eq_str(p->authors[1].suffix, "Jr", "suffix");
            ok_eq_str(p->authors[1].affiliation, "Michigan State University; CERN",
                      "affiliations joined");
        }
        ok_eq_str(p->authors_raw, "C. Bal\\'azs, C. -P. Yuan Jr", "authors_raw as written");
        ok_eq_str(p->categories, "hep-ph math.CO", "categories");
        ok_eq_str(p->primary_category, "hep-ph", "primary = first category");
        ok_eq_str(p->comments, "37 pages, 15 figures; published version", "comments folded");
        ok_eq_str(p->report_no, "ANL-HEP-PR-07-12", "report-no");
        ok_eq_str(p->journal_ref, "Phys.Rev.D76:013009,2007", "journal-ref");
        ok_eq_str(p->doi, "10.1103/PhysRevD.76.013009", "doi");
        ok_eq_str(p->license, "http://arxiv.org/licenses/nonexclusive-distrib/1.0/", "license");
        ok_eq_str(p->created, "2007-04-02", "created");
        ok_eq_str(p->updated, "2008-11-13", "updated");
        ok_eq_int(p->latest_version, 0, "arXiv format has no version number");
        ok_eq_int(p->n_versions, 0, "arXiv format has no versions");
        ok(p->submitter == NULL, "no submitter in arXiv format");
    }
    p = got_find(&g, "math/0309136");
    ok(p != NULL, "old-style id record present");
    if (p) {
        ok_eq_str(p->title, "A <CDATA> title", "CDATA title");
        ok_eq_str(p->created, "2003-09-08", "created");
        ok_eq_str(p->updated, "2003-09-08", "updated falls back to created");
        ok_eq_str(p->authors_raw, "Planck Collaboration", "keyname-only author");
        ok_eq_int(p->n_authors, 1, "one author");
        ok(p->abstract && strcmp(p->abstract, "Short.") == 0, "abstract");
        ok(p->comments == NULL && p->doi == NULL, "absent fields are NULL");
        ok_eq_int(g.where[1], 3, "record number counts the deleted record");
    }
    ok_eq_int(g.nerr, 2, "two malformed records reported");
    if (g.nerr == 2) {
        ok_eq_int(g.err_where[0], 4, "no-title record is record 4");
        ok(strstr(g.err[0], "no title") != NULL, "reason: no title");
        ok_eq_int(g.err_where[1], 5, "bad-id record is record 5");
        ok(strstr(g.err[1], "invalid arXiv id") != NULL, "reason: invalid id");
    }
    oai_page_cleanup(&pg);
    got_cleanup(&g);
}

/* ------------------------------------------------------------------------- */
/* OAI-PMH, arXivRaw format                                                  */
/* ------------------------------------------------------------------------- */

static void test_oai_arxivraw(void)
{
    struct got g;
    struct oai_page pg;
    got_init(&g);
    oai_page_init(&pg);
    int rc = run_file(OAI, FIX "oai-arxivraw-list.xml", &g, &pg);
    ok_eq_int(rc, 0, "arXivRaw ListRecords: read to the end");
    ok_eq_int(g.n, 2, "arXivRaw: two records");
    ok_eq_int(g.nerr, 0, "arXivRaw: no errors");
    ok(pg.token != NULL && pg.token[0] == '\0', "empty resumptionToken: list complete");
    ok_eq_int(pg.cursor, 1001, "empty token still has cursor");
    ok_eq_int(pg.complete_size, 1003, "empty token still has completeListSize");
    const struct paper *p = got_find(&g, "2401.12345");
    ok(p != NULL, "2401.12345 present");
    if (p) {
        ok_eq_str(p->title, "Attention Is Still All You Need", "title folded");
        ok_eq_str(p->submitter, "Jane Doe", "submitter");
        ok_eq_int(p->latest_version, 2, "latest version 2");
        ok_eq_int(p->n_versions, 2, "two versions");
        if (p->n_versions == 2) {
            ok_eq_str(p->versions[0].date, "2024-01-22T18:59:59Z", "v1 date normalised");
            ok_eq_str(p->versions[0].size, "512kb", "v1 size");
            ok_eq_str(p->versions[1].date, "2024-04-30T09:01:02Z", "v2 date normalised");
        }
        ok_eq_str(p->created, "2024-01-22T18:59:59Z", "created = v1 date");
        ok_eq_str(p->updated, "2024-04-30T09:01:02Z", "updated = latest version date");
        ok_eq_str(p->authors_raw, "Jane Doe, John Smith and Ana Lee", "authors_raw folded");
        ok_eq_int(p->n_authors, 3, "authors split into 3");
        if (p->n_authors == 3)
            ok_eq_str(p->authors[2].name, "Ana Lee", "third author");
        ok_eq_str(p->primary_category, "cs.LG", "primary category");
        ok_eq_str(p->categories, "cs.LG stat.ML", "categories");
        ok_eq_str(p->license, "http://creativecommons.org/licenses/by/4.0/", "license");
        ok_eq_str(p->comments, "12 pages", "comments");
    }
    p = got_find(&g, "hep-th/9901001");
    ok(p != NULL, "hep-th/9901001 present");
    if (p) {
        ok_eq_int(p->latest_version, 1, "one version");
        ok_eq_str(p->created, "1999-01-01T00:00:01Z", "created");
        ok_eq_str(p->updated, "1999-01-01T00:00:01Z", "updated = v1 when only v1");
        ok_eq_str(p->doi, "10.1000/xyz", "doi");
        ok_eq_str(p->journal_ref, "Nucl.Phys. B1 (1999) 1", "journal-ref");
        ok_eq_str(p->report_no, "REP-1", "report-no");
    }
    oai_page_cleanup(&pg);
    got_cleanup(&g);
}

static void test_oai_getrecord_and_errors(void)
{
    struct got g;
    struct oai_page pg;
    got_init(&g);
    oai_page_init(&pg);
    int rc = run_file(OAI, FIX "oai-getrecord.xml", &g, &pg);
    ok_eq_int(rc, 0, "GetRecord (arXiv without xmlns, undeclared prefix) reads");
    ok_eq_int(g.n, 1, "GetRecord: one record");
    if (g.n == 1) {
        ok_eq_str(g.p[0].id, "1601.03238", "GetRecord id");
        ok_eq_str(g.p[0].authors_raw, "Jieci Wang", "GetRecord author");
    }
    ok(pg.token == NULL, "no resumptionToken element: token NULL");
    ok_eq_int(pg.cursor, -1, "cursor absent = -1");
    got_cleanup(&g);

    rc = run_file(OAI, FIX "oai-norecords.xml", &g, &pg);
    ok_eq_int(rc, 0, "noRecordsMatch page reads");
    ok_eq_str(pg.error_code, "noRecordsMatch", "error code noRecordsMatch");
    ok_eq_str(pg.error_message, "No records match the request", "error message");
    ok_eq_int(pg.records, 0, "no records");
    ok(pg.token == NULL, "page reset between reads");
    got_cleanup(&g);

    rc = run_file(OAI, FIX "oai-badtoken.xml", &g, &pg);
    ok_eq_int(rc, 0, "badResumptionToken page reads");
    ok_eq_str(pg.error_code, "badResumptionToken", "error code badResumptionToken");
    ok_eq_str(pg.error_message, "The value of the resumptionToken argument is invalid or expired.",
              "error message folded");
    got_cleanup(&g);

    /* oai_read (whole-file reader) reports protocol errors, but not noRecordsMatch. */
    rc = run_file(OAI, FIX "oai-badtoken.xml", &g, NULL);
    ok_eq_int(rc, 0, "oai_read on an error page returns 0");
    ok(got_err_has(&g, "badResumptionToken"), "oai_read reports the protocol error");
    got_cleanup(&g);
    rc = run_file(OAI, FIX "oai-norecords.xml", &g, NULL);
    ok_eq_int(g.nerr, 0, "oai_read is quiet about noRecordsMatch");
    got_cleanup(&g);
    oai_page_cleanup(&pg);
}

static void test_oai_edges(void)
{
    struct got g;
    got_init(&g);
    const char *doc =
        "<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords>"
        /* 1: no <id> in the metadata: the header identifier stands in */
        "<record><header><identifier>oai:arXiv.org:0704.0001</identifier></header>"
        "<metadata><arXiv><title>From the header</title><created>2007-04-02</created>"
        "</arXiv></metadata></record>"
        /* 2: a format we do not read */
        "<record><header><identifier>oai:arXiv.org:0704.0002</identifier></header>"
        "<metadata><oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'>"
        "<title>x</title></oai_dc:dc></metadata></record>"
        /* 3: no metadata and not deleted */
        "<record><header><identifier>oai:arXiv.org:0704.0003</identifier></header></record>"
        /* 4: arXivRaw with a bad version attribute */
        "<record><header/><metadata><arXivRaw><id>0704.0004</id><title>T</title>"
        "<version version='first'><date>Mon, 2 Apr 2007 19:18:42 GMT</date></version>"
        "</arXivRaw></metadata></record>"
        /* 5: arXivRaw, versions out of order, unknown date, prefixed names */
        "<record><header/><metadata><r:arXivRaw xmlns:r='http://arxiv.org/OAI/arXivRaw/'>"
        "<r:id>arXiv:0704.0005v3</r:id><r:title>T5</r:title>"
        "<r:version version='v2'><r:date>not a date</r:date></r:version>"
        "<r:version version='v1'><r:date>Mon, 2 Apr 2007 19:18:42 GMT</r:date></r:version>"
        "<r:authors/><r:categories></r:categories></r:arXivRaw></metadata></record>"
        "<resumptionToken completeListSize='x'>  tok  </resumptionToken>"
        "</ListRecords></OAI-PMH>";
    struct oai_page pg;
    oai_page_init(&pg);
    int rc = run_mem(OAI, doc, strlen(doc), &g, &pg);
    ok_eq_int(rc, 0, "edge records: read to the end");
    ok_eq_int(g.n, 2, "edge records: two emitted");
    const struct paper *p = got_find(&g, "0704.0001");
    ok(p != NULL, "id taken from the header identifier when <id> is absent");
    p = got_find(&g, "0704.0005");
    ok(p != NULL, "prefixed arXivRaw read by local name, id wrapper stripped");
    if (p) {
        ok_eq_int(p->n_versions, 2, "versions sorted");
        ok(p->n_versions == 2 && p->versions[0].num == 1, "v1 first");
        ok_eq_str(p->created, "2007-04-02T19:18:42Z", "created from v1 though listed second");
        ok(p->updated == NULL, "latest version's date unknown: updated NULL");
        ok(p->categories == NULL && p->primary_category == NULL, "empty categories: NULL");
        ok(p->authors_raw == NULL && p->n_authors == 0, "empty authors: none");
    }
    ok_eq_int(g.nerr, 3, "three malformed records reported");
    ok(got_err_has(&g, "unsupported metadata format <dc>"), "unsupported format named");
    ok(got_err_has(&g, "no arXiv or arXivRaw metadata"), "record without metadata");
    ok(got_err_has(&g, "bad version number"), "bad version attribute");
    ok_eq_str(pg.token, "tok", "token trimmed");
    ok_eq_int(pg.complete_size, -1, "non-numeric completeListSize ignored");
    oai_page_cleanup(&pg);
    got_cleanup(&g);
}

/* ------------------------------------------------------------------------- */
/* Damaged documents                                                         */
/* ------------------------------------------------------------------------- */

/* Builds an OAI page of n small arXiv records, with extra inserted right
 * after record `after` (0: none). */
static char *make_oai(int n, int after, const char *extra, size_t *len)
{
    struct buf b;
    buf_init(&b, 0);
    buf_append_str(&b, "<?xml version=\"1.0\"?>\n<OAI-PMH xmlns=\"http://www.openarchives.org/"
                       "OAI/2.0/\">\n<responseDate>2024-01-01T00:00:00Z</responseDate>\n"
                       "<ListRecords>\n");
    for (int i = 1; i <= n; i++) {
        buf_appendf(&b,
                    "<record><header><identifier>oai:arXiv.org:2401.%05d</identifier></header>"
                    "<metadata><arXiv><id>2401.%05d</id><created>2024-01-02</created>"
                    "<title>Paper %d</title><categories>cs.AI</categories>"
                    "<abstract>Abstract %d.</abstract></arXiv></metadata></record>\n",
                    i, i, i, i);
        if (i == after)
            buf_append_str(&b, extra);
    }
    buf_append_str(&b, "</ListRecords>\n</OAI-PMH>\n");
    *len = b.len;
    return buf_steal(&b);
}

static void test_damage(void)
{
    struct got g;
    got_init(&g);
    size_t len;

    /* Damage right after record 3 of 6: the three before are kept. */
    char *doc = make_oai(6, 3, "<oops a=1/>", &len);
    int rc = run_mem(OAI, doc, len, &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "damage mid-file: ERR_PARSE");
    ok_eq_int(g.n, 3, "damage mid-file: the 3 records before it are kept");
    ok(g.nerr == 1 && strncmp(g.err[0], "XML error at line ", 18) == 0,
       "damage reported as XML error at line L");
    ok(g.nerr == 1 && g.err_where[0] == 0, "damage between records: where 0");
    free(doc);
    got_cleanup(&g);

    /* Damage inside record 5 (a bare &): records 1-4 kept, where = 5. */
    doc = make_oai(6, 0, "", &len);
    char *p = strstr(doc, "<title>Paper 5</title>");
    memcpy(p + 7, "P&per", 5);
    rc = run_mem(OAI, doc, len, &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "bare & in record 5: ERR_PARSE");
    ok_eq_int(g.n, 4, "records before the damaged one kept");
    ok(g.nerr == 1 && g.err_where[0] == 5, "error names record 5");
    free(doc);
    got_cleanup(&g);

    /* Mismatched end tag on the very last line is damage, not truncation. */
    doc = make_oai(2, 0, "", &len);
    p = strstr(doc, "</OAI-PMH>");
    memcpy(p, "</OAI-PMX>", 10);
    rc = run_mem(OAI, doc, len, &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "bad end tag on the last line: ERR_PARSE");
    ok_eq_int(g.n, 2, "both records kept");
    free(doc);
    got_cleanup(&g);

    /* Extra content after the root is damage too. */
    doc = make_oai(2, 0, "", &len);
    struct buf b;
    buf_init(&b, 0);
    buf_append(&b, doc, len);
    buf_append_str(&b, "<second-root/>");
    rc = run_mem(OAI, b.p, b.len, &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "content after the root: ERR_PARSE");
    ok_eq_int(g.n, 2, "records kept");
    buf_cleanup(&b);
    free(doc);
    got_cleanup(&g);

    /* Truncation at many points: ERR_TRUNCATED, records before the cut kept. */
    doc = make_oai(5, 0, "", &len);
    int bad = 0, monotone = 1, last_n = 0;
    for (size_t cut = 0; cut + 2 < len; cut += 7) {
        rc = run_mem(OAI, doc, cut, &g, NULL);
        if (rc != ERR_TRUNCATED) {
            if (!bad)
                printf("#   cut %zu gave %d: %s\n", cut, rc, g.nerr ? g.err[0] : "");
            bad++;
        }
        if (g.n < last_n)
            monotone = 0;
        last_n = g.n;
        got_cleanup(&g);
    }
    ok_eq_int(bad, 0, "every cut point gives ERR_TRUNCATED");
    ok(monotone, "records kept grow with the cut point");
    /* Multi-line comments, attribute values and CDATA: libxml2 reports a cut
     * inside them at the line where they began. */
    const char *ml = "<OAI-PMH><ListRecords>\n<record><header/><metadata><arXiv><id>2401.00001"
                     "</id><title>T</title></arXiv></metadata></record>\n<!-- a comment\n"
                     "spanning\nlines\n-->\n<record><header a=\"multi\nline\nattr\"/><metadata>"
                     "<arXiv><id>2401.00002</id><title><![CDATA[line1\nline2\nline3]]></title>"
                     "</arXiv></metadata></record>\n</ListRecords></OAI-PMH>\n";
    int mlbad = 0;
    for (size_t cut = 0; cut + 2 < strlen(ml); cut++) {
        rc = run_mem(OAI, ml, cut, &g, NULL);
        if (rc != ERR_TRUNCATED && !mlbad++)
            printf("#   multi-line cut %zu gave %d: %s\n", cut, rc, g.nerr ? g.err[0] : "");
        got_cleanup(&g);
    }
    ok_eq_int(mlbad, 0, "cuts inside multi-line constructs give ERR_TRUNCATED");
    rc = run_mem(OAI, doc, len / 2, &g, NULL);
    ok(g.n >= 1 && g.n < 5, "cut in half keeps the records before the cut");
    ok(g.nerr == 1 && strstr(g.err[0], "ends early") != NULL, "truncation reported");
    got_cleanup(&g);
    rc = run_mem(OAI, doc, 0, &g, NULL);
    ok_eq_int(rc, ERR_TRUNCATED, "empty input: ERR_TRUNCATED");
    ok_eq_int(g.nerr, 1, "empty input reported");
    got_cleanup(&g);

    /* A gzip file cut short: the input layer says ERR_TRUNCATED. */
    char path[] = "/tmp/paperboy-test-xml-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        gzFile gz = gzdopen(fd, "wb");
        gzwrite(gz, doc, (unsigned)len);
        gzclose(gz);
        size_t zlen = 0;
        char *z = slurp(path, &zlen);
        if (!z)
            z = xstrdup("");
        FILE *f;
        rc = run_file(OAI, path, &g, NULL);
        ok(rc == 0 && g.n == 5, "gzip input read whole");
        got_cleanup(&g);
        f = fopen(path, "wb");
        fwrite(z, 1, zlen / 2, f);
        fclose(f);
        free(z);
        rc = run_file(OAI, path, &g, NULL);
        ok_eq_int(rc, ERR_TRUNCATED, "gzip cut short: ERR_TRUNCATED");
        got_cleanup(&g);
        remove(path);
    }
    free(doc);

    /* Not OAI-PMH at all. */
    rc = run_file(OAI, FIX "atom-old.xml", &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "Atom given to the OAI reader: ERR_PARSE");
    ok(got_err_has(&g, "not an OAI-PMH response"), "clear reason for non-OAI");
    got_cleanup(&g);
    rc = run_file(ATOM, FIX "oai-getrecord.xml", &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "OAI given to the Atom reader: ERR_PARSE");
    ok(got_err_has(&g, "not an Atom feed"), "clear reason for non-Atom");
    got_cleanup(&g);
    const char *junk = "{\"id\": \"2401.00001\"}\n";
    rc = run_mem(OAI, junk, strlen(junk), &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "JSON given to the OAI reader: ERR_PARSE");
    got_cleanup(&g);

    /* The sink can stop the reader. */
    doc = make_oai(5, 0, "", &len);
    g.stop_after = 2;
    rc = run_mem(OAI, doc, len, &g, NULL);
    ok_eq_int(rc, ERR_INVALID, "on_record's code stops the reader");
    ok_eq_int(g.n, 2, "stopped after 2");
    free(doc);
    got_cleanup(&g);
}

/* ------------------------------------------------------------------------- */
/* Hostile documents                                                         */
/* ------------------------------------------------------------------------- */

static void test_hostile(void)
{
    struct got g;
    got_init(&g);

    /* Billion laughs: entities are never expanded. */
    struct buf b;
    buf_init(&b, 0);
    buf_append_str(&b, "<?xml version=\"1.0\"?>\n<!DOCTYPE OAI-PMH [\n<!ENTITY a0 \"lol\">\n");
    for (int i = 1; i < 12; i++)
        buf_appendf(&b, "<!ENTITY a%d \"&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;\">\n",
                    i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
    buf_append_str(&b, "]>\n<OAI-PMH><ListRecords><record><header><identifier>x</identifier>"
                       "</header><metadata><arXiv><id>2401.00001</id><title>T &a11;</title>"
                       "</arXiv></metadata></record></ListRecords></OAI-PMH>\n");
    int rc = run_mem(OAI, b.p, b.len, &g, NULL);
    ok(rc == 0 || rc == ERR_PARSE, "billion laughs: finishes");
    ok(g.n == 0 || (g.p[0].title && strlen(g.p[0].title) < 100),
       "billion laughs: entity not expanded");
    buf_cleanup(&b);
    got_cleanup(&g);

    /* External entity: never loaded. */
    const char *xxe =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE OAI-PMH [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
        "<OAI-PMH><ListRecords><record><header/><metadata><arXiv><id>2401.00002</id>"
        "<title>T</title><abstract>[&x;]</abstract></arXiv></metadata></record>"
        "</ListRecords></OAI-PMH>\n";
    rc = run_mem(OAI, xxe, strlen(xxe), &g, NULL);
    ok(rc == 0 || rc == ERR_PARSE, "external entity: finishes");
    ok(g.n == 0 || (g.p[0].abstract && strstr(g.p[0].abstract, "root:") == NULL),
       "external entity: file not read");
    got_cleanup(&g);

    /* A field over the 1 MiB cap: that record is malformed, the next fine. */
    buf_init(&b, 0);
    buf_append_str(&b, "<OAI-PMH><ListRecords><record><header/><metadata><arXiv><id>2401.00003"
                       "</id><title>Big</title><abstract>");
    for (int i = 0; i < (1 << 20) / 64 + 10; i++)
        buf_append_str(&b, "0123456789012345678901234567890123456789012345678901234567890123");
    buf_append_str(&b, "</abstract></arXiv></metadata></record>\n<record><header/><metadata>"
                       "<arXiv><id>2401.00004</id><title>Small</title></arXiv></metadata>"
                       "</record></ListRecords></OAI-PMH>\n");
    rc = run_mem(OAI, b.p, b.len, &g, NULL);
    ok_eq_int(rc, 0, "huge field: document still read");
    ok_eq_int(g.n, 1, "huge field: only the next record emitted");
    ok(g.n == 1 && strcmp(g.p[0].id, "2401.00004") == 0, "the small record follows");
    ok(g.nerr == 1 && g.err_where[0] == 1 && strstr(g.err[0], "abstract"),
       "huge field reported for record 1");
    buf_cleanup(&b);
    got_cleanup(&g);

    /* Deep nesting past libxml2's limit: an error, no crash. */
    buf_init(&b, 0);
    buf_append_str(&b, "<OAI-PMH><ListRecords>");
    for (int i = 0; i < 5000; i++)
        buf_append_str(&b, "<a>");
    rc = run_mem(OAI, b.p, b.len, &g, NULL);
    ok(rc == ERR_PARSE || rc == ERR_TRUNCATED, "deep nesting: an error");
    buf_cleanup(&b);
    got_cleanup(&g);

    /* Lots of authors and a NUL byte. */
    const char nul[] = "<OAI-PMH><ListRecords><record><header/><metadata><arXiv><id>2401.0"
                       "\0"
                       "0005</id></arXiv></metadata></record></ListRecords></OAI-PMH>";
    rc = run_mem(OAI, nul, sizeof nul - 1, &g, NULL);
    ok_eq_int(rc, ERR_PARSE, "NUL byte: ERR_PARSE");
    got_cleanup(&g);
}

/* ------------------------------------------------------------------------- */
/* Atom                                                                      */
/* ------------------------------------------------------------------------- */

static void test_atom(void)
{
    struct got g;
    got_init(&g);
    int rc = run_file(ATOM, FIX "atom-old.xml", &g, NULL);
    ok_eq_int(rc, 0, "old Atom: read");
    ok_eq_int(g.n, 2, "old Atom: two entries");
    ok_eq_int(g.nerr, 0, "old Atom: no errors");
    const struct paper *p = got_find(&g, "1706.01836");
    ok(p != NULL, "1706.01836 present");
    if (p) {
        ok_eq_int(p->latest_version, 2, "version from id vN");
        ok_eq_int(p->n_versions, 2, "v1 and v2 known");
        if (p->n_versions == 2) {
            ok_eq_str(p->versions[0].date, "2017-06-06T16:12:51Z", "v1 date = published");
            ok_eq_str(p->versions[1].date, "2017-09-24T14:21:38Z", "v2 date = updated");
        }
        ok_eq_str(p->created, "2017-06-06T16:12:51Z", "created = published");
        ok_eq_str(p->updated, "2017-09-24T14:21:38Z", "updated");
        ok_eq_str(p->title,
                  "Development of a Practical Multicomponent Density Functional for "
                  "Electron-Proton Correlation",
                  "title folded");
        ok_eq_str(p->abstract,
                  "Multicomponent density functional theory (DFT) enables the consistent "
                  "treatment of electrons and protons.",
                  "abstract folded");
        ok_eq_str(p->doi, "10.1063/1.4996038", "arxiv:doi");
        ok_eq_str(p->journal_ref, "The Journal of Chemical Physics 147, 114113 (2017)",
                  "journal_ref");
        ok_eq_str(p->comments, "8 pages, 2 figures", "comment");
        ok_eq_str(p->primary_category, "physics.chem-ph", "primary category");
        ok_eq_str(p->categories, "physics.chem-ph quant-ph", "primary first, no duplicate");
        ok_eq_str(p->authors_raw, "Yang Yang, Kurt R. Brorsen", "authors_raw");
        ok_eq_int(p->n_authors, 2, "two authors");
        if (p->n_authors == 2)
            ok_eq_str(p->authors[1].affiliation, "Yale University", "arxiv:affiliation");
    }
    p = got_find(&g, "hep-ph/9411242");
    ok(p != NULL, "old-style id entry present");
    if (p) {
        ok_eq_int(p->latest_version, 1, "v1");
        ok_eq_str(p->doi, "10.1000/link-only", "doi from the doi link");
        ok(p->n_authors == 1 && strcmp(p->authors[0].name, "Raimo Vuopionper\xc3\xa4") == 0,
           "character reference decoded in name");
    }
    got_cleanup(&g);

    rc = run_file(ATOM, FIX "atom-new.xml", &g, NULL);
    ok_eq_int(rc, 0, "new (2025) Atom: read");
    ok_eq_int(g.n, 2, "new Atom: two entries");
    p = got_find(&g, "1309.4668");
    ok(p != NULL, "1309.4668 present");
    if (p) {
        ok_eq_int(p->latest_version, 3, "version 3");
        ok(p->n_versions == 2 && p->versions[0].num == 1 && p->versions[1].num == 3,
           "v1 and v3 known");
        ok_eq_str(p->created, "2013-09-18T14:54:19Z", "published after categories still read");
        ok_eq_str(p->primary_category, "physics.acc-ph", "primary without scheme");
        ok_eq_str(p->categories, "physics.acc-ph hep-ex", "categories");
        ok_eq_str(p->doi, "10.5170/CERN-2013-002.237", "doi");
        ok_eq_str(p->comments, "4 pages, contribution to ECLOUD'12", "comment");
        ok_eq_int(p->n_authors, 2, "authors after the other fields");
        if (p->n_authors == 2)
            ok_eq_str(p->authors[1].affiliation, "Rutherford; Oxford", "two affiliations");
    }
    p = got_find(&g, "2102.00018");
    ok(p != NULL, "https id accepted");
    if (p)
        ok_eq_str(p->doi, "10.1103/PhysRevD.103.096005", "doi from a rel=related doi.org link");
    got_cleanup(&g);

    rc = run_file(ATOM, FIX "atom-error.xml", &g, NULL);
    ok_eq_int(rc, 0, "API error feed: read");
    ok_eq_int(g.n, 0, "API error feed: no records");
    ok(g.nerr == 1 && g.err_where[0] == 1 &&
           strstr(g.err[0], "incorrect id format for 1234.5678") != NULL,
       "API error reported with its message");
    got_cleanup(&g);

    /* A paper that happens to be titled "Error" is still a paper. */
    const char *err_title = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>"
                            "<id>http://arxiv.org/abs/2401.00009v1</id><title>Error</title>"
                            "<summary>On errors.</summary></entry></feed>";
    rc = run_mem(ATOM, err_title, strlen(err_title), &g, NULL);
    ok(rc == 0 && g.n == 1 && g.nerr == 0, "paper titled Error is not an API error");
    got_cleanup(&g);

    /* Entry without an id / a title, and a truncated feed. */
    const char *bad = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>No id</title>"
                      "</entry><entry><id>http://arxiv.org/abs/2401.00001v1</id></entry>"
                      "<entry><id>http://arxiv.org/abs/2401.00002v1</id><title>Ok</title>"
                      "</entry></feed>";
    rc = run_mem(ATOM, bad, strlen(bad), &g, NULL);
    ok_eq_int(rc, 0, "bad entries skipped");
    ok_eq_int(g.n, 1, "one good entry");
    ok(g.nerr == 2 && g.err_where[0] == 1 && g.err_where[1] == 2, "entries 1 and 2 reported");
    got_cleanup(&g);
    rc = run_mem(ATOM, bad, strlen(bad) - 20, &g, NULL);
    ok_eq_int(rc, ERR_TRUNCATED, "truncated feed: ERR_TRUNCATED");
    got_cleanup(&g);
}

/* ------------------------------------------------------------------------- */
/* The real samples                                                          */
/* ------------------------------------------------------------------------- */

static void test_shared(void)
{
    const char *shared = getenv("SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/arxiv/oai", shared ? shared : "");
    FILE *probe = NULL;
    char first[1100];
    snprintf(first, sizeof first, "%s/hepcrawl_arxiv-single.xml", path);
    if (!shared || !(probe = fopen(first, "rb"))) {
        ok_skip("real OAI samples", "$SHARED/data/arxiv/oai not present");
        ok_skip("real Atom sample", "$SHARED/data/arxiv/api not present");
        return;
    }
    fclose(probe);
    static const struct {
        const char *file;
        int n;
        const char *id0;
    } cases[] = {
        {"hepcrawl_arxiv-physics-hep-ex.xml", 3, "1706.05371"},
        {"hepcrawl_arxiv-physics-hep-th.xml", 3, NULL},
        {"hepcrawl_arxiv-single.xml", 1, "1401.2122"},
        {"hepcrawl_sample_arxiv_record.xml", 12, "1601.03238"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct got g;
        struct oai_page pg;
        got_init(&g);
        oai_page_init(&pg);
        char f[1200], name[200];
        snprintf(f, sizeof f, "%s/%s", path, cases[i].file);
        int rc = run_file(OAI, f, &g, &pg);
        snprintf(name, sizeof name, "%s: read", cases[i].file);
        ok_eq_int(rc, 0, name);
        snprintf(name, sizeof name, "%s: %d records", cases[i].file, cases[i].n);
        ok_eq_int(g.n, cases[i].n, name);
        snprintf(name, sizeof name, "%s: no errors", cases[i].file);
        ok_eq_int(g.nerr, 0, name);
        if (cases[i].id0 && g.n > 0) {
            snprintf(name, sizeof name, "%s: first id", cases[i].file);
            ok_eq_str(g.p[0].id, cases[i].id0, name);
        }
        int all_titled = 1;
        for (int k = 0; k < g.n; k++)
            if (!g.p[k].title || !*g.p[k].title || !g.p[k].created || !g.p[k].primary_category)
                all_titled = 0;
        snprintf(name, sizeof name, "%s: every record has title, created, category",
                 cases[i].file);
        ok(all_titled, name);
        if (i == 2 && g.n == 1) {
            ok_eq_str(g.p[0].doi, "10.1007/s11005-017-1013-4", "single: doi");
            ok_eq_str(g.p[0].primary_category, "math.AP", "single: primary category");
            ok_eq_str(g.p[0].updated, "2017-10-23", "single: updated");
            ok_eq_str(g.p[0].authors_raw, "A. Sergyeyev", "single: author");
        }
        oai_page_cleanup(&pg);
        got_cleanup(&g);
    }

    struct got g;
    got_init(&g);
    snprintf(path, sizeof path, "%s/data/arxiv/api/atom-1601.00001.xml", shared);
    int rc = run_file(ATOM, path, &g, NULL);
    ok_eq_int(rc, 0, "atom-1601.00001: read");
    ok_eq_int(g.n, 1, "atom-1601.00001: one entry");
    if (g.n == 1) {
        const struct paper *p = &g.p[0];
        ok_eq_str(p->id, "1601.00001", "atom: id");
        ok_eq_int(p->latest_version, 1, "atom: v1");
        ok_eq_str(p->doi, "10.1063/1.4944470", "atom: doi");
        ok_eq_str(p->primary_category, "cond-mat.mes-hall", "atom: primary category");
        ok_eq_str(p->created, "2015-12-26T21:19:45Z", "atom: created");
        ok_eq_str(p->journal_ref, "J. Chem. Phys. 144, 124107 (2016)", "atom: journal_ref");
        ok_eq_str(p->authors_raw, "Michael Kilgour, Dvira Segal", "atom: authors");
        ok(p->title && strncmp(p->title, "Inelastic effects in molecular transport junctions: "
                                         "The probe technique at high bias",
                               200) == 0,
           "atom: title folded");
    }
    got_cleanup(&g);
}

int main(void)
{
    test_oai_arxiv();
    test_oai_arxivraw();
    test_oai_getrecord_and_errors();
    test_oai_edges();
    test_damage();
    test_hostile();
    test_atom();
    test_shared();
    return ok_done();
}
