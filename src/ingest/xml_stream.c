/*
 * xml_stream.c - libxml2's xmlTextReader over an ingest_input (see
 * xml_stream.h).
 *
 * The reader pulls bytes through xs_read(), which also notes end of input
 * and input errors: that is how a document cut short is told from one
 * damaged in the middle. libxml2 reports a cut document as a fatal error
 * raised only after it was told the input has ended ("Premature end of
 * data in tag", "EndTag: '</' not found", "Couldn't find end of Start
 * Tag", ...); damage fails while input is still coming. Only fatal errors stop
 * the stream: namespace errors (an undeclared xsi: prefix, as in arXiv's
 * own sample files) and warnings are ignored, since the readers match
 * local names anyway.
 *
 * Feeding: libxml2's reader pulls input through xs_read() and parses it in
 * 512-byte blocks (CHUNK_SIZE in xmlreader.c), reading on while it holds a
 * full block; when a block fails to parse it returns -1 at once and the
 * nodes already parsed from that block are never handed out. xs_read()
 * therefore gives it at most XS_PIECE (< 512) bytes at a time, and ends a
 * piece right after every end tag named in flush_after ("</record>"), so
 * that the reader has handed out a complete record before it parses a byte
 * beyond it. The unit test "damage right after record 3" guards this.
 *
 * Node state (type, depth, empty flag, local name) is cached after every
 * step so that the accessors are cheap and const.
 */
#include "ingest/xml_stream.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

/* NONET: never fetch anything. No NOENT (entities stay unexpanded), no
 * DTDLOAD/DTDATTR/DTDVALID, no XINCLUDE, no HUGE (keep libxml2's limits).
 * NOCDATA hands CDATA sections over as plain text. NOBLANKS is not used:
 * whitespace inside text elements matters for the *_raw fields. */
#define XS_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT)

#define XS_RBUF 65536 /* bytes read from the input at a time */
#define XS_TAIL 64    /* bytes of the previous delivery kept for matching */
#define XS_MAX_FLUSH 4
/* libxml2's reader parses what it holds in 512-byte blocks and keeps
 * reading while it holds a full block; given less than that per read, it
 * parses exactly one delivery per push and returns to the caller. */
#define XS_PIECE 480

struct xml_stream {
    xmlTextReaderPtr r;
    struct ingest_input *in;
    /* input side: rbuf[rpos..rlen) is read but not yet given to libxml2 */
    char *rbuf;
    size_t rpos, rlen;
    char tail[XS_TAIL]; /* the last tail_len bytes given to libxml2 */
    size_t tail_len;
    const char *flush[XS_MAX_FLUSH]; /* end tags that end a delivery */
    size_t n_flush;
    int root_closed;   /* the root's end tag was read by the consumer */
    int input_rc;   /* first error ingest_input_read() gave, or 0 */
    int input_eof;  /* ingest_input_read() returned 0 */
    long in_lines;  /* newlines delivered to the parser */
    int last_nl;    /* the last byte delivered was '\n' */
    size_t in_bytes;
    /* the first fatal XML error */
    int fatal;      /* seen */
    int fatal_code; /* libxml2 xmlParserErrors */
    int fatal_at_eof; /* raised after the input had run out */
    long fatal_line;
    char fatal_msg[256];
    /* the first other error (libxml2 raises some stops, such as its 10 MB
     * text node limit, at level ERROR): the message when no fatal came */
    long other_line;
    char other_msg[256];
    /* outcome */
    int status;
    char errbuf[400];
    int done; /* end of document reached or stopped */
    /* the current node */
    int type, depth, empty;
    const char *name;
};

/* The byte at offset i (may be negative: then from the tail) of the
 * delivery being cut. */
static char xs_byte_at(const struct xml_stream *xs, const char *p, ptrdiff_t i)
{
    if (i >= 0)
        return p[i];
    ptrdiff_t t = (ptrdiff_t)xs->tail_len + i;
    return t >= 0 ? xs->tail[t] : '\0';
}

/* Returns how many of the n bytes at p to hand to libxml2 now: up to and
 * including the first '>' that closes one of the flush end tags
 * ("</name>" or "</prefix:name>"), else all n. libxml2's reader parses
 * whatever it was given before it returns the nodes parsed so far, and an
 * error anywhere in that piece loses them all; ending a piece right after
 * each record's end tag means damage after a record cannot cost that
 * record. */
static size_t xs_cut(const struct xml_stream *xs, const char *p, size_t n)
{
    if (xs->n_flush == 0)
        return n;
    const char *q = p, *end = p + n;
    while (q < end && (q = memchr(q, '>', (size_t)(end - q))) != NULL) {
        ptrdiff_t gt = q - p;
        for (size_t k = 0; k < xs->n_flush; k++) {
            const char *name = xs->flush[k];
            ptrdiff_t len = (ptrdiff_t)strlen(name), j;
            for (j = 0; j < len; j++)
                if (xs_byte_at(xs, p, gt - len + j) != name[j])
                    break;
            if (j < len)
                continue;
            char before = xs_byte_at(xs, p, gt - len - 1);
            if (before == '/' || before == ':')
                return (size_t)gt + 1;
        }
        q++;
    }
    return n;
}

static int xs_read(void *ctx, char *dst, int len)
{
    struct xml_stream *xs = ctx;
    if (len <= 0)
        return 0;
    if (xs->rpos == xs->rlen) {
        ssize_t got = ingest_input_read(xs->in, xs->rbuf, XS_RBUF);
        if (got < 0) {
            xs->input_rc = (int)got;
            return -1;
        }
        if (got == 0) {
            xs->input_eof = 1;
            return 0;
        }
        xs->rpos = 0;
        xs->rlen = (size_t)got;
    }
    size_t n = xs->rlen - xs->rpos;
    if (n > (size_t)len)
        n = (size_t)len;
    if (n > XS_PIECE)
        n = XS_PIECE;
    const char *p = xs->rbuf + xs->rpos;
    n = xs_cut(xs, p, n);
    memcpy(dst, p, n);
    xs->rpos += n;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++)
        xs->in_lines++;
    xs->last_nl = p[n - 1] == '\n';
    xs->in_bytes += n;
    /* Keep the last XS_TAIL bytes delivered for xs_cut(). */
    if (n >= XS_TAIL) {
        memcpy(xs->tail, p + n - XS_TAIL, XS_TAIL);
        xs->tail_len = XS_TAIL;
    } else {
        size_t keep = xs->tail_len + n > XS_TAIL ? XS_TAIL - n : xs->tail_len;
        memmove(xs->tail, xs->tail + xs->tail_len - keep, keep);
        memcpy(xs->tail + keep, p, n);
        xs->tail_len = keep + n;
    }
    return (int)n;
}

static int xs_close(void *ctx)
{
    (void)ctx; /* the input belongs to the caller */
    return 0;
}

/* Copies a libxml2 message into dst as one line. */
static void xs_copy_msg(char *dst, size_t n, const char *m)
{
    snprintf(dst, n, "%s", m ? m : "malformed XML");
    size_t len = strlen(dst);
    while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
        dst[--len] = '\0';
    for (size_t i = 0; i < len; i++)
        if (dst[i] == '\n')
            dst[i] = ' ';
}

static void xs_on_error(void *arg, xmlErrorPtr e)
{
    struct xml_stream *xs = arg;
    if (!e || e->level < XML_ERR_ERROR || e->domain == XML_FROM_NAMESPACE)
        return;
    if (e->level < XML_ERR_FATAL) {
        if (xs->other_msg[0] == '\0') {
            xs->other_line = e->line;
            xs_copy_msg(xs->other_msg, sizeof xs->other_msg, e->message);
        }
        return;
    }
    if (xs->fatal)
        return;
    xs->fatal = 1;
    xs->fatal_at_eof = xs->input_eof;
    xs->fatal_code = e->code;
    xs->fatal_line = e->line;
    xs_copy_msg(xs->fatal_msg, sizeof xs->fatal_msg, e->message);
}

int xml_stream_open(struct ingest_input *in, const char *const *flush_after,
                    struct xml_stream **out)
{
    struct xml_stream *xs = xcalloc(1, sizeof *xs);
    xs->in = in;
    xs->rbuf = xmalloc(XS_RBUF);
    for (size_t i = 0; flush_after && flush_after[i]; i++) {
        if (xs->n_flush == XS_MAX_FLUSH || strlen(flush_after[i]) + 2 > XS_TAIL)
            return free(xs->rbuf), free(xs), ERR_INVALID;
        xs->flush[xs->n_flush++] = flush_after[i];
    }
    xs->r = xmlReaderForIO(xs_read, xs_close, xs, NULL, NULL, XS_PARSE_OPTIONS);
    if (!xs->r) {
        /* Only allocation failures make libxml2 refuse here. */
        free(xs->rbuf);
        free(xs);
        return ERR_INVALID;
    }
    xmlTextReaderSetStructuredErrorHandler(xs->r, xs_on_error, xs);
    *out = xs;
    return 0;
}

void xml_stream_close(struct xml_stream *xs)
{
    if (!xs)
        return;
    xmlFreeTextReader(xs->r);
    free(xs->rbuf);
    free(xs);
}

/* Is the fatal error the parser meeting the end of the input? libxml2's
 * push parser waits for more input before it judges an unfinished
 * construct (a tag without its '>', text without the next '<'), so a
 * document cut short fails only once it is told that the input has ended,
 * while most damage fails as soon as its bytes are parsed. Exceptions,
 * measured by cutting sample documents at every byte: an error that
 * proves damage whatever follows (a mismatched end tag, anything after the
 * root's end) is never truncation; and a few damages also wait for the end
 * (a bare '&' waits for a ';'), so an error at the end counts as
 * truncation only on the last line, unless it is one of the "unfinished
 * construct" errors that libxml2 reports at the line where a multi-line
 * comment, CDATA section, attribute value or text run began. */
static int xs_is_truncation(const struct xml_stream *xs)
{
    if (!xs->fatal_at_eof || xs->root_closed || xs->fatal_code == XML_ERR_TAG_NAME_MISMATCH)
        return 0;
    long last_line = xs->in_lines + (xs->last_nl ? 0 : 1);
    if (xs->fatal_line >= last_line)
        return 1;
    switch (xs->fatal_code) {
    case XML_ERR_DOCUMENT_END: /* libxml2's words for "ended inside text" */
    case XML_ERR_COMMENT_NOT_FINISHED:
    case XML_ERR_CDATA_NOT_FINISHED:
    case XML_ERR_PI_NOT_FINISHED:
    case XML_ERR_ATTRIBUTE_NOT_FINISHED:
    case XML_ERR_ATTRIBUTE_NOT_STARTED:
    case XML_ERR_GT_REQUIRED:
    case XML_ERR_TAG_NOT_FINISHED:
    case XML_ERR_LTSLASH_REQUIRED:
        return 1;
    default:
        return 0;
    }
}

/* Records why the stream stopped (once) and returns the code. */
static int xs_fail(struct xml_stream *xs)
{
    if (xs->status)
        return xs->status;
    if (xs->input_rc) {
        xs->status = xs->input_rc;
        snprintf(xs->errbuf, sizeof xs->errbuf, "%s after %zu bytes",
                 xs->input_rc == ERR_TRUNCATED ? "input cut short (compressed stream ended early)"
                                               : "input read failed",
                 xs->in_bytes);
    } else if (xs->fatal) {
        xs->status = xs_is_truncation(xs) ? ERR_TRUNCATED : ERR_PARSE;
        snprintf(xs->errbuf, sizeof xs->errbuf, "XML error at line %ld: %s%s", xs->fatal_line,
                 xs->fatal_msg,
                 xs->status == ERR_TRUNCATED ? " (the document ends early)" : "");
    } else if (xs->other_msg[0]) {
        xs->status = ERR_PARSE;
        snprintf(xs->errbuf, sizeof xs->errbuf, "XML error at line %ld: %s", xs->other_line,
                 xs->other_msg);
    } else {
        xs->status = ERR_PARSE;
        snprintf(xs->errbuf, sizeof xs->errbuf, "XML error at line %ld: the parser stopped",
                 xml_stream_line(xs));
    }
    xs->done = 1;
    return xs->status;
}

/* One reader step. 1 on a node, 0 at the end of the document, <0 error. */
static int xs_step(struct xml_stream *xs)
{
    if (xs->status)
        return xs->status;
    if (xs->done)
        return 0;
    /* After a fatal error libxml2 may still hand out the nodes it built
     * before it: keep reading them, so that records before the damage are
     * kept, until it gives up. */
    int rc = xmlTextReaderRead(xs->r);
    if (rc < 0 || (rc == 0 && (xs->fatal || xs->input_rc)))
        return xs_fail(xs);
    if (rc == 0) {
        xs->done = 1;
        return 0;
    }
    xs->type = xmlTextReaderNodeType(xs->r);
    xs->depth = xmlTextReaderDepth(xs->r);
    xs->empty = xs->type == XML_READER_TYPE_ELEMENT && xmlTextReaderIsEmptyElement(xs->r) == 1;
    const xmlChar *n = xmlTextReaderConstLocalName(xs->r);
    xs->name = n ? (const char *)n : "";
    if (xs->depth == 0 && (xs->type == XML_READER_TYPE_END_ELEMENT || xs->empty))
        xs->root_closed = 1;
    return 1;
}

int xml_stream_root(struct xml_stream *xs)
{
    int rc;
    while ((rc = xs_step(xs)) == 1)
        if (xs->type == XML_READER_TYPE_ELEMENT)
            return 1;
    if (rc == 0 && !xs->status) {
        /* Well-formed documents have a root: libxml2 reports an empty one
         * itself, but say it plainly if it did not. */
        xs->status = xs->in_bytes == 0 ? ERR_TRUNCATED : ERR_PARSE;
        snprintf(xs->errbuf, sizeof xs->errbuf, "XML error at line %ld: %s",
                 xml_stream_line(xs),
                 xs->in_bytes == 0 ? "the document is empty" : "no root element");
        return xs->status;
    }
    return rc;
}

int xml_stream_child(struct xml_stream *xs, int parent_depth)
{
    int rc;
    while ((rc = xs_step(xs)) == 1) {
        if (xs->type == XML_READER_TYPE_ELEMENT && xs->depth == parent_depth + 1)
            return 1;
        if (xs->type == XML_READER_TYPE_END_ELEMENT && xs->depth <= parent_depth)
            return 0;
        if (xs->type == XML_READER_TYPE_ELEMENT && xs->depth <= parent_depth)
            return 0; /* the caller walked an empty element: nothing inside */
    }
    return rc;
}

int xml_stream_finish(struct xml_stream *xs)
{
    int rc;
    while ((rc = xs_step(xs)) == 1)
        ;
    return rc;
}

const char *xml_stream_name(const struct xml_stream *xs)
{
    return xs->name ? xs->name : "";
}

int xml_stream_depth(const struct xml_stream *xs)
{
    return xs->depth;
}

int xml_stream_empty(const struct xml_stream *xs)
{
    return xs->empty;
}

int xml_stream_attr(struct xml_stream *xs, const char *local_name, size_t max, char **out)
{
    char *v = NULL;
    int rc = 0;
    if (xmlTextReaderMoveToFirstAttribute(xs->r) == 1) {
        do {
            const xmlChar *ln = xmlTextReaderConstLocalName(xs->r);
            if (ln && strcmp((const char *)ln, local_name) == 0) {
                const xmlChar *val = xmlTextReaderConstValue(xs->r);
                const char *s = val ? (const char *)val : "";
                size_t len = strlen(s);
                if (len > max)
                    rc = ERR_TOO_LARGE;
                else
                    v = xstrndup(s, len);
                break;
            }
        } while (xmlTextReaderMoveToNextAttribute(xs->r) == 1);
        xmlTextReaderMoveToElement(xs->r);
    }
    if (rc == 0)
        *out = v;
    return rc;
}

int xml_stream_text(struct xml_stream *xs, struct buf *b)
{
    if (xs->type != XML_READER_TYPE_ELEMENT || xs->empty)
        return 0;
    int d = xs->depth, over = 0, rc;
    while ((rc = xs_step(xs)) == 1) {
        switch (xs->type) {
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
            if (!over) {
                const xmlChar *v = xmlTextReaderConstValue(xs->r);
                if (v && buf_append_str(b, (const char *)v) != 0)
                    over = 1;
            }
            break;
        case XML_READER_TYPE_END_ELEMENT:
            if (xs->depth == d)
                return over ? ERR_TOO_LARGE : 0;
            break;
        default:
            break;
        }
    }
    /* rc == 0 cannot happen in a well-formed document (the end tag comes
     * first); treat it as a parse failure all the same. */
    return rc < 0 ? rc : xs_fail(xs);
}

int xml_stream_field(struct xml_stream *xs, struct buf *scratch, char **dst)
{
    buf_reset(scratch);
    int rc = xml_stream_text(xs, scratch);
    if (rc == 0 && *dst == NULL)
        *dst = xstrndup(scratch->p ? scratch->p : "", scratch->len);
    return rc;
}

int xml_stream_status(const struct xml_stream *xs)
{
    return xs->status;
}

const char *xml_stream_error(const struct xml_stream *xs)
{
    return xs->errbuf;
}

long xml_stream_line(const struct xml_stream *xs)
{
    int l = xmlTextReaderGetParserLineNumber(xs->r);
    return l > 0 ? l : 1;
}

void xml_budget_init(struct xml_budget *b, size_t max, const char *unit)
{
    b->bytes = 0;
    b->max = max;
    b->unit = unit;
    b->bad[0] = '\0';
}

void xml_budget_bad(struct xml_budget *b, const char *fmt, const char *arg)
{
    if (b->bad[0] == '\0')
        snprintf(b->bad, sizeof b->bad, fmt, arg);
}

int xml_record_text(struct xml_budget *b, char **title, char **abstract, struct paper *p)
{
    p->title = text_fold_str(*title);
    if (!p->title || !*p->title) {
        xml_budget_bad(b, "%s has no title", b->unit);
        return -1;
    }
    p->title_raw = *title, *title = NULL;
    if (*abstract) {
        p->abstract = text_fold_str(*abstract);
        p->abstract_raw = *abstract, *abstract = NULL;
    }
    return 0;
}

int xml_stream_field_budget(struct xml_stream *xs, struct buf *scratch, char **dst,
                            struct xml_budget *b)
{
    int rc = xml_stream_field(xs, scratch, dst);
    if (rc == ERR_TOO_LARGE) {
        xml_budget_bad(b, "field <%s> is over the 1 MiB cap", xml_stream_name(xs));
        return 0;
    }
    if (rc < 0)
        return rc;
    b->bytes += scratch->len;
    if (b->bytes > b->max && b->bad[0] == '\0')
        snprintf(b->bad, sizeof b->bad, "%s text is over the %zu MiB cap (at <%s>)", b->unit,
                 b->max >> 20, xml_stream_name(xs));
    return 0;
}

void xml_affiliation_add(struct buf *aff, const char *a)
{
    char *fa = text_fold_str(a);
    if (fa && *fa) {
        if (aff->len)
            buf_append_str(aff, "; ");
        buf_append_str(aff, fa);
    }
    free(fa);
}
