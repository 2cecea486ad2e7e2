/*
 * store_int.h - what the files of the store module share (not a public API).
 *
 * The store spans store.c (open/close, transactions, errors, the statement
 * cache, state, checks), store_schema.c (DDL and migrations), store_paper.c
 * (paper and daily-entry upserts, loading papers) and store_list.c
 * (listings, latest day, counts). Only these files include sqlite3.h.
 *
 * Statement cache: every SQL text the module runs per record is listed in
 * enum store_stmt and prepared at most once per connection, lazily, with
 * SQLITE_PREPARE_PERSISTENT, then reset and re-bound for each use. A
 * statement handed out by store_stmt() must be sqlite3_reset() by the user
 * before it returns (store_step_done() and store_step_reset() do it), so no
 * read transaction outlives a call.
 *
 * Paper columns: the fifteen text columns of papers are listed once, in
 * STORE_PAPER_TEXT_COLS, with the matching struct paper field offsets in
 * store_paper_text_off[]; every statement that binds or reads paper fields
 * uses that order (parameters ?2..?16, see store_paper.c).
 *
 * Display columns (schema v3): papers.title and papers.abstract hold the
 * display form only where it differs from text_fold() of the raw column,
 * NULL otherwise; store_paper_from_row() rebuilds it, so struct paper
 * always carries both. SQL that matches display text reads
 * COALESCE(title, title_raw) (folding changes only whitespace).
 */
#ifndef PAPERBOY_STORE_STORE_INT_H
#define PAPERBOY_STORE_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The application_id paperboy databases carry ("PBOY"). */
#define STORE_APP_ID 0x50424f59

/* The fifteen text columns of papers, in binding order. */
#define STORE_N_TEXT 15
#define STORE_PAPER_TEXT_COLS                                                                      \
    "title_raw, title, abstract_raw, abstract, authors_raw, primary_category, categories, "        \
    "comments, journal_ref, doi, report_no, license, submitter, created, updated"
/* Index of a few of them within that list. */
enum { STORE_COL_TITLE_RAW = 0, STORE_COL_TITLE = 1, STORE_COL_ABSTRACT_RAW = 2,
       STORE_COL_ABSTRACT = 3, STORE_COL_PRIMARY = 5, STORE_COL_CATEGORIES = 6,
       STORE_COL_CREATED = 13, STORE_COL_UPDATED = 14 };
/* offsetof(struct paper, <column>) for each text column, same order. */
extern const size_t store_paper_text_off[STORE_N_TEXT];

/* Every cached statement. Their SQL is in store.c (store_stmt_sql). */
enum store_stmt {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_PAPER_FIND,
    ST_PAPER_INSERT,
    ST_PAPER_DELETE,
    ST_PAPER_UPDATE,
    ST_VERSION_UPSERT,
    ST_AUTHOR_DELETE,
    ST_AUTHOR_INSERT,
    ST_CAT_DELETE,
    ST_CAT_INSERT,
    ST_PAPER_BY_ID,
    ST_PAPER_BY_ROWID,
    ST_AUTHORS_OF,
    ST_VERSIONS_OF,
    ST_ROWID_OF,
    ST_DAILY_INSERT,
    ST_DAILY_UPDATE,
    ST_DAILY_REFRESH,
    ST_DAILY_OF,
    ST_LIST,
    ST_LIST_COUNT,
    ST_LATEST_DAY,
    ST_COUNT,
    ST_COUNT_PRIMARY,
    ST_COUNT_CATEGORY,
    ST_COUNT_MONTH,
    ST_STATE_GET,
    ST_STATE_SET,
    ST_STATE_DEL,
    ST_N
};

struct store {
    sqlite3 *db;
    int readonly;
    sqlite3_stmt *st[ST_N]; /* lazily prepared, finalized by store_close() */
    char errmsg[512];       /* the last failure's text */
};

/* Maps a SQLite result code to an err.h code (see store.c for the table). */
int store_map_rc(int sqlite_rc);
/* Records sqlite3_errmsg() (prefixed by what) and returns the mapped code. */
int store_fail_db(struct store *s, int sqlite_rc, const char *what);
/* Records a formatted message and returns code. */
int store_fail(struct store *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Returns the prepared statement id, preparing it on first use; on failure
 * sets *rc (ERR_DB) and returns NULL. Does nothing and returns NULL when
 * *rc is already set (sticky). */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id, int *rc);
/* Steps st once: 1 for a row, 0 when done (st is then reset), or a
 * negative code (st reset, message recorded). */
int store_step(struct store *s, sqlite3_stmt *st);
/* Steps st to completion, discarding rows, and resets it: 0 or a code. */
int store_step_done(struct store *s, sqlite3_stmt *st);
/* Binds text or NULL (a NULL s binds SQL NULL); the bytes are not copied. */
int store_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Copies column i as a malloc'ed string, or NULL when the column is NULL. */
char *store_col_dup(sqlite3_stmt *st, int i);

/* Brackets one multi-statement write so it lands whole or not at all: a
 * transaction of its own when none is open (*own_tx = 1), else a savepoint
 * inside the caller's. store_op_end() releases on rc == 0, else undoes the
 * operation (keeping the first error's message), and returns rc or the
 * release's failure. */
int store_op_begin(struct store *s, int *own_tx /* OUT */);
int store_op_end(struct store *s, int own_tx, int rc);

/* Runs the migrations up to the current version (store_schema.c). */
int store_schema_migrate(struct store *s);
/* Checks the schema of a read-only handle: 0 when current. */
int store_schema_check(struct store *s);

/* Fills p (initialised, empty) from columns first.. of st in the order
 * "id, arxiv_id, STORE_PAPER_TEXT_COLS, latest_version", not loading
 * authors or versions; returns the row id. */
int64_t store_paper_from_row(sqlite3_stmt *st, int first, struct paper *p);
/* Loads authors and versions of paper row rowid into p. */
int store_paper_load_children(struct store *s, int64_t rowid, struct paper *p);
/* Loads the daily entry of arxiv id on day (highest upvotes first) into e;
 * e->paper_id stays NULL when there is none. */
int store_daily_load(struct store *s, const char *id, const char *day, struct daily_entry *e);

/* The SELECT list store_paper_from_row() reads, table alias p. */
#define STORE_PAPER_SELECT                                                                         \
    "p.id, p.arxiv_id, p.title_raw, p.title, p.abstract_raw, p.abstract, p.authors_raw, "          \
    "p.primary_category, p.categories, p.comments, p.journal_ref, p.doi, p.report_no, "            \
    "p.license, p.submitter, p.created, p.updated, p.latest_version"
#define STORE_PAPER_SELECT_NCOLS 18

#endif
