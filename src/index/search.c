/*
 * search.c - top-k retrieval over a snapshot: block-max MaxScore
 * (index_search) and the exhaustive reference (index_search_exhaustive).
 * Scoring formulas: index.h.
 *
 * Exactness. Both paths compute a document's score the same way: the
 * contributions bm25() of its matching clauses, added in clause order
 * starting from 0.0f; nothing else ever becomes a score. Pruning uses upper
 * bounds (impact pairs, index_int.h) and is conservative: a bound x rules a
 * document out only when x * (1 + BOUND_SLACK) < theta (the k-th best score
 * so far), and the slack (1e-4) is far above the float rounding of any sum
 * of at most INDEX_MAX_CLAUSES terms or of evaluating bm25() at a
 * dominating pair. A document whose score ties theta is always fully
 * scored and compared by (score desc, rowid asc). Hence index_search
 * returns exactly what index_search_exhaustive returns.
 *
 * Algorithm (per segment, one heap across segments so theta carries over):
 *   - no MUST clause: MaxScore. Scoring clauses sorted by their term bound
 *     (ascending); the longest prefix whose bounds sum below theta is
 *     "non-essential": only documents of the other ("essential") lists are
 *     candidates. Before a candidate is scored, a window test: until the
 *     first end among the essential cursors' current blocks, no document
 *     can score more than the sum of those blocks' bounds plus the
 *     non-essential bounds; if that is below theta the whole window is
 *     skipped. Non-essential lists are probed in descending bound order
 *     while the partial score plus the remaining bounds can still reach
 *     theta.
 *   - MUST clauses: the rarest MUST list leads, the others are advanced to
 *     its documents (leapfrog); SHOULD clauses add as above.
 *   - no scoring clause: every document passing the constraints, score 0.
 * Constraints (deletions, filters) are checked before scoring; MUST_NOT
 * clauses, excluded categories, phrases and excluded phrases (which read
 * positions) only for a document that would enter the heap. Category
 * filters and excluded categories are bitmasks over the segment's category
 * dictionary, built per segment from the patterns. (Excluded categories
 * are tested late because a test costs a cache miss into the doc values:
 * tested before scoring, -cat:cs made a one-word query on 1M documents
 * ~35% slower; tested at the heap, the difference was within noise;
 * bench/exclude.)
 *
 * index_match_docs evaluates the same constraints (doc_ok, the MUST lists,
 * constraints_ok) for given documents only: per segment their rowids are
 * looked up (index_seg_find), sorted by doc id, and every list is advanced
 * to each in turn, so it costs what those documents' blocks cost.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_int.h"
#include "util/err.h"
#include "util/mem.h"

#define BOUND_SLACK 1e-4f

struct bm25c {
    float k1, k1p1, omb;
    float boa[INDEX_N_FIELDS]; /* b / avgdl */
};

/* The one BM25 contribution function: both search paths call only this. */
static inline float bm25(const struct bm25c *c, int field, float wi, uint32_t tf, uint32_t dl)
{
    float t = (float)tf;
    float norm = c->k1 * (c->omb + c->boa[field] * (float)dl);
    return wi * ((t * c->k1p1) / (t + norm));
}

static float pairs_bound(const struct bm25c *c, int field, float wi, const struct seg_pairs *p)
{
    float best = 0;
    for (int i = 0; i < SEG_PAIRS; i++) {
        if (!p->tf[i])
            continue;
        float s = p->tf[i] == 65535 ? wi * c->k1p1 : bm25(c, field, wi, p->tf[i], p->dl[i]);
        if (s > best)
            best = s;
    }
    return best;
}

static inline int below(float bound, float theta)
{
    return bound * (1.0f + BOUND_SLACK) < theta;
}

/* ------------------------------------------------------------------ */
/* The result heap (root = worst kept hit)                             */

struct heap {
    struct index_hit *h;
    size_t n, k;
};

static inline int worse(float sa, int64_t ra, float sb, int64_t rb)
{
    return sa < sb || (sa == sb && ra > rb);
}

static inline float heap_theta(const struct heap *hp)
{
    return hp->n < hp->k ? -1.0f : hp->h[0].score;
}

static inline int heap_takes(const struct heap *hp, float s, int64_t rowid)
{
    return hp->n < hp->k || worse(hp->h[0].score, hp->h[0].rowid, s, rowid);
}

static void heap_push(struct heap *hp, float s, int64_t rowid)
{
    struct index_hit *h = hp->h;
    size_t i;
    if (hp->n < hp->k) {
        i = hp->n++;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!worse(s, rowid, h[p].score, h[p].rowid))
                break;
            h[i] = h[p];
            i = p;
        }
        h[i].score = s;
        h[i].rowid = rowid;
        return;
    }
    /* replace the root and sift down */
    i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        float ms = s;
        int64_t mr = rowid;
        if (l < hp->n && worse(h[l].score, h[l].rowid, ms, mr)) {
            m = l;
            ms = h[l].score;
            mr = h[l].rowid;
        }
        if (r < hp->n && worse(h[r].score, h[r].rowid, ms, mr))
            m = r;
        if (m == i)
            break;
        h[i] = h[m];
        i = m;
    }
    h[i].score = s;
    h[i].rowid = rowid;
}

static int hit_cmp(const void *a, const void *b)
{
    const struct index_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* ------------------------------------------------------------------ */
/* Query preparation                                                   */

struct clause_rt {
    struct pcur cur;
    int idx;     /* clause index in the query */
    int field;
    int occur;
    int scoring; /* adds to the score (not CATEGORY) */
    float wi;    /* weight * idf */
    float ub;    /* term bound in this segment */
    const uint32_t *lens;
    uint32_t bb_blk; /* block whose bound is cached, UINT32_MAX none */
    float bb;
};

struct phrase_rt {
    int n;
    struct pcur *cur[INDEX_MAX_PHRASE_TERMS];
};

struct qctx {
    const struct index_snapshot *snap;
    const struct index_query *q;
    struct bm25c bc;
    float *wi; /* per clause */
    /* per segment */
    const struct seg *seg;
    const struct delset *del;
    uint64_t *catmask; /* NULL: no category filter */
    uint64_t *notmask; /* excluded categories; NULL: none in this segment */
    int date_filter;
    struct clause_rt *cl; /* n_clauses entries */
    struct pcur *pcurs;   /* phrase cursors */
    struct phrase_rt ph[INDEX_MAX_PHRASES];
    struct phrase_rt nph[INDEX_MAX_NOT_PHRASES]; /* n = 0: cannot occur in this segment */
    uint32_t *posbuf[2];
    uint32_t poscap[2];
    float *contrib;
    uint32_t *stamp;
    uint32_t stamp_now;
    struct heap heap;
    struct index_search_info info;
    int corrupt;
};

static int phrase_valid(const struct index_phrase *p)
{
    if (p->n < 1 || p->n > INDEX_MAX_PHRASE_TERMS || (int)p->field < 0 ||
        p->field >= INDEX_FIELD_CATEGORY || p->pos[0] != 0)
        return 0;
    for (size_t j = 0; j < p->n; j++)
        if (!p->terms[j] || p->lens[j] == 0 || p->lens[j] > 255 || (j && p->pos[j] < p->pos[j - 1]))
            return 0;
    return 1;
}

static int query_valid(const struct index_query *q, size_t k)
{
    if (k < 1 || k > INDEX_MAX_K || q->n_clauses > INDEX_MAX_CLAUSES ||
        q->n_phrases > INDEX_MAX_PHRASES || (q->n_clauses && !q->clauses) ||
        (q->n_phrases && !q->phrases) || q->n_not_phrases > INDEX_MAX_NOT_PHRASES ||
        (q->n_not_phrases && !q->not_phrases))
        return 0;
    if (!(q->k1 >= 0 && q->k1 < 1000) || !(q->b >= 0 && q->b <= 1))
        return 0;
    for (size_t i = 0; i < q->n_clauses; i++) {
        const struct index_clause *c = &q->clauses[i];
        if (!c->term || c->len == 0 || c->len > 255 || (int)c->field < 0 ||
            c->field >= INDEX_N_FIELDS || !(c->weight > 0 && c->weight < 1e30f) ||
            (int)c->occur < 0 || c->occur > INDEX_MUST_NOT)
            return 0;
    }
    for (size_t i = 0; i < q->n_phrases; i++)
        if (!phrase_valid(&q->phrases[i]))
            return 0;
    for (size_t i = 0; i < q->n_not_phrases; i++)
        if (!phrase_valid(&q->not_phrases[i]))
            return 0;
    if (q->filter && ((q->filter->n_categories && !q->filter->categories) ||
                      (q->filter->n_not_categories && !q->filter->not_categories)))
        return 0;
    return 1;
}

/* Zeroes x for q over s with a top-k heap of k (none for 0), and fills the
 * global statistics: N, avgdl, idf (shared by every path). */
static void prepare(struct qctx *x, const struct index_snapshot *s, const struct index_query *q,
                    size_t k)
{
    memset(x, 0, sizeof *x);
    x->snap = s;
    x->q = q;
    if (k) {
        x->heap.h = xmalloc(k * sizeof *x->heap.h);
        x->heap.k = k;
    }
    double N = (double)s->n_docs;
    x->bc.k1 = q->k1;
    x->bc.k1p1 = q->k1 + 1.0f;
    x->bc.omb = 1.0f - q->b;
    for (int f = 0; f < INDEX_N_FIELDS; f++) {
        float avg = N > 0 ? (float)((double)s->total_len[f] / N) : 1.0f;
        if (!(avg > 0))
            avg = 1.0f;
        x->bc.boa[f] = q->b / avg;
    }
    x->wi = xcalloc(q->n_clauses + 1, sizeof *x->wi);
    for (size_t i = 0; i < q->n_clauses; i++) {
        const struct index_clause *c = &q->clauses[i];
        double df = (double)index_snapshot_df(s, c->field, c->term, c->len);
        float idf = (float)log(1.0 + (N - df + 0.5) / (df + 0.5));
        x->wi[i] = c->weight * idf;
    }
    x->cl = xcalloc(q->n_clauses + 1, sizeof *x->cl);
    size_t np = 0;
    for (size_t i = 0; i < q->n_phrases; i++)
        np += q->phrases[i].n;
    for (size_t i = 0; i < q->n_not_phrases; i++)
        np += q->not_phrases[i].n;
    x->pcurs = xcalloc(np + 1, sizeof *x->pcurs);
    x->contrib = xcalloc(q->n_clauses + 1, sizeof *x->contrib);
    x->stamp = xcalloc(q->n_clauses + 1, sizeof *x->stamp);
}

static void qctx_cleanup(struct qctx *x)
{
    free(x->wi);
    free(x->cl);
    free(x->pcurs);
    free(x->contrib);
    free(x->stamp);
    free(x->catmask);
    free(x->notmask);
    free(x->posbuf[0]);
    free(x->posbuf[1]);
}

static int cat_matches(const char *want, size_t wl, const char *have, size_t hl)
{
    if (wl >= 2 && want[wl - 1] == '*' && want[wl - 2] == '.')
        return hl >= wl - 1 && memcmp(want, have, wl - 1) == 0;
    return wl == hl && memcmp(want, have, wl) == 0;
}

/* The bitmask of g's categories that one of pats[0..n) matches
 * (case-insensitively), owned by the caller; NULL when none does. */
static uint64_t *cat_mask(const struct seg *g, const char *const *pats, size_t n)
{
    uint64_t *mask = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *w = pats[i];
        if (!w)
            continue;
        char lc[SEG_MAX_CAT_LEN + 2];
        size_t wl = strlen(w);
        if (wl == 0 || wl > SEG_MAX_CAT_LEN)
            continue;
        for (size_t j = 0; j < wl; j++)
            lc[j] = (w[j] >= 'A' && w[j] <= 'Z') ? (char)(w[j] + 32) : w[j];
        for (uint32_t c = 0; c < g->n_cats; c++)
            if (cat_matches(lc, wl, g->catdict_str + g->catdict_off[c],
                            g->catdict_off[c + 1] - g->catdict_off[c])) {
                if (!mask)
                    mask = xcalloc((size_t)g->n_cats / 64 + 1, 8);
                mask[c / 64] |= 1ull << (c % 64);
            }
    }
    return mask;
}

/* Does doc d of g hold a category in mask? */
static inline int doc_in_mask(const struct seg *g, uint32_t d, const uint64_t *mask)
{
    for (uint32_t i = g->cat_off[d]; i < g->cat_off[d + 1]; i++) {
        uint16_t c = g->cat_ids[i];
        if ((mask[c / 64] >> (c % 64)) & 1)
            return 1;
    }
    return 0;
}

/* Sets up per-segment state; returns 0 when the segment cannot match. */
static int seg_begin(struct qctx *x, const struct snap_seg *ss)
{
    const struct index_query *q = x->q;
    const struct seg *g = ss->seg;
    x->seg = g;
    x->del = ss->del;
    free(x->catmask);
    free(x->notmask);
    x->catmask = x->notmask = NULL;
    const struct index_filter *f = q->filter;
    x->date_filter = f && (f->date_from != INT32_MIN || f->date_to != INT32_MAX);
    if (f && f->n_categories) {
        x->catmask = cat_mask(g, f->categories, f->n_categories);
        if (!x->catmask)
            return 0;
    }
    if (f && f->n_not_categories)
        x->notmask = cat_mask(g, f->not_categories, f->n_not_categories);
    for (size_t i = 0; i < q->n_clauses; i++) {
        const struct index_clause *c = &q->clauses[i];
        struct clause_rt *r = &x->cl[i];
        const struct seg_term *t = index_seg_term(g, c->field, c->term, c->len);
        r->idx = (int)i;
        r->field = c->field;
        r->occur = c->occur;
        r->scoring = c->field != INDEX_FIELD_CATEGORY;
        r->wi = x->wi[i];
        r->lens = c->field < SEG_N_LEN_FIELDS ? g->len[c->field] : NULL;
        r->bb_blk = UINT32_MAX;
        if (!t) {
            r->cur.doc = DOC_END;
            r->cur.t = NULL;
            if (c->occur == INDEX_MUST)
                return 0;
            continue;
        }
        pcur_init(&r->cur, g, t);
        r->ub = r->scoring ? pairs_bound(&x->bc, r->field, r->wi, &t->pairs) : 0.0f;
    }
    struct pcur *pc = x->pcurs;
    for (size_t i = 0; i < q->n_phrases; i++) {
        const struct index_phrase *p = &q->phrases[i];
        x->ph[i].n = (int)p->n;
        for (size_t j = 0; j < p->n; j++) {
            const struct seg_term *t = index_seg_term(g, p->field, p->terms[j], p->lens[j]);
            if (!t)
                return 0;
            pcur_init(pc, g, t);
            pcur_next(pc);
            x->ph[i].cur[j] = pc++;
        }
    }
    for (size_t i = 0; i < q->n_not_phrases; i++) {
        /* a phrase with a term this segment lacks cannot occur here */
        const struct index_phrase *p = &q->not_phrases[i];
        struct pcur *first = pc;
        size_t j = 0;
        for (; j < p->n; j++) {
            const struct seg_term *t = index_seg_term(g, p->field, p->terms[j], p->lens[j]);
            if (!t)
                break;
            pcur_init(pc, g, t);
            pcur_next(pc);
            x->nph[i].cur[j] = pc++;
        }
        x->nph[i].n = j == p->n ? (int)p->n : 0;
        if (j < p->n)
            pc = first; /* the slots are free again */
    }
    return 1;
}

/* Deletions and filters. */
static inline int doc_ok(struct qctx *x, uint32_t d)
{
    const struct seg *g = x->seg;
    if (delset_has(x->del, d))
        return 0;
    const struct index_filter *f = x->q->filter;
    if (!f)
        return 1;
    if (x->date_filter) {
        int32_t dt = g->date[d];
        if (dt == INDEX_NO_DATE || dt < f->date_from || dt > f->date_to)
            return 0;
    }
    if (x->catmask && !doc_in_mask(g, d, x->catmask))
        return 0;
    if (f->accept && !f->accept(f->accept_ctx, g->rowid[d]))
        return 0;
    return 1;
}

static int load_pos(struct qctx *x, int which, struct pcur *c, uint32_t *n)
{
    uint32_t tf = pcur_tf(c);
    if (tf > x->poscap[which]) {
        x->poscap[which] = tf * 2;
        x->posbuf[which] = xrealloc(x->posbuf[which], (size_t)x->poscap[which] * sizeof(uint32_t));
    }
    int k = pcur_positions(c, x->posbuf[which], tf);
    if (k < 0) {
        x->corrupt = 1;
        return -1;
    }
    *n = (uint32_t)k;
    return 0;
}

static int contains(const uint32_t *a, uint32_t n, uint32_t v)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid] == v)
            return 1;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Does doc d hold phrase p (cursors r)? Candidates come in ascending doc
 * order. */
static int phrase_holds(struct qctx *x, const struct index_phrase *p, struct phrase_rt *r,
                        uint32_t d)
{
    for (int j = 0; j < r->n; j++)
        if (pcur_advance(r->cur[j], d) != d)
            return 0;
    uint32_t n0;
    if (load_pos(x, 0, r->cur[0], &n0) != 0)
        return 0;
    /* keep candidates (start positions) in posbuf[0], filter by each term */
    for (int j = 1; j < r->n && n0 > 0; j++) {
        uint32_t nj;
        if (load_pos(x, 1, r->cur[j], &nj) != 0)
            return 0;
        uint32_t k = 0;
        for (uint32_t a = 0; a < n0; a++)
            if (contains(x->posbuf[1], nj, x->posbuf[0][a] + p->pos[j]))
                x->posbuf[0][k++] = x->posbuf[0][a];
        n0 = k;
    }
    return n0 > 0;
}

/* Does clause r's list hold d? For a cursor probed at ascending docs
 * only (it is advanced, never rewound). */
static int clause_holds(struct clause_rt *r, uint32_t d)
{
    if (!r->cur.t)
        return 0;
    if (r->cur.blk == UINT32_MAX && r->cur.doc != DOC_END)
        pcur_next(&r->cur);
    return pcur_advance(&r->cur, d) == d;
}

/* Excluded categories, MUST_NOT clauses, phrases and excluded phrases, for
 * a document about to enter the heap. */
static int constraints_ok(struct qctx *x, uint32_t d)
{
    const struct index_query *q = x->q;
    if (x->notmask && doc_in_mask(x->seg, d, x->notmask))
        return 0;
    for (size_t i = 0; i < q->n_clauses; i++) {
        struct clause_rt *r = &x->cl[i];
        if (r->occur == INDEX_MUST_NOT && clause_holds(r, d))
            return 0;
    }
    for (size_t i = 0; i < q->n_phrases; i++)
        if (!phrase_holds(x, &q->phrases[i], &x->ph[i], d))
            return 0;
    for (size_t i = 0; i < q->n_not_phrases; i++)
        if (x->nph[i].n && phrase_holds(x, &q->not_phrases[i], &x->nph[i], d))
            return 0;
    return 1;
}

/* Has a phrase cursor (required or excluded) failed to decode? */
static int phrase_cursors_corrupt(const struct qctx *x)
{
    for (size_t i = 0; i < x->q->n_phrases; i++)
        for (int j = 0; j < x->ph[i].n; j++)
            if (x->ph[i].cur[j]->corrupt)
                return 1;
    for (size_t i = 0; i < x->q->n_not_phrases; i++)
        for (int j = 0; j < x->nph[i].n; j++)
            if (x->nph[i].cur[j]->corrupt)
                return 1;
    return 0;
}

/* ... or any cursor? */
static int cursors_corrupt(const struct qctx *x)
{
    for (size_t i = 0; i < x->q->n_clauses; i++)
        if (x->cl[i].cur.t && x->cl[i].cur.corrupt)
            return 1;
    return phrase_cursors_corrupt(x);
}

static inline float contribution(struct qctx *x, struct clause_rt *r, uint32_t d)
{
    if (!r->scoring)
        return 0.0f;
    return bm25(&x->bc, r->field, r->wi, pcur_tf(&r->cur), r->lens[d]);
}

/* Adds the stamped contributions in clause order. */
static inline float total_score(struct qctx *x)
{
    float s = 0.0f;
    for (size_t j = 0; j < x->q->n_clauses; j++)
        if (x->stamp[j] == x->stamp_now)
            s += x->contrib[j];
    return s;
}

static void offer(struct qctx *x, uint32_t d, float score)
{
    int64_t rowid = x->seg->rowid[d];
    if (!heap_takes(&x->heap, score, rowid))
        return;
    if (!constraints_ok(x, d))
        return;
    heap_push(&x->heap, score, rowid);
}

/* The bound of the cursor's current block (cached). */
static inline float block_bound(struct qctx *x, struct clause_rt *r, uint32_t *last)
{
    struct pcur *c = &r->cur;
    if (!c->blks) {
        *last = c->docs[c->n - 1];
        return r->ub;
    }
    *last = c->blks[c->blk].last_doc;
    if (r->bb_blk != c->blk) {
        r->bb_blk = c->blk;
        r->bb = r->scoring ? pairs_bound(&x->bc, r->field, r->wi, &c->blks[c->blk].pairs) : 0.0f;
    }
    return r->bb;
}

/* The bound of the block of r's list that would hold d (no decoding;
 * cached per block). 0 when the list has nothing at or after d. */
static inline float shallow_bound(struct qctx *x, struct clause_rt *r, uint32_t d)
{
    struct pcur *c = &r->cur;
    if (!c->blks)
        return c->doc == DOC_END ? 0.0f : r->ub;
    uint32_t b = c->blk == UINT32_MAX ? 0 : c->blk;
    if (r->bb_blk != UINT32_MAX && r->bb_blk >= b)
        b = r->bb_blk;
    while (b < c->n_blocks && c->blks[b].last_doc < d)
        b++;
    if (b >= c->n_blocks)
        return 0.0f;
    if (r->bb_blk != b) {
        r->bb_blk = b;
        r->bb = r->scoring ? pairs_bound(&x->bc, r->field, r->wi, &c->blks[b].pairs) : 0.0f;
    }
    return r->bb;
}

/* ------------------------------------------------------------------ */
/* MaxScore over SHOULD clauses                                        */

static void sort_by_ub(struct clause_rt **v, int m)
{
    for (int i = 1; i < m; i++)
        for (int j = i; j > 0 && (v[j - 1]->ub > v[j]->ub ||
                                  (v[j - 1]->ub == v[j]->ub && v[j - 1]->idx > v[j]->idx));
             j--) {
            struct clause_rt *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static void run_should(struct qctx *x, struct clause_rt **c, int m)
{
    float pre[INDEX_MAX_CLAUSES + 1];
    sort_by_ub(c, m);
    pre[0] = 0;
    for (int i = 0; i < m; i++) {
        pre[i + 1] = pre[i] + c[i]->ub;
        pcur_next(&c[i]->cur);
    }
    int ne = 0; /* c[0..ne) are non-essential */
    uint32_t win_upto = 0;
    float win_th = -2.0f;
    int win_ne = -1;
    for (;;) {
        float th = heap_theta(&x->heap);
        while (ne < m && below(pre[ne + 1], th))
            ne++;
        if (ne == m)
            break;
        uint32_t d = DOC_END;
        for (int i = ne; i < m; i++)
            if (c[i]->cur.doc < d)
                d = c[i]->cur.doc;
        if (d == DOC_END)
            break;
        /* Window test over the essential cursors' current blocks; a window
         * that failed it is not tested again until theta changes. */
        if (th >= 0 && (d > win_upto || th != win_th || ne != win_ne)) {
            uint32_t upto = DOC_END;
            float wb = pre[ne];
            for (int i = ne; i < m; i++) {
                if (c[i]->cur.doc == DOC_END)
                    continue;
                uint32_t last;
                wb += block_bound(x, c[i], &last);
                if (last < upto)
                    upto = last;
            }
            if (below(wb, th)) {
                for (int i = ne; i < m; i++)
                    if (c[i]->cur.doc <= upto)
                        pcur_advance(&c[i]->cur, upto + 1);
                continue;
            }
            win_upto = upto;
            win_th = th;
            win_ne = ne;
        }
        x->info.postings++;
        if (doc_ok(x, d)) {
            x->stamp_now++;
            float s = 0;
            for (int i = ne; i < m; i++)
                if (c[i]->cur.doc == d) {
                    float v = contribution(x, c[i], d);
                    x->contrib[c[i]->idx] = v;
                    x->stamp[c[i]->idx] = x->stamp_now;
                    s += v;
                }
            int pruned = below(s + pre[ne], th);
            float rem = 0, bb[INDEX_MAX_CLAUSES];
            if (!pruned && ne > 0) {
                /* tighter: the non-essential lists' block bounds at d */
                for (int i = 0; i < ne; i++) {
                    bb[i] = shallow_bound(x, c[i], d);
                    rem += bb[i];
                }
                pruned = below(s + rem, th);
            }
            for (int i = ne - 1; i >= 0 && !pruned; i--) {
                if (below(s + rem, th)) {
                    pruned = 1;
                    break;
                }
                rem -= bb[i];
                if (bb[i] == 0.0f && c[i]->scoring)
                    continue; /* nothing at or after d */
                if (pcur_advance(&c[i]->cur, d) == d) {
                    float v = contribution(x, c[i], d);
                    x->contrib[c[i]->idx] = v;
                    x->stamp[c[i]->idx] = x->stamp_now;
                    s += v;
                }
            }
            if (!pruned) {
                x->info.scored++;
                offer(x, d, total_score(x));
            }
        }
        for (int i = ne; i < m; i++)
            if (c[i]->cur.doc == d)
                pcur_next(&c[i]->cur);
    }
}

/* ------------------------------------------------------------------ */
/* Conjunctions (MUST clauses) with optional SHOULD clauses            */

static void run_must(struct qctx *x, struct clause_rt **must, int nm, struct clause_rt **sh, int ns)
{
    float pre[INDEX_MAX_CLAUSES + 1];
    sort_by_ub(sh, ns);
    pre[0] = 0;
    for (int i = 0; i < ns; i++)
        pre[i + 1] = pre[i] + sh[i]->ub;
    /* the rarest MUST list leads */
    for (int i = 1; i < nm; i++)
        if (must[i]->cur.df < must[0]->cur.df) {
            struct clause_rt *t = must[0];
            must[0] = must[i];
            must[i] = t;
        }
    for (int i = 0; i < nm; i++)
        pcur_next(&must[i]->cur);
    uint32_t d = must[0]->cur.doc;
    while (d != DOC_END) {
        /* align every MUST cursor on d */
        int moved = 0;
        for (int i = 1; i < nm; i++) {
            uint32_t e = pcur_advance(&must[i]->cur, d);
            if (e != d) {
                d = e == DOC_END ? DOC_END : pcur_advance(&must[0]->cur, e);
                moved = 1;
                break;
            }
        }
        if (d == DOC_END)
            break;
        if (moved)
            continue;
        float th = heap_theta(&x->heap);
        if (th >= 0) {
            uint32_t upto = DOC_END;
            float wb = pre[ns];
            for (int i = 0; i < nm; i++) {
                uint32_t last;
                wb += block_bound(x, must[i], &last);
                if (last < upto)
                    upto = last;
            }
            if (below(wb, th)) {
                d = pcur_advance(&must[0]->cur, upto + 1);
                continue;
            }
        }
        if (doc_ok(x, d)) {
            x->stamp_now++;
            float s = 0;
            for (int i = 0; i < nm; i++) {
                float v = contribution(x, must[i], d);
                x->contrib[must[i]->idx] = v;
                x->stamp[must[i]->idx] = x->stamp_now;
                s += v;
            }
            int pruned = 0;
            for (int i = ns - 1; i >= 0; i--) {
                if (below(s + pre[i + 1], th)) {
                    pruned = 1;
                    break;
                }
                struct pcur *pc = &sh[i]->cur;
                if (pc->blk == UINT32_MAX && pc->doc != DOC_END)
                    pcur_next(pc);
                if (pcur_advance(pc, d) == d) {
                    float v = contribution(x, sh[i], d);
                    x->contrib[sh[i]->idx] = v;
                    x->stamp[sh[i]->idx] = x->stamp_now;
                    s += v;
                }
            }
            if (!pruned && below(s, th))
                pruned = 1;
            if (!pruned) {
                x->info.scored++;
                offer(x, d, total_score(x));
            }
        }
        d = pcur_next(&must[0]->cur);
    }
}

/* ------------------------------------------------------------------ */
/* No scoring clause: constraints only                                 */

static void run_scan(struct qctx *x)
{
    const struct seg *g = x->seg;
    if (x->q->n_phrases) {
        struct pcur *lead = x->ph[0].cur[0];
        /* phrase cursors are already on their first posting; use a copy */
        struct pcur *c = xmalloc(sizeof *c);
        pcur_init(c, g, lead->t);
        for (uint32_t d = pcur_next(c); d != DOC_END; d = pcur_next(c))
            if (doc_ok(x, d))
                offer(x, d, 0.0f);
        free(c);
        return;
    }
    for (uint32_t d = 0; d < g->n_docs; d++)
        if (doc_ok(x, d))
            offer(x, d, 0.0f);
}

static int finish(struct qctx *x, struct index_hit *hits, size_t *n, struct index_search_info *info)
{
    int rc = x->corrupt ? ERR_CORRUPT : 0;
    if (rc == 0) {
        qsort(x->heap.h, x->heap.n, sizeof *x->heap.h, hit_cmp);
        memcpy(hits, x->heap.h, x->heap.n * sizeof *hits);
        *n = x->heap.n;
        if (info)
            *info = x->info;
    }
    free(x->heap.h);
    qctx_cleanup(x);
    return rc;
}

static int scoring_clauses(const struct index_query *q)
{
    int n = 0;
    for (size_t i = 0; i < q->n_clauses; i++)
        if (q->clauses[i].occur != INDEX_MUST_NOT)
            n++;
    return n;
}

int index_search(const struct index_snapshot *s, const struct index_query *q, size_t k,
                 struct index_hit *hits, size_t *n, struct index_search_info *info)
{
    if (!query_valid(q, k))
        return ERR_INVALID;
    struct qctx x;
    prepare(&x, s, q, k);
    int n_pos = scoring_clauses(q);
    struct clause_rt *must[INDEX_MAX_CLAUSES], *sh[INDEX_MAX_CLAUSES];
    for (int si = 0; si < s->n && !x.corrupt; si++) {
        if (!seg_begin(&x, &s->segs[si]))
            continue;
        if (n_pos == 0) {
            run_scan(&x);
            if (phrase_cursors_corrupt(&x))
                x.corrupt = 1;
            continue;
        }
        int nm = 0, ns = 0;
        for (size_t i = 0; i < q->n_clauses; i++) {
            struct clause_rt *r = &x.cl[i];
            if (!r->cur.t || r->occur == INDEX_MUST_NOT)
                continue;
            if (r->occur == INDEX_MUST)
                must[nm++] = r;
            else
                sh[ns++] = r;
        }
        if (nm)
            run_must(&x, must, nm, sh, ns);
        else if (ns)
            run_should(&x, sh, ns);
        if (cursors_corrupt(&x))
            x.corrupt = 1;
    }
    return finish(&x, hits, n, info);
}

/* ------------------------------------------------------------------ */
/* The exhaustive reference                                            */

int index_search_exhaustive(const struct index_snapshot *s, const struct index_query *q, size_t k,
                            struct index_hit *hits, size_t *n, int64_t *total)
{
    if (!query_valid(q, k))
        return ERR_INVALID;
    struct qctx x;
    prepare(&x, s, q, k);
    int n_pos = scoring_clauses(q), n_must = 0;
    for (size_t i = 0; i < q->n_clauses; i++)
        n_must += q->clauses[i].occur == INDEX_MUST;
    int64_t count = 0;
    for (int si = 0; si < s->n && !x.corrupt; si++) {
        if (!seg_begin(&x, &s->segs[si]))
            continue;
        if (n_pos == 0) {
            /* the same scan as index_search, counting */
            const struct seg *g = x.seg;
            for (uint32_t d = 0; d < g->n_docs; d++) {
                if (!doc_ok(&x, d) || !constraints_ok(&x, d))
                    continue;
                count++;
                if (heap_takes(&x.heap, 0.0f, g->rowid[d]))
                    heap_push(&x.heap, 0.0f, g->rowid[d]);
            }
            if (phrase_cursors_corrupt(&x))
                x.corrupt = 1;
            continue;
        }
        uint32_t nd = x.seg->n_docs;
        float *acc = xcalloc((size_t)nd + 1, sizeof *acc);
        uint8_t *matched = xcalloc((size_t)nd + 1, 1);
        uint16_t *mustc = xcalloc((size_t)nd + 1, sizeof *mustc);
        for (size_t i = 0; i < q->n_clauses; i++) {
            struct clause_rt *r = &x.cl[i];
            if (!r->cur.t || r->occur == INDEX_MUST_NOT)
                continue;
            for (uint32_t d = pcur_next(&r->cur); d != DOC_END; d = pcur_next(&r->cur)) {
                acc[d] += contribution(&x, r, d);
                matched[d] = 1;
                if (r->occur == INDEX_MUST)
                    mustc[d]++;
            }
            if (r->cur.corrupt)
                x.corrupt = 1;
            pcur_init(&r->cur, x.seg, r->cur.t); /* rewind for MUST_NOT-style reuse */
        }
        for (uint32_t d = 0; d < nd; d++) {
            if (!matched[d] || mustc[d] != n_must || !doc_ok(&x, d) || !constraints_ok(&x, d))
                continue;
            count++;
            if (heap_takes(&x.heap, acc[d], x.seg->rowid[d]))
                heap_push(&x.heap, acc[d], x.seg->rowid[d]);
        }
        free(acc);
        free(matched);
        free(mustc);
        if (phrase_cursors_corrupt(&x))
            x.corrupt = 1;
    }
    if (total && !x.corrupt)
        *total = count;
    return finish(&x, hits, n, NULL);
}

/* ------------------------------------------------------------------ */
/* Constraints on given documents                                      */

struct docref {
    uint32_t doc; /* in the current segment */
    size_t i;     /* index into the caller's rowids */
};

static int docref_cmp(const void *a, const void *b)
{
    const struct docref *x = a, *y = b;
    if (x->doc != y->doc)
        return x->doc < y->doc ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Every constraint for doc d of the current segment (docs ascending). */
static int doc_holds(struct qctx *x, uint32_t d)
{
    if (!doc_ok(x, d))
        return 0;
    for (size_t i = 0; i < x->q->n_clauses; i++)
        if (x->cl[i].occur == INDEX_MUST && !clause_holds(&x->cl[i], d))
            return 0;
    return constraints_ok(x, d);
}

int index_match_docs(const struct index_snapshot *s, const struct index_query *q,
                     const int64_t *rowids, size_t n, unsigned char *pass)
{
    if (!query_valid(q, 1) || (n && !rowids))
        return ERR_INVALID;
    struct qctx x;
    prepare(&x, s, q, 0);
    unsigned char *res = xcalloc(n + 1, 1);
    struct docref *ref = xmalloc((n + 1) * sizeof *ref);
    for (int si = 0; si < s->n && !x.corrupt; si++) {
        const struct snap_seg *ss = &s->segs[si];
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t d = index_seg_find(ss->seg, rowids[i], ss->del);
            if (d != DOC_END)
                ref[m++] = (struct docref){d, i};
        }
        if (m == 0 || !seg_begin(&x, ss))
            continue;
        qsort(ref, m, sizeof *ref, docref_cmp);
        for (size_t j = 0; j < m; j++) {
            if (j > 0 && ref[j].doc == ref[j - 1].doc)
                res[ref[j].i] = res[ref[j - 1].i]; /* a repeated rowid */
            else
                res[ref[j].i] = (unsigned char)doc_holds(&x, ref[j].doc);
        }
        if (cursors_corrupt(&x))
            x.corrupt = 1;
    }
    int rc = x.corrupt ? ERR_CORRUPT : 0;
    if (rc == 0 && n)
        memcpy(pass, res, n);
    free(ref);
    free(res);
    qctx_cleanup(&x);
    return rc;
}

void index_query_init(struct index_query *q)
{
    memset(q, 0, sizeof *q);
    q->k1 = 0.9f;
    q->b = 0.4f;
}

void index_filter_init(struct index_filter *f)
{
    memset(f, 0, sizeof *f);
    f->date_from = INT32_MIN;
    f->date_to = INT32_MAX;
}
