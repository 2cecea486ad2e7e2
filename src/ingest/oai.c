/*
 * oai.c - OAI-PMH responses from arXiv (ListRecords, GetRecord) to struct
 * paper (see oai.h and reader.h).
 *
 * Wire format (http://www.openarchives.org/OAI/2.0/):
 *
 *   <OAI-PMH> <responseDate/> <request/> [<error code="..."/>]
 *     <ListRecords | GetRecord>
 *       <record> <header [status="deleted"]> <identifier/> ... </header>
 *                <metadata> <arXiv | arXivRaw> ... </metadata> </record> *
 *       [<resumptionToken cursor="N" completeListSize="M">token</resumptionToken>]
 *
 * Two metadata formats are read (element names matched by local name, any
 * namespace or none):
 *   arXiv:    id, created, updated, authors/author(keyname, forenames,
 *             suffix, affiliation*), title, categories, comments, report-no,
 *             journal-ref, doi, license, abstract. No version numbers, so
 *             latest_version stays 0; created/updated are days.
 *   arXivRaw: id, submitter, version version="vN" (date RFC 2822, size,
 *             source_type)*, title, authors (one string), categories,
 *             comments, report-no, journal-ref, doi, license, abstract.
 *             created = v1's date, updated = the latest version's date.
 * msc-class, acm-class and proposal have no place in struct paper and are
 * skipped.
 *
 * One record is held at a time (struct oai_rec); its text goes through one
 * scratch buffer capped at OAI_FIELD_MAX per field, and the record as a
 * whole may hold at most OAI_RECORD_MAX bytes of text and OAI_MAX_AUTHORS
 * authors: past a cap the record is reported malformed and skipped, and
 * reading goes on. Records are numbered from 1 in document order, deleted
 * ones included; that number is the "where" of every report about them.
 *
 * Display forms: title/abstract are text_fold()ed; the one-line fields
 * (categories, comments, journal-ref, doi, report-no, license, submitter,
 * the author list) are folded too, since arXiv wraps them at 80 columns.
 */
#include "ingest/oai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/authors.h"
#include "ingest/normalize.h"
#include "ingest/xml_stream.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

#define OAI_FIELD_MAX (1u << 20)   /* bytes of one text field */
#define OAI_RECORD_MAX (8u << 20)  /* bytes of text in one record */
#define OAI_MAX_AUTHORS 20000      /* authors in one record */
#define OAI_MAX_VERSIONS 1000      /* versions in one record */
#define OAI_ATTR_MAX 4096          /* bytes of an attribute we use */
#define OAI_TOKEN_MAX 65536        /* bytes of a resumption token */

enum oai_format { OAI_FMT_NONE = 0, OAI_FMT_ARXIV, OAI_FMT_ARXIVRAW };

/* The raw text of one record, before it becomes a struct paper. */
struct oai_rec {
    char *identifier; /* header <identifier>, "oai:arXiv.org:..." */
    int deleted;
    enum oai_format format;
    char *id, *created, *updated, *title, *abstract, *categories, *comments, *report_no,
        *journal_ref, *doi, *license, *submitter, *authors; /* authors: arXivRaw's string */
    struct buf names;   /* arXiv: the raw author names joined with ", " */
    struct xml_budget budget; /* text read so far; the first reason it is unusable */
    struct paper paper; /* authors and versions go straight here */
};

struct oai_ctx {
    struct xml_stream *xs;
    const struct ingest_sink *sink;
    struct oai_page *pg;
    struct buf scratch; /* one field's text */
    long recno;         /* records seen, deleted included */
    int in_record;      /* a document error now belongs to record recno */
    int sink_rc;        /* what on_record returned to stop us */
    int doc_rc;         /* a page-level problem found while reading on */
};

/* ------------------------------------------------------------------------- */
/* Record helpers                                                            */
/* ------------------------------------------------------------------------- */

static void rec_init(struct oai_rec *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->names, OAI_RECORD_MAX);
    xml_budget_init(&r->budget, OAI_RECORD_MAX, "record");
    paper_init(&r->paper);
}

static void rec_cleanup(struct oai_rec *r)
{
    char **f[] = {&r->identifier, &r->id,         &r->created, &r->updated,   &r->title,
                  &r->abstract,   &r->categories, &r->comments, &r->report_no, &r->journal_ref,
                  &r->doi,        &r->license,    &r->submitter, &r->authors};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(*f[i]);
    buf_cleanup(&r->names);
    paper_cleanup(&r->paper);
}

/* ------------------------------------------------------------------------- */
/* The two metadata formats                                                  */
/* ------------------------------------------------------------------------- */

/* <author><keyname/><forenames/><suffix/><affiliation/>*</author> */
static int arxiv_author(struct oai_ctx *c, struct oai_rec *r)
{
    char *key = NULL, *fore = NULL, *suffix = NULL;
    struct buf aff;
    buf_init(&aff, OAI_FIELD_MAX);
    int rc = 0, d = xml_stream_depth(c->xs);
    if (!xml_stream_empty(c->xs)) {
        while ((rc = xml_stream_child(c->xs, d)) == 1) {
            const char *n = xml_stream_name(c->xs);
            char *a = NULL;
            if (strcmp(n, "keyname") == 0)
                rc = xml_stream_field_budget(c->xs, &c->scratch, &key, &r->budget);
            else if (strcmp(n, "forenames") == 0)
                rc = xml_stream_field_budget(c->xs, &c->scratch, &fore, &r->budget);
            else if (strcmp(n, "suffix") == 0)
                rc = xml_stream_field_budget(c->xs, &c->scratch, &suffix, &r->budget);
            else if (strcmp(n, "affiliation") == 0) {
                rc = xml_stream_field_budget(c->xs, &c->scratch, &a, &r->budget);
                xml_affiliation_add(&aff, a);
                free(a);
            }
            if (rc < 0)
                break;
        }
    }
    if (rc >= 0) {
        rc = 0;
        /* name = forenames keyname [suffix], as arXiv prints it. */
        struct buf raw;
        buf_init(&raw, OAI_RECORD_MAX);
        char *parts[] = {fore, key, suffix};
        for (size_t i = 0; i < 3; i++) {
            char *f = text_fold_str(parts[i]);
            if (f && *f) {
                if (raw.len)
                    buf_append_str(&raw, " ");
                buf_append_str(&raw, f);
            }
            free(f);
        }
        if (raw.len == 0) {
            /* an empty <author/>: nothing to add */
        } else if (r->paper.n_authors >= OAI_MAX_AUTHORS) {
            xml_budget_bad(&r->budget, "more than %s authors", "20000");
        } else {
            char *name = tex_to_utf8(raw.p, raw.len);
            char *fk = key ? tex_to_utf8(key, strlen(key)) : NULL;
            char *ff = fore ? tex_to_utf8(fore, strlen(fore)) : NULL;
            char *fs = suffix ? tex_to_utf8(suffix, strlen(suffix)) : NULL;
            char *k2 = text_fold_str(fk), *f2 = text_fold_str(ff), *s2 = text_fold_str(fs);
            paper_add_author(&r->paper, name, k2 && *k2 ? k2 : NULL, f2 && *f2 ? f2 : NULL,
                             s2 && *s2 ? s2 : NULL);
            if (aff.len)
                r->paper.authors[r->paper.n_authors - 1].affiliation =
                    xstrndup(aff.p, aff.len);
            free(name), free(fk), free(ff), free(fs), free(k2), free(f2), free(s2);
            if (r->names.len)
                buf_append_str(&r->names, ", ");
            buf_append(&r->names, raw.p, raw.len);
        }
        buf_cleanup(&raw);
    }
    free(key), free(fore), free(suffix);
    buf_cleanup(&aff);
    return rc;
}

static int arxiv_authors(struct oai_ctx *c, struct oai_rec *r)
{
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        if (strcmp(xml_stream_name(c->xs), "author") == 0)
            rc = arxiv_author(c, r);
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : 0;
}

/* arXivRaw <version version="vN"><date/><size/><source_type/></version> */
static int raw_version(struct oai_ctx *c, struct oai_rec *r)
{
    char *v = NULL, *date = NULL, *size = NULL;
    int rc = xml_stream_attr(c->xs, "version", OAI_ATTR_MAX, &v);
    if (rc == ERR_TOO_LARGE)
        rc = 0;
    int d = xml_stream_depth(c->xs);
    if (!xml_stream_empty(c->xs)) {
        while ((rc = xml_stream_child(c->xs, d)) == 1) {
            const char *n = xml_stream_name(c->xs);
            if (strcmp(n, "date") == 0)
                rc = xml_stream_field_budget(c->xs, &c->scratch, &date, &r->budget);
            else if (strcmp(n, "size") == 0)
                rc = xml_stream_field_budget(c->xs, &c->scratch, &size, &r->budget);
            if (rc < 0)
                break;
        }
    }
    if (rc >= 0) {
        rc = 0;
        int num = 0;
        const char *p = v;
        if (p && (*p == 'v' || *p == 'V'))
            p++;
        while (p && *p >= '0' && *p <= '9' && num < 100000)
            num = num * 10 + (*p++ - '0');
        if (!v || !p || *p != '\0' || num <= 0 || num > OAI_MAX_VERSIONS) {
            xml_budget_bad(&r->budget, "bad version number \"%.40s\"", v ? v : "");
        } else {
            char *nd = date ? date_normalize(date, strlen(date)) : NULL;
            char *ns = text_fold_str(size);
            paper_add_version(&r->paper, num, nd, ns && *ns ? ns : NULL);
            free(nd), free(ns);
        }
    }
    free(v), free(date), free(size);
    return rc;
}

/* Walks the children of <arXiv> or <arXivRaw>. */
static int oai_metadata_format(struct oai_ctx *c, struct oai_rec *r)
{
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        const char *n = xml_stream_name(c->xs);
        char **dst = NULL;
        if (strcmp(n, "id") == 0)
            dst = &r->id;
        else if (strcmp(n, "title") == 0)
            dst = &r->title;
        else if (strcmp(n, "abstract") == 0)
            dst = &r->abstract;
        else if (strcmp(n, "categories") == 0)
            dst = &r->categories;
        else if (strcmp(n, "comments") == 0)
            dst = &r->comments;
        else if (strcmp(n, "report-no") == 0)
            dst = &r->report_no;
        else if (strcmp(n, "journal-ref") == 0)
            dst = &r->journal_ref;
        else if (strcmp(n, "doi") == 0)
            dst = &r->doi;
        else if (strcmp(n, "license") == 0)
            dst = &r->license;
        else if (r->format == OAI_FMT_ARXIV && strcmp(n, "created") == 0)
            dst = &r->created;
        else if (r->format == OAI_FMT_ARXIV && strcmp(n, "updated") == 0)
            dst = &r->updated;
        else if (r->format == OAI_FMT_ARXIVRAW && strcmp(n, "submitter") == 0)
            dst = &r->submitter;

        if (dst)
            rc = xml_stream_field_budget(c->xs, &c->scratch, dst, &r->budget);
        else if (strcmp(n, "authors") == 0)
            rc = r->format == OAI_FMT_ARXIV ? arxiv_authors(c, r) : xml_stream_field_budget(c->xs, &c->scratch, &r->authors, &r->budget);
        else if (r->format == OAI_FMT_ARXIVRAW && strcmp(n, "version") == 0)
            rc = raw_version(c, r);
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : 0;
}

static int oai_metadata(struct oai_ctx *c, struct oai_rec *r)
{
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        const char *n = xml_stream_name(c->xs);
        if (r->format != OAI_FMT_NONE || r->budget.bad[0])
            continue; /* one metadata element per record */
        if (strcmp(n, "arXiv") == 0)
            r->format = OAI_FMT_ARXIV;
        else if (strcmp(n, "arXivRaw") == 0)
            r->format = OAI_FMT_ARXIVRAW;
        else {
            xml_budget_bad(&r->budget, "unsupported metadata format <%.40s>", n);
            continue;
        }
        rc = oai_metadata_format(c, r);
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : 0;
}

static int oai_header(struct oai_ctx *c, struct oai_rec *r)
{
    char *status = NULL;
    if (xml_stream_attr(c->xs, "status", OAI_ATTR_MAX, &status) == 0 && status) {
        r->deleted = strcmp(status, "deleted") == 0;
        free(status);
    }
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        if (strcmp(xml_stream_name(c->xs), "identifier") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &r->identifier, &r->budget);
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : 0;
}

/* ------------------------------------------------------------------------- */
/* From raw record to struct paper                                           */
/* ------------------------------------------------------------------------- */

/* Fills r->paper from the raw fields; on a problem writes r->budget.bad. */
static void rec_finish(struct oai_rec *r)
{
    struct paper *p = &r->paper;
    if (r->budget.bad[0])
        return;
    if (r->format == OAI_FMT_NONE) {
        xml_budget_bad(&r->budget, "%s", "record has no arXiv or arXivRaw metadata");
        return;
    }
    const char *idsrc = r->id ? r->id : r->identifier;
    if (!idsrc || !*idsrc) {
        xml_budget_bad(&r->budget, "%s", "record has no id");
        return;
    }
    if (arxiv_id_parse(idsrc, strlen(idsrc), &p->id, NULL) != 0) {
        char *f = text_fold_str(idsrc);
        xml_budget_bad(&r->budget, "invalid arXiv id \"%.60s\"", f);
        free(f);
        return;
    }
    if (xml_record_text(&r->budget, &r->title, &r->abstract, p) != 0)
        return;
    p->categories = text_fold_str(r->categories);
    if (p->categories && *p->categories) {
        size_t n = strcspn(p->categories, " ");
        p->primary_category = xstrndup(p->categories, n);
    } else {
        free(p->categories);
        p->categories = NULL;
    }
    p->comments = text_fold_str(r->comments);
    p->journal_ref = text_fold_str(r->journal_ref);
    p->doi = text_fold_str(r->doi);
    p->report_no = text_fold_str(r->report_no);
    p->license = text_fold_str(r->license);
    p->submitter = text_fold_str(r->submitter);
    /* Empty elements say nothing. */
    char **opt[] = {&p->comments, &p->journal_ref, &p->doi, &p->report_no, &p->license,
                    &p->submitter};
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (*opt[i] && !**opt[i]) {
            free(*opt[i]);
            *opt[i] = NULL;
        }

    if (r->format == OAI_FMT_ARXIV) {
        if (r->names.len)
            p->authors_raw = xstrndup(r->names.p, r->names.len);
        p->created = r->created ? date_normalize(r->created, strlen(r->created)) : NULL;
        p->updated = r->updated ? date_normalize(r->updated, strlen(r->updated)) : NULL;
        if (!p->updated && p->created)
            p->updated = xstrdup(p->created);
    } else {
        if (r->authors) {
            char *f = text_fold_str(r->authors);
            if (*f) {
                authors_split(p, f, strlen(f));
                p->authors_raw = f;
            } else {
                free(f);
            }
        }
        if (p->n_versions) {
            p->created = xstrdup(p->versions[0].date);
            p->updated = xstrdup(p->versions[p->n_versions - 1].date);
        }
    }
}

/* One <record>. Returns 0 (emitted, skipped or counted deleted), the sink's
 * stop code (c->sink_rc set) or a document error. */
static int oai_record(struct oai_ctx *c)
{
    struct oai_rec r;
    rec_init(&r);
    c->recno++;
    c->in_record = 1;
    int rc = 0, d = xml_stream_depth(c->xs);
    if (!xml_stream_empty(c->xs)) {
        while ((rc = xml_stream_child(c->xs, d)) == 1) {
            const char *n = xml_stream_name(c->xs);
            if (strcmp(n, "header") == 0)
                rc = oai_header(c, &r);
            else if (strcmp(n, "metadata") == 0)
                rc = oai_metadata(c, &r);
            if (rc < 0)
                break;
        }
    }
    if (rc < 0)
        goto out;
    rc = 0;
    c->in_record = 0;
    if (r.deleted) {
        c->pg->deleted++;
        goto out;
    }
    rec_finish(&r);
    if (r.budget.bad[0]) {
        if (c->sink->on_error)
            c->sink->on_error(c->sink->ctx, c->recno, r.budget.bad);
        goto out;
    }
    struct ingest_record ir = {.paper = &r.paper, .daily = NULL, .where = c->recno};
    int src = c->sink->on_record ? c->sink->on_record(c->sink->ctx, &ir) : 0;
    if (src != 0) {
        c->sink_rc = src;
        rc = src;
        goto out;
    }
    c->pg->records++;
out:
    rec_cleanup(&r);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* The page                                                                  */
/* ------------------------------------------------------------------------- */

static long attr_long(struct xml_stream *xs, const char *name)
{
    char *v = NULL;
    long n = -1;
    if (xml_stream_attr(xs, name, 64, &v) == 0 && v) {
        char *end;
        long x = strtol(v, &end, 10);
        while (*end == ' ')
            end++;
        if (end != v && *end == '\0' && x >= 0)
            n = x;
        free(v);
    }
    return n;
}

static int oai_token(struct oai_ctx *c)
{
    struct oai_page *pg = c->pg;
    pg->cursor = attr_long(c->xs, "cursor");
    pg->complete_size = attr_long(c->xs, "completeListSize");
    char *t = NULL;
    struct buf b;
    buf_init(&b, OAI_TOKEN_MAX);
    int rc = xml_stream_text(c->xs, &b);
    if (rc == ERR_TOO_LARGE) {
        if (c->sink->on_error)
            c->sink->on_error(c->sink->ctx, 0, "resumptionToken is over the 64 KiB cap");
        c->doc_rc = ERR_PARSE;
        rc = 0;
    } else if (rc == 0) {
        t = text_fold(b.p ? b.p : "", b.len);
        free(pg->token);
        pg->token = t;
    }
    buf_cleanup(&b);
    return rc;
}

/* <ListRecords>, <GetRecord> or another verb's container. */
static int oai_list(struct oai_ctx *c)
{
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        const char *n = xml_stream_name(c->xs);
        if (strcmp(n, "record") == 0)
            rc = oai_record(c);
        else if (strcmp(n, "resumptionToken") == 0)
            rc = oai_token(c);
        if (rc < 0 || c->sink_rc)
            break;
    }
    return rc < 0 ? rc : 0;
}

static int oai_root(struct oai_ctx *c)
{
    struct oai_page *pg = c->pg;
    int rc = 0;
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, 0)) == 1) {
        const char *n = xml_stream_name(c->xs);
        if (strcmp(n, "responseDate") == 0) {
            char *v = NULL;
            rc = xml_stream_field(c->xs, &c->scratch, &v);
            if (rc == 0) {
                free(pg->response_date);
                pg->response_date = text_fold_str(v);
            }
            free(v);
            if (rc == ERR_TOO_LARGE)
                rc = 0;
        } else if (strcmp(n, "error") == 0) {
            char *code = NULL, *msg = NULL;
            xml_stream_attr(c->xs, "code", OAI_ATTR_MAX, &code);
            rc = xml_stream_field(c->xs, &c->scratch, &msg);
            if (rc == ERR_TOO_LARGE)
                rc = 0;
            if (!pg->error_code) { /* the first error wins */
                pg->error_code = code ? code : xstrdup("unknown");
                pg->error_message = text_fold_str(msg);
                code = NULL;
            }
            free(code);
            free(msg);
        } else if (strcmp(n, "request") != 0) {
            rc = oai_list(c);
        }
        if (rc < 0 || c->sink_rc)
            break;
    }
    return rc < 0 ? rc : 0;
}

/* Zeroes a caller-owned page: no token, cursor and size -1, counts 0. */
void oai_page_init(struct oai_page *pg)
{
    memset(pg, 0, sizeof *pg);
    pg->cursor = -1;
    pg->complete_size = -1;
}

/* Frees what the page owns and initialises it again. */
void oai_page_cleanup(struct oai_page *pg)
{
    free(pg->token);
    free(pg->error_code);
    free(pg->error_message);
    free(pg->response_date);
    oai_page_init(pg);
}

/* Reads one response (see oai.h). pg must have been set up with
 * oai_page_init(); whatever it held is freed first, and it is filled as far
 * as the document could be read even when an error code is returned (the
 * counts then say what was sent before the damage). Document-level problems
 * are reported through sink->on_error with where = the record they fell in,
 * or 0. Returns 0, ERR_PARSE, ERR_TRUNCATED, ERR_IO, or on_record's code. */
int oai_read_page(struct ingest_input *in, const struct ingest_sink *sink, struct oai_page *pg)
{
    static const char *const flush[] = {"record", "OAI-PMH", NULL};
    struct oai_ctx c;
    memset(&c, 0, sizeof c);
    c.sink = sink;
    c.pg = pg;
    buf_init(&c.scratch, OAI_FIELD_MAX);
    oai_page_cleanup(pg);

    int rc = xml_stream_open(in, flush, &c.xs);
    if (rc < 0)
        goto out;
    rc = xml_stream_root(c.xs);
    if (rc == 1) {
        if (strcmp(xml_stream_name(c.xs), "OAI-PMH") != 0) {
            char why[160];
            snprintf(why, sizeof why, "not an OAI-PMH response: the root element is <%.60s>",
                     xml_stream_name(c.xs));
            if (sink->on_error)
                sink->on_error(sink->ctx, 0, why);
            rc = ERR_PARSE;
            goto out;
        }
        rc = oai_root(&c);
        if (rc == 0 && !c.sink_rc)
            rc = xml_stream_finish(c.xs);
    }
    if (c.sink_rc) {
        rc = c.sink_rc;
    } else if (rc < 0) {
        if (sink->on_error)
            sink->on_error(sink->ctx, c.in_record ? c.recno : 0, xml_stream_error(c.xs));
        rc = xml_stream_status(c.xs) ? xml_stream_status(c.xs) : rc;
    } else {
        rc = c.doc_rc;
    }
out:
    xml_stream_close(c.xs);
    buf_cleanup(&c.scratch);
    return rc;
}

/* The reader.h entry point: oai_read_page() on a private page, then a
 * report through on_error (where 0) of any OAI-PMH protocol error other
 * than noRecordsMatch, which only means an empty list. Same returns. */
int oai_read(struct ingest_input *in, const struct ingest_sink *sink)
{
    struct oai_page pg;
    oai_page_init(&pg);
    int rc = oai_read_page(in, sink, &pg);
    /* A saved page that carries a protocol error has no records; say why,
     * except for the harmless "nothing matched". */
    if (rc == 0 && pg.error_code && strcmp(pg.error_code, "noRecordsMatch") != 0 &&
        sink->on_error) {
        char why[400];
        snprintf(why, sizeof why, "OAI-PMH error %.60s: %.300s", pg.error_code,
                 pg.error_message ? pg.error_message : "");
        sink->on_error(sink->ctx, 0, why);
    }
    oai_page_cleanup(&pg);
    return rc;
}
