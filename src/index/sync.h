/*
 * sync.h - keeping the lexical index in step with the store.
 *
 * The index is derived: the store is the truth. index_reindex() rebuilds it
 * from every paper (`paperboy reindex`); index_sync() adds what changed
 * since the last sync (ingest, harvest and serve call it after writing to
 * the store). The manifest keeps a sync mark (how far the store was
 * indexed) and a source tag (which store); an index whose tag does not
 * match the store, or whose mark is ahead of the store, is stale and must
 * be rebuilt (ERR_CORRUPT from index_sync; index_open_synced() does it).
 *
 * Document mapping (struct paper -> struct index_doc): rowid = the store's
 * row number, title/abstract = the display forms, authors = the names
 * joined by ", " (authors_raw when no list), categories = paper.categories,
 * date = days since epoch of the first version (created), INDEX_NO_DATE
 * when unknown.
 */
#ifndef PAPERBOY_INDEX_SYNC_H
#define PAPERBOY_INDEX_SYNC_H

#include <stdint.h>
#include <stdio.h>

#include "index/index.h"
#include "store/store.h"

/* Rebuilds the index in dir from every paper of st: creates it empty (with
 * options o, NULL = defaults), adds all papers (inverted on up to 4
 * worker threads, as many as there are CPUs), commits, and merges to one
 * segment. progress: a FILE for a progress line, or NULL. Writes the number
 * of documents to *n_docs (may be NULL). The caller closes *out. ERR_IO,
 * ERR_DB. */
int index_reindex(struct store *st, const char *dir, const struct index_opts *o, FILE *progress,
                  struct index **out /* OUT */, int64_t *n_docs /* OUT */);

/* Adds to ix every paper of st added or changed since the last sync, and
 * commits (the old version of a changed paper is replaced). Writes the
 * number of papers indexed to *n (may be NULL). ERR_CORRUPT when the index
 * is stale for this store (see above): rebuild it. ERR_DB, ERR_IO. */
int index_sync(struct index *ix, struct store *st, int64_t *n /* OUT */);

/* Opens the index in dir for store st, synced: opens it and syncs it; when
 * it is missing, corrupt or stale it is rebuilt (index_reindex with o).
 * The caller closes *out. */
int index_open_synced(struct store *st, const char *dir, const struct index_opts *o,
                      FILE *progress, struct index **out /* OUT */);

/* Fills d from paper p with row number rowid (strings borrowed from p;
 * authors are joined into buf, which the caller cleans up, capped at
 * 64 KiB). */
struct buf;
void index_doc_from_paper(struct index_doc *d /* OUT */, int64_t rowid, const struct paper *p,
                          struct buf *buf);

/* Days since 1970-01-01 of an ISO date ("YYYY-MM-DD..." or what
 * time_parse accepts), or INDEX_NO_DATE when s is NULL or unparsable. */
int32_t index_date_days(const char *s);

#endif
