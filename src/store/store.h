/*
 * store.h - the paper store: the only source of truth (see DESIGN.md).
 *
 * Backed by SQLite (WAL, foreign keys on, schema versioned in
 * PRAGMA user_version, migrations run on open). Only store/ includes
 * sqlite3.h; every statement uses bound parameters.
 *
 * Tables (see store_schema.c for the DDL and the migration list): papers
 * (one row per arXiv id), paper_versions, paper_authors, paper_categories
 * (every listed category, cross-lists included), daily_entries (which
 * paper was on which day's list, apart from the papers), state (harvest
 * resumption tokens and datestamps).
 *
 * Upsert rule (store_paper_upsert): a record is "newer" when its
 * latest_version is above the stored one, or when both are 0/equal and its
 * updated date is later. A newer record replaces the paper's fields and
 * extends its version history; an older or identical record changes
 * nothing; a record that knows no version (0) for a known paper only fills
 * fields the stored paper lacks (e.g. a Hugging Face item adds nothing over
 * an arXiv record, but an OAI record may add versions' dates). Version
 * history is always the union of what every source said. Details: a newer
 * record's NULL fields keep the stored values (it never erases a field), an
 * equal-version record fills NULL fields like a version-unknown one, an
 * older-version record changes no field but still adds versions (or
 * version dates/sizes) not known yet; nothing is written when nothing
 * changes. See store_paper.c.
 *
 * Threads: one struct store per thread (SQLite connections are not shared).
 * Readers never block writers (WAL).
 */
#ifndef PAPERBOY_STORE_STORE_H
#define PAPERBOY_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/paper.h"

struct store;

/* What store_paper_upsert did. */
enum store_change { STORE_ADDED = 1, STORE_UPDATED = 2, STORE_UNCHANGED = 3 };

/* Opens (creating if needed, with parent directories) the database at path
 * and migrates it to the current schema. readonly opens without creating or
 * migrating: ERR_NOT_FOUND when the file does not exist, ERR_UNSUPPORTED
 * when its schema is older than this binary's (open it read-write once).
 * ERR_IO if it cannot be opened, ERR_CORRUPT if it is not a paperboy
 * database (including a file that is not SQLite) or newer than this binary.
 * ":memory:" opens a private in-memory store. The caller frees with
 * store_close(). */
int store_open(const char *path, int readonly, struct store **out /* OUT */);
/* Like store_open(), and on failure writes a one-line reason ("PATH: file
 * is not a database", ...) into why (why_len bytes, may be NULL/0), since
 * no handle exists to ask store_errmsg(). */
int store_open_err(const char *path, int readonly, struct store **out /* OUT */, char *why,
                   size_t why_len);
/* Closes the handle; store_close(NULL) does nothing. */
void store_close(struct store *s);

/* Transactions: writes between begin and commit land together or not at
 * all. Nesting is not supported (store_begin inside one is ERR_INVALID).
 * On a read-write handle begin takes the write lock at once (it may wait
 * up to the busy timeout, then ERR_BUSY); on a read-only handle it opens
 * a read snapshot. A write outside begin/commit is its own transaction.
 * store_rollback with none open does nothing and returns 0. */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* Inserts or updates one paper by id following the upsert rule above.
 * Writes what happened to *change. ERR_INVALID when p->id is missing. A
 * failing upsert leaves nothing of the record behind (it runs in a
 * savepoint; a paper not stored yet is inserted without one and a failure
 * after its row went in is undone by deleting that row), and the caller's
 * transaction stays usable (should even the undo fail, SQLite's own
 * rollback or ours ends the whole transaction rather than keep part of a
 * record: store_commit() then reports that none is open). */
int store_paper_upsert(struct store *s, const struct paper *p, enum store_change *change /* OUT */);

/* Inserts or updates the daily entry (paper_id, day, source; a NULL source
 * is "hf"): upvotes and comments take the imported values, other non-NULL
 * fields replace stored ones. The paper need not exist yet. *change is
 * STORE_UNCHANGED when nothing differed. ERR_INVALID without id or day. */
int store_daily_upsert(struct store *s, const struct daily_entry *e, enum store_change *change /* OUT */);

/* Loads paper id (normalised) into *p, with its authors and versions,
 * which the caller initialised and later cleans up (whatever *p held is
 * cleaned up first, on success only). ERR_NOT_FOUND when absent. */
int store_paper_get(struct store *s, const char *id, struct paper *p /* OUT */);
/* The same, by the internal row number (store_paper_rowid), as the search
 * indexes know papers. ERR_NOT_FOUND when no paper has that row. */
int store_paper_get_by_rowid(struct store *s, int64_t rowid, struct paper *p /* OUT */);

/* Internal row number of a paper (stable for the life of the row), used by
 * the derived indexes as a document id. ERR_NOT_FOUND when absent. */
int store_paper_rowid(struct store *s, const char *id, int64_t *rowid /* OUT */);

/* Calls fn for every paper whose row number is above after_rowid, in row
 * order; fn gets the row number and a paper owned by the store (valid only
 * during the call), loaded in full: fields, authors and versions. A
 * non-zero return from fn stops and is returned. fn may read through s but
 * must not write papers through it while the iteration runs (use another
 * handle). Papers, authors and versions are each read once in order, so a
 * full pass over the store is sequential I/O. */
typedef int (*store_paper_fn)(void *ctx, int64_t rowid, const struct paper *p);
int store_paper_each(struct store *s, int64_t after_rowid, store_paper_fn fn, void *ctx);

/* Change counter (store_seq.c), for the derived indexes: every paper has a
 * seq, raised to max + 1 whenever the paper is added or its title,
 * abstract, authors_raw, categories or created change. store_seq_max()
 * writes the largest (0 for an empty store). store_paper_each_changed()
 * calls fn for every paper with seq > after_seq, in seq order, with a
 * paper owned by the store (valid during the call) loaded in full; a
 * non-zero return from fn stops and is returned. fn may read through s. */
typedef int (*store_paper_seq_fn)(void *ctx, int64_t rowid, int64_t seq, const struct paper *p);
int store_seq_max(struct store *s, int64_t *seq /* OUT */);
int store_paper_each_changed(struct store *s, int64_t after_seq, store_paper_seq_fn fn, void *ctx);

/* One line of a day/week/month listing. */
struct store_listing {
    struct paper paper;        /* the paper (loaded in full) */
    struct daily_entry daily;  /* its daily entry; daily.paper_id NULL when none */
    char *day;                 /* the day it is listed under */
};

/* Lists papers listed between day_from and day_to inclusive ("YYYY-MM-DD").
 * A paper's day is its daily-list day when it has a daily entry (the
 * earliest, when it was listed on several days), else the day of its first
 * version (created). Ordered by day descending, then upvotes descending,
 * then id. offset/limit page through; *total receives the full count (may
 * be NULL). Only stored papers are listed (a daily entry whose paper has
 * not arrived is not). The store keeps the day in an indexed column, so a
 * page costs an index range scan. The caller frees with
 * store_listing_free(). */
int store_list_days(struct store *s, const char *day_from, const char *day_to, size_t offset,
                    size_t limit, struct store_listing **out /* OUT */, size_t *n /* OUT */,
                    size_t *total /* OUT */);
void store_listing_free(struct store_listing *l, size_t n);

/* The latest day (by the rule above) that has any paper, into day (11
 * bytes). ERR_NOT_FOUND on an empty store. */
int store_latest_day(struct store *s, char *day /* OUT */);

/* Counts for `paperboy stats`: fn is called once per (key, count) row. */
typedef void (*store_count_fn)(void *ctx, const char *key, int64_t count);
int store_count_papers(struct store *s, int64_t *n /* OUT */);
/* Papers per primary category, most first (then by name). */
int store_count_by_category(struct store *s, store_count_fn fn, void *ctx);
/* Papers per listed category, cross-lists included, most first. */
int store_count_by_category_all(struct store *s, store_count_fn fn, void *ctx);
/* Papers per "YYYY-MM" of created, in month order. */
int store_count_by_month(struct store *s, store_count_fn fn, void *ctx);

/* Key/value state that must survive restarts (harvest tokens, datestamps).
 * store_state_get writes a malloc'ed copy to *value (free() it) or returns
 * ERR_NOT_FOUND. */
/* The state key under which `paperboy harvest` leaves "ISO-TIME|URL: reason"
 * when a harvest stops, deleted when one completes; the web app's empty page
 * shows it (a newcomer without network learns why there are no papers). */
#define STORE_STATE_HARVEST_FAILURE "harvest|last_failure"
int store_state_get(struct store *s, const char *key, char **value /* OUT */);
int store_state_set(struct store *s, const char *key, const char *value);
int store_state_del(struct store *s, const char *key);

/* Runs PRAGMA integrity_check and foreign_key_check; 0 when both are
 * clean, ERR_CORRUPT otherwise (the first problem is in store_errmsg). */
int store_check(struct store *s);

/* The last failure's text for diagnostics: what the store was doing and
 * sqlite3_errmsg() (never NULL; owned by s, valid until the next call). */
const char *store_errmsg(struct store *s);

/* ---- Web: queries for the web app (store_web.c) ---------------------------- */

/* Lists the papers listed between day_from and day_to that were on a daily
 * list that day, by upvotes descending, then id: "trending" until votes
 * arrive. Paging, *total and freeing as store_list_days(). */
int store_list_trending(struct store *s, const char *day_from, const char *day_to, size_t offset,
                        size_t limit, struct store_listing **out /* OUT */, size_t *n /* OUT */,
                        size_t *total /* OUT */);
/* The nearest day before / after day that lists any paper, into out (11
 * bytes). ERR_NOT_FOUND when there is none. */
int store_day_before(struct store *s, const char *day, char out[11] /* OUT */);
int store_day_after(struct store *s, const char *day, char out[11] /* OUT */);
/* The daily entry of paper id on the day it is listed under, into *e
 * (caller cleans up with daily_entry_cleanup). ERR_NOT_FOUND when the
 * paper is absent or was on no list. */
int store_daily_get(struct store *s, const char *id, struct daily_entry *e /* OUT */);
/* A basic substring search, for the web app while no search index exists:
 * papers whose title, abstract or authors contain every word (at most 8,
 * case-insensitive for ASCII), optionally with category (exact "cs.CL" or
 * archive "cs") and listed within [day_from, day_to] (either may be NULL or
 * ""). Newest first. *total is capped at 10000. Scans the papers table:
 * O(N). Freed with store_listing_free(). */
int store_search_basic(struct store *s, const char *const *words, size_t n_words,
                       const char *category, const char *day_from, const char *day_to,
                       size_t offset, size_t limit, struct store_listing **out /* OUT */,
                       size_t *n /* OUT */, size_t *total /* OUT */);

#endif
