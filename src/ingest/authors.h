/*
 * authors.h - author lists as arXiv writes them, and the TeX in them.
 *
 * arXiv author strings look like "C. Bal\'azs, E. L. Berger and C.-P. Yuan"
 * or "A. One (MIT), B. Two (1), C. Three ((1) CERN)": comma-separated, the
 * last pair joined by "and", affiliations in parentheses. authors_split()
 * turns one into struct paper_author entries; tex_to_utf8() turns the TeX
 * accents and escapes common in arXiv metadata (\'a, {\"o}, \ss, ~) into
 * UTF-8 for display. Raw text is always kept alongside by the callers.
 */
#ifndef PAPERBOY_INGEST_AUTHORS_H
#define PAPERBOY_INGEST_AUTHORS_H

#include <stddef.h>

#include "store/paper.h"

/* Splits the author string (p, len) and appends each author to p->authors
 * (name = the display name with TeX accents decoded and affiliations
 * removed; last/first guessed from the name: the last word is the last name
 * unless the source is "Last, First"-shaped elsewhere). Returns the number
 * of authors added (0 for an empty string). Never fails on odd input. */
size_t authors_split(struct paper *paper, const char *p, size_t len);

/* Returns a malloc'ed UTF-8 copy of (p, len) with TeX accent commands and
 * braces decoded where they are known; unknown commands are kept as written. */
char *tex_to_utf8(const char *p, size_t len);

#endif
