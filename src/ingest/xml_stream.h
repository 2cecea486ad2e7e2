/*
 * xml_stream.h - the one place paperboy touches libxml2: a pull parser over
 * an ingest_input, for the OAI-PMH and Atom readers (ingest-internal).
 *
 * It wraps libxml2's streaming xmlTextReader fed by ingest_input_read(), so
 * memory stays flat whatever the file size: only the element being read and
 * its ancestors are held. Hostile input is read safely: no network
 * (XML_PARSE_NONET), no DTD loading, no entity substitution (entity
 * references yield no text), XML_PARSE_HUGE off so libxml2's own limits
 * apply (10 MB per text node, depth 256, entity amplification checks).
 *
 * Elements are matched by local name only: the readers accept any namespace
 * (or none), as arXiv's feeds have varied over the years.
 *
 * The cursor model: xml_stream_child() walks the element children of one
 * element; the caller either reads a child's text (xml_stream_text, which
 * consumes it), walks its children in turn, or ignores it (the next
 * xml_stream_child() call skips what is left of it).
 *
 * Errors: the first fatal XML error is kept as "XML error at line L: msg".
 * A document that stops early (end of input inside an element, or a gzip
 * stream cut short) gives ERR_TRUNCATED; any other well-formedness error
 * ERR_PARSE; an input read failure ERR_IO.
 */
#ifndef PAPERBOY_INGEST_XML_STREAM_H
#define PAPERBOY_INGEST_XML_STREAM_H

#include <stddef.h>

#include "ingest/input.h"
#include "store/paper.h"
#include "util/buf.h"

struct xml_stream;

/* Starts a parser over in (borrowed; must outlive the stream). flush_after
 * is a NULL-terminated list (or NULL) of at most 4 element local names, each
 * under 60 bytes, whose end tags close a unit of work ("record", "entry")
 * and the root's name: input is handed to libxml2 in pieces that end after
 * those end tags, so that damage after one cannot hide it. The strings are
 * borrowed (static tables). ERR_INVALID for a list over those limits. Free
 * with xml_stream_close(). */
int xml_stream_open(struct ingest_input *in, const char *const *flush_after,
                    struct xml_stream **out /* OUT */);
/* Frees the parser; NULL does nothing. */
void xml_stream_close(struct xml_stream *xs);

/* Moves to the document's root element. Returns 1 when on it, 0 when the
 * document has no element (then truncated or empty: see the code given by
 * xml_stream_status()), or a negative code on an XML or input error. */
int xml_stream_root(struct xml_stream *xs);

/* Moves to the next element child of the element at depth parent_depth,
 * which must be the element the cursor was on when the walk began (and not
 * an empty element, see xml_stream_empty()). Returns 1 when on a child, 0
 * when the parent's end tag was reached, or a negative code on error. */
int xml_stream_child(struct xml_stream *xs, int parent_depth);

/* Reads to the end of the document, so that errors after the root's end
 * tag are seen. 0, or a negative code. */
int xml_stream_finish(struct xml_stream *xs);

/* The current element: its local name (owned by the stream, valid until the
 * next move), its depth (the root is 0), whether it is written <x/>. */
const char *xml_stream_name(const struct xml_stream *xs);
int xml_stream_depth(const struct xml_stream *xs);
int xml_stream_empty(const struct xml_stream *xs);
/* Finds the current element's attribute with this local name and writes a
 * malloc'ed copy of its value to *out (free() it), or NULL when there is no
 * such attribute. ERR_TOO_LARGE (nothing written) when the value is longer
 * than max bytes. */
int xml_stream_attr(struct xml_stream *xs, const char *local_name, size_t max,
                    char **out /* OUT */);

/* Appends the text inside the current element (its descendants' text too,
 * CDATA included, entity references dropped) to b and leaves the cursor on
 * the element's end. ERR_TOO_LARGE when the text would pass b->max: b
 * holds a prefix and the element is still consumed, so the caller may go
 * on. Other negative codes are document errors. */
int xml_stream_text(struct xml_stream *xs, struct buf *b);

/* Reads the current element's text like xml_stream_text() through the
 * caller's scratch buffer (reset first; its max is the cap) and, when *dst
 * is still NULL, stores a malloc'ed copy there (a repeated element keeps
 * the first value). Returns 0, ERR_TOO_LARGE (nothing stored, element
 * consumed) or a document error. */
int xml_stream_field(struct xml_stream *xs, struct buf *scratch, char **dst);

/* What one record (an OAI <record>, an Atom <entry>) may hold: the text
 * read so far against a cap, and the first reason the record is unusable
 * ("" while it is fine). Readers report bad records and read on. */
struct xml_budget {
    size_t bytes;
    size_t max;
    const char *unit; /* "record" or "entry", for messages */
    char bad[200];
};

void xml_budget_init(struct xml_budget *b, size_t max, const char *unit);
/* Records the first reason the record is unusable (fmt takes one %s). */
void xml_budget_bad(struct xml_budget *b, const char *fmt, const char *arg);
/* xml_stream_field, charging b: a field over its cap or a record over
 * b->max marks b bad and returns 0 so reading goes on; a negative return is
 * a document error. */
int xml_stream_field_budget(struct xml_stream *xs, struct buf *scratch, char **dst,
                            struct xml_budget *b);

/* Appends affiliation a (folded; NULL or blank adds nothing) to the
 * "; "-separated list in aff, as both readers join an author's
 * affiliations. Over aff's cap the rest is dropped. */
void xml_affiliation_add(struct buf *aff, const char *a);

/* Moves a record's title and abstract as read (*title and *abstract are
 * taken and set to NULL) into p, folded and raw, as both readers store
 * them. Returns 0, or -1 after marking b bad ("<unit> has no title") when
 * the title is missing or blank; p->title may then hold "" and *title is
 * left with the caller. */
int xml_record_text(struct xml_budget *b, char **title, char **abstract, struct paper *p);

/* The code of the failure that stopped the stream (0 if none). */
int xml_stream_status(const struct xml_stream *xs);
/* A one-line description of that failure ("XML error at line 12: ..."),
 * owned by the stream; "" when there was none. */
const char *xml_stream_error(const struct xml_stream *xs);
/* The parser's current line (1-based), for messages. */
long xml_stream_line(const struct xml_stream *xs);

#endif
