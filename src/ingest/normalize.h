/*
 * normalize.h - the small normalisations every reader shares: arXiv ids,
 * display text (util/text_fold.h), dates.
 *
 * arXiv ids: new style "YYMM.NNNN" / "YYMM.NNNNN", old style
 * "archive[.SUBJ]/YYMMNNN". Accepted wrappers: "arXiv:", "oai:arXiv.org:",
 * abs/pdf URLs (http or https, arxiv.org or export.arxiv.org, optional
 * ".pdf"), and a trailing version "vN". The normal form has no wrapper, no
 * version, and drops the old-style subject class ("math.GT/0309136" ->
 * "math/0309136"), because arXiv's own identifiers do.
 */
#ifndef PAPERBOY_INGEST_NORMALIZE_H
#define PAPERBOY_INGEST_NORMALIZE_H

#include <stddef.h>

/* Parses an arXiv id in any accepted form from (p, len). On success writes
 * the normal form (malloc'ed, free() it) to *id and the version (0 when
 * absent) to *version (may be NULL). ERR_PARSE when it is not an arXiv id. */
int arxiv_id_parse(const char *p, size_t len, char **id /* OUT */, int *version /* OUT */);

/* The display form of titles and abstracts, text_fold(), moved to
 * util/text_fold.h (the store rebuilds display columns with it). */

/* Parses any date the sources use (see util/timeutil.h) and returns a
 * malloc'ed ISO 8601 form: "YYYY-MM-DD" when the text had only a day, else
 * "YYYY-MM-DDTHH:MM:SSZ". NULL when the text is not a date. */
char *date_normalize(const char *p, size_t len);

#endif
