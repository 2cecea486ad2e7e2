/*
 * find.c - search as the pages, the API and the feeds see it.
 *
 * web_query_read() validates the search parameters once for all three
 * (caps: WEB_Q_MAX bytes of text, a category of letters, dots and dashes,
 * ISO dates, a known mode). web_find() runs the search engine behind
 * src/search/search.h and turns the hits into store listings (with each
 * paper's daily entry), so results render with the same card, JSON item
 * and Atom entry code as the lists. The engine is wired here and nowhere
 * else in web/.
 *
 * The form's filters become query syntax (cat:X since:D until:D) so the
 * engine applies them. A request with filters but no text, and any search
 * while no index exists (`paperboy reindex` builds it), uses the store's
 * basic substring search instead (mode "basic"), newest first. Paging:
 * the engine returns the top page*per hits and the page is cut from them
 * (at most INDEX_MAX_K deep); a full result sets more, as the total is
 * then a lower bound.
 *
 * Modes (mode=bm25|dense|hybrid; the older names lexical and semantic are
 * read as bm25 and dense): search_run_mode() of search/search.h, the same
 * ranking as `paperboy search --mode`. The default is hybrid when this
 * thread could open the semantic side (paper vectors beside the database
 * and the model in models/ beside it), else bm25. Without the semantic
 * side, dense and hybrid requests run bm25, and the result says so (the
 * mode reported is the one that ran). web_similar() lists a paper's
 * nearest neighbours by its stored vector for the paper page.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "web/web_int.h"

#include "search/query.h"
#include "search/search.h"
#include "search/vectors_queue.h"

static int cat_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > 24)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

static int day_ok(const char *s)
{
    int64_t t;
    return s[0] == '\0' || time_parse_day(s, &t) == 0;
}

int web_query_read(struct web_req *r, struct web_query *q, size_t per)
{
    struct web_query x = {0};
    const char *v;
    x.q = (v = web_param(r, "q")) ? v : "";
    x.cat = (v = web_param(r, "cat")) ? v : "";
    x.from = (v = web_param(r, "from")) ? v : "";
    x.to = (v = web_param(r, "to")) ? v : "";
    x.mode = (v = web_param(r, "mode")) ? v : "";
    if (strlen(x.q) > WEB_Q_MAX) {
        web_fail(r, 400, "The search text is too long: at most 300 characters, please.");
        return ERR_INVALID;
    }
    /* Trim the text. */
    while (*x.q == ' ')
        x.q++;
    size_t ql = strlen(x.q);
    while (ql > 0 && x.q[ql - 1] == ' ')
        ql--;
    x.q = arena_strndup(r->arena, x.q, ql);
    if (!cat_ok(x.cat)) {
        web_fail(r, 400, "The category filter should look like cs.CL or hep-th.");
        return ERR_INVALID;
    }
    if (!day_ok(x.from) || !day_ok(x.to)) {
        web_fail(r, 400, "Dates in the filter must look like 2024-10-25.");
        return ERR_INVALID;
    }
    enum search_mode m;
    if (x.mode[0] && search_mode_parse(x.mode, &m) != 0) {
        web_fail(r, 400, "The mode must be bm25, dense or hybrid.");
        return ERR_INVALID;
    }
    long page, limit;
    if (web_param_int(r, "page", 1, 1, WEB_PAGE_MAX, &page) ||
        web_param_int(r, "limit", (long)per, 1, WEB_API_LIMIT_MAX, &limit)) {
        web_fail(r, 400, "page must be 1 to 10000 and limit 1 to 100.");
        return ERR_INVALID;
    }
    x.page = (size_t)page;
    x.per = (size_t)limit;
    *q = x;
    return 0;
}

/* The store's substring search: used for filter-only requests (newest
 * first) and while no index exists. */
static int find_basic(struct web_req *r, const struct web_query *q, struct web_hits *out)
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    const char *words[8];
    size_t nw = web_query_terms(r->arena, q->q, words, 8);
    struct web_hits h;
    memset(&h, 0, sizeof h);
    h.mode = "basic";
    if (nw == 0 && !q->cat[0]) {
        *out = h;
        return 0;
    }
    rc = store_search_basic(s, words, nw, q->cat, q->from, q->to, (q->page - 1) * q->per, q->per,
                            &h.items, &h.n, &h.total);
    if (rc)
        return rc;
    *out = h;
    return 0;
}

/* This thread's search handle (index + analyzer + its own store
 * connection), opened on first use and reopened every
 * WEB_SEARCH_REOPEN_S seconds so that a rebuilt or synced index is seen.
 * ERR_NOT_FOUND when no index has been built. */
struct web_searcher {
    struct search *s;
    int64_t opened;
    struct search_semantic *sem; /* NULL: semantic features are off */
    int64_t sem_tried;           /* when sem was last opened or tried; 0 never */
    unsigned long long sem_commits; /* the queue's commit count then */
    double sem_cost;                /* seconds the last open or refresh took */
};

void web_searcher_free(void *p)
{
    struct web_searcher *x = p;
    if (!x)
        return;
    search_close(x->s);
    search_semantic_close(x->sem);
    free(x);
}

static struct web_searcher *searcher_slot(struct web_req *r)
{
    struct web_searcher *x = pthread_getspecific(r->web->search_key);
    if (!x) {
        x = xcalloc(1, sizeof *x);
        pthread_setspecific(r->web->search_key, x);
    }
    return x;
}

/* The embedding queue's commit count (0 without a queue). */
static unsigned long long vectors_commits(const struct web *w)
{
    if (!w->cfg.vectors_queue)
        return 0;
    struct vectors_queue_stats st;
    vectors_queue_stats(w->cfg.vectors_queue, &st);
    return st.commits;
}

/* This thread's semantic handle (encoder + vectors), opened on first use;
 * its vectors are reloaded (search_semantic_refresh; the open retried
 * while semantic features are off) every WEB_SEARCH_REOPEN_S seconds so
 * that vectors from `paperboy embed` are seen, and WEB_VECTORS_REFRESH_S
 * seconds after serve's embedding queue committed new ones, or 50x the
 * last reload's time if that is longer. NULL when semantic features are
 * off. */
static struct search_semantic *semantic(struct web_req *r)
{
    struct web_searcher *x = searcher_slot(r);
    unsigned long long commits = vectors_commits(r->web);
    int64_t age = r->now - x->sem_tried;
    /* Soon after the queue commits, but never so often that reloading the
     * vectors takes more than a small share of this thread's time: taking
     * in appended records costs ~0.2 ms at 1M, a full reopen (after a
     * compaction) ~0.2 s. */
    int64_t soon = (int64_t)(x->sem_cost * WEB_VECTORS_REFRESH_COST_X);
    if (soon < WEB_VECTORS_REFRESH_S)
        soon = WEB_VECTORS_REFRESH_S;
    if (x->sem_tried && age < WEB_SEARCH_REOPEN_S && (commits == x->sem_commits || age < soon))
        return x->sem;
    x->sem_tried = r->now ? r->now : 1;
    x->sem_commits = commits;
    double t0 = time_mono();
    if (x->sem && search_semantic_refresh(x->sem, NULL, 0) != 0) {
        search_semantic_close(x->sem); /* the vectors are gone */
        x->sem = NULL;
    } else if (!x->sem && search_semantic_open(r->web->cfg.db_path, NULL, NULL, &x->sem, NULL, 0) != 0) {
        x->sem = NULL;
    }
    x->sem_cost = time_mono() - t0;
    return x->sem;
}

int web_has_vectors(struct web_req *r)
{
    return semantic(r) != NULL;
}

int web_similar(struct web_req *r, const char *id, size_t k, struct web_hits *out)
{
    struct search_semantic *sem = semantic(r);
    if (!sem)
        return ERR_UNSUPPORTED;
    struct store *st = NULL;
    int64_t rowid;
    int rc = web_store(r, &st);
    if (rc == 0)
        rc = store_paper_rowid(st, id, &rowid);
    struct search_result res;
    memset(&res, 0, sizeof res);
    if (rc == 0)
        rc = search_similar(sem, rowid, k, &res);
    if (rc) {
        search_result_cleanup(&res);
        return rc;
    }
    struct web_hits h;
    memset(&h, 0, sizeof h);
    h.mode = "dense";
    h.has_vectors = 1;
    h.items = xcalloc(res.n ? res.n : 1, sizeof *h.items);
    h.scores = arena_alloc(r->arena, (res.n ? res.n : 1) * sizeof *h.scores);
    for (size_t i = 0; i < res.n; i++) {
        h.items[i].paper = res.hits[i].paper; /* moved */
        memset(&res.hits[i].paper, 0, sizeof res.hits[i].paper);
        daily_entry_init(&h.items[i].daily);
        h.scores[i] = res.hits[i].score;
        h.n = i + 1;
    }
    h.total = h.n;
    search_result_cleanup(&res);
    *out = h;
    return 0;
}

static int searcher(struct web_req *r, struct search **out)
{
    struct web_searcher *x = searcher_slot(r);
    if (x->s && r->now - x->opened >= WEB_SEARCH_REOPEN_S) {
        search_close(x->s);
        x->s = NULL;
    }
    if (x->s) {
        *out = x->s;
        return 0;
    }
    char dir[4096];
    if (search_index_dir(r->web->cfg.db_path, dir, sizeof dir))
        return ERR_TOO_LARGE;
    struct search *s = NULL;
    int rc = search_open(r->web->cfg.db_path, dir, NULL, &s, NULL, 0);
    if (rc)
        return rc;
    x->s = s;
    x->opened = r->now;
    *out = s;
    return 0;
}

int web_find(struct web_req *r, const struct web_query *q, struct web_hits *out)
{
    /* The query language of search/query.h, with the form's filters added
     * as its own syntax. */
    struct buf text;
    buf_init(&text, 4 * WEB_Q_MAX);
    int rc = 0;
    buf_puts(&text, &rc, q->q);
    if (q->cat[0])
        buf_putf(&text, &rc, " cat:%s", q->cat);
    if (q->from[0])
        buf_putf(&text, &rc, " since:%s", q->from);
    if (q->to[0])
        buf_putf(&text, &rc, " until:%s", q->to);
    struct search_query sq;
    query_parse(buf_cstr(&text), text.len, &sq);
    buf_cleanup(&text);
    struct search *se = NULL;
    struct search_semantic *sem = semantic(r);
    enum search_mode mode = sem ? SEARCH_MODE_HYBRID : SEARCH_MODE_BM25;
    if (q->mode[0] && search_mode_parse(q->mode, &mode) != 0)
        mode = SEARCH_MODE_BM25; /* checked by web_query_read() */
    if (!sem)
        mode = SEARCH_MODE_BM25; /* semantic features are off */
    if (!query_has_text(&sq) && sq.n_pins == 0) {
        /* Filters only: the newest papers that pass them. */
        query_cleanup(&sq);
        return find_basic(r, q, out);
    }
    rc = searcher(r, &se);
    if (rc == ERR_NOT_FOUND && mode == SEARCH_MODE_DENSE) {
        rc = 0; /* dense needs no lexical index */
        se = NULL;
    } else if (rc == ERR_NOT_FOUND) {
        query_cleanup(&sq);
        return find_basic(r, q, out);
    }
    struct web_hits h;
    memset(&h, 0, sizeof h);
    h.mode = search_mode_name(mode);
    h.has_vectors = sem != NULL;
    size_t skip = (q->page - 1) * q->per;
    if (rc || skip >= INDEX_MAX_K) {
        query_cleanup(&sq);
        if (rc)
            return rc;
        *out = h;
        return 0;
    }
    size_t want = skip + q->per > INDEX_MAX_K ? INDEX_MAX_K : skip + q->per;
    struct search_result res;
    memset(&res, 0, sizeof res);
    rc = search_run_mode(se, sem, &sq, mode, want, &res);
    query_cleanup(&sq);
    if (rc) {
        search_result_cleanup(&res);
        return rc;
    }
    struct store *st = NULL;
    rc = web_store(r, &st);
    size_t n = res.n > skip ? res.n - skip : 0;
    h.items = xcalloc(n ? n : 1, sizeof *h.items);
    h.scores = arena_alloc(r->arena, (n ? n : 1) * sizeof *h.scores);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct search_hit *hit = &res.hits[skip + i];
        struct store_listing *l = &h.items[i];
        l->paper = hit->paper; /* moved: the result no longer owns it */
        memset(&hit->paper, 0, sizeof hit->paper);
        daily_entry_init(&l->daily);
        int drc = store_daily_get(st, l->paper.id, &l->daily);
        if (drc != 0 && drc != ERR_NOT_FOUND)
            rc = drc;
        if (l->daily.day)
            l->day = xstrdup(l->daily.day);
        else if (l->paper.created)
            l->day = xstrndup(l->paper.created,
                              strlen(l->paper.created) < 10 ? strlen(l->paper.created) : 10);
        h.scores[i] = hit->score;
        h.n = i + 1;
    }
    /* A full result may have more behind it: say so with one extra page. */
    h.total = res.n;
    h.more = res.n == want && want < INDEX_MAX_K;
    search_result_cleanup(&res);
    if (rc) {
        web_hits_free(&h);
        return rc;
    }
    *out = h;
    return 0;
}


void web_hits_free(struct web_hits *h)
{
    if (h->items)
        store_listing_free(h->items, h->n);
    memset(h, 0, sizeof *h);
}
