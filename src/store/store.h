/*
 * store.h - the paper store: the only source of truth (see docs/ARCHITECTURE.md).
 *
 * Backed by SQLite (WAL, foreign keys on, schema versioned in
 * PRAGMA user_version, migrations run on open). Only store/ includes
 * sqlite3.h; every statement uses bound parameters.
 *
 * Tables (see store.c for the DDL): papers (one row per arXiv id),
 * paper_versions, paper_authors, daily_entries (which paper was on which
 * day's list, apart from the papers), harvest_state (resumption tokens and
 * datestamps per harvest), meta.
 *
 * Upsert rule (store_paper_upsert): a record is "newer" when its
 * latest_version is above the stored one, or when both are 0/equal and its
 * updated date is later. A newer record replaces the paper's fields and
 * extends its version history; an older or identical record changes
 * nothing; a record that knows no version (0) for a known paper only fills
 * fields the stored paper lacks (e.g. a Hugging Face item adds nothing over
 * an arXiv record, but an OAI record may add versions' dates). Version
 * history is always the union of what every source said.
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
 * and migrates it to the current schema. readonly opens without creating.
 * ERR_IO if it cannot be opened, ERR_CORRUPT if it is not a paperboy
 * database or newer than this binary. The caller frees with store_close(). */
int store_open(const char *path, int readonly, struct store **out /* OUT */);
/* Closes the handle; store_close(NULL) does nothing. */
void store_close(struct store *s);

/* Transactions: writes between begin and commit land together or not at
 * all. Nesting is not supported. */
int store_begin(struct store *s);
int store_commit(struct store *s);
int store_rollback(struct store *s);

/* Inserts or updates one paper by id following the upsert rule above.
 * Writes what happened to *change. ERR_INVALID when p->id is missing. */
int store_paper_upsert(struct store *s, const struct paper *p, enum store_change *change /* OUT */);

/* Inserts or updates the daily entry (paper_id, day, source): upvotes and
 * comments take the imported values. The paper need not exist yet. */
int store_daily_upsert(struct store *s, const struct daily_entry *e, enum store_change *change /* OUT */);

/* Loads paper id (normalised) into *p, which the caller initialised and
 * later cleans up. ERR_NOT_FOUND when absent. */
int store_paper_get(struct store *s, const char *id, struct paper *p /* OUT */);

/* Internal row number of a paper (stable for the life of the row), used by
 * the derived indexes as a document id. ERR_NOT_FOUND when absent. */
int store_paper_rowid(struct store *s, const char *id, int64_t *rowid /* OUT */);

/* Calls fn for every paper whose row number is above after_rowid, in row
 * order; fn gets the row number and a paper owned by the store (valid only
 * during the call). A non-zero return from fn stops and is returned. */
typedef int (*store_paper_fn)(void *ctx, int64_t rowid, const struct paper *p);
int store_paper_each(struct store *s, int64_t after_rowid, store_paper_fn fn, void *ctx);

/* One line of a day/week/month listing. */
struct store_listing {
    struct paper paper;        /* the paper (loaded in full) */
    struct daily_entry daily;  /* its daily entry; daily.paper_id NULL when none */
    char *day;                 /* the day it is listed under */
};

/* Lists papers listed between day_from and day_to inclusive ("YYYY-MM-DD").
 * A paper's day is its daily-list day when it has a daily entry, else the
 * day of its first version (created). Ordered by day descending, then
 * upvotes descending, then id. offset/limit page through; *total receives the
 * full count (may be NULL). The caller frees with store_listing_free(). */
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
int store_count_by_category(struct store *s, store_count_fn fn, void *ctx); /* primary category */
int store_count_by_month(struct store *s, store_count_fn fn, void *ctx);    /* "YYYY-MM" of created */

/* Key/value state that must survive restarts (harvest tokens, datestamps).
 * store_state_get writes a malloc'ed copy to *value (free() it) or returns
 * ERR_NOT_FOUND. */
int store_state_get(struct store *s, const char *key, char **value /* OUT */);
int store_state_set(struct store *s, const char *key, const char *value);
int store_state_del(struct store *s, const char *key);

/* Runs PRAGMA integrity_check; 0 when "ok", ERR_CORRUPT otherwise. */
int store_check(struct store *s);

/* The last SQLite error text for diagnostics (never NULL). */
const char *store_errmsg(struct store *s);

#endif
