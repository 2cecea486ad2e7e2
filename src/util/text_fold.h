/*
 * text_fold.h - the display form of titles and abstracts.
 *
 * arXiv metadata carries hard line breaks and runs of spaces inside titles
 * and abstracts. The display form folds every run of ASCII whitespace
 * (space, \t, \n, \v, \f, \r) to one space and trims both ends; nothing
 * else changes (LaTeX, Unicode and punctuation stay as written).
 *
 * It lives in util/ because two modules need the same definition: ingest/
 * makes display forms with it, and store/ keeps a display column only when
 * it differs from text_fold(raw) and rebuilds it on read (see
 * store_paper.c), so both must agree byte for byte.
 */
#ifndef PAPERBOY_UTIL_TEXT_FOLD_H
#define PAPERBOY_UTIL_TEXT_FOLD_H

#include <stddef.h>

/* Returns a malloc'ed copy of (p, len) with every run of whitespace
 * (including arXiv's hard line breaks) folded to one space and the ends
 * trimmed: the display form of titles and abstracts. free() it. */
char *text_fold(const char *p, size_t len);
/* text_fold of a NUL-terminated string; NULL stays NULL. */
char *text_fold_str(const char *s);

/* Returns 1 when text_fold(p, len) would equal the NUL-terminated folded,
 * else 0, without allocating. */
int text_fold_equals(const char *p, size_t len, const char *folded);

#endif
