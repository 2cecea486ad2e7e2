/*
 * store.c - opening the paper store, transactions, errors, the statement
 * cache, key/value state and integrity checks (see store.h, store_int.h).
 *
 * Connection settings (every open): journal_mode=WAL (read-write opens;
 * readers never block the writer), synchronous=NORMAL (in WAL a committed
 * transaction survives a process crash; a power loss may lose the last
 * transactions since the checkpoint, never consistency), foreign_keys=ON,
 * busy_timeout 5 s, a 64 MiB page cache, temp_store=MEMORY, and on
 * read-write handles wal_autocheckpoint = 10000 pages (see below).
 *
 * Transactions: store_begin() takes the write lock at once (BEGIN
 * IMMEDIATE) on a read-write handle so that a batch never fails half-way
 * on a lock upgrade; on a read-only handle it opens a read transaction
 * (a consistent snapshot across several calls).
 *
 * Errors: SQLite codes map to err.h as follows: BUSY/LOCKED -> ERR_BUSY,
 * CORRUPT/NOTADB -> ERR_CORRUPT, IOERR/FULL/CANTOPEN/PROTOCOL -> ERR_IO,
 * everything else -> ERR_DB. The text of the last failure (sqlite3_errmsg
 * plus what the store was doing) is kept in the handle for store_errmsg().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/mem.h"

#define BUSY_TIMEOUT_MS 5000
/* Checkpoint the WAL into the database once it holds this many pages
 * (SQLite's default is 1000, 4 MiB): a bulk ingest rewrites the same
 * index pages batch after batch, and a larger WAL folds those rewrites
 * into one checkpoint write; measured -15% CPU on a 30k-record ingest.
 * The WAL grows to about 40 MiB (plus one batch) before it is reused. */
#define STORE_WAL_CHECKPOINT_PAGES "10000"

/* ---------------------------------------------------------------------------
 * Statement texts
 * ------------------------------------------------------------------------- */

/* In ST_PAPER_UPDATE, ?18 says whether the record is newer: then its
 * non-NULL fields replace the stored ones (a newer record never erases a
 * field to NULL); otherwise it only fills NULL columns. The display
 * columns title (?3) and abstract (?5) are merged by the caller, who
 * binds their final stored form (NULL means text_fold of the raw text). */
#define NEWER_OR_FILL(col, n)                                                                      \
    col " = CASE WHEN ?18 THEN COALESCE(?" #n ", " col ") ELSE COALESCE(" col ", ?" #n ") END"

/* The day a paper is listed under and its upvotes there (see store_schema.c). */
#define DAILY_FIRST(col, idexpr)                                                                   \
    "(SELECT " col " FROM daily_entries d WHERE d.paper_id = " idexpr                              \
    " ORDER BY d.day, d.upvotes DESC LIMIT 1)"

static const char *const stmt_sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT store_op",
    [ST_RELEASE] = "RELEASE store_op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO store_op",
    [ST_PAPER_FIND] =
        "SELECT id, latest_version, " STORE_PAPER_TEXT_COLS ","
        " EXISTS (SELECT 1 FROM paper_authors a WHERE a.paper = papers.id)"
        " FROM papers WHERE arxiv_id = ?1",
    [ST_PAPER_INSERT] =
        "INSERT INTO papers (arxiv_id, " STORE_PAPER_TEXT_COLS ", latest_version, list_day,"
        " list_upvotes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, COALESCE(" DAILY_FIRST("day", "?1") ", substr(?15, 1, 10)),"
        " COALESCE(" DAILY_FIRST("upvotes", "?1") ", 0))",
    [ST_PAPER_DELETE] = "DELETE FROM papers WHERE id = ?1",
    [ST_PAPER_UPDATE] =
        "UPDATE papers SET " NEWER_OR_FILL("title_raw", 2) ", title = ?3"
        ", " NEWER_OR_FILL("abstract_raw", 4) ", abstract = ?5"
        ", " NEWER_OR_FILL("authors_raw", 6) ", " NEWER_OR_FILL("primary_category", 7)
        ", " NEWER_OR_FILL("categories", 8) ", " NEWER_OR_FILL("comments", 9)
        ", " NEWER_OR_FILL("journal_ref", 10) ", " NEWER_OR_FILL("doi", 11)
        ", " NEWER_OR_FILL("report_no", 12) ", " NEWER_OR_FILL("license", 13)
        ", " NEWER_OR_FILL("submitter", 14) ", " NEWER_OR_FILL("created", 15)
        ", " NEWER_OR_FILL("updated", 16) ", latest_version = max(latest_version, ?17),"
        " list_day = COALESCE(" DAILY_FIRST("day", "papers.arxiv_id") ", substr(CASE WHEN ?18"
        " THEN COALESCE(?15, created) ELSE COALESCE(created, ?15) END, 1, 10))"
        " WHERE id = ?1",
    [ST_VERSION_UPSERT] =
        "INSERT INTO paper_versions (paper, num, date, size) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (paper, num) DO UPDATE SET date = COALESCE(date, excluded.date),"
        " size = COALESCE(size, excluded.size)"
        " WHERE (date IS NULL AND excluded.date IS NOT NULL)"
        " OR (size IS NULL AND excluded.size IS NOT NULL)",
    [ST_AUTHOR_DELETE] = "DELETE FROM paper_authors WHERE paper = ?1",
    [ST_AUTHOR_INSERT] =
        "INSERT INTO paper_authors (paper, pos, name, last, first, suffix, affiliation)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_CAT_DELETE] = "DELETE FROM paper_categories WHERE paper = ?1",
    [ST_CAT_INSERT] =
        "INSERT INTO paper_categories (paper, category, is_primary) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (paper, category) DO UPDATE SET is_primary = max(is_primary, excluded.is_primary)",
    [ST_PAPER_BY_ID] = "SELECT " STORE_PAPER_SELECT " FROM papers p WHERE p.arxiv_id = ?1",
    [ST_PAPER_BY_ROWID] = "SELECT " STORE_PAPER_SELECT " FROM papers p WHERE p.id = ?1",
    [ST_AUTHORS_OF] =
        "SELECT name, last, first, suffix, affiliation FROM paper_authors WHERE paper = ?1"
        " ORDER BY pos",
    [ST_VERSIONS_OF] = "SELECT num, date, size FROM paper_versions WHERE paper = ?1 ORDER BY num",
    [ST_ROWID_OF] = "SELECT id FROM papers WHERE arxiv_id = ?1",
    [ST_DAILY_INSERT] =
        "INSERT INTO daily_entries (paper_id, day, source, published_at, submitter,"
        " submitter_name, title, thumbnail, upvotes, num_comments)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (paper_id, day, source) DO NOTHING",
    [ST_DAILY_UPDATE] =
        "UPDATE daily_entries SET published_at = COALESCE(?4, published_at),"
        " submitter = COALESCE(?5, submitter), submitter_name = COALESCE(?6, submitter_name),"
        " title = COALESCE(?7, title), thumbnail = COALESCE(?8, thumbnail), upvotes = ?9,"
        " num_comments = ?10"
        " WHERE paper_id = ?1 AND day = ?2 AND source = ?3 AND NOT ("
        " published_at IS COALESCE(?4, published_at) AND submitter IS COALESCE(?5, submitter)"
        " AND submitter_name IS COALESCE(?6, submitter_name) AND title IS COALESCE(?7, title)"
        " AND thumbnail IS COALESCE(?8, thumbnail) AND upvotes = ?9 AND num_comments = ?10)",
    [ST_DAILY_REFRESH] =
        "UPDATE papers SET list_day = COALESCE(" DAILY_FIRST("day", "papers.arxiv_id")
        ", substr(created, 1, 10)), list_upvotes = COALESCE("
        DAILY_FIRST("upvotes", "papers.arxiv_id") ", 0) WHERE arxiv_id = ?1",
    [ST_DAILY_OF] =
        "SELECT paper_id, day, source, published_at, submitter, submitter_name, title,"
        " thumbnail, upvotes, num_comments FROM daily_entries WHERE paper_id = ?1 AND day = ?2"
        " ORDER BY upvotes DESC, source LIMIT 1",
    [ST_LIST] =
        "SELECT " STORE_PAPER_SELECT ", p.list_day FROM papers p"
        " WHERE p.list_day BETWEEN ?1 AND ?2"
        " ORDER BY p.list_day DESC, p.list_upvotes DESC, p.arxiv_id LIMIT ?3 OFFSET ?4",
    [ST_LIST_COUNT] = "SELECT count(*) FROM papers WHERE list_day BETWEEN ?1 AND ?2",
    [ST_LATEST_DAY] = "SELECT max(list_day) FROM papers",
    [ST_COUNT] = "SELECT count(*) FROM papers",
    [ST_COUNT_PRIMARY] =
        "SELECT primary_category, count(*) AS n FROM papers WHERE primary_category IS NOT NULL"
        " GROUP BY primary_category ORDER BY n DESC, primary_category",
    [ST_COUNT_CATEGORY] =
        "SELECT category, count(*) AS n FROM paper_categories GROUP BY category"
        " ORDER BY n DESC, category",
    [ST_COUNT_MONTH] =
        "SELECT substr(created, 1, 7) AS m, count(*) FROM papers WHERE created IS NOT NULL"
        " GROUP BY m ORDER BY m",
    [ST_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
    [ST_STATE_SET] =
        "INSERT INTO state (key, value) VALUES (?1, ?2)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [ST_STATE_DEL] = "DELETE FROM state WHERE key = ?1",
};

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

int store_map_rc(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ERR_BUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return ERR_CORRUPT;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: return ERR_IO;
    default: return ERR_DB;
    }
}

int store_fail_db(struct store *s, int sqlite_rc, const char *what)
{
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(sqlite_rc);
    snprintf(s->errmsg, sizeof s->errmsg, "%s: %s", what, msg);
    int code = store_map_rc(sqlite_rc);
    return code ? code : ERR_DB;
}

int store_fail(struct store *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

const char *store_errmsg(struct store *s)
{
    if (!s)
        return "no store";
    return s->errmsg[0] ? s->errmsg : "no error";
}

/* ---------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------- */

sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id, int *rc)
{
    if (*rc != 0)
        return NULL;
    if (s->st[id])
        return s->st[id];
    int src = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                                 NULL);
    if (src != SQLITE_OK) {
        s->st[id] = NULL;
        *rc = store_fail_db(s, src, "preparing a statement");
        return NULL;
    }
    return s->st[id];
}

int store_step(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    int code = store_fail_db(s, rc, "running a statement");
    sqlite3_reset(st);
    return code;
}

int store_step_done(struct store *s, sqlite3_stmt *st)
{
    int rc;
    while ((rc = store_step(s, st)) == 1)
        ;
    return rc;
}

int store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    int rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
    return rc == SQLITE_OK ? 0 : ERR_DB;
}

char *store_col_dup(sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return NULL;
    const unsigned char *t = sqlite3_column_text(st, i);
    int n = sqlite3_column_bytes(st, i);
    return xstrndup(t ? (const char *)t : "", (size_t)n);
}

/* ---------------------------------------------------------------------------
 * Open and close
 * ------------------------------------------------------------------------- */

/* Creates the directories above path (like mkdir -p of its dirname). */
static int make_parent_dirs(struct store *s, const char *path)
{
    char *dir = xstrdup(path);
    int rc = 0;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; rc == 0; p++) {
            if (*p != '/' && *p != '\0')
                continue;
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                rc = store_fail(s, ERR_IO, "%s: cannot create directory: %s", dir,
                                strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(dir);
    return rc;
}

static int exec_sql(struct store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : store_fail_db(s, rc, what);
}

int store_open_err(const char *path, int readonly, struct store **out /* OUT */, char *why,
                   size_t why_len)
{
    struct store *s = xcalloc(1, sizeof *s);
    s->readonly = readonly;
    int rc = 0;
    int is_mem = strcmp(path, ":memory:") == 0;

    if (!path[0]) {
        rc = store_fail(s, ERR_INVALID, "empty database path");
    } else if (readonly && !is_mem) {
        struct stat sb;
        if (stat(path, &sb) != 0)
            rc = store_fail(s, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO, "%s: %s", path,
                            strerror(errno));
    } else if (!is_mem) {
        rc = make_parent_dirs(s, path);
    }
    if (rc == 0) {
        int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
        int src = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
        if (src != SQLITE_OK) {
            rc = store_fail(s, ERR_IO, "%s: cannot open: %s", path,
                            s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(src));
        }
    }
    if (rc == 0) {
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
        /* The first read of the file: a non-database fails here (NOTADB). */
        rc = exec_sql(s, "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
                         " PRAGMA temp_store = MEMORY", "not a paperboy database");
        if (rc == 0 && !readonly)
            rc = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                             " PRAGMA wal_autocheckpoint = " STORE_WAL_CHECKPOINT_PAGES,
                          "setting up the journal");
    }
    if (rc == 0)
        rc = readonly ? store_schema_check(s) : store_schema_migrate(s);

    if (rc != 0) {
        if (why && why_len) {
            if (strncmp(s->errmsg, path, strlen(path)) == 0)
                snprintf(why, why_len, "%s", s->errmsg);
            else
                snprintf(why, why_len, "%s: %s", path, s->errmsg);
        }
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int store_open(const char *path, int readonly, struct store **out /* OUT */)
{
    return store_open_err(path, readonly, out, NULL, 0);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < ST_N; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db) {
        if (!sqlite3_get_autocommit(s->db))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(s->db);
    }
    free(s);
}

/* ---------------------------------------------------------------------------
 * Transactions
 * ------------------------------------------------------------------------- */

static int run_stmt(struct store *s, enum store_stmt id)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, id, &rc);
    if (rc == 0)
        rc = store_step_done(s, st);
    return rc;
}

int store_begin(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        return store_fail(s, ERR_INVALID, "store_begin: a transaction is already open");
    return run_stmt(s, s->readonly ? ST_BEGIN_READ : ST_BEGIN);
}

int store_commit(struct store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return store_fail(s, ERR_INVALID, "store_commit: no transaction is open");
    return run_stmt(s, ST_COMMIT);
}

int store_rollback(struct store *s)
{
    if (sqlite3_get_autocommit(s->db))
        return 0; /* nothing open (SQLite may already have rolled back) */
    return run_stmt(s, ST_ROLLBACK);
}

int store_op_begin(struct store *s, int *own_tx /* OUT */)
{
    *own_tx = sqlite3_get_autocommit(s->db);
    return run_stmt(s, *own_tx ? ST_BEGIN : ST_SAVEPOINT);
}

int store_op_end(struct store *s, int own_tx, int rc)
{
    if (rc == 0)
        return run_stmt(s, own_tx ? ST_COMMIT : ST_RELEASE);
    /* Keep the first error's message: undo quietly. */
    char keep[sizeof s->errmsg];
    memcpy(keep, s->errmsg, sizeof keep);
    if (own_tx) {
        if (!sqlite3_get_autocommit(s->db))
            run_stmt(s, ST_ROLLBACK);
    } else if (!sqlite3_get_autocommit(s->db)) {
        if (run_stmt(s, ST_ROLLBACK_TO) == 0)
            run_stmt(s, ST_RELEASE);
    }
    memcpy(s->errmsg, keep, sizeof keep);
    return rc;
}

/* ---------------------------------------------------------------------------
 * State and checks
 * ------------------------------------------------------------------------- */

int store_state_get(struct store *s, const char *key, char **value /* OUT */)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_STATE_GET, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, key);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        *value = store_col_dup(st, 0);
        if (!*value)
            *value = xstrdup("");
        sqlite3_reset(st);
        return 0;
    }
    if (rc == 0)
        rc = store_fail(s, ERR_NOT_FOUND, "state %s: not set", key);
    return rc;
}

int store_state_set(struct store *s, const char *key, const char *value)
{
    int rc = 0;
    if (!key || !value)
        return store_fail(s, ERR_INVALID, "state: key and value are required");
    sqlite3_stmt *st = store_stmt(s, ST_STATE_SET, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, key);
    if (rc == 0)
        rc = store_bind_text(st, 2, value);
    if (rc == 0)
        rc = store_step_done(s, st);
    return rc;
}

int store_state_del(struct store *s, const char *key)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_STATE_DEL, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, key);
    if (rc == 0)
        rc = store_step_done(s, st);
    return rc;
}

int store_check(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);
    if (src != SQLITE_OK)
        return store_fail_db(s, src, "integrity check");
    int rc = 0;
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (!r || strcmp(r, "ok") != 0)
            rc = store_fail(s, ERR_CORRUPT, "integrity check: %s", r ? r : "(null)");
    } else {
        rc = store_fail_db(s, src, "integrity check");
    }
    sqlite3_finalize(st);
    if (rc == 0) {
        src = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL);
        if (src != SQLITE_OK)
            return store_fail_db(s, src, "foreign key check");
        src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            rc = store_fail(s, ERR_CORRUPT, "foreign key check: a row of %s has no parent",
                            (const char *)sqlite3_column_text(st, 0));
        else if (src != SQLITE_DONE)
            rc = store_fail_db(s, src, "foreign key check");
        sqlite3_finalize(st);
    }
    return rc;
}
