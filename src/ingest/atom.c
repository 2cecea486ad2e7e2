/*
 * atom.c - arXiv API (export.arxiv.org/api/query) Atom feeds to struct paper
 * (see reader.h).
 *
 * Wire format: an Atom feed (RFC 4287) with arXiv's extension elements
 * (namespace http://arxiv.org/schemas/atom), one <entry> per paper:
 *
 *   <entry>
 *     <id>http://arxiv.org/abs/1601.00001v1</id>      id and version N
 *     <published/>  v1's date        <updated/>  version N's date
 *     <title/> <summary/>            <author><name/><arxiv:affiliation/>*</author>*
 *     <arxiv:doi/> <arxiv:journal_ref/> <arxiv:comment/>
 *     <arxiv:primary_category term=""/> <category term=""/>*
 *     <link href="" rel="" title="" type=""/>*
 *   </entry>
 *
 * Two shapes are accepted. Before November 2025 every arxiv: element
 * declared its own namespace, links were http:// with rel/type/title
 * attributes (the DOI link carried title="doi" and pointed at dx.doi.org),
 * and primary_category had a scheme. The service that replaced it on
 * 2025-11-11 declares the namespaces once on <feed>, orders the elements
 * differently (authors last), writes https:// links without rel/title on
 * the abstract and PDF links, the DOI link as rel="related" to
 * https://doi.org/..., and primary_category without scheme. The reader
 * matches local names only, takes the element order as it comes, and reads
 * the DOI from arxiv:doi or else from a link to doi.org/dx.doi.org, so both
 * (and any namespace URI) read the same.
 *
 * An API error comes as a feed whose one entry has the title "Error" and the
 * message in <summary>; it is reported through on_error.
 *
 * Entries are numbered from 1; that number is the "where" of reports. Each
 * text field is capped at ATOM_FIELD_MAX and an entry's text at
 * ATOM_ENTRY_MAX; past a cap the entry is reported malformed and skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/authors.h"
#include "ingest/normalize.h"
#include "ingest/reader.h"
#include "ingest/xml_stream.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

#define ATOM_FIELD_MAX (1u << 20)
#define ATOM_ENTRY_MAX (8u << 20)
#define ATOM_MAX_AUTHORS 20000
#define ATOM_ATTR_MAX 4096

struct atom_entry {
    char *id, *published, *updated, *title, *summary, *journal_ref, *comment;
    char *primary;      /* primary_category term */
    struct buf cats;    /* category terms, space-separated, in order */
    struct buf dois;    /* arxiv:doi values, space-separated */
    char *doi_link;     /* a DOI taken from a link, if no arxiv:doi */
    struct buf names;   /* author names joined with ", " */
    struct xml_budget budget;
    struct paper paper;
};

struct atom_ctx {
    struct xml_stream *xs;
    const struct ingest_sink *sink;
    struct buf scratch;
    long entryno;
    int in_entry;
    int sink_rc;
};

static void entry_init(struct atom_entry *e)
{
    memset(e, 0, sizeof *e);
    buf_init(&e->cats, ATOM_FIELD_MAX);
    buf_init(&e->dois, ATOM_FIELD_MAX);
    buf_init(&e->names, ATOM_ENTRY_MAX);
    xml_budget_init(&e->budget, ATOM_ENTRY_MAX, "entry");
    paper_init(&e->paper);
}

static void entry_cleanup(struct atom_entry *e)
{
    char **f[] = {&e->id,          &e->published, &e->updated, &e->title,   &e->summary,
                  &e->journal_ref, &e->comment,   &e->primary, &e->doi_link};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(*f[i]);
    buf_cleanup(&e->cats);
    buf_cleanup(&e->dois);
    buf_cleanup(&e->names);
    paper_cleanup(&e->paper);
}

/* Appends word to a space-separated list unless it is already there. */
static void list_add(struct atom_entry *e, struct buf *list, const char *word)
{
    size_t n = strlen(word);
    if (n == 0)
        return;
    const char *p = list->p;
    while (p && *p) {
        size_t k = strcspn(p, " ");
        if (k == n && memcmp(p, word, n) == 0)
            return;
        p += k;
        while (*p == ' ')
            p++;
    }
    int rc = 0;
    if (list->len)
        buf_put(list, &rc, " ", 1);
    buf_put(list, &rc, word, n);
    if (rc)
        xml_budget_bad(&e->budget, "%s", "too many categories or DOIs");
}

/* The DOI in a link to doi.org or dx.doi.org, as a malloc'ed string. */
static char *doi_from_url(const char *href)
{
    static const char *const hosts[] = {"://dx.doi.org/", "://doi.org/"};
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(href, hosts[i]);
        if (p) {
            p += strlen(hosts[i]);
            return *p ? xstrdup(p) : NULL;
        }
    }
    return NULL;
}

static int atom_author(struct atom_ctx *c, struct atom_entry *e)
{
    char *name = NULL;
    struct buf aff;
    buf_init(&aff, ATOM_FIELD_MAX);
    int rc = 0, d = xml_stream_depth(c->xs);
    if (!xml_stream_empty(c->xs)) {
        while ((rc = xml_stream_child(c->xs, d)) == 1) {
            const char *n = xml_stream_name(c->xs);
            if (strcmp(n, "name") == 0) {
                rc = xml_stream_field_budget(c->xs, &c->scratch, &name, &e->budget);
            } else if (strcmp(n, "affiliation") == 0) {
                char *a = NULL;
                rc = xml_stream_field_budget(c->xs, &c->scratch, &a, &e->budget);
                xml_affiliation_add(&aff, a);
                free(a);
            }
            if (rc < 0)
                break;
        }
    }
    if (rc >= 0) {
        rc = 0;
        char *raw = text_fold_str(name);
        if (!raw || !*raw) {
            /* an author without a name: nothing to add */
        } else if (e->paper.n_authors >= ATOM_MAX_AUTHORS) {
            xml_budget_bad(&e->budget, "more than %s authors", "20000");
        } else {
            char *disp = tex_to_utf8(raw, strlen(raw));
            paper_add_author(&e->paper, disp, NULL, NULL, NULL);
            if (aff.len)
                e->paper.authors[e->paper.n_authors - 1].affiliation = xstrndup(aff.p, aff.len);
            free(disp);
            if (e->names.len)
                buf_append_str(&e->names, ", ");
            buf_append_str(&e->names, raw);
        }
        free(raw);
    }
    free(name);
    buf_cleanup(&aff);
    return rc;
}

/* A <category term=""/> or <arxiv:primary_category term=""/>. */
static void atom_term(struct atom_ctx *c, struct atom_entry *e, int primary)
{
    char *t = NULL;
    if (xml_stream_attr(c->xs, "term", ATOM_ATTR_MAX, &t) != 0) {
        xml_budget_bad(&e->budget, "%s", "category term is too long");
        return;
    }
    char *ft = text_fold_str(t);
    free(t);
    if (ft && *ft && !strchr(ft, ' ')) {
        if (primary && !e->primary) {
            e->primary = ft;
            ft = NULL;
        } else if (!primary) {
            list_add(e, &e->cats, ft);
        }
    }
    free(ft);
}

static void atom_link(struct atom_ctx *c, struct atom_entry *e)
{
    char *href = NULL, *title = NULL;
    xml_stream_attr(c->xs, "href", ATOM_ATTR_MAX, &href);
    xml_stream_attr(c->xs, "title", ATOM_ATTR_MAX, &title);
    if (href && !e->doi_link) {
        char *doi = doi_from_url(href);
        if (doi || (title && strcmp(title, "doi") == 0))
            e->doi_link = doi;
        else
            free(doi);
    }
    free(href);
    free(title);
}

static int atom_entry_children(struct atom_ctx *c, struct atom_entry *e)
{
    int rc = 0, d = xml_stream_depth(c->xs);
    if (xml_stream_empty(c->xs))
        return 0;
    while ((rc = xml_stream_child(c->xs, d)) == 1) {
        const char *n = xml_stream_name(c->xs);
        if (strcmp(n, "id") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->id, &e->budget);
        else if (strcmp(n, "published") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->published, &e->budget);
        else if (strcmp(n, "updated") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->updated, &e->budget);
        else if (strcmp(n, "title") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->title, &e->budget);
        else if (strcmp(n, "summary") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->summary, &e->budget);
        else if (strcmp(n, "journal_ref") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->journal_ref, &e->budget);
        else if (strcmp(n, "comment") == 0)
            rc = xml_stream_field_budget(c->xs, &c->scratch, &e->comment, &e->budget);
        else if (strcmp(n, "author") == 0)
            rc = atom_author(c, e);
        else if (strcmp(n, "primary_category") == 0)
            atom_term(c, e, 1);
        else if (strcmp(n, "category") == 0)
            atom_term(c, e, 0);
        else if (strcmp(n, "link") == 0)
            atom_link(c, e);
        else if (strcmp(n, "doi") == 0) {
            char *v = NULL;
            rc = xml_stream_field_budget(c->xs, &c->scratch, &v, &e->budget);
            char *f = text_fold_str(v);
            if (f && *f) {
                /* arXiv writes several DOIs space-separated, one per element */
                char *save = NULL;
                for (char *tok = strtok_r(f, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
                    list_add(e, &e->dois, tok);
            }
            free(f);
            free(v);
        }
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : 0;
}

/* Fills e->paper from the raw fields; on a problem writes e->budget.bad. */
static void entry_finish(struct atom_entry *e)
{
    struct paper *p = &e->paper;
    if (e->budget.bad[0])
        return;
    int version = 0;
    if (!e->id || !*e->id) {
        xml_budget_bad(&e->budget, "%s", "entry has no id");
        return;
    }
    if (arxiv_id_parse(e->id, strlen(e->id), &p->id, &version) != 0) {
        char *f = text_fold_str(e->id);
        xml_budget_bad(&e->budget, "entry id is not an arXiv id: \"%.80s\"", f);
        free(f);
        return;
    }
    if (xml_record_text(&e->budget, &e->title, &e->summary, p) != 0)
        return;
    if (e->names.len)
        p->authors_raw = xstrndup(e->names.p, e->names.len);

    /* Categories: the primary first, then the others in feed order. */
    struct buf all;
    buf_init(&all, ATOM_FIELD_MAX + 256);
    if (e->primary)
        list_add(e, &all, e->primary);
    const char *q = e->cats.p;
    while (q && *q) {
        size_t k = strcspn(q, " ");
        char *w = xstrndup(q, k);
        list_add(e, &all, w);
        free(w);
        q += k;
        while (*q == ' ')
            q++;
    }
    if (all.len) {
        p->categories = xstrndup(all.p, all.len);
        p->primary_category = xstrndup(all.p, strcspn(all.p, " "));
    }
    buf_cleanup(&all);

    if (e->dois.len)
        p->doi = xstrndup(e->dois.p, e->dois.len);
    else if (e->doi_link)
        p->doi = xstrdup(e->doi_link);
    p->journal_ref = text_fold_str(e->journal_ref);
    p->comments = text_fold_str(e->comment);
    char **opt[] = {&p->journal_ref, &p->comments};
    for (size_t i = 0; i < 2; i++)
        if (*opt[i] && !**opt[i]) {
            free(*opt[i]);
            *opt[i] = NULL;
        }

    /* Dates: published is v1's submission, updated version N's. */
    p->created = e->published ? date_normalize(e->published, strlen(e->published)) : NULL;
    p->updated = e->updated ? date_normalize(e->updated, strlen(e->updated)) : NULL;
    if (version > 0) {
        if (p->created)
            paper_add_version(p, 1, p->created, NULL);
        paper_add_version(p, version, p->updated, NULL);
    }
    if (!p->updated && p->created)
        p->updated = xstrdup(p->created);
}

static int atom_entry(struct atom_ctx *c)
{
    struct atom_entry e;
    entry_init(&e);
    c->entryno++;
    c->in_entry = 1;
    int rc = atom_entry_children(c, &e);
    if (rc < 0)
        goto out;
    c->in_entry = 0;
    /* An error entry: titled "Error" and its id is not a paper's (it is
     * http://arxiv.org/api/errors#...), so a paper titled "Error" still
     * reads as a paper. */
    char *t = text_fold_str(e.title);
    int is_error = t && strcmp(t, "Error") == 0;
    free(t);
    if (is_error && e.id && !strstr(e.id, "/api/errors")) {
        char *id = NULL;
        if (arxiv_id_parse(e.id, strlen(e.id), &id, NULL) == 0)
            is_error = 0;
        free(id);
    }
    if (is_error) {
        char *msg = text_fold_str(e.summary);
        char why[400];
        snprintf(why, sizeof why, "arXiv API error: %.300s", msg && *msg ? msg : "(no message)");
        free(msg);
        if (c->sink->on_error)
            c->sink->on_error(c->sink->ctx, c->entryno, why);
        goto out;
    }
    entry_finish(&e);
    if (e.budget.bad[0]) {
        if (c->sink->on_error)
            c->sink->on_error(c->sink->ctx, c->entryno, e.budget.bad);
        goto out;
    }
    struct ingest_record ir = {.paper = &e.paper, .daily = NULL, .where = c->entryno};
    int src = c->sink->on_record ? c->sink->on_record(c->sink->ctx, &ir) : 0;
    if (src != 0) {
        c->sink_rc = src;
        rc = src;
    }
out:
    entry_cleanup(&e);
    return rc;
}

/* Reads one arXiv API feed from in and sends each entry to sink (see
 * reader.h). Malformed entries and API error entries are reported through
 * on_error with where = the entry number and skipped. Returns 0 at the end
 * of the feed, ERR_PARSE for a document that is not well-formed or not a
 * feed, ERR_TRUNCATED when it stops early, ERR_IO, or on_record's code. */
int atom_read(struct ingest_input *in, const struct ingest_sink *sink)
{
    static const char *const flush[] = {"entry", "feed", NULL};
    struct atom_ctx c;
    memset(&c, 0, sizeof c);
    c.sink = sink;
    buf_init(&c.scratch, ATOM_FIELD_MAX);

    int rc = xml_stream_open(in, flush, &c.xs);
    if (rc < 0)
        goto out;
    rc = xml_stream_root(c.xs);
    if (rc == 1) {
        if (strcmp(xml_stream_name(c.xs), "feed") != 0) {
            char why[160];
            snprintf(why, sizeof why, "not an Atom feed: the root element is <%.60s>",
                     xml_stream_name(c.xs));
            if (sink->on_error)
                sink->on_error(sink->ctx, 0, why);
            rc = ERR_PARSE;
            goto out;
        }
        rc = 0;
        if (!xml_stream_empty(c.xs)) {
            while ((rc = xml_stream_child(c.xs, 0)) == 1) {
                if (strcmp(xml_stream_name(c.xs), "entry") == 0)
                    rc = atom_entry(&c);
                if (rc < 0 || c.sink_rc)
                    break;
            }
        }
        if (rc == 0 && !c.sink_rc)
            rc = xml_stream_finish(c.xs);
    }
    if (c.sink_rc) {
        rc = c.sink_rc;
    } else if (rc < 0) {
        if (sink->on_error)
            sink->on_error(sink->ctx, c.in_entry ? c.entryno : 0, xml_stream_error(c.xs));
        rc = xml_stream_status(c.xs) ? xml_stream_status(c.xs) : rc;
    } else {
        rc = 0;
    }
out:
    xml_stream_close(c.xs);
    buf_cleanup(&c.scratch);
    return rc;
}
