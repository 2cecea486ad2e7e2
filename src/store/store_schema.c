/*
 * store_schema.c - the DDL of the paper store and its migrations.
 *
 * The schema version lives in PRAGMA user_version and the file is marked as
 * a paperboy database by PRAGMA application_id = STORE_APP_ID ("PBOY").
 * migrations[] is an ordered list of steps: step i (0-based) takes a
 * database from user_version i to i + 1. To change the schema, APPEND a
 * step (never edit a released one); the current version is the length of
 * the list. Each step is SQL run by sqlite3_exec (constant DDL, no
 * parameters) and optionally a C function for data changes; all pending
 * steps run in one IMMEDIATE transaction together with the user_version
 * bump, so a crash during migration leaves the old version intact.
 *
 * Tables (version 1):
 *   papers           one row per arXiv id (arxiv_id UNIQUE, no version).
 *                    id INTEGER PRIMARY KEY is the stable row number the
 *                    derived indexes use as document id (papers are never
 *                    deleted, so row numbers are never reused).
 *                    list_day/list_upvotes are maintained by the store:
 *                    the day the paper is listed under (its earliest daily
 *                    entry's day, else date(created)) and that entry's
 *                    upvotes; papers_list indexes them in listing order.
 *   paper_versions   (paper, num) -> date, size. WITHOUT ROWID.
 *   paper_authors    (paper, pos) -> name, last, first, suffix,
 *                    affiliation. WITHOUT ROWID.
 *   paper_categories (paper, category, is_primary): one row per listed
 *                    category, cross-lists included; (category, paper)
 *                    index for counting/filtering. Rebuilt from
 *                    papers.categories whenever that changes.
 *   daily_entries    (paper_id TEXT, day, source) UNIQUE -> the list item.
 *                    Deliberately not a foreign key: an entry may arrive
 *                    before its paper.
 *   state            key -> value for harvest state (tokens, datestamps).
 * Version 2 adds papers.seq (see schema_v2), read by store_seq.c.
 * Version 3 (no DDL): papers.title / papers.abstract are NULL where they
 * equal util/text_fold() of title_raw / abstract_raw (nearly always); the
 * store rebuilds them on read (store_int.h, "Display columns").
 * Child tables reference papers(id) ON DELETE CASCADE; foreign keys are
 * enforced (PRAGMA foreign_keys=ON on every connection).
 */
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/text_fold.h"

struct store_migration {
    const char *name;
    const char *sql;                 /* run first; may be NULL */
    int (*fn)(struct store *s);      /* run after sql; may be NULL */
};

static const char schema_v1[] =
    "CREATE TABLE papers ("
    " id INTEGER PRIMARY KEY,"
    " arxiv_id TEXT NOT NULL UNIQUE,"
    " title_raw TEXT, title TEXT, abstract_raw TEXT, abstract TEXT, authors_raw TEXT,"
    " primary_category TEXT, categories TEXT, comments TEXT, journal_ref TEXT, doi TEXT,"
    " report_no TEXT, license TEXT, submitter TEXT, created TEXT, updated TEXT,"
    " latest_version INTEGER NOT NULL DEFAULT 0,"
    " list_day TEXT,"
    " list_upvotes INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX papers_list ON papers(list_day DESC, list_upvotes DESC, arxiv_id);"
    "CREATE INDEX papers_primary ON papers(primary_category);"
    "CREATE INDEX papers_created ON papers(created);"
    "CREATE TABLE paper_versions ("
    " paper INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,"
    " num INTEGER NOT NULL, date TEXT, size TEXT,"
    " PRIMARY KEY (paper, num)) WITHOUT ROWID;"
    "CREATE TABLE paper_authors ("
    " paper INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL, name TEXT NOT NULL, last TEXT, first TEXT, suffix TEXT,"
    " affiliation TEXT,"
    " PRIMARY KEY (paper, pos)) WITHOUT ROWID;"
    "CREATE TABLE paper_categories ("
    " paper INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,"
    " category TEXT NOT NULL, is_primary INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (paper, category)) WITHOUT ROWID;"
    "CREATE INDEX paper_categories_cat ON paper_categories(category, paper);"
    "CREATE TABLE daily_entries ("
    " paper_id TEXT NOT NULL, day TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'hf',"
    " published_at TEXT, submitter TEXT, submitter_name TEXT, title TEXT, thumbnail TEXT,"
    " upvotes INTEGER NOT NULL DEFAULT 0, num_comments INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (paper_id, day, source));"
    "CREATE INDEX daily_entries_day ON daily_entries(day);"
    "CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

/* Version 2 (added for the lexical index, index/sync.c): papers.seq, a
 * change counter. Every insert, and every update of a column the index
 * reads (title, abstract, authors_raw, categories, created), gives the row
 * seq = max(seq) + 1, so "papers changed since N" is an index range scan.
 * Triggers keep it, so no statement of the store had to change; the
 * trigger's own UPDATE touches only seq and so does not fire again. */
static const char schema_v2[] =
    "ALTER TABLE papers ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"
    "UPDATE papers SET seq = id;"
    "CREATE INDEX papers_seq ON papers(seq);"
    "CREATE TRIGGER papers_seq_insert AFTER INSERT ON papers BEGIN"
    " UPDATE papers SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM papers) WHERE id = NEW.id;"
    " END;"
    "CREATE TRIGGER papers_seq_update"
    " AFTER UPDATE OF title, abstract, authors_raw, categories, created ON papers BEGIN"
    " UPDATE papers SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM papers) WHERE id = NEW.id;"
    " END;";

/* SQL function fold_equals(raw, display): 1 when display is
 * text_fold(raw), else 0 (NULL arguments give 0). Registered only while
 * migration 3 runs. */
static void sql_fold_equals(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *raw = (const char *)sqlite3_value_text(argv[0]);
    int raw_len = sqlite3_value_bytes(argv[0]);
    const char *display = (const char *)sqlite3_value_text(argv[1]);
    int eq = raw && display && text_fold_equals(raw, strlen(raw), display) &&
             (int)strlen(raw) == raw_len;
    sqlite3_result_int(ctx, eq);
}

/* Version 3: a display column (title, abstract) is NULL where it equals
 * text_fold() of its raw column; the store rebuilds it on read. Drops the
 * second copy of nearly every title and abstract. The freed pages stay in
 * the file for reuse (VACUUM cannot run inside the migration). */
static int migrate_display_nulls(struct store *s)
{
    int src = sqlite3_create_function(s->db, "paperboy_fold_equals", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_fold_equals,
                                      NULL, NULL);
    if (src != SQLITE_OK)
        return store_fail_db(s, src, "registering the fold function");
    /* The display text does not change, so neither may papers.seq (its
     * trigger fires on any UPDATE OF title/abstract and would make the
     * lexical index re-read every paper): the bumped rows get their old
     * seq back. */
    src = sqlite3_exec(s->db,
                       "CREATE TEMP TABLE display_seq AS SELECT id, seq FROM papers;"
                       "CREATE TEMP TABLE display_max AS SELECT COALESCE(MAX(seq), 0) AS m"
                       " FROM papers;"
                       "UPDATE papers SET title = NULL"
                       " WHERE title IS NOT NULL AND paperboy_fold_equals(title_raw, title);"
                       "UPDATE papers SET abstract = NULL"
                       " WHERE abstract IS NOT NULL AND paperboy_fold_equals(abstract_raw, abstract);"
                       "UPDATE papers SET seq = (SELECT d.seq FROM temp.display_seq d"
                       " WHERE d.id = papers.id)"
                       " WHERE seq > (SELECT m FROM temp.display_max);"
                       "DROP TABLE temp.display_seq; DROP TABLE temp.display_max",
                       NULL, NULL, NULL);
    int rc = src == SQLITE_OK ? 0 : store_fail_db(s, src, "folding the display columns");
    sqlite3_create_function(s->db, "paperboy_fold_equals", 2, SQLITE_UTF8, NULL, NULL, NULL,
                            NULL);
    return rc;
}

/* The ordered migration steps; append only. */
static const struct store_migration migrations[] = {
    {"initial schema", schema_v1, NULL},
    {"papers.seq change counter", schema_v2, NULL},
    {"display columns only where they differ from the folded raw text", NULL,
     migrate_display_nulls},
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* Reads an integer pragma (user_version, application_id). */
static int pragma_int(struct store *s, const char *sql, int *out /* OUT */)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_db(s, rc, "reading the schema version");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return 0;
    }
    int code = store_fail_db(s, rc, "reading the schema version");
    sqlite3_finalize(st);
    return code;
}

/* Counts objects in sqlite_schema (to tell a fresh file from a foreign one). */
static int schema_objects(struct store *s, int *n /* OUT */)
{
    return pragma_int(s, "SELECT count(*) FROM sqlite_schema", n);
}

/* Classifies the file: 0 with *version set when it is a paperboy database
 * (or empty: version 0), else ERR_CORRUPT with a message. */
static int identify(struct store *s, int *version /* OUT */)
{
    int app = 0, ver = 0, nobj = 0;
    int rc = pragma_int(s, "PRAGMA application_id", &app);
    if (rc == 0)
        rc = pragma_int(s, "PRAGMA user_version", &ver);
    if (rc == 0)
        rc = schema_objects(s, &nobj);
    if (rc != 0)
        return rc;
    if (app == 0 && ver == 0 && nobj == 0) {
        *version = 0;
        return 0;
    }
    if ((unsigned)app != STORE_APP_ID)
        return store_fail(s, ERR_CORRUPT,
                          "not a paperboy database (application_id %d, %d schema objects)", app,
                          nobj);
    if (ver > N_MIGRATIONS)
        return store_fail(s, ERR_CORRUPT,
                          "database schema version %d is newer than this program's %d", ver,
                          N_MIGRATIONS);
    *version = ver;
    return 0;
}

static int exec(struct store *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : store_fail_db(s, rc, what);
}

int store_schema_migrate(struct store *s)
{
    int ver = 0;
    int rc = identify(s, &ver);
    if (rc != 0 || ver == N_MIGRATIONS)
        return rc;
    rc = exec(s, "BEGIN IMMEDIATE", "starting the migration");
    if (rc != 0)
        return rc;
    /* Another process may have migrated between identify() and the lock. */
    rc = identify(s, &ver);
    for (int i = ver; rc == 0 && i < N_MIGRATIONS; i++) {
        if (migrations[i].sql)
            rc = exec(s, migrations[i].sql, migrations[i].name);
        if (rc == 0 && migrations[i].fn)
            rc = migrations[i].fn(s);
    }
    if (rc == 0 && ver < N_MIGRATIONS) {
        /* PRAGMAs take no parameters; both values are our own integers. */
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d",
                 STORE_APP_ID, N_MIGRATIONS);
        rc = exec(s, sql, "recording the schema version");
    }
    if (rc == 0)
        rc = exec(s, "COMMIT", "committing the migration");
    if (rc != 0)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int store_schema_check(struct store *s)
{
    int ver = 0;
    int rc = identify(s, &ver);
    if (rc == 0 && ver < N_MIGRATIONS)
        rc = store_fail(s, ERR_UNSUPPORTED,
                        "database schema version %d needs migrating to %d; open it read-write once",
                        ver, N_MIGRATIONS);
    return rc;
}
