/*
 * authors_int.h - what authors.c shares with the other readers in ingest/
 * (not part of the public contract in authors.h).
 */
#ifndef PAPERBOY_INGEST_AUTHORS_INT_H
#define PAPERBOY_INGEST_AUTHORS_INT_H

#include <stddef.h>

#include "store/paper.h"

/* Appends one author whose display name is (name, len) (copied with
 * whitespace folded, no TeX decoding), guessing last/first/suffix from it:
 * a trailing "Jr."/"III" is the suffix, the last word (with lower-case
 * particles such as "van der" before it) the last name, the rest the first
 * names. affiliation (copied) may be NULL. Does nothing for an empty name. */
void authors_add_name(struct paper *paper, const char *name, size_t len, const char *affiliation);

/* Is s worth keeping as an affiliation: does it hold a word (two letters
 * in a row, "and" aside), rather than only reference marks such as
 * "1, 2", "a" or "1 and 3"? */
int authors_is_affiliation(const char *s);

#endif
