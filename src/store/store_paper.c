/*
 * store_paper.c - upserting and loading papers and daily entries.
 *
 * Upsert (store.h states the rule; this is how it is carried out). One
 * lookup by arxiv_id reads the stored row id, latest_version, the fifteen
 * text columns and whether authors are stored. The record's effective
 * version is max(latest_version, highest num in versions[]). Then:
 *   - absent: INSERT the row, its versions, authors and categories (ADDED);
 *   - newer (version above the stored one, or equal/unknown version and a
 *     later `updated`): every non-NULL field of the record replaces the
 *     stored one (a NULL field keeps what is stored: a newer record never
 *     erases), a non-empty author list replaces the stored list, and
 *     latest_version becomes the max (UPDATED);
 *   - equal or unknown version, not later: fill only NULL columns, and
 *     authors when none are stored (UPDATED only if something was filled);
 *   - older version: no field changes.
 * In every case versions are merged into paper_versions (a version not
 * known yet is added, a NULL date/size of a known one is filled) and that
 * counts as UPDATED when a row changed. Nothing is written when nothing
 * changes. "Later" compares the ISO dates over their common prefix, so a
 * bare day never counts as later than an instant on that day.
 * paper_categories is rebuilt whenever categories or primary_category of
 * the row change. Each upsert runs inside a savepoint (or its own
 * transaction when none is open), so a failing record leaves nothing;
 * except the bulk case, a paper not yet stored inside the caller's
 * transaction: it is inserted without a savepoint and a failure after the
 * row went in is undone by deleting the row (its children cascade), see
 * insert_new().
 *
 * Daily entries: INSERT ... DO NOTHING tells ADDED; otherwise an UPDATE
 * that matches only when some value differs tells UPDATED/UNCHANGED. When
 * an entry changes, the listed paper's list_day/list_upvotes are refreshed
 * (its earliest entry's day and upvotes, else date(created)); when the
 * paper arrives later, its INSERT computes them the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

const size_t store_paper_text_off[STORE_N_TEXT] = {
    offsetof(struct paper, title_raw),        offsetof(struct paper, title),
    offsetof(struct paper, abstract_raw),     offsetof(struct paper, abstract),
    offsetof(struct paper, authors_raw),      offsetof(struct paper, primary_category),
    offsetof(struct paper, categories),       offsetof(struct paper, comments),
    offsetof(struct paper, journal_ref),      offsetof(struct paper, doi),
    offsetof(struct paper, report_no),        offsetof(struct paper, license),
    offsetof(struct paper, submitter),        offsetof(struct paper, created),
    offsetof(struct paper, updated),
};

static const char *text_field(const struct paper *p, int i)
{
    return *(char *const *)((const char *)p + store_paper_text_off[i]);
}

static char **text_slot(struct paper *p, int i)
{
    return (char **)((char *)p + store_paper_text_off[i]);
}

static int streq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Is ISO date a later than b? NULL is earliest; compared over the common
 * prefix so "2024-01-02" and "2024-01-02T10:00:00Z" are equal. */
static int date_later(const char *a, const char *b)
{
    if (!a)
        return 0;
    if (!b)
        return 1;
    size_t la = strlen(a), lb = strlen(b);
    return strncmp(a, b, la < lb ? la : lb) > 0;
}

/* ---------------------------------------------------------------------------
 * Writing children
 * ------------------------------------------------------------------------- */

/* Merges p's versions into paper_versions; adds the changed row count. */
static int write_versions(struct store *s, int64_t rowid, const struct paper *p, int *changed)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_VERSION_UPSERT, &rc);
    for (size_t i = 0; rc == 0 && i < p->n_versions; i++) {
        const struct paper_version *v = &p->versions[i];
        if (v->num <= 0)
            continue;
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_int(st, 2, v->num);
        store_bind_text(st, 3, v->date);
        store_bind_text(st, 4, v->size);
        rc = store_step_done(s, st);
        if (rc == 0)
            *changed += sqlite3_changes(s->db);
    }
    return rc;
}

/* Writes p's authors (after deleting the stored ones when replace). */
static int write_authors(struct store *s, int64_t rowid, const struct paper *p, int replace)
{
    int rc = 0;
    if (replace) {
        sqlite3_stmt *del = store_stmt(s, ST_AUTHOR_DELETE, &rc);
        if (rc == 0) {
            sqlite3_bind_int64(del, 1, rowid);
            rc = store_step_done(s, del);
        }
    }
    sqlite3_stmt *st = store_stmt(s, ST_AUTHOR_INSERT, &rc);
    for (size_t i = 0; rc == 0 && i < p->n_authors; i++) {
        const struct paper_author *a = &p->authors[i];
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        store_bind_text(st, 3, a->name ? a->name : "");
        store_bind_text(st, 4, a->last);
        store_bind_text(st, 5, a->first);
        store_bind_text(st, 6, a->suffix);
        store_bind_text(st, 7, a->affiliation);
        rc = store_step_done(s, st);
    }
    return rc;
}

static int insert_category(struct store *s, sqlite3_stmt *st, int64_t rowid, const char *cat,
                           size_t len, int primary)
{
    sqlite3_bind_int64(st, 1, rowid);
    sqlite3_bind_text(st, 2, cat, (int)len, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, primary);
    return store_step_done(s, st);
}

/* Rebuilds paper_categories for the row from the space-separated cats and
 * primary (either may be NULL; without primary the first listed is). */
static int write_categories(struct store *s, int64_t rowid, const char *cats, const char *primary,
                            int replace)
{
    int rc = 0;
    if (replace) {
        sqlite3_stmt *del = store_stmt(s, ST_CAT_DELETE, &rc);
        if (rc == 0) {
            sqlite3_bind_int64(del, 1, rowid);
            rc = store_step_done(s, del);
        }
    }
    sqlite3_stmt *st = store_stmt(s, ST_CAT_INSERT, &rc);
    size_t plen = primary ? strlen(primary) : 0;
    int seen_primary = 0, first = 1;
    for (const char *c = cats ? cats : ""; rc == 0 && *c;) {
        while (*c == ' ' || *c == '\t' || *c == '\n')
            c++;
        size_t n = strcspn(c, " \t\n");
        if (n == 0)
            break;
        int is_primary = primary ? (n == plen && memcmp(c, primary, n) == 0) : first;
        seen_primary |= is_primary;
        rc = insert_category(s, st, rowid, c, n, is_primary);
        first = 0;
        c += n;
    }
    if (rc == 0 && primary && plen && !seen_primary)
        rc = insert_category(s, st, rowid, primary, plen, 1);
    return rc;
}

/* The stored form of a display column: NULL when it is text_fold(raw),
 * which the loaders rebuild (see the file comment). */
static const char *stored_display(const char *raw, const char *display)
{
    if (raw && display && text_fold_equals(raw, strlen(raw), display))
        return NULL;
    return display;
}

/* The record's text columns as they are written: its fields, with the
 * display columns in their stored form. */
static void stored_fields(const struct paper *p, const char *vals[STORE_N_TEXT] /* OUT */)
{
    for (int i = 0; i < STORE_N_TEXT; i++)
        vals[i] = text_field(p, i);
    vals[STORE_COL_TITLE] = stored_display(p->title_raw, p->title);
    vals[STORE_COL_ABSTRACT] = stored_display(p->abstract_raw, p->abstract);
}

/* Binds the text columns vals to ?2..?16 and the effective version to ?17. */
static int bind_fields(sqlite3_stmt *st, const char *const vals[STORE_N_TEXT], int version)
{
    int rc = 0;
    for (int i = 0; i < STORE_N_TEXT && rc == 0; i++)
        rc = store_bind_text(st, 2 + i, vals[i]);
    if (rc == 0)
        rc = sqlite3_bind_int(st, 17, version) == SQLITE_OK ? 0 : ERR_DB;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Upsert
 * ------------------------------------------------------------------------- */

/* Inserts the paper row and its children. *rowid is set (else 0) once the
 * row is in, so that a failure after it can be undone. */
static int insert_paper(struct store *s, const struct paper *p, int version, int64_t *rowid_out)
{
    *rowid_out = 0;
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_PAPER_INSERT, &rc);
    const char *vals[STORE_N_TEXT];
    stored_fields(p, vals);
    if (rc == 0)
        rc = store_bind_text(st, 1, p->id);
    if (rc == 0)
        rc = bind_fields(st, vals, version);
    if (rc == 0)
        rc = store_step_done(s, st);
    if (rc != 0)
        return rc;
    int64_t rowid = sqlite3_last_insert_rowid(s->db);
    *rowid_out = rowid;
    int changed = 0;
    rc = write_versions(s, rowid, p, &changed);
    if (rc == 0)
        rc = write_authors(s, rowid, p, 0);
    if (rc == 0 && (p->categories || p->primary_category))
        rc = write_categories(s, rowid, p->categories, p->primary_category, 0);
    return rc;
}

enum upsert_mode { MODE_NEWER, MODE_FILL, MODE_OLDER };

/* Is text column i a display column (title, abstract), stored after its
 * raw column? */
static int is_display_col(int i)
{
    return i == STORE_COL_TITLE || i == STORE_COL_ABSTRACT;
}

/* The stored form (malloc'ed, or NULL) of display column col after an
 * update that ST_PAPER_UPDATE writes as given: the record's raw/display
 * pair merged with the stored one (columns of find) by the same rule as
 * the other columns (newer: the record's non-NULL value wins; else the
 * stored one does), where a stored NULL display with a raw text means
 * text_fold(raw). */
static char *merged_display(sqlite3_stmt *find, int col, const char *rec_raw,
                            const char *rec_display, int newer)
{
    const char *old_raw = (const char *)sqlite3_column_text(find, 2 + col - 1);
    const char *old_display = (const char *)sqlite3_column_text(find, 2 + col);
    const char *raw = newer ? (rec_raw ? rec_raw : old_raw) : (old_raw ? old_raw : rec_raw);
    const char *display;
    char *folded = NULL;
    if (newer && rec_display) {
        display = rec_display;
    } else if (old_display) {
        display = old_display;
    } else if (old_raw) {
        if (raw == old_raw)
            return NULL; /* stays text_fold(raw) */
        display = folded = text_fold(old_raw, strlen(old_raw));
    } else {
        display = rec_display;
    }
    char *out = xstrdup(stored_display(raw, display));
    free(folded);
    return out;
}

/* The record's version: max(latest_version, highest num in versions[]). */
static int effective_version(const struct paper *p)
{
    int version = p->latest_version > 0 ? p->latest_version : 0;
    for (size_t i = 0; i < p->n_versions; i++)
        if (p->versions[i].num > version)
            version = p->versions[i].num;
    return version;
}

static int upsert(struct store *s, const struct paper *p, enum store_change *ch)
{
    int version = effective_version(p);

    int rc = 0;
    sqlite3_stmt *find = store_stmt(s, ST_PAPER_FIND, &rc);
    if (rc == 0)
        rc = store_bind_text(find, 1, p->id);
    if (rc == 0)
        rc = store_step(s, find);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        *ch = STORE_ADDED;
        int64_t rowid;
        return insert_paper(s, p, version, &rowid);
    }

    /* Columns of ST_PAPER_FIND: 0 id, 1 latest_version, 2.. text, then
     * whether authors are stored. */
    int64_t rowid = sqlite3_column_int64(find, 0);
    int stored_version = sqlite3_column_int(find, 1);
    const char *stored_updated = (const char *)sqlite3_column_text(find, 2 + STORE_COL_UPDATED);
    int has_authors = sqlite3_column_int(find, 2 + STORE_N_TEXT);

    enum upsert_mode mode;
    if (version > stored_version)
        mode = MODE_NEWER;
    else if (version == stored_version || version == 0)
        mode = date_later(p->updated, stored_updated) ? MODE_NEWER : MODE_FILL;
    else
        mode = MODE_OLDER;

    int fill = 0;
    for (int i = 0; mode == MODE_FILL && i < STORE_N_TEXT; i++)
        if (text_field(p, i) && sqlite3_column_type(find, 2 + i) == SQLITE_NULL &&
            !(is_display_col(i) && sqlite3_column_type(find, 2 + i - 1) != SQLITE_NULL))
            fill = 1;

    /* Categories to rebuild, when they change. */
    char *cats = NULL, *prim = NULL;
    int cats_changed = 0;
    if (mode != MODE_OLDER) {
        const char *sc = (const char *)sqlite3_column_text(find, 2 + STORE_COL_CATEGORIES);
        const char *sp = (const char *)sqlite3_column_text(find, 2 + STORE_COL_PRIMARY);
        if (mode == MODE_NEWER) {
            cats_changed = (p->categories && !streq(p->categories, sc)) ||
                           (p->primary_category && !streq(p->primary_category, sp));
            cats = xstrdup(p->categories ? p->categories : sc);
            prim = xstrdup(p->primary_category ? p->primary_category : sp);
        } else {
            cats_changed = (p->categories && !sc) || (p->primary_category && !sp);
            cats = xstrdup(sc ? sc : p->categories);
            prim = xstrdup(sp ? sp : p->primary_category);
        }
    }
    int changed = mode == MODE_NEWER || fill;
    char *title = NULL, *abstract = NULL;
    if (changed) {
        title = merged_display(find, STORE_COL_TITLE, p->title_raw, p->title,
                               mode == MODE_NEWER);
        abstract = merged_display(find, STORE_COL_ABSTRACT, p->abstract_raw, p->abstract,
                                  mode == MODE_NEWER);
    }
    sqlite3_reset(find);
    rc = 0;

    if (changed) {
        sqlite3_stmt *up = store_stmt(s, ST_PAPER_UPDATE, &rc);
        const char *vals[STORE_N_TEXT];
        for (int i = 0; i < STORE_N_TEXT; i++)
            vals[i] = text_field(p, i);
        vals[STORE_COL_TITLE] = title;
        vals[STORE_COL_ABSTRACT] = abstract;
        if (rc == 0) {
            sqlite3_bind_int64(up, 1, rowid);
            rc = bind_fields(up, vals, version);
        }
        if (rc == 0) {
            sqlite3_bind_int(up, 18, mode == MODE_NEWER);
            rc = store_step_done(s, up);
        }
    }
    if (rc == 0 && p->n_authors > 0 &&
        (mode == MODE_NEWER || (mode == MODE_FILL && !has_authors))) {
        rc = write_authors(s, rowid, p, has_authors);
        changed = 1;
    }
    if (rc == 0 && cats_changed) {
        rc = write_categories(s, rowid, cats, prim, 1);
        changed = 1;
    }
    free(cats);
    free(prim);
    free(title);
    free(abstract);
    int vchanged = 0;
    if (rc == 0)
        rc = write_versions(s, rowid, p, &vchanged);
    if (rc == 0)
        *ch = changed || vchanged ? STORE_UPDATED : STORE_UNCHANGED;
    return rc;
}

/* Undoes a half-inserted paper row: deleting it removes its children too
 * (ON DELETE CASCADE), which restores what was there before the insert.
 * Keeps the first error's message. If even that fails, the caller's
 * whole transaction is rolled back rather than leave part of a record. */
static void undo_insert(struct store *s, int64_t rowid)
{
    if (sqlite3_get_autocommit(s->db))
        return; /* SQLite already rolled the transaction back */
    char keep[sizeof s->errmsg];
    memcpy(keep, s->errmsg, sizeof keep);
    int rc = 0;
    sqlite3_stmt *del = store_stmt(s, ST_PAPER_DELETE, &rc);
    if (rc == 0) {
        sqlite3_bind_int64(del, 1, rowid);
        rc = store_step_done(s, del);
    }
    if (rc != 0)
        store_rollback(s);
    memcpy(s->errmsg, keep, sizeof keep);
}

/* The common case of a bulk load, a paper not stored yet inside the
 * caller's transaction, without a savepoint: each statement is atomic, so
 * a failing INSERT of the row leaves nothing, and a failure after it is
 * undone by undo_insert(). A savepoint per record would copy every page
 * the record touches into the statement journal (measured: a fifth of the
 * CPU of an ingest). Returns 1 when the paper exists (nothing done), 0
 * when it was added, or an error. */
static int insert_new(struct store *s, const struct paper *p)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_ROWID_OF, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, p->id);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc != 0) {
        if (rc == 1)
            sqlite3_reset(st);
        return rc;
    }
    int64_t rowid = 0;
    rc = insert_paper(s, p, effective_version(p), &rowid);
    if (rc != 0 && rowid != 0)
        undo_insert(s, rowid);
    return rc;
}

int store_paper_upsert(struct store *s, const struct paper *p, enum store_change *change)
{
    if (!p || !p->id || !p->id[0])
        return store_fail(s, ERR_INVALID, "paper upsert: the record has no id");
    if (!sqlite3_get_autocommit(s->db)) {
        int found = insert_new(s, p);
        if (found < 0)
            return found;
        if (found == 0) {
            *change = STORE_ADDED;
            return 0;
        }
    }
    int own_tx = 0;
    int rc = store_op_begin(s, &own_tx);
    if (rc != 0)
        return rc;
    enum store_change ch = STORE_UNCHANGED;
    rc = upsert(s, p, &ch);
    rc = store_op_end(s, own_tx, rc);
    if (rc == 0)
        *change = ch;
    return rc;
}

/* ---------------------------------------------------------------------------
 * Daily entries
 * ------------------------------------------------------------------------- */

static int bind_daily(sqlite3_stmt *st, const struct daily_entry *e)
{
    int rc = store_bind_text(st, 1, e->paper_id);
    if (rc == 0)
        rc = store_bind_text(st, 2, e->day);
    if (rc == 0)
        rc = store_bind_text(st, 3, e->source ? e->source : "hf");
    if (rc == 0)
        rc = store_bind_text(st, 4, e->published_at);
    if (rc == 0)
        rc = store_bind_text(st, 5, e->submitter);
    if (rc == 0)
        rc = store_bind_text(st, 6, e->submitter_name);
    if (rc == 0)
        rc = store_bind_text(st, 7, e->title);
    if (rc == 0)
        rc = store_bind_text(st, 8, e->thumbnail);
    if (rc == 0) {
        sqlite3_bind_int(st, 9, e->upvotes);
        sqlite3_bind_int(st, 10, e->num_comments);
    }
    return rc;
}

static int daily_upsert(struct store *s, const struct daily_entry *e, enum store_change *ch)
{
    int rc = 0;
    sqlite3_stmt *ins = store_stmt(s, ST_DAILY_INSERT, &rc);
    if (rc == 0)
        rc = bind_daily(ins, e);
    if (rc == 0)
        rc = store_step_done(s, ins);
    if (rc != 0)
        return rc;
    *ch = STORE_UNCHANGED;
    if (sqlite3_changes(s->db) > 0) {
        *ch = STORE_ADDED;
    } else {
        sqlite3_stmt *up = store_stmt(s, ST_DAILY_UPDATE, &rc);
        if (rc == 0)
            rc = bind_daily(up, e);
        if (rc == 0)
            rc = store_step_done(s, up);
        if (rc == 0 && sqlite3_changes(s->db) > 0)
            *ch = STORE_UPDATED;
    }
    if (rc == 0 && *ch != STORE_UNCHANGED) {
        sqlite3_stmt *ref = store_stmt(s, ST_DAILY_REFRESH, &rc);
        if (rc == 0)
            rc = store_bind_text(ref, 1, e->paper_id);
        if (rc == 0)
            rc = store_step_done(s, ref);
    }
    return rc;
}

int store_daily_upsert(struct store *s, const struct daily_entry *e,
                       enum store_change *change /* OUT */)
{
    if (!e || !e->paper_id || !e->paper_id[0] || !e->day || !e->day[0])
        return store_fail(s, ERR_INVALID, "daily upsert: the entry needs a paper id and a day");
    int own_tx = 0;
    int rc = store_op_begin(s, &own_tx);
    if (rc != 0)
        return rc;
    enum store_change ch = STORE_UNCHANGED;
    rc = daily_upsert(s, e, &ch);
    rc = store_op_end(s, own_tx, rc);
    if (rc == 0)
        *change = ch;
    return rc;
}

int store_daily_load(struct store *s, const char *id, const char *day, struct daily_entry *e)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_DAILY_OF, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, id);
    if (rc == 0)
        rc = store_bind_text(st, 2, day);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        e->paper_id = store_col_dup(st, 0);
        e->day = store_col_dup(st, 1);
        e->source = store_col_dup(st, 2);
        e->published_at = store_col_dup(st, 3);
        e->submitter = store_col_dup(st, 4);
        e->submitter_name = store_col_dup(st, 5);
        e->title = store_col_dup(st, 6);
        e->thumbnail = store_col_dup(st, 7);
        e->upvotes = sqlite3_column_int(st, 8);
        e->num_comments = sqlite3_column_int(st, 9);
        sqlite3_reset(st);
        rc = 0;
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * Loading papers
 * ------------------------------------------------------------------------- */

int64_t store_paper_from_row(sqlite3_stmt *st, int first, struct paper *p)
{
    int64_t rowid = sqlite3_column_int64(st, first);
    p->id = store_col_dup(st, first + 1);
    for (int i = 0; i < STORE_N_TEXT; i++)
        *text_slot(p, i) = store_col_dup(st, first + 2 + i);
    if (!p->title && p->title_raw)
        p->title = text_fold(p->title_raw, strlen(p->title_raw));
    if (!p->abstract && p->abstract_raw)
        p->abstract = text_fold(p->abstract_raw, strlen(p->abstract_raw));
    p->latest_version = sqlite3_column_int(st, first + 2 + STORE_N_TEXT);
    return rowid;
}

static void add_author_row(struct paper *p, sqlite3_stmt *st, int first)
{
    p->authors = xrealloc(p->authors, (p->n_authors + 1) * sizeof *p->authors);
    struct paper_author *a = &p->authors[p->n_authors++];
    a->name = store_col_dup(st, first);
    a->last = store_col_dup(st, first + 1);
    a->first = store_col_dup(st, first + 2);
    a->suffix = store_col_dup(st, first + 3);
    a->affiliation = store_col_dup(st, first + 4);
}

static void add_version_row(struct paper *p, sqlite3_stmt *st, int first)
{
    p->versions = xrealloc(p->versions, (p->n_versions + 1) * sizeof *p->versions);
    struct paper_version *v = &p->versions[p->n_versions++];
    v->num = sqlite3_column_int(st, first);
    v->date = store_col_dup(st, first + 1);
    v->size = store_col_dup(st, first + 2);
}

int store_paper_load_children(struct store *s, int64_t rowid, struct paper *p)
{
    int rc = 0;
    sqlite3_stmt *au = store_stmt(s, ST_AUTHORS_OF, &rc);
    if (rc == 0) {
        sqlite3_bind_int64(au, 1, rowid);
        while ((rc = store_step(s, au)) == 1)
            add_author_row(p, au, 0);
    }
    sqlite3_stmt *ve = store_stmt(s, ST_VERSIONS_OF, &rc);
    if (rc == 0) {
        sqlite3_bind_int64(ve, 1, rowid);
        while ((rc = store_step(s, ve)) == 1)
            add_version_row(p, ve, 0);
    }
    return rc;
}

/* Loads the one row st (bound, not stepped) selects; ERR_NOT_FOUND if none. */
static int load_one(struct store *s, sqlite3_stmt *st, struct paper *out, const char *what)
{
    int rc = store_step(s, st);
    if (rc == 0)
        return store_fail(s, ERR_NOT_FOUND, "paper %s: not found", what);
    if (rc < 0)
        return rc;
    struct paper p;
    paper_init(&p);
    int64_t rowid = store_paper_from_row(st, 0, &p);
    sqlite3_reset(st);
    rc = store_paper_load_children(s, rowid, &p);
    if (rc != 0) {
        paper_cleanup(&p);
        return rc;
    }
    paper_cleanup(out);
    *out = p;
    return 0;
}

int store_paper_get(struct store *s, const char *id, struct paper *p /* OUT */)
{
    int rc = 0;
    if (!id)
        return store_fail(s, ERR_INVALID, "paper get: no id");
    sqlite3_stmt *st = store_stmt(s, ST_PAPER_BY_ID, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, id);
    if (rc == 0)
        rc = load_one(s, st, p, id);
    return rc;
}

int store_paper_get_by_rowid(struct store *s, int64_t rowid, struct paper *p /* OUT */)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_PAPER_BY_ROWID, &rc);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, rowid);
        char what[32];
        snprintf(what, sizeof what, "#%lld", (long long)rowid);
        rc = load_one(s, st, p, what);
    }
    return rc;
}

int store_paper_rowid(struct store *s, const char *id, int64_t *rowid /* OUT */)
{
    int rc = 0;
    sqlite3_stmt *st = store_stmt(s, ST_ROWID_OF, &rc);
    if (rc == 0)
        rc = store_bind_text(st, 1, id);
    if (rc == 0)
        rc = store_step(s, st);
    if (rc == 1) {
        *rowid = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    if (rc == 0)
        rc = store_fail(s, ERR_NOT_FOUND, "paper %s: not found", id);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Iteration: a merge of three ordered scans (papers, authors, versions by
 * paper row id), so each table is read once, sequentially.
 * ------------------------------------------------------------------------- */

static int prepare_scan(struct store *s, const char *sql, int64_t after, sqlite3_stmt **st)
{
    int src = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
    if (src != SQLITE_OK)
        return store_fail_db(s, src, "preparing a scan");
    sqlite3_bind_int64(*st, 1, after);
    return 0;
}

/* Steps a scan: 1 row, 0 done, or a code. */
static int scan_step(struct store *s, sqlite3_stmt *st)
{
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW)
        return 1;
    if (src == SQLITE_DONE)
        return 0;
    return store_fail_db(s, src, "scanning papers");
}

int store_paper_each(struct store *s, int64_t after_rowid, store_paper_fn fn, void *ctx)
{
    sqlite3_stmt *sp = NULL, *sa = NULL, *sv = NULL;
    int rc = prepare_scan(s, "SELECT " STORE_PAPER_SELECT " FROM papers p WHERE p.id > ?1"
                             " ORDER BY p.id", after_rowid, &sp);
    if (rc == 0)
        rc = prepare_scan(s, "SELECT paper, name, last, first, suffix, affiliation"
                             " FROM paper_authors WHERE paper > ?1 ORDER BY paper, pos",
                          after_rowid, &sa);
    if (rc == 0)
        rc = prepare_scan(s, "SELECT paper, num, date, size FROM paper_versions"
                             " WHERE paper > ?1 ORDER BY paper, num",
                          after_rowid, &sv);
    int ra = rc == 0 ? scan_step(s, sa) : rc;
    int rv = rc == 0 && ra >= 0 ? scan_step(s, sv) : ra;
    rc = rv < 0 ? rv : ra < 0 ? ra : 0;
    while (rc == 0) {
        int r = scan_step(s, sp);
        if (r <= 0) {
            rc = r;
            break;
        }
        struct paper p;
        paper_init(&p);
        int64_t rowid = store_paper_from_row(sp, 0, &p);
        while (ra == 1 && sqlite3_column_int64(sa, 0) < rowid)
            ra = scan_step(s, sa);
        while (ra == 1 && sqlite3_column_int64(sa, 0) == rowid) {
            add_author_row(&p, sa, 1);
            ra = scan_step(s, sa);
        }
        while (rv == 1 && sqlite3_column_int64(sv, 0) < rowid)
            rv = scan_step(s, sv);
        while (rv == 1 && sqlite3_column_int64(sv, 0) == rowid) {
            add_version_row(&p, sv, 1);
            rv = scan_step(s, sv);
        }
        if (ra < 0 || rv < 0)
            rc = ra < 0 ? ra : rv;
        if (rc == 0)
            rc = fn(ctx, rowid, &p);
        paper_cleanup(&p);
    }
    sqlite3_finalize(sp);
    sqlite3_finalize(sa);
    sqlite3_finalize(sv);
    return rc;
}
