/* test_store.c - the SQLite paper store: schema, upsert rule, listings,
 * counts, state, transactions, crash consistency, bad files, odd bytes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ok.h"
#include "store/store.h"
#include "store/store_int.h" /* raw SQL checks through s->db */
#include "store/store_schema.c" /* schema_v1, to build a version-1 file */
#include "util/err.h"
#include "util/mem.h"

static char tmpdir[256];

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* One integer from a query (-1 on failure). */
static int64_t q_int(struct store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static struct store *open_fresh(const char *name)
{
    char path[512];
    path_in(path, sizeof path, name);
    unlink(path);
    struct store *s = NULL;
    char why[256] = "";
    int rc = store_open_err(path, 0, &s, why, sizeof why);
    if (rc != 0)
        printf("# open %s: %s\n", path, why);
    return s;
}

/* A Kaggle-like record: versions 1..nver with dates, parsed authors. */
static void make_paper(struct paper *p, const char *id, int nver, const char *title,
                       const char *created)
{
    paper_init(p);
    p->id = xstrdup(id);
    p->title_raw = xstrdup(title);
    p->title = xstrdup(title);
    p->abstract_raw = xstrdup("An abstract\n  with breaks.");
    p->abstract = xstrdup("An abstract with breaks.");
    p->authors_raw = xstrdup("A. One and B. Two");
    paper_add_author(p, "A. One", "One", "A.", NULL);
    paper_add_author(p, "B. Two", "Two", "B.", NULL);
    p->primary_category = xstrdup("cs.LG");
    p->categories = xstrdup("cs.LG stat.ML");
    p->created = xstrdup(created);
    char upd[32];
    for (int v = 1; v <= nver; v++) {
        snprintf(upd, sizeof upd, "%.8s%02dT10:00:00Z", created, v);
        paper_add_version(p, v, upd, v == 1 ? "10kb" : "12kb");
    }
    p->updated = xstrdup(nver > 0 ? upd : created);
}

static enum store_change upsert(struct store *s, const struct paper *p)
{
    enum store_change ch = 0;
    int rc = store_paper_upsert(s, p, &ch);
    if (rc != 0)
        printf("# upsert %s: %s (%s)\n", p->id, err_str(rc), store_errmsg(s));
    return ch;
}

/* ------------------------------------------------------------------------ */

static void test_open(void)
{
    char path[600], dir[512];
    snprintf(dir, sizeof dir, "%s/a/b", tmpdir);
    snprintf(path, sizeof path, "%s/c.db", dir);
    struct store *s = NULL;
    ok_eq_int(store_open(path, 1, &s), ERR_NOT_FOUND, "readonly open of a missing file");
    struct stat sb;
    ok(stat(dir, &sb) != 0, "readonly open created nothing");
    ok_eq_int(store_open(path, 0, &s), 0, "open creates the file and its directories");
    ok_eq_int(q_int(s, "PRAGMA user_version"), 3, "schema version 3");
    ok_eq_int(q_int(s, "PRAGMA foreign_keys"), 1, "foreign keys on");
    ok_eq_int(q_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = 'papers'"), 1,
              "papers table exists");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL);
    sqlite3_step(st);
    ok_eq_str((const char *)sqlite3_column_text(st, 0), "wal", "journal mode WAL");
    sqlite3_finalize(st);
    ok_eq_int(store_state_set(s, "k", "v"), 0, "write before reopen");
    store_close(s);
    s = NULL;
    ok_eq_int(store_open(path, 0, &s), 0, "reopen");
    ok_eq_int(q_int(s, "PRAGMA user_version"), 3, "reopen keeps version 3");
    store_close(s);
    s = NULL;
    ok_eq_int(store_open(path, 1, &s), 0, "readonly open of an existing store");
    char *v = NULL;
    ok_eq_int(store_state_get(s, "k", &v), 0, "readonly read");
    ok_eq_str(v, "v", "value survived the reopen");
    free(v);
    int rc = store_state_set(s, "k", "w");
    ok(rc != 0, "readonly handle refuses writes");
    ok(strstr(store_errmsg(s), "readonly") != NULL, "readonly error message");
    store_close(s);
    store_close(NULL);
}

static void test_bad_files(void)
{
    char path[512], why[256] = "";
    struct store *s = NULL;

    path_in(path, sizeof path, "notdb.db");
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fputs("this is certainly not an SQLite database file\n", f);
    fclose(f);
    int rc = store_open_err(path, 0, &s, why, sizeof why);
    ok_eq_int(rc, ERR_CORRUPT, "a text file is ERR_CORRUPT");
    ok(strstr(why, "not a database") != NULL && strstr(why, path) != NULL,
       "the message names the file and says why");
    printf("#   %s\n", why);
    ok_eq_int(store_open(path, 1, &s), ERR_CORRUPT, "readonly: ERR_CORRUPT too");

    /* A valid SQLite file that is someone else's. */
    path_in(path, sizeof path, "foreign.db");
    unlink(path);
    sqlite3 *db = NULL;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    rc = store_open_err(path, 0, &s, why, sizeof why);
    ok_eq_int(rc, ERR_CORRUPT, "a foreign SQLite database is ERR_CORRUPT");
    ok(strstr(why, "not a paperboy database") != NULL, "foreign: clear message");

    /* A paperboy database from the future. */
    path_in(path, sizeof path, "future.db");
    unlink(path);
    s = open_fresh("future.db");
    sqlite3_exec(s->db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    store_close(s);
    s = NULL;
    rc = store_open_err(path, 0, &s, why, sizeof why);
    ok_eq_int(rc, ERR_CORRUPT, "a newer schema is ERR_CORRUPT");
    ok(strstr(why, "newer") != NULL, "newer: clear message");
}

static void test_upsert_basic(void)
{
    struct store *s = open_fresh("basic.db");
    struct paper p, g;
    paper_init(&g);
    make_paper(&p, "2401.00001", 1, "First title", "2024-01-05T10:00:00Z");
    ok_eq_int(upsert(s, &p), STORE_ADDED, "new paper is ADDED");
    ok_eq_int(upsert(s, &p), STORE_UNCHANGED, "same record again is UNCHANGED");
    int64_t n = 0;
    store_count_papers(s, &n);
    ok_eq_int(n, 1, "one row");

    ok_eq_int(store_paper_get(s, "2401.00001", &g), 0, "get");
    ok_eq_str(g.title, "First title", "title");
    ok_eq_str(g.abstract_raw, "An abstract\n  with breaks.", "raw abstract kept");
    ok_eq_int(g.n_authors, 2, "authors loaded");
    ok_eq_str(g.authors[1].last, "Two", "author last name");
    ok_eq_int(g.n_versions, 1, "versions loaded");
    ok_eq_int(g.latest_version, 1, "latest version");
    ok_eq_str(g.versions[0].size, "10kb", "version size");

    /* A newer version replaces fields and extends versions. */
    struct paper p2;
    make_paper(&p2, "2401.00001", 2, "Second title", "2024-01-05T10:00:00Z");
    free(p2.doi);
    p2.doi = xstrdup("10.1000/xyz");
    free(p2.categories);
    p2.categories = xstrdup("cs.CL cs.LG");
    free(p2.primary_category);
    p2.primary_category = xstrdup("cs.CL");
    free(p2.comments); /* NULL in the newer record: the stored NULL stays */
    p2.comments = NULL;
    ok_eq_int(upsert(s, &p2), STORE_UPDATED, "newer version is UPDATED");
    ok_eq_int(store_paper_get(s, "2401.00001", &g), 0, "get after update");
    ok_eq_str(g.title, "Second title", "title replaced");
    ok_eq_str(g.doi, "10.1000/xyz", "doi added");
    ok_eq_int(g.latest_version, 2, "latest version 2");
    ok_eq_int(g.n_versions, 2, "two versions");
    ok_eq_str(g.primary_category, "cs.CL", "primary replaced");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_categories WHERE category = 'stat.ML'"), 0,
              "old cross-list dropped");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_categories WHERE category = 'cs.CL'"
                       " AND is_primary"), 1, "new primary in paper_categories");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_categories"), 2, "two category rows");

    /* An older version changes nothing. */
    ok_eq_int(upsert(s, &p), STORE_UNCHANGED, "older version is UNCHANGED");
    ok_eq_int(store_paper_get(s, "2401.00001", &g), 0, "get after older");
    ok_eq_str(g.title, "Second title", "older did not replace the title");
    ok_eq_int(g.latest_version, 2, "latest version still 2");
    ok_eq_int(upsert(s, &p2), STORE_UNCHANGED, "identical newer record again is UNCHANGED");

    /* Same version, later updated date: newer. */
    free(p2.updated);
    p2.updated = xstrdup("2024-03-01T00:00:00Z");
    free(p2.title);
    p2.title = xstrdup("Corrected title");
    ok_eq_int(upsert(s, &p2), STORE_UPDATED, "equal version, later updated: UPDATED");
    ok_eq_int(store_paper_get(s, "2401.00001", &g), 0, "get");
    ok_eq_str(g.title, "Corrected title", "title corrected");

    struct paper bad;
    paper_init(&bad);
    enum store_change ch = 0;
    ok_eq_int(store_paper_upsert(s, &bad, &ch), ERR_INVALID, "no id: ERR_INVALID");
    ok_eq_int(store_paper_get(s, "9999.99999", &g), ERR_NOT_FOUND, "get missing: ERR_NOT_FOUND");
    ok_eq_str(g.title, "Corrected title", "failed get leaves *p alone");

    int64_t rowid = 0;
    ok_eq_int(store_paper_rowid(s, "2401.00001", &rowid), 0, "rowid");
    struct paper r;
    paper_init(&r);
    ok_eq_int(store_paper_get_by_rowid(s, rowid, &r), 0, "get by rowid");
    ok_eq_str(r.id, "2401.00001", "by rowid: right paper");
    ok_eq_int(r.n_versions, 2, "by rowid: versions");
    ok_eq_int(store_paper_get_by_rowid(s, rowid + 100, &r), ERR_NOT_FOUND, "by rowid: missing");
    ok_eq_int(store_check(s), 0, "integrity ok");

    paper_cleanup(&r);
    paper_cleanup(&p);
    paper_cleanup(&p2);
    paper_cleanup(&g);
    store_close(s);
}

static void test_version_union(void)
{
    struct store *s = open_fresh("union.db");
    struct paper g;
    paper_init(&g);

    /* Atom knows only "v3" (no dates). */
    struct paper atom;
    paper_init(&atom);
    atom.id = xstrdup("2402.00002");
    atom.title = xstrdup("Atom title");
    atom.updated = xstrdup("2024-02-20T00:00:00Z");
    paper_add_version(&atom, 3, NULL, NULL);
    ok_eq_int(upsert(s, &atom), STORE_ADDED, "atom record added");

    /* An older Kaggle snapshot knows v1 and v2 with dates. */
    struct paper kag;
    make_paper(&kag, "2402.00002", 2, "Kaggle title", "2024-02-01T00:00:00Z");
    ok_eq_int(upsert(s, &kag), STORE_UPDATED, "older record adds unknown versions");
    ok_eq_int(store_paper_get(s, "2402.00002", &g), 0, "get");
    ok_eq_str(g.title, "Atom title", "older record did not replace the title");
    ok_eq_int(g.n_versions, 3, "versions are the union");
    ok_eq_int(g.latest_version, 3, "latest stays 3");
    ok(g.n_versions == 3 && g.versions[0].num == 1 && g.versions[2].num == 3, "ascending");
    ok(g.n_versions == 3 && g.versions[2].date == NULL, "v3 has no date yet");
    ok_eq_int(upsert(s, &kag), STORE_UNCHANGED, "the same older record again: UNCHANGED");

    /* An arXivRaw-like record with all three dated: fills v3's date. */
    struct paper raw;
    make_paper(&raw, "2402.00002", 3, "Raw title", "2024-02-01T00:00:00Z");
    free(raw.updated);
    raw.updated = xstrdup("2024-02-20T00:00:00Z");
    ok_eq_int(upsert(s, &raw), STORE_UPDATED, "dates for known versions: UPDATED");
    ok_eq_int(store_paper_get(s, "2402.00002", &g), 0, "get");
    ok(g.n_versions == 3 && g.versions[2].date != NULL, "v3 date filled");
    ok_eq_str(g.title, "Atom title", "equal version, same updated: title kept");
    ok_eq_str(g.abstract, "An abstract with breaks.", "missing abstract filled");
    ok_eq_int(upsert(s, &raw), STORE_UNCHANGED, "again: UNCHANGED");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_versions"), 3, "three version rows");

    paper_cleanup(&atom);
    paper_cleanup(&kag);
    paper_cleanup(&raw);
    paper_cleanup(&g);
    store_close(s);
}

static void test_fill_missing(void)
{
    struct store *s = open_fresh("fill.db");
    struct paper g;
    paper_init(&g);
    struct paper ar;
    make_paper(&ar, "2410.12345", 1, "ArXiv title", "2024-10-20T09:00:00Z");
    ok_eq_int(upsert(s, &ar), STORE_ADDED, "arXiv record added");
    int64_t changes0 = sqlite3_total_changes(s->db);

    /* A Hugging Face item: no version, no dates, its own title. */
    struct paper hf;
    paper_init(&hf);
    hf.id = xstrdup("2410.12345");
    hf.title = xstrdup("HF title");
    hf.abstract = xstrdup("HF summary");
    paper_add_author(&hf, "Someone Else", NULL, NULL, NULL);
    ok_eq_int(upsert(s, &hf), STORE_UNCHANGED, "HF item adds nothing over arXiv: UNCHANGED");
    ok_eq_int(sqlite3_total_changes(s->db) - changes0, 0, "and writes nothing");
    hf.doi = xstrdup("10.5555/hf");
    ok_eq_int(upsert(s, &hf), STORE_UPDATED, "HF item with a new field: UPDATED");
    ok_eq_int(store_paper_get(s, "2410.12345", &g), 0, "get");
    ok_eq_str(g.title, "ArXiv title", "title kept");
    ok_eq_str(g.abstract, "An abstract with breaks.", "abstract kept");
    ok_eq_str(g.doi, "10.5555/hf", "doi filled");
    ok_eq_int(g.n_authors, 2, "authors kept");
    ok_eq_int(g.latest_version, 1, "version kept");
    ok_eq_int(upsert(s, &hf), STORE_UNCHANGED, "again: UNCHANGED");

    /* An HF item for a paper not stored yet creates it. */
    free(hf.id);
    hf.id = xstrdup("2410.55555");
    ok_eq_int(upsert(s, &hf), STORE_ADDED, "HF item for a new paper: ADDED");
    ok_eq_int(store_paper_get(s, "2410.55555", &g), 0, "get");
    ok_eq_int(g.latest_version, 0, "version unknown");
    ok_eq_int(g.n_authors, 1, "its author");
    /* Then the arXiv record arrives: newer (version 1 > 0) and replaces. */
    free(ar.id);
    ar.id = xstrdup("2410.55555");
    ok_eq_int(upsert(s, &ar), STORE_UPDATED, "arXiv record after HF: UPDATED");
    ok_eq_int(store_paper_get(s, "2410.55555", &g), 0, "get");
    ok_eq_str(g.title, "ArXiv title", "arXiv title replaces the HF one");
    ok_eq_int(g.n_authors, 2, "arXiv authors replace");
    ok_eq_str(g.doi, "10.5555/hf", "HF doi kept (never erased)");
    ok_eq_int(g.latest_version, 1, "version 1");

    paper_cleanup(&ar);
    paper_cleanup(&hf);
    paper_cleanup(&g);
    store_close(s);
}

static void make_daily(struct daily_entry *e, const char *id, const char *day, int upvotes)
{
    daily_entry_init(e);
    e->paper_id = xstrdup(id);
    e->day = xstrdup(day);
    e->source = xstrdup("hf");
    e->title = xstrdup("Daily title");
    e->submitter = xstrdup("akhaliq");
    e->upvotes = upvotes;
}

static void test_daily(void)
{
    struct store *s = open_fresh("daily.db");
    struct daily_entry e;
    enum store_change ch = 0;
    make_daily(&e, "2410.20000", "2024-10-25", 7);
    ok_eq_int(store_daily_upsert(s, &e, &ch), 0, "daily entry before its paper");
    ok_eq_int(ch, STORE_ADDED, "ADDED");
    ok_eq_int(store_daily_upsert(s, &e, &ch), 0, "again");
    ok_eq_int(ch, STORE_UNCHANGED, "UNCHANGED");
    e.upvotes = 9;
    ok_eq_int(store_daily_upsert(s, &e, &ch), 0, "upvotes change");
    ok_eq_int(ch, STORE_UPDATED, "UPDATED");

    struct store_listing *l = NULL;
    size_t n = 99, total = 99;
    ok_eq_int(store_list_days(s, "2024-10-25", "2024-10-25", 0, 10, &l, &n, &total), 0, "list");
    ok_eq_int(n, 0, "no paper listed before it arrives");
    store_listing_free(l, n);

    struct paper p;
    make_paper(&p, "2410.20000", 1, "Listed", "2024-10-21T12:00:00Z");
    ok_eq_int(upsert(s, &p), STORE_ADDED, "paper arrives");
    ok_eq_int(store_list_days(s, "2024-10-25", "2024-10-25", 0, 10, &l, &n, &total), 0, "list");
    ok_eq_int(n, 1, "now listed on the daily day");
    if (n == 1) {
        ok_eq_str(l[0].day, "2024-10-25", "day is the daily-list day, not created");
        ok_eq_str(l[0].daily.paper_id, "2410.20000", "daily entry attached");
        ok_eq_int(l[0].daily.upvotes, 9, "its upvotes");
        ok_eq_str(l[0].paper.title, "Listed", "paper attached");
        ok_eq_int(l[0].paper.n_authors, 2, "paper loaded in full");
    }
    store_listing_free(l, n);
    ok_eq_int(store_list_days(s, "2024-10-21", "2024-10-21", 0, 10, &l, &n, &total), 0, "list");
    ok_eq_int(n, 0, "not listed under its created day");
    store_listing_free(l, n);

    daily_entry_cleanup(&e);
    daily_entry_init(&e);
    enum store_change ch2 = 0;
    ok_eq_int(store_daily_upsert(s, &e, &ch2), ERR_INVALID, "entry without id: ERR_INVALID");
    paper_cleanup(&p);
    store_close(s);
}

/* 2024-10-21 (Mon) .. 2024-10-27 (Sun): 25 papers, some on the daily list. */
static void test_listing(void)
{
    struct store *s = open_fresh("list.db");
    char day[11];
    ok_eq_int(store_latest_day(s, day), ERR_NOT_FOUND, "latest day of an empty store");
    store_begin(s);
    for (int i = 0; i < 25; i++) {
        char id[32], created[32];
        snprintf(id, sizeof id, "2410.%05d", 30000 + i);
        snprintf(created, sizeof created, "2024-10-%02dT08:00:00Z", 21 + i % 7);
        struct paper p;
        make_paper(&p, id, 1, "Paper", created);
        if (i % 5 == 0) {
            free(p.primary_category);
            p.primary_category = xstrdup("hep-th");
            free(p.categories);
            p.categories = xstrdup("hep-th gr-qc cs.LG");
        }
        upsert(s, &p);
        paper_cleanup(&p);
        if (i % 3 == 0) {
            struct daily_entry e;
            enum store_change ch;
            make_daily(&e, id, created, i); /* day "2024-10-2x..." is cut below */
            e.day[10] = '\0';
            store_daily_upsert(s, &e, &ch);
            daily_entry_cleanup(&e);
        }
    }
    /* A paper from an earlier month, outside the range. */
    struct paper old;
    make_paper(&old, "2409.00001", 1, "Old", "2024-09-03T08:00:00Z");
    upsert(s, &old);
    paper_cleanup(&old);
    ok_eq_int(store_commit(s), 0, "commit batch");

    ok_eq_int(store_latest_day(s, day), 0, "latest day");
    ok_eq_str(day, "2024-10-27", "latest day value");

    /* Page through the week 10 at a time and check the order. */
    char prev_day[11] = "9999-99-99", prev_id[32] = "";
    int prev_up = 1 << 30, seen = 0, order_ok = 1, totals_ok = 1;
    for (size_t off = 0; off < 40; off += 10) {
        struct store_listing *l = NULL;
        size_t n = 0, total = 0;
        if (store_list_days(s, "2024-10-21", "2024-10-27", off, 10, &l, &n, &total) != 0)
            break;
        totals_ok &= total == 25;
        for (size_t i = 0; i < n; i++) {
            int up = l[i].daily.paper_id ? l[i].daily.upvotes : 0;
            int c = strcmp(l[i].day, prev_day);
            if (c > 0 || (c == 0 && (up > prev_up ||
                                     (up == prev_up && strcmp(l[i].paper.id, prev_id) <= 0))))
                order_ok = 0;
            snprintf(prev_day, sizeof prev_day, "%s", l[i].day);
            snprintf(prev_id, sizeof prev_id, "%s", l[i].paper.id);
            prev_up = up;
            seen++;
        }
        if (off == 20)
            ok_eq_int(n, 5, "last page has 5");
        store_listing_free(l, n);
    }
    ok_eq_int(seen, 25, "pages cover the week exactly");
    ok(totals_ok, "total is 25 on every page");
    ok(order_ok, "ordered by day desc, upvotes desc, id");

    struct store_listing *l = NULL;
    size_t n = 0;
    ok_eq_int(store_list_days(s, "2024-10-24", "2024-10-24", 0, 100, &l, &n, NULL), 0,
              "one day, no total");
    int day_ok = n > 0;
    for (size_t i = 0; i < n; i++)
        day_ok &= strcmp(l[i].day, "2024-10-24") == 0;
    ok(day_ok, "only that day");
    /* 24th: i%7==3 -> i = 3, 10, 17, 24 ; on the list: 3 (up 3), 24 (up 24). */
    ok(n == 4 && strcmp(l[0].paper.id, "2410.30024") == 0 &&
           strcmp(l[1].paper.id, "2410.30003") == 0,
       "most upvoted first within the day");
    store_listing_free(l, n);

    int64_t total = 0;
    store_count_papers(s, &total);
    ok_eq_int(total, 26, "count papers");
    ok_eq_int(store_check(s), 0, "integrity ok");
    store_close(s);
}

struct kv {
    char keys[16][16];
    int64_t counts[16];
    int n;
};

static void collect(void *ctx, const char *key, int64_t count)
{
    struct kv *kv = ctx;
    if (kv->n < 16) {
        snprintf(kv->keys[kv->n], sizeof kv->keys[0], "%s", key);
        kv->counts[kv->n++] = count;
    }
}

static int64_t kv_get(const struct kv *kv, const char *key)
{
    for (int i = 0; i < kv->n; i++)
        if (strcmp(kv->keys[i], key) == 0)
            return kv->counts[i];
    return 0;
}

static void test_counts(void)
{
    struct store *s = open_fresh("counts.db");
    const char *rows[][3] = {
        {"2401.00001", "cs.LG", "2024-01-02"}, {"2401.00002", "cs.LG", "2024-01-09"},
        {"2402.00001", "cs.CL", "2024-02-03"}, {"2402.00002", "math.CO", "2024-02-04"},
        {"2402.00003", "cs.LG", "2024-02-28"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct paper p;
        make_paper(&p, rows[i][0], 1, "T", rows[i][2]);
        free(p.primary_category);
        p.primary_category = xstrdup(rows[i][1]);
        free(p.categories);
        char cats[64];
        snprintf(cats, sizeof cats, "%s stat.ML", rows[i][1]);
        p.categories = xstrdup(cats);
        upsert(s, &p);
        paper_cleanup(&p);
    }
    struct kv kv = {0};
    ok_eq_int(store_count_by_category(s, collect, &kv), 0, "count by primary category");
    ok_eq_int(kv.n, 3, "three primaries");
    ok_eq_str(kv.keys[0], "cs.LG", "most first");
    ok_eq_int(kv_get(&kv, "cs.LG"), 3, "cs.LG 3");
    ok_eq_int(kv_get(&kv, "stat.ML"), 0, "cross-list is not primary");
    memset(&kv, 0, sizeof kv);
    ok_eq_int(store_count_by_category_all(s, collect, &kv), 0, "count by any category");
    ok_eq_int(kv_get(&kv, "stat.ML"), 5, "cross-lists counted");
    ok_eq_int(kv_get(&kv, "math.CO"), 1, "math.CO 1");
    memset(&kv, 0, sizeof kv);
    ok_eq_int(store_count_by_month(s, collect, &kv), 0, "count by month");
    ok_eq_int(kv.n, 2, "two months");
    ok(kv.n == 2 && strcmp(kv.keys[0], "2024-01") == 0 && kv.counts[0] == 2 &&
           strcmp(kv.keys[1], "2024-02") == 0 && kv.counts[1] == 3,
       "month order and counts");
    store_close(s);
}

static void test_state(void)
{
    struct store *s = open_fresh("state.db");
    char *v = NULL;
    ok_eq_int(store_state_get(s, "oai.token", &v), ERR_NOT_FOUND, "unset key");
    ok_eq_int(store_state_set(s, "oai.token", "abc|123"), 0, "set");
    ok_eq_int(store_state_set(s, "oai.token", "def|456"), 0, "overwrite");
    ok_eq_int(store_state_get(s, "oai.token", &v), 0, "get");
    ok_eq_str(v, "def|456", "latest value");
    free(v);
    ok_eq_int(store_state_del(s, "oai.token"), 0, "del");
    ok_eq_int(store_state_get(s, "oai.token", &v), ERR_NOT_FOUND, "gone");
    ok_eq_int(store_state_del(s, "oai.token"), 0, "del of a missing key is fine");
    store_close(s);
}

static void test_rollback(void)
{
    struct store *s = open_fresh("rollback.db");
    struct paper p;
    make_paper(&p, "2403.00001", 2, "Rolled back", "2024-03-01");
    ok_eq_int(store_begin(s), 0, "begin");
    ok_eq_int(store_begin(s), ERR_INVALID, "nested begin refused");
    upsert(s, &p);
    store_state_set(s, "k", "v");
    ok_eq_int(store_rollback(s), 0, "rollback");
    int64_t n = -1;
    store_count_papers(s, &n);
    ok_eq_int(n, 0, "no paper after rollback");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_versions"), 0, "no versions after rollback");
    char *v = NULL;
    ok_eq_int(store_state_get(s, "k", &v), ERR_NOT_FOUND, "no state after rollback");
    ok_eq_int(store_commit(s), ERR_INVALID, "commit without begin refused");
    ok_eq_int(store_rollback(s), 0, "rollback without begin is a no-op");

    /* A failing upsert inside a batch leaves nothing of itself behind. */
    store_begin(s);
    upsert(s, &p);
    struct paper bad;
    make_paper(&bad, "2403.00002", 1, "Bad", "2024-03-01");
    /* Make the author insert fail: a trigger rejects it. */
    sqlite3_exec(s->db,
                 "CREATE TEMP TRIGGER no_bad BEFORE INSERT ON paper_authors"
                 " WHEN NEW.name = 'B. Two' AND (SELECT arxiv_id FROM papers WHERE id = NEW.paper)"
                 " = '2403.00002' BEGIN SELECT RAISE(ABORT, 'rejected'); END",
                 NULL, NULL, NULL);
    enum store_change ch = 0;
    int rc = store_paper_upsert(s, &bad, &ch);
    ok(rc != 0, "upsert fails mid-way");
    ok(strstr(store_errmsg(s), "rejected") != NULL, "error text kept");
    ok_eq_int(store_commit(s), 0, "the batch still commits");
    ok_eq_int(q_int(s, "SELECT count(*) FROM papers"), 1, "the good paper is there");
    ok_eq_int(q_int(s, "SELECT count(*) FROM papers WHERE arxiv_id = '2403.00002'"), 0,
              "nothing of the failed one");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_authors"), 2, "only the good authors");
    paper_cleanup(&bad);
    paper_cleanup(&p);
    store_close(s);
}

static int each_cb(void *ctx, int64_t rowid, const struct paper *p)
{
    int64_t *st = ctx; /* [0] last rowid, [1] count, [2] ok */
    if (rowid <= st[0] || p->n_authors != 2 || p->n_versions != 2 || !p->title)
        st[2] = 0;
    st[0] = rowid;
    st[1]++;
    return st[1] == 1000 ? 42 : 0;
}

static void test_each(void)
{
    struct store *s = open_fresh("each.db");
    store_begin(s);
    for (int i = 0; i < 300; i++) {
        char id[32];
        snprintf(id, sizeof id, "2404.%05d", (i * 7919) % 100000);
        struct paper p;
        make_paper(&p, id, 2, "Each", "2024-04-01");
        upsert(s, &p);
        paper_cleanup(&p);
    }
    store_commit(s);
    int64_t st[3] = {0, 0, 1};
    ok_eq_int(store_paper_each(s, 0, each_cb, st), 0, "each");
    ok_eq_int(st[1], 300, "visits every paper");
    ok(st[2], "ascending row ids, authors and versions loaded");
    int64_t st2[3] = {100, 0, 1};
    ok_eq_int(store_paper_each(s, 100, each_cb, st2), 0, "each after row 100");
    ok_eq_int(st2[1], 200, "resumes after the given row");
    int64_t st3[3] = {0, 999, 1};
    ok_eq_int(store_paper_each(s, 0, each_cb, st3), 42, "a non-zero return stops and is returned");
    store_close(s);
}

static void test_hostile(void)
{
    struct store *s = open_fresh("hostile.db");
    char bin[256];
    for (int i = 1; i < 256; i++)
        bin[i - 1] = (char)i;
    bin[255] = '\0';
    const char *evil = "Robert'); DROP TABLE papers;-- \"quoted\" %s %n \\ \xe2\x80\x9csmart\xe2\x80\x9d";
    struct paper p;
    make_paper(&p, "hep-th/9901001", 1, evil, "1999-01-01");
    free(p.abstract_raw);
    p.abstract_raw = xstrdup(bin);
    free(p.authors[0].name);
    p.authors[0].name = xstrdup("O'Brien, \"Jr\"");
    free(p.comments);
    p.comments = xstrdup("\xff\xfe invalid UTF-8 \xc3\x28");
    ok_eq_int(upsert(s, &p), STORE_ADDED, "hostile record stored");
    struct paper g;
    paper_init(&g);
    ok_eq_int(store_paper_get(s, "hep-th/9901001", &g), 0, "read back");
    ok_eq_str(g.title, evil, "quotes and SQL round-trip");
    ok(g.abstract_raw && strlen(g.abstract_raw) == 255 && memcmp(g.abstract_raw, bin, 255) == 0,
       "all 255 non-NUL bytes round-trip");
    ok_eq_str(g.authors[0].name, "O'Brien, \"Jr\"", "author with quotes");
    ok_eq_str(g.comments, p.comments, "invalid UTF-8 kept byte for byte");
    ok_eq_int(upsert(s, &p), STORE_UNCHANGED, "hostile record again: UNCHANGED");
    ok_eq_int(store_state_set(s, "'; DELETE FROM state; --", bin), 0, "hostile state");
    char *v = NULL;
    ok_eq_int(store_state_get(s, "'; DELETE FROM state; --", &v), 0, "hostile state back");
    ok(v && strcmp(v, bin) == 0, "state value round-trips");
    free(v);
    ok_eq_int(q_int(s, "SELECT count(*) FROM papers"), 1, "table intact");
    paper_cleanup(&g);
    paper_cleanup(&p);
    store_close(s);
}

/* The child upserts batches of BATCH papers (two versions, two authors
 * each), one transaction per batch, and reports each commit on a pipe; the
 * parent kills it with SIGKILL somewhere in a batch. */
#define CRASH_BATCH 50

static void crash_child(const char *path, int wfd)
{
    struct store *s = NULL;
    if (store_open(path, 0, &s) != 0)
        _exit(2);
    for (long b = 0; b < 100000; b++) {
        if (store_begin(s) != 0)
            _exit(3);
        for (int i = 0; i < CRASH_BATCH; i++) {
            char id[32];
            snprintf(id, sizeof id, "crash/%07ld", b * CRASH_BATCH + i);
            struct paper p;
            make_paper(&p, id, 2, "Crash", "2024-05-01");
            enum store_change ch;
            if (store_paper_upsert(s, &p, &ch) != 0)
                _exit(4);
            paper_cleanup(&p);
        }
        if (store_commit(s) != 0)
            _exit(5);
        if (write(wfd, "c", 1) != 1)
            _exit(6);
    }
    _exit(0);
}

static void test_crash(int round, useconds_t delay)
{
    char path[512], name[64];
    snprintf(name, sizeof name, "crash%d.db", round);
    path_in(path, sizeof path, name);
    unlink(path);
    int fds[2];
    if (pipe(fds) != 0) {
        ok(0, "pipe");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        crash_child(path, fds[1]);
    }
    close(fds[1]);
    int commits = 0;
    char c;
    while (commits < 4 && read(fds[0], &c, 1) == 1)
        commits++;
    usleep(delay);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    while (read(fds[0], &c, 1) == 1)
        commits++;
    close(fds[0]);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was killed mid-run");

    struct store *s = NULL;
    ok_eq_int(store_open(path, 0, &s), 0, "reopen after the kill");
    if (!s)
        return;
    ok_eq_int(store_check(s), 0, "integrity_check ok after the kill");
    int64_t n = q_int(s, "SELECT count(*) FROM papers");
    printf("#   round %d: %lld papers, %d commits reported\n", round, (long long)n, commits);
    ok(n % CRASH_BATCH == 0, "whole batches only");
    ok(n >= (int64_t)commits * CRASH_BATCH, "every reported commit is present");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_versions"), 2 * n, "versions of every paper");
    ok_eq_int(q_int(s, "SELECT count(*) FROM paper_authors"), 2 * n, "authors of every paper");
    store_close(s);
}

/* ------------------------------------------------------------------------ */
/* Display columns (schema v3): stored only where they differ from the
 * folded raw text, rebuilt on read. */

/* The stored column col of arxiv id, through raw SQL: "NULL" when NULL. */
static void stored_col(struct store *s, const char *id, const char *col, char *out, size_t n)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT %s FROM papers WHERE arxiv_id = ?1", col);
    sqlite3_stmt *st = NULL;
    snprintf(out, n, "(no row)");
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            snprintf(out, n, "%s", t ? t : "NULL");
        }
    }
    sqlite3_finalize(st);
}

static void test_display_columns(void)
{
    struct store *s = open_fresh("display.db");
    ok(s != NULL, "open display.db");
    if (!s)
        return;
    char col[256];
    struct paper p, got;
    paper_init(&got);

    /* The usual case: display = fold(raw) is not stored. */
    make_paper(&p, "2401.00001", 1, "Deep\n  learning  ", "2024-01-05");
    free(p.title);
    p.title = xstrdup("Deep learning");
    ok_eq_int(upsert(s, &p), STORE_ADDED, "display: add");
    stored_col(s, "2401.00001", "title", col, sizeof col);
    ok_eq_str(col, "NULL", "folded title is not stored");
    stored_col(s, "2401.00001", "abstract", col, sizeof col);
    ok_eq_str(col, "NULL", "folded abstract is not stored");
    stored_col(s, "2401.00001", "title_raw", col, sizeof col);
    ok_eq_str(col, "Deep\n  learning  ", "raw title stored as given");
    ok_eq_int(store_paper_get(s, "2401.00001", &got), 0, "display: get");
    ok_eq_str(got.title, "Deep learning", "title rebuilt on read");
    ok_eq_str(got.abstract, "An abstract with breaks.", "abstract rebuilt on read");
    ok_eq_str(got.title_raw, "Deep\n  learning  ", "raw title read back");
    ok_eq_int(upsert(s, &p), STORE_UNCHANGED, "same record again: unchanged");
    /* A record that knows no version and carries another display form
     * fills nothing: the stored display (rebuilt) is not missing. */
    struct paper q;
    paper_init(&q);
    q.id = xstrdup("2401.00001");
    q.title = xstrdup("Another display");
    q.abstract = xstrdup("Another abstract");
    ok_eq_int(upsert(s, &q), STORE_UNCHANGED, "fill: a NULL stored display is not missing");
    paper_cleanup(&q);

    /* A display form that differs is stored and wins on read. */
    struct paper d;
    make_paper(&d, "2401.00002", 1, "Raw  title", "2024-01-05");
    free(d.title);
    d.title = xstrdup("Custom display");
    ok_eq_int(upsert(s, &d), STORE_ADDED, "differing display: add");
    stored_col(s, "2401.00002", "title", col, sizeof col);
    ok_eq_str(col, "Custom display", "differing display is stored");
    ok_eq_int(store_paper_get(s, "2401.00002", &got), 0, "differing display: get");
    ok_eq_str(got.title, "Custom display", "differing display read back");

    /* A newer version whose display is the fold of its new raw text. */
    struct paper d2;
    make_paper(&d2, "2401.00002", 2, "New\traw title", "2024-01-05");
    free(d2.title);
    d2.title = xstrdup("New raw title");
    ok_eq_int(upsert(s, &d2), STORE_UPDATED, "newer: updated");
    stored_col(s, "2401.00002", "title", col, sizeof col);
    ok_eq_str(col, "NULL", "newer folded display drops the stored one");
    ok_eq_int(store_paper_get(s, "2401.00002", &got), 0, "newer: get");
    ok_eq_str(got.title, "New raw title", "newer display read back");

    /* A newer version with raw text but no display keeps the stored
     * display (a NULL field never erases), which now differs from the
     * fold of the new raw text, so it is stored. */
    struct paper d3;
    make_paper(&d3, "2401.00002", 3, "Third  raw", "2024-01-05");
    free(d3.title);
    d3.title = NULL;
    ok_eq_int(upsert(s, &d3), STORE_UPDATED, "newer without display: updated");
    ok_eq_int(store_paper_get(s, "2401.00002", &got), 0, "newer without display: get");
    ok_eq_str(got.title, "New raw title", "the stored display is kept");
    ok_eq_str(got.title_raw, "Third  raw", "the raw title is replaced");
    stored_col(s, "2401.00002", "title", col, sizeof col);
    ok_eq_str(col, "New raw title", "kept display stored since it differs now");

    /* A paper with a display form and no raw text. */
    struct paper n;
    make_paper(&n, "2401.00003", 1, "x", "2024-01-05");
    free(n.title_raw);
    n.title_raw = NULL;
    free(n.title);
    n.title = xstrdup("Only  display");
    ok_eq_int(upsert(s, &n), STORE_ADDED, "display without raw: add");
    ok_eq_int(store_paper_get(s, "2401.00003", &got), 0, "display without raw: get");
    ok_eq_str(got.title, "Only  display", "display without raw kept as is");
    ok(got.title_raw == NULL, "no raw title");
    /* A later raw text fills the missing raw column; the display stays. */
    struct paper n2;
    paper_init(&n2);
    n2.id = xstrdup("2401.00003");
    n2.title_raw = xstrdup("Only display");
    n2.title = xstrdup("Only display");
    ok_eq_int(upsert(s, &n2), STORE_UPDATED, "fill the raw title");
    ok_eq_int(store_paper_get(s, "2401.00003", &got), 0, "filled raw: get");
    ok_eq_str(got.title, "Only  display", "filled raw: the stored display stays");
    ok_eq_str(got.title_raw, "Only display", "filled raw: raw title filled");
    paper_cleanup(&n2);

    /* The basic search still matches titles stored as NULL. */
    const char *words[] = {"learning"};
    struct store_listing *l = NULL;
    size_t nl = 0, total = 0;
    ok_eq_int(store_search_basic(s, words, 1, NULL, NULL, NULL, 0, 10, &l, &nl, &total), 0,
              "basic search");
    ok(nl == 1 && strcmp(l[0].paper.id, "2401.00001") == 0 &&
           strcmp(l[0].paper.title, "Deep learning") == 0,
       "basic search finds a title stored folded");
    store_listing_free(l, nl);

    paper_cleanup(&p);
    paper_cleanup(&d);
    paper_cleanup(&d2);
    paper_cleanup(&d3);
    paper_cleanup(&n);
    paper_cleanup(&got);
    ok_eq_int(store_check(s), 0, "display: integrity");
    store_close(s);
}

/* Executes sql on a raw connection; 0 or the SQLite code. */
static int raw_exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        printf("# %s: %s\n", sql, sqlite3_errmsg(db));
    return rc;
}

/* A version-1 database as the old code wrote it (both display columns
 * stored), upgraded by store_open. */
static void test_migrate_v1(void)
{
    char path[512];
    path_in(path, sizeof path, "v1.db");
    unlink(path);
    sqlite3 *db = NULL;
    ok_eq_int(sqlite3_open(path, &db), SQLITE_OK, "v1: create");
    char sql[160];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = 1",
             STORE_APP_ID);
    ok_eq_int(raw_exec(db, schema_v1), 0, "v1: schema");
    ok_eq_int(raw_exec(db, sql), 0, "v1: version");
    ok_eq_int(raw_exec(db,
                       "INSERT INTO papers (arxiv_id, title_raw, title, abstract_raw, abstract,"
                       " created) VALUES"
                       " ('2301.00001', ' A\n  title ', 'A title', 'Ab\n\nstract.', 'Ab stract.',"
                       "  '2023-01-02'),"
                       " ('2301.00002', 'Raw', 'Custom', 'Same', 'Same', '2023-01-02'),"
                       " ('2301.00003', NULL, 'Only display', NULL, NULL, '2023-01-02'),"
                       " ('2301.00004', 'Two  spaces', 'Two  spaces', 'x', 'x ', '2023-01-02');"
                       "INSERT INTO paper_authors (paper, pos, name) VALUES (1, 0, 'A. One');"
                       "INSERT INTO paper_versions (paper, num, date) VALUES (1, 1, '2023-01-02')"),
              0, "v1: rows as the old code stored them");
    sqlite3_close(db);

    struct store *s = NULL;
    char why[256] = "";
    ok_eq_int(store_open_err(path, 1, &s, why, sizeof why), ERR_UNSUPPORTED,
              "v1: a read-only open asks for a migration");
    ok_eq_int(store_open_err(path, 0, &s, why, sizeof why), 0, "v1: open migrates");
    if (!s) {
        printf("# %s\n", why);
        return;
    }
    ok_eq_int(q_int(s, "PRAGMA user_version"), 3, "v1: now version 3");
    ok_eq_int(q_int(s, "SELECT count(*) FROM papers WHERE seq = id"), 4,
              "v1: folding the display columns changed no seq");
    char col[256];
    stored_col(s, "2301.00001", "title", col, sizeof col);
    ok_eq_str(col, "NULL", "v1: folded title dropped");
    stored_col(s, "2301.00001", "abstract", col, sizeof col);
    ok_eq_str(col, "NULL", "v1: folded abstract dropped");
    stored_col(s, "2301.00002", "title", col, sizeof col);
    ok_eq_str(col, "Custom", "v1: differing title kept");
    stored_col(s, "2301.00002", "abstract", col, sizeof col);
    ok_eq_str(col, "NULL", "v1: identical abstract dropped");
    stored_col(s, "2301.00003", "title", col, sizeof col);
    ok_eq_str(col, "Only display", "v1: display without raw kept");
    stored_col(s, "2301.00004", "title", col, sizeof col);
    ok_eq_str(col, "Two  spaces", "v1: unfolded display kept");
    stored_col(s, "2301.00004", "abstract", col, sizeof col);
    ok_eq_str(col, "x ", "v1: display with a trailing space kept");
    struct paper p;
    paper_init(&p);
    ok_eq_int(store_paper_get(s, "2301.00001", &p), 0, "v1: get");
    ok_eq_str(p.title, "A title", "v1: title rebuilt");
    ok_eq_str(p.abstract, "Ab stract.", "v1: abstract rebuilt");
    ok_eq_str(p.title_raw, " A\n  title ", "v1: raw title intact");
    ok(p.n_authors == 1 && p.n_versions == 1, "v1: children intact");
    ok_eq_int(store_paper_get(s, "2301.00002", &p), 0, "v1: get 2");
    ok_eq_str(p.title, "Custom", "v1: differing title read back");
    ok_eq_str(p.abstract, "Same", "v1: identical abstract rebuilt");
    paper_cleanup(&p);
    ok_eq_int(store_check(s), 0, "v1: integrity after the migration");
    store_close(s);
    s = NULL;
    ok_eq_int(store_open(path, 0, &s), 0, "v1: reopen");
    ok_eq_int(q_int(s, "PRAGMA user_version"), 3, "v1: stays version 3");
    store_close(s);
}

static int rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_store.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_open();
    test_bad_files();
    test_upsert_basic();
    test_version_union();
    test_fill_missing();
    test_daily();
    test_listing();
    test_counts();
    test_state();
    test_rollback();
    test_each();
    test_hostile();
    test_display_columns();
    test_migrate_v1();
    test_crash(1, 500);
    test_crash(2, 3000);
    test_crash(3, 17000);
    if (!ok_n_fail)
        rm_rf(tmpdir);
    else
        printf("# files kept in %s\n", tmpdir);
    return ok_done();
}
