/*
 * paper_json.h - the one JSON shape of a paper, shared by `paperboy show
 * --json` and the web API so the two never drift apart.
 *
 * {"id","title","title_raw","abstract","abstract_raw","authors":[{"name",
 *  "last","first","suffix","affiliation"}],"authors_raw","primary_category",
 *  "categories":[...],"comments","journal_ref","doi","report_no","license",
 *  "submitter","created","updated","latest_version","versions":[{"version",
 *  "date","size"}],"links":{"abs","pdf","doi"}}
 * Absent values are null.
 */
#ifndef PAPERBOY_STORE_PAPER_JSON_H
#define PAPERBOY_STORE_PAPER_JSON_H

#include "store/paper.h"
#include "util/jsonw.h"

/* Writes p as one JSON object value into w (errors sticky in w->rc). */
void paper_json_write(struct jsonw *w, const struct paper *p);

#endif
