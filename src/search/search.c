/*
 * search.c - query plans and the search facade (see search.h).
 *
 * Plan building, in one pass over the query's terms:
 *   1. each term's text goes through the analyzer into a token list
 *      (struct toks: term, position, joined flag);
 *   2. tokens become clause candidates in three lists - required
 *      (MUST/MUST_NOT), scoring on BODY, title boosts - with repeats merged
 *      by adding their weights; phrases, categories, excluded phrases and
 *      excluded archives are collected beside them;
 *   3. the lists are concatenated in that order into at most
 *      INDEX_MAX_CLAUSES clauses, so a cut drops title boosts first.
 * Every string a clause or phrase points to is owned by the plan (strs[]).
 *
 * Exclusions that a MUST_NOT clause cannot say - an excluded phrase, an
 * excluded archive ("cs" refusing cs.*) - go to the index as such: the
 * query's not_phrases and the filter's not_categories (index.h). The index
 * checks them on each candidate document itself, so every document
 * holding one is refused however many hold it (no sub-search, no cap),
 * and search_constraints_check (index_match_docs) checks the very same
 * plan. (They were once rowid sets found by a sub-search and cut at
 * INDEX_MAX_K: on arXiv, -cat:cs let most cs papers through.)
 *
 * The facade loads papers by rowid from the store (store_paper_get_by_rowid)
 * and decides the exact-title match by comparing analyzed token sequences
 * (terms and relative positions, joined compound forms left out) of the
 * query's free text and of each candidate title; candidates come from a
 * phrase query on TITLE carrying the same filters and exclusions.
 */
#include "search/search.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Title candidates examined for an exact-title match. */
#define TITLE_CANDIDATES 16
/* Extra hits fetched beyond k, so that k remain after pins and titles. */
#define FETCH_SLACK (QUERY_MAX_PINS + TITLE_CANDIDATES)

void search_opts_default(struct search_opts *o)
{
    /* Chosen on SciFact train; see bench/RESULTS.md "Search quality":
     * k1 = 1.2, b = 0.5 was the best k1/b cell with either stopword list
     * and title-repeat 1. Title clauses (title_weight 0.25) gained ~0.004
     * nDCG@10 there but made queries ~1.8x slower on 1M documents, so
     * they are off by default. */
    o->k1 = 1.2f;
    o->b = 0.5f;
    o->title_weight = 0.0f;
}

/* ------------------------------------------------------------------------ */
/* Token lists                                                               */
/* ------------------------------------------------------------------------ */

struct tok {
    char *term; /* owned */
    size_t len;
    uint32_t pos;
    int joined;
};

struct toks {
    struct tok *v;
    size_t n, cap;
};

static int toks_add(void *ctx, const struct text_token *t)
{
    struct toks *ts = ctx;
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? 2 * ts->cap : 16;
        ts->v = xrealloc(ts->v, ts->cap * sizeof *ts->v);
    }
    struct tok *k = &ts->v[ts->n++];
    k->term = xstrndup(t->term, t->len);
    k->len = t->len;
    k->pos = t->pos;
    k->joined = (t->flags & TEXT_TOKEN_JOINED) != 0;
    return 0;
}

static void toks_analyze(struct text_analyzer *a, const char *p, size_t len, struct toks *ts)
{
    ts->v = NULL;
    ts->n = ts->cap = 0;
    text_analyze(a, p, len, 0, toks_add, ts, NULL);
}

static void toks_cleanup(struct toks *ts)
{
    for (size_t i = 0; i < ts->n; i++)
        free(ts->v[i].term);
    free(ts->v);
    ts->v = NULL;
    ts->n = ts->cap = 0;
}

static size_t toks_count(const struct toks *ts, int joined)
{
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++)
        n += ts->v[i].joined == joined;
    return n;
}

/* Same non-joined terms at the same relative positions? */
static int toks_same_sequence(const struct toks *x, const struct toks *y)
{
    size_t i = 0, j = 0;
    uint32_t bx = 0, by = 0;
    int first = 1;
    for (;;) {
        while (i < x->n && x->v[i].joined)
            i++;
        while (j < y->n && y->v[j].joined)
            j++;
        if (i == x->n || j == y->n)
            return i == x->n && j == y->n;
        if (first) {
            bx = x->v[i].pos;
            by = y->v[j].pos;
            first = 0;
        }
        if (x->v[i].len != y->v[j].len || memcmp(x->v[i].term, y->v[j].term, x->v[i].len) != 0 ||
            x->v[i].pos - bx != y->v[j].pos - by)
            return 0;
        i++;
        j++;
    }
}

/* ------------------------------------------------------------------------ */
/* Plans                                                                     */
/* ------------------------------------------------------------------------ */

enum { LIST_REQ = 0, LIST_BODY = 1, LIST_TITLE = 2, N_LISTS = 3 };

/* At most this many candidates per list (the clause cap applies later). */
#define LIST_MAX 256
#define MAX_CATS 16

struct search_plan {
    struct index_query q;
    struct index_clause clauses[INDEX_MAX_CLAUSES];
    struct index_phrase phrases[INDEX_MAX_PHRASES];
    struct index_filter filter;
    int has_filter;
    const char *cats[2 * MAX_CATS];
    /* Candidates while building. */
    struct index_clause lists[N_LISTS][LIST_MAX];
    size_t n_list[N_LISTS];
    /* Owned strings. */
    char **strs;
    size_t n_strs, cap_strs;
    float title_weight;
    /* Excluded phrases (the query's not_phrases) and excluded archive
     * patterns ("cs.*", the filter's not_categories). At most one per
     * query term, so never cut. */
    struct index_phrase xphrases[QUERY_MAX_TERMS];
    size_t n_xphrases;
    const char *xcats[QUERY_MAX_TERMS];
    size_t n_xcats;
};

_Static_assert(QUERY_MAX_TERMS <= INDEX_MAX_NOT_PHRASES,
               "every excluded phrase of a query fits the index query");

static const char *plan_str(struct search_plan *pl, const char *p, size_t len)
{
    if (pl->n_strs == pl->cap_strs) {
        pl->cap_strs = pl->cap_strs ? 2 * pl->cap_strs : 32;
        pl->strs = xrealloc(pl->strs, pl->cap_strs * sizeof *pl->strs);
    }
    char *s = xstrndup(p, len);
    pl->strs[pl->n_strs++] = s;
    return s;
}

/* Adds a clause candidate to list, merging a repeat of (term, field,
 * occur) by adding weights. */
static void plan_clause(struct search_plan *pl, int list, const char *term, size_t len,
                        enum index_field f, float w, enum index_occur occur)
{
    struct index_clause *l = pl->lists[list];
    for (size_t i = 0; i < pl->n_list[list]; i++)
        if (l[i].field == f && l[i].occur == occur && l[i].len == len &&
            memcmp(l[i].term, term, len) == 0) {
            if (occur != INDEX_MUST_NOT)
                l[i].weight += w;
            return;
        }
    if (pl->n_list[list] >= LIST_MAX)
        return;
    struct index_clause *c = &l[pl->n_list[list]++];
    c->term = plan_str(pl, term, len);
    c->len = len;
    c->field = f;
    c->weight = w;
    c->occur = occur;
}

/* Scoring clauses for every token of ts on field f (BODY also gets the
 * title boost), but for tokens already required on f. */
static int has_must(const struct search_plan *pl, const struct tok *t, enum index_field f)
{
    const struct index_clause *l = pl->lists[LIST_REQ];
    for (size_t i = 0; i < pl->n_list[LIST_REQ]; i++)
        if (l[i].occur == INDEX_MUST && l[i].field == f && l[i].len == t->len &&
            memcmp(l[i].term, t->term, t->len) == 0)
            return 1;
    return 0;
}

static void plan_score(struct search_plan *pl, const struct toks *ts, enum index_field f)
{
    for (size_t i = 0; i < ts->n; i++) {
        const struct tok *t = &ts->v[i];
        if (has_must(pl, t, f))
            continue; /* a MUST clause scores already */
        plan_clause(pl, f == INDEX_FIELD_BODY ? LIST_BODY : LIST_REQ, t->term, t->len, f, 1.0f,
                    INDEX_SHOULD);
        if (f == INDEX_FIELD_BODY && pl->title_weight > 0)
            plan_clause(pl, LIST_TITLE, t->term, t->len, INDEX_FIELD_TITLE, pl->title_weight,
                        INDEX_SHOULD);
    }
}

/* Fills ph with the non-joined tokens of ts (at most
 * INDEX_MAX_PHRASE_TERMS) at positions relative to the first. */
static void phrase_fill(struct search_plan *pl, struct index_phrase *ph, enum index_field f,
                        const struct toks *ts)
{
    memset(ph, 0, sizeof *ph);
    ph->field = f;
    uint32_t base = 0;
    for (size_t i = 0; i < ts->n && ph->n < INDEX_MAX_PHRASE_TERMS; i++) {
        const struct tok *t = &ts->v[i];
        if (t->joined)
            continue;
        if (ph->n == 0)
            base = t->pos;
        ph->terms[ph->n] = plan_str(pl, t->term, t->len);
        ph->lens[ph->n] = t->len;
        ph->pos[ph->n] = t->pos - base;
        ph->n++;
    }
}

static void plan_phrase(struct search_plan *pl, enum index_field f, const struct toks *ts)
{
    if (pl->q.n_phrases >= INDEX_MAX_PHRASES)
        return;
    phrase_fill(pl, &pl->phrases[pl->q.n_phrases++], f, ts);
}

/* -"a phrase": documents holding it are refused (the query's
 * not_phrases). */
static void plan_exclude_phrase(struct search_plan *pl, enum index_field f, const struct toks *ts)
{
    if (pl->n_xphrases < QUERY_MAX_TERMS)
        phrase_fill(pl, &pl->xphrases[pl->n_xphrases++], f, ts);
}

/* -cat:archive: documents in pattern ("cs.*") are refused (the filter's
 * not_categories). */
static void plan_exclude_archive(struct search_plan *pl, const char *pattern)
{
    if (pl->n_xcats < QUERY_MAX_TERMS)
        pl->xcats[pl->n_xcats++] = plan_str(pl, pattern, strlen(pattern));
}

static enum index_field field_of(enum query_field f)
{
    switch (f) {
    case QUERY_FIELD_TITLE:
        return INDEX_FIELD_TITLE;
    case QUERY_FIELD_AUTHOR:
        return INDEX_FIELD_AUTHORS;
    case QUERY_FIELD_CATEGORY:
        return INDEX_FIELD_CATEGORY;
    case QUERY_FIELD_ABSTRACT:
    case QUERY_FIELD_ANY:
        break;
    }
    return INDEX_FIELD_BODY;
}

/* The category term: lower-case ASCII copy. */
static char *lower_dup(const char *s)
{
    char *d = xstrdup(s);
    for (char *c = d; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return d;
}

static void plan_category(struct search_plan *pl, const struct query_term *t)
{
    char *low = lower_dup(t->text);
    size_t len = strlen(low);
    int archive = strchr(low, '.') == NULL;
    if (t->exclude) {
        /* the category itself (exact: its postings), and for an archive
         * its subject classes */
        plan_clause(pl, LIST_REQ, low, len, INDEX_FIELD_CATEGORY, 1.0f, INDEX_MUST_NOT);
        if (archive) {
            char pat[80];
            snprintf(pat, sizeof pat, "%.70s.*", low);
            plan_exclude_archive(pl, pat);
        }
    } else if (pl->filter.n_categories + 2 <= 2 * MAX_CATS) {
        pl->cats[pl->filter.n_categories++] = plan_str(pl, low, len);
        if (archive) {
            char pat[80];
            snprintf(pat, sizeof pat, "%.70s.*", low);
            pl->cats[pl->filter.n_categories++] = plan_str(pl, pat, strlen(pat));
        }
        pl->has_filter = 1;
    }
    free(low);
}

/* Maps one query term onto the plan. */
static void plan_term(struct search_plan *pl, struct text_analyzer *a, const struct query_term *t)
{
    if (t->field == QUERY_FIELD_CATEGORY) {
        plan_category(pl, t);
        return;
    }
    enum index_field f = field_of(t->field);
    struct toks ts;
    toks_analyze(a, t->text, strlen(t->text), &ts);
    size_t plain = toks_count(&ts, 0), joined = toks_count(&ts, 1);
    if (plain == 0) {
        /* Only stopwords or punctuation: nothing to search. */
    } else if (t->exclude) {
        if (!t->phrase && joined > 0) {
            for (size_t i = 0; i < ts.n; i++)
                if (ts.v[i].joined)
                    plan_clause(pl, LIST_REQ, ts.v[i].term, ts.v[i].len, f, 1.0f, INDEX_MUST_NOT);
        } else if (plain == 1) {
            for (size_t i = 0; i < ts.n; i++)
                if (!ts.v[i].joined)
                    plan_clause(pl, LIST_REQ, ts.v[i].term, ts.v[i].len, f, 1.0f, INDEX_MUST_NOT);
        } else {
            plan_exclude_phrase(pl, f, &ts);
        }
    } else if (t->field == QUERY_FIELD_ANY && !t->phrase) {
        plan_score(pl, &ts, f);
    } else {
        /* Required: a phrase, or a field word. */
        if (plain == 1 && (t->phrase || joined == 0)) {
            for (size_t i = 0; i < ts.n; i++)
                if (!ts.v[i].joined)
                    plan_clause(pl, LIST_REQ, ts.v[i].term, ts.v[i].len, f, 1.0f, INDEX_MUST);
        } else if (!t->phrase && joined > 0) {
            for (size_t i = 0; i < ts.n; i++)
                if (ts.v[i].joined)
                    plan_clause(pl, LIST_REQ, ts.v[i].term, ts.v[i].len, f, 1.0f, INDEX_MUST);
        } else {
            plan_phrase(pl, f, &ts);
        }
        plan_score(pl, &ts, f);
    }
    toks_cleanup(&ts);
}

static struct search_plan *plan_new(const struct search_opts *o)
{
    struct search_plan *pl = xcalloc(1, sizeof *pl);
    index_query_init(&pl->q);
    index_filter_init(&pl->filter);
    pl->filter.categories = pl->cats;
    if (o) {
        pl->q.k1 = o->k1;
        pl->q.b = o->b;
        pl->title_weight = o->title_weight;
    }
    pl->q.phrases = pl->phrases;
    return pl;
}

/* Concatenates the lists into the clause array (cap INDEX_MAX_CLAUSES). */
static void plan_finish(struct search_plan *pl)
{
    size_t n = 0;
    for (int l = 0; l < N_LISTS; l++)
        for (size_t i = 0; i < pl->n_list[l] && n < INDEX_MAX_CLAUSES; i++)
            pl->clauses[n++] = pl->lists[l][i];
    pl->q.clauses = pl->clauses;
    pl->q.n_clauses = n;
    pl->q.not_phrases = pl->xphrases;
    pl->q.n_not_phrases = pl->n_xphrases;
    if (pl->n_xcats) {
        pl->filter.not_categories = pl->xcats;
        pl->filter.n_not_categories = pl->n_xcats;
        pl->has_filter = 1;
    }
    pl->q.filter = pl->has_filter ? &pl->filter : NULL;
}

/* Days since 1970-01-01 of a "YYYY-MM-DD" the parser validated (the
 * index's date unit, as index_date_days() computes it). */
static int32_t day_number(const char *day)
{
    int64_t t = 0;
    if (time_parse_day(day, &t) != 0)
        return 0;
    return (int32_t)(t / 86400);
}

int search_plan_build(struct text_analyzer *a, const struct index_snapshot *s,
                      const struct search_query *q, const struct search_opts *o,
                      struct search_plan **out)
{
    (void)s; /* exclusions are checked by the index, on each document */
    struct search_plan *pl = plan_new(o);
    for (size_t i = 0; i < q->n_terms; i++)
        plan_term(pl, a, &q->terms[i]);
    if (q->since[0]) {
        pl->filter.date_from = day_number(q->since);
        pl->has_filter = 1;
    }
    if (q->until[0]) {
        pl->filter.date_to = day_number(q->until);
        pl->has_filter = 1;
    }
    plan_finish(pl);
    *out = pl;
    return 0;
}

void search_plan_text(struct text_analyzer *a, const char *p, size_t len,
                      const struct search_opts *o, struct search_plan **out)
{
    struct search_plan *pl = plan_new(o);
    struct toks ts;
    toks_analyze(a, p, len, &ts);
    plan_score(pl, &ts, INDEX_FIELD_BODY);
    toks_cleanup(&ts);
    plan_finish(pl);
    *out = pl;
}

const struct index_query *search_plan_query(const struct search_plan *pl)
{
    return &pl->q;
}

int search_plan_selects(const struct search_plan *pl)
{
    for (size_t i = 0; i < pl->q.n_clauses; i++)
        if (pl->q.clauses[i].occur != INDEX_MUST_NOT)
            return 1;
    return pl->q.n_phrases > 0 || pl->filter.n_categories > 0 ||
           pl->filter.date_from != INT32_MIN || pl->filter.date_to != INT32_MAX;
}

static const char *const field_names[INDEX_N_FIELDS] = {"body", "title", "authors", "cat"};

/* Appends "SEP NAME:[a,b]" for a non-empty category list; returns the
 * separator for what follows. */
static const char *put_categories(struct buf *b, int *rc, const char *sep, const char *name,
                                  const char *const *cats, size_t n)
{
    if (!n)
        return sep;
    buf_putf(b, rc, "%s%s:[", sep, name);
    for (size_t i = 0; i < n; i++)
        buf_putf(b, rc, "%s%s", i ? "," : "", cats[i]);
    buf_puts(b, rc, "]");
    return " ";
}

int search_plan_format(const struct search_plan *pl, struct buf *b)
{
    int rc = 0;
    const char *sep = "";
    for (size_t i = 0; i < pl->q.n_clauses; i++) {
        const struct index_clause *c = &pl->q.clauses[i];
        const char *occ = c->occur == INDEX_MUST ? "+" : c->occur == INDEX_MUST_NOT ? "-" : "";
        buf_putf(b, &rc, "%s%s%s:%.*s", sep, occ, field_names[c->field], (int)c->len, c->term);
        if (c->occur != INDEX_MUST_NOT && c->weight != 1.0f)
            buf_putf(b, &rc, "^%g", (double)c->weight);
        sep = " ";
    }
    for (size_t i = 0; i < pl->q.n_phrases + pl->q.n_not_phrases; i++) {
        int neg = i >= pl->q.n_phrases;
        const struct index_phrase *ph =
            neg ? &pl->q.not_phrases[i - pl->q.n_phrases] : &pl->q.phrases[i];
        buf_putf(b, &rc, "%s%sphrase(%s:", sep, neg ? "-" : "", field_names[ph->field]);
        for (size_t k = 0; k < ph->n; k++)
            buf_putf(b, &rc, "%s%.*s@%u", k ? "," : "", (int)ph->lens[k], ph->terms[k],
                     (unsigned)ph->pos[k]);
        buf_puts(b, &rc, ")");
        sep = " ";
    }
    sep = put_categories(b, &rc, sep, "cat", pl->filter.categories, pl->filter.n_categories);
    sep = put_categories(b, &rc, sep, "-cat", pl->filter.not_categories,
                         pl->filter.n_not_categories);
    if (pl->filter.date_from != INT32_MIN || pl->filter.date_to != INT32_MAX) {
        buf_putf(b, &rc, "%sdate:[", sep);
        if (pl->filter.date_from != INT32_MIN)
            buf_putf(b, &rc, "%d", (int)pl->filter.date_from);
        buf_puts(b, &rc, ",");
        if (pl->filter.date_to != INT32_MAX)
            buf_putf(b, &rc, "%d", (int)pl->filter.date_to);
        buf_puts(b, &rc, "]");
    }
    return rc;
}

void search_plan_free(struct search_plan *pl)
{
    if (!pl)
        return;
    for (size_t i = 0; i < pl->n_strs; i++)
        free(pl->strs[i]);
    free(pl->strs);
    free(pl);
}

/* ------------------------------------------------------------------------ */
/* The facade                                                                */
/* ------------------------------------------------------------------------ */

struct search {
    struct store *store;
    struct index *index;
    struct text_analyzer *analyzer;
    struct search_opts opts;
};

int search_path_beside(const char *db_path, const char *name, char *out, size_t cap)
{
    const char *slash = strrchr(db_path, '/');
    int n;
    if (!slash)
        n = snprintf(out, cap, "%s", name);
    else
        n = snprintf(out, cap, "%.*s/%s", (int)(slash - db_path), db_path, name);
    return n < 0 || (size_t)n >= cap ? ERR_TOO_LARGE : 0;
}

int search_index_dir(const char *db_path, char *out, size_t cap)
{
    return search_path_beside(db_path, "index", out, cap);
}

static void set_why(char *why, size_t why_len, const char *fmt, const char *a, int rc)
{
    if (why && why_len)
        snprintf(why, why_len, fmt, a, err_str(rc));
}

int search_open(const char *db_path, const char *index_dir, const struct search_opts *o,
                struct search **out, char *why, size_t why_len)
{
    struct store *st = NULL;
    struct index *ix = NULL;
    struct text_analyzer *an = NULL;
    int rc = store_open(db_path, 1, &st);
    if (rc != 0) {
        set_why(why, why_len, "%s: cannot open the database (%s)", db_path, rc);
        goto out;
    }
    rc = index_open(index_dir, &ix);
    if (rc != 0) {
        set_why(why, why_len, "%s: no usable index (%s); run 'paperboy reindex'", index_dir, rc);
        goto out;
    }
    struct text_analyzer_opts ao;
    index_analyzer_opts(ix, &ao);
    rc = text_analyzer_new(&ao, &an);
    if (rc != 0) {
        set_why(why, why_len, "%s: the index's analyzer is unknown (%s)", index_dir, rc);
        goto out;
    }
    struct search *s = xcalloc(1, sizeof *s);
    s->store = st;
    s->index = ix;
    s->analyzer = an;
    if (o)
        s->opts = *o;
    else
        search_opts_default(&s->opts);
    *out = s;
    return 0;
out:
    text_analyzer_free(an);
    index_close(ix);
    store_close(st);
    return rc;
}

void search_close(struct search *s)
{
    if (!s)
        return;
    text_analyzer_free(s->analyzer);
    index_close(s->index);
    store_close(s->store);
    free(s);
}

/* Growing result list. */
static int result_has(const struct search_result *r, int64_t rowid)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->hits[i].rowid == rowid)
            return 1;
    return 0;
}

static struct search_hit *result_push(struct search_result *r, size_t k)
{
    if (!r->hits)
        r->hits = xcalloc(k, sizeof *r->hits);
    struct search_hit *h = &r->hits[r->n];
    memset(h, 0, sizeof *h);
    paper_init(&h->paper);
    return h;
}

/* The text score of rowid among hits, or 0. */
static float score_of(const struct index_hit *hits, size_t n, int64_t rowid)
{
    for (size_t i = 0; i < n; i++)
        if (hits[i].rowid == rowid)
            return hits[i].score;
    return 0.0f;
}

/* Loads rowid into a new hit (with load 0: a hit without its paper); 0,
 * or ERR_NOT_FOUND when the store lacks it (an index older than the
 * store: skipped), or the store's error. */
static int push_rowid(struct search *s, struct search_result *r, size_t k, int64_t rowid,
                      float score, enum search_why why, int load)
{
    struct search_hit *h = result_push(r, k);
    int rc = load ? store_paper_get_by_rowid(s->store, rowid, &h->paper) : 0;
    if (rc != 0) {
        paper_cleanup(&h->paper);
        return rc;
    }
    h->rowid = rowid;
    h->score = score;
    h->why = why;
    r->n++;
    return 0;
}

/* Promotes papers whose title equals the query's free text. */
static int add_title_matches(struct search *s, const struct index_snapshot *snap,
                             const struct search_query *q, const struct search_plan *pl,
                             const struct index_hit *top, size_t n_top,
                             struct search_result *r, size_t k)
{
    struct buf text;
    buf_init(&text, 2 * QUERY_MAX_BYTES);
    query_free_text(q, &text);
    struct toks want;
    toks_analyze(s->analyzer, buf_cstr(&text), text.len, &want);
    buf_cleanup(&text);
    int rc = 0;
    if (toks_count(&want, 0) == 0 || pl->q.n_phrases >= INDEX_MAX_PHRASES) {
        toks_cleanup(&want);
        return 0;
    }
    /* The main query's constraints, without its scoring clauses, plus the
     * title phrase. */
    struct index_clause req[INDEX_MAX_CLAUSES];
    size_t n_req = 0;
    for (size_t i = 0; i < pl->q.n_clauses; i++)
        if (pl->q.clauses[i].occur != INDEX_SHOULD)
            req[n_req++] = pl->q.clauses[i];
    struct index_phrase phrases[INDEX_MAX_PHRASES];
    memcpy(phrases, pl->q.phrases, pl->q.n_phrases * sizeof *phrases);
    struct search_plan *tmp = plan_new(NULL); /* owns the phrase's strings */
    phrase_fill(tmp, &phrases[pl->q.n_phrases], INDEX_FIELD_TITLE, &want);
    struct index_query tq = pl->q;
    tq.clauses = req;
    tq.n_clauses = n_req;
    tq.phrases = phrases;
    tq.n_phrases = pl->q.n_phrases + 1;
    struct index_hit hits[TITLE_CANDIDATES];
    size_t n = 0;
    rc = index_search(snap, &tq, TITLE_CANDIDATES, hits, &n, NULL);
    for (size_t i = 0; rc == 0 && i < n && r->n < k; i++) {
        if (result_has(r, hits[i].rowid))
            continue;
        struct paper p;
        paper_init(&p);
        int grc = store_paper_get_by_rowid(s->store, hits[i].rowid, &p);
        if (grc == 0 && p.title) {
            struct toks got;
            toks_analyze(s->analyzer, p.title, strlen(p.title), &got);
            if (toks_same_sequence(&want, &got)) {
                struct search_hit *h = result_push(r, k);
                h->paper = p;
                paper_init(&p);
                h->rowid = hits[i].rowid;
                h->score = score_of(top, n_top, hits[i].rowid);
                h->why = SEARCH_WHY_TITLE;
                r->n++;
            }
            toks_cleanup(&got);
        } else if (grc != 0 && grc != ERR_NOT_FOUND) {
            rc = grc;
        }
        paper_cleanup(&p);
    }
    search_plan_free(tmp);
    toks_cleanup(&want);
    return rc;
}

/* search_run (load 1) and search_run_ranked (load 0). */
static int run(struct search *s, const struct search_query *q, size_t k, int load,
               struct search_result *out)
{
    if (k < 1 || k > INDEX_MAX_K)
        return ERR_INVALID;
    struct search_result r;
    memset(&r, 0, sizeof r);
    r.query_flags = q->flags;
    struct index_snapshot *snap = index_snapshot_acquire(s->index);
    struct search_plan *pl = NULL;
    struct index_hit *top = NULL;
    size_t n_top = 0;
    int rc = search_plan_build(s->analyzer, snap, q, &s->opts, &pl);
    if (rc == 0 && search_plan_selects(pl)) {
        size_t fetch = k + FETCH_SLACK < INDEX_MAX_K ? k + FETCH_SLACK : INDEX_MAX_K;
        top = xmalloc(fetch * sizeof *top);
        rc = index_search(snap, search_plan_query(pl), fetch, top, &n_top, NULL);
    }
    /* a. pins */
    for (size_t i = 0; rc == 0 && i < q->n_pins && r.n < k; i++) {
        int64_t rowid;
        int prc = store_paper_rowid(s->store, q->pins[i], &rowid);
        if (prc == ERR_NOT_FOUND)
            continue;
        rc = prc;
        if (rc == 0 && !result_has(&r, rowid)) {
            rc = push_rowid(s, &r, k, rowid, score_of(top, n_top, rowid), SEARCH_WHY_ID, 1);
            if (rc == ERR_NOT_FOUND)
                rc = 0;
        }
    }
    /* b. exact titles */
    if (rc == 0 && r.n < k && search_plan_selects(pl))
        rc = add_title_matches(s, snap, q, pl, top, n_top, &r, k);
    /* c. by score */
    for (size_t i = 0; rc == 0 && i < n_top && r.n < k; i++) {
        if (result_has(&r, top[i].rowid))
            continue;
        rc = push_rowid(s, &r, k, top[i].rowid, top[i].score, SEARCH_WHY_TEXT, load);
        if (rc == ERR_NOT_FOUND)
            rc = 0; /* the index is older than the store: skip */
    }
    free(top);
    search_plan_free(pl);
    index_snapshot_release(snap);
    if (rc != 0) {
        search_result_cleanup(&r);
        return rc;
    }
    *out = r;
    return 0;
}

int search_run(struct search *s, const struct search_query *q, size_t k, struct search_result *out)
{
    return run(s, q, k, 1, out);
}

int search_run_ranked(struct search *s, const struct search_query *q, size_t k,
                      struct search_result *out)
{
    return run(s, q, k, 0, out);
}

void search_result_cleanup(struct search_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        paper_cleanup(&r->hits[i].paper);
    free(r->hits);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------------------ */
/* Constraints on given papers                                               */
/* ------------------------------------------------------------------------ */

int search_query_has_constraints(const struct search_query *q)
{
    if (q->since[0] || q->until[0])
        return 1;
    for (size_t i = 0; i < q->n_terms; i++) {
        const struct query_term *t = &q->terms[i];
        if (t->field != QUERY_FIELD_ANY || t->phrase || t->exclude)
            return 1;
    }
    return 0;
}

/* Does the plan check anything that index_match_docs would test? */
static int plan_checks(const struct search_plan *pl)
{
    const struct index_query *cq = &pl->q;
    if (cq->n_phrases || cq->n_not_phrases || cq->filter)
        return 1;
    for (size_t i = 0; i < cq->n_clauses; i++)
        if (cq->clauses[i].occur != INDEX_SHOULD)
            return 1;
    return 0;
}

int search_constraints_check(struct search *s, const struct search_query *q,
                             const int64_t *rowids, size_t n, unsigned char *pass)
{
    if (n > INDEX_MAX_K)
        return ERR_INVALID;
    if (!search_query_has_constraints(q)) {
        if (n)
            memset(pass, 1, n);
        return 0;
    }
    struct index_snapshot *snap = index_snapshot_acquire(s->index);
    struct search_plan *pl = NULL;
    int rc = search_plan_build(s->analyzer, snap, q, &s->opts, &pl);
    if (rc == 0 && !plan_checks(pl)) {
        if (n)
            memset(pass, 1, n); /* nothing to check: everything passes */
    } else if (rc == 0) {
        /* the plan search_run() runs; index_match_docs ignores its SHOULD
         * clauses */
        rc = index_match_docs(snap, search_plan_query(pl), rowids, n, pass);
    }
    search_plan_free(pl);
    index_snapshot_release(snap);
    return rc;
}

int search_explain(struct search *s, const struct search_query *q, struct buf *b)
{
    struct index_snapshot *snap = index_snapshot_acquire(s->index);
    struct search_plan *pl = NULL;
    int rc = search_plan_build(s->analyzer, snap, q, &s->opts, &pl);
    if (rc == 0)
        rc = search_plan_format(pl, b);
    search_plan_free(pl);
    index_snapshot_release(snap);
    return rc;
}
