/*
 * query.h - the search box language, parsed into a small AST.
 *
 * What a user may type (everything else is plain text):
 *
 *   deep learning            free words: scored with BM25 over every field,
 *                            any of them may match (a disjunction)
 *   "graph neural network"   a phrase: its words must appear adjacent and in
 *                            order; a document without it is not a hit
 *   -quantum  -"toy model"   exclusion: documents containing the word or
 *                            phrase are dropped
 *   ti:attention             field terms: ti:/title:, abs:/abstract:,
 *   abs:"sparse coding"      au:/author: must match in that field (required,
 *   au:hinton                and scored there); the value may be a phrase
 *   cat:cs.LG  cat:cs        category filter: the paper lists cs.LG (or any
 *                            cs.* for a bare archive); several cat: are ORed
 *   since:2024-01-01         date filters on the paper's first-version date,
 *   until:2024-12-31         inclusive; YYYY-MM and YYYY are accepted too
 *   year:2024                (since: takes the first day, until: the last);
 *                            several filters intersect
 *   2401.12345  arXiv:2401.12345v2  https://arxiv.org/abs/2401.12345
 *                            an arXiv id (any form arxiv_id_parse() accepts)
 *                            anywhere in the query pins that paper first; it
 *                            is not searched as text
 *
 * Negation applies to words, phrases and field terms (-au:smith, -cat:hep-th).
 *
 * Broken syntax never fails, it degrades to plain text: an unclosed quote is
 * dropped and the words after it are free words; a lone "-" is ignored; a
 * field with no value ("ti:") or an unknown field ("foo:bar") and a date that
 * does not parse ("since:soon") are kept as free text, as typed. Control
 * bytes count as spaces. QUERY_DEGRADED records that this happened.
 *
 * Caps: the input is cut at QUERY_MAX_BYTES (at a UTF-8 character boundary)
 * and at QUERY_MAX_TERMS terms (words, phrases and field terms; pins and
 * date filters are not terms), at most QUERY_MAX_PINS ids are pinned; each
 * cut sets a flag and the rest is dropped.
 *
 * The AST is not analyzed: term text is as the user typed it (quotes
 * removed, field prefix removed). search/ runs the analyzer (text/) on it,
 * the same analyzer the documents went through.
 *
 * Depends on ingest/normalize.h for arxiv_id_parse(), a pure function; see
 * the note in query.c.
 */
#ifndef PAPERBOY_SEARCH_QUERY_H
#define PAPERBOY_SEARCH_QUERY_H

#include <stddef.h>

#include "util/buf.h"

#define QUERY_MAX_BYTES 1024
#define QUERY_MAX_TERMS 64
#define QUERY_MAX_PINS 8

enum query_field {
    QUERY_FIELD_ANY = 0,  /* free text: every indexed field */
    QUERY_FIELD_TITLE,    /* ti: title: */
    QUERY_FIELD_ABSTRACT, /* abs: abstract: */
    QUERY_FIELD_AUTHOR,   /* au: author: */
    QUERY_FIELD_CATEGORY  /* cat: category: (a filter, never scored) */
};

/* Flags in search_query.flags. */
enum query_flag {
    QUERY_TRUNC_BYTES = 1, /* input longer than QUERY_MAX_BYTES was cut */
    QUERY_TRUNC_TERMS = 2, /* terms past QUERY_MAX_TERMS were dropped */
    QUERY_TRUNC_PINS = 4,  /* ids past QUERY_MAX_PINS were dropped */
    QUERY_DEGRADED = 8     /* some syntax was broken and read as plain text */
};

struct query_term {
    char *text;             /* owned, NUL-terminated, never empty */
    enum query_field field; /* QUERY_FIELD_ANY for free words and phrases */
    unsigned char phrase;   /* 1: written in quotes (may hold one word) */
    unsigned char exclude;  /* 1: written with a leading '-' */
};

struct search_query {
    struct query_term *terms; /* n_terms entries, in the order typed; owned */
    size_t n_terms;
    char *pins[QUERY_MAX_PINS]; /* normalised arXiv ids, owned, in order, no repeats */
    size_t n_pins;
    char since[11]; /* "YYYY-MM-DD" or "" when unbounded */
    char until[11]; /* "YYYY-MM-DD" or "" when unbounded */
    unsigned flags; /* enum query_flag bits */
};

/* Parses the len bytes at p (need not be NUL-terminated; may be any bytes)
 * into *q, which the caller later frees with query_cleanup(). Never fails:
 * broken syntax degrades to plain text as described above, an empty or
 * all-blank input gives a query with nothing in it. */
void query_parse(const char *p, size_t len, struct search_query *q /* OUT */);

/* Frees what q owns and zeroes it; safe on a zeroed struct. */
void query_cleanup(struct search_query *q);

/* True when the query can select anything by text: it has a positive
 * (non-excluded) term other than a category. */
int query_has_text(const struct search_query *q);

/* Appends the free text of q to b: the positive unfielded words and phrases
 * in order, separated by one space (no quotes). Used for the exact-title
 * match. Returns 0 or ERR_TOO_LARGE from b. */
int query_free_text(const struct search_query *q, struct buf *b);

/* Appends a canonical, re-parseable rendering of q to b (for tests, logs
 * and --explain): terms as typed with field names in their short form
 * (ti: abs: au: cat:), phrases quoted, then "id:ID" per pin, "since:" and
 * "until:" dates, and flags as "#bytes", "#terms", "#pins", "#degraded".
 * Returns 0 or ERR_TOO_LARGE from b. */
int query_format(const struct search_query *q, struct buf *b);

/* The short name of a field ("" for QUERY_FIELD_ANY, "ti", "abs", "au", "cat"). */
const char *query_field_name(enum query_field f);

#endif
