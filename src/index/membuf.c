/*
 * membuf.c - the in-memory inverted index a writer fills: documents are
 * analyzed, their terms inverted, and every flush_docs documents (or at
 * commit) written as a segment. A writer has one per worker thread.
 *
 * Memory: a hash table from (field, term) to a term record whose postings
 * are a growing byte string of varints (doc gap, tf, position gaps).
 * Tokens of the document being added are chained per term, so a
 * document's postings are appended in one pass without sorting. The
 * analyzer's word ids (text/analyzer.h) map straight to term ids, so a
 * word seen before costs no hashing. At flush the terms are sorted and
 * streamed to the segment writer (segment.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/index_int.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

struct wterm {
    uint32_t str_off;
    uint16_t len;
    uint8_t field;
    uint32_t cur_doc; /* doc of the open chain, UINT32_MAX none */
    uint32_t last_doc; /* last doc written into p, UINT32_MAX none */
    uint32_t df;
    uint32_t cur_tf;
    uint32_t head, tail; /* token chain of the current doc */
    uint8_t *p;
    uint32_t n, cap;
};

struct wtok {
    uint32_t pos;
    uint32_t next;
};

struct membuf {
    struct index *ix;
    struct text_analyzer *an;
    int title_repeat;
    uint32_t stem, stop;
    size_t flush_docs;
    struct wterm *terms;
    uint32_t n_terms, cap_terms;
    uint32_t *table; /* hash slots: term index + 1, 0 empty */
    uint32_t table_mask;
    char *str;
    size_t str_n, str_cap;
    uint32_t n_docs, cap_docs;
    int64_t *rowid;
    uint64_t *seq;
    int32_t *date;
    uint32_t *len[SEG_N_LEN_FIELDS];
    uint32_t *cat_off;
    uint32_t *cat_ids; /* global category term indexes; remapped at flush */
    size_t n_cat_ids, cap_cat_ids;
    uint64_t total_len[INDEX_N_FIELDS];
    /* the current document */
    uint32_t doc;
    uint32_t *touched;
    uint32_t n_touched, cap_touched;
    struct wtok *toks;
    uint32_t n_toks, cap_toks;
    /* title tokens, analyzed once */
    struct { uint32_t str_off; uint16_t len; uint32_t pos; uint32_t flags; uint32_t word_id; } *tt;
    uint32_t n_tt, cap_tt;
    char *tt_str;
    size_t tt_str_n, tt_str_cap;
    /* word_id -> term id + 1, per field with text (see tok_term) */
    uint32_t *wmap[SEG_N_LEN_FIELDS];
    uint32_t wmap_cap[SEG_N_LEN_FIELDS];
    uint32_t wmap_epoch;
};

static void mb_reset(struct membuf *w)
{
    for (uint32_t i = 0; i < w->n_terms; i++)
        free(w->terms[i].p);
    w->n_terms = 0;
    memset(w->table, 0, ((size_t)w->table_mask + 1) * sizeof *w->table);
    w->str_n = 0;
    w->n_docs = 0;
    w->n_cat_ids = 0;
    memset(w->total_len, 0, sizeof w->total_len);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        if (w->wmap[f])
            memset(w->wmap[f], 0, (size_t)w->wmap_cap[f] * sizeof *w->wmap[f]);
}

static void table_grow(struct membuf *w)
{
    uint32_t mask = w->table_mask * 2 + 1;
    uint32_t *t = xcalloc((size_t)mask + 1, sizeof *t);
    for (uint32_t i = 0; i < w->n_terms; i++) {
        struct wterm *x = &w->terms[i];
        uint32_t h = (uint32_t)hash64(w->str + x->str_off, x->len, x->field) & mask;
        while (t[h])
            h = (h + 1) & mask;
        t[h] = i + 1;
    }
    free(w->table);
    w->table = t;
    w->table_mask = mask;
}

static uint32_t term_id(struct membuf *w, int field, const char *s, size_t len)
{
    uint32_t h = (uint32_t)hash64(s, len, (uint64_t)field) & w->table_mask;
    for (;;) {
        uint32_t v = w->table[h];
        if (!v)
            break;
        struct wterm *x = &w->terms[v - 1];
        if (x->len == len && x->field == field && memcmp(w->str + x->str_off, s, len) == 0)
            return v - 1;
        h = (h + 1) & w->table_mask;
    }
    if (w->n_terms == w->cap_terms) {
        w->cap_terms = w->cap_terms * 2 + 1024;
        w->terms = xrealloc(w->terms, (size_t)w->cap_terms * sizeof *w->terms);
    }
    if (w->str_n + len > w->str_cap) {
        w->str_cap = (w->str_n + len) * 2 + 65536;
        w->str = xrealloc(w->str, w->str_cap);
    }
    uint32_t id = w->n_terms++;
    struct wterm *x = &w->terms[id];
    memset(x, 0, sizeof *x);
    x->str_off = (uint32_t)w->str_n;
    x->len = (uint16_t)len;
    x->field = (uint8_t)field;
    x->cur_doc = UINT32_MAX;
    x->last_doc = UINT32_MAX;
    memcpy(w->str + w->str_n, s, len);
    w->str_n += len;
    w->table[h] = id + 1;
    if ((uint64_t)w->n_terms * 2 > w->table_mask)
        table_grow(w);
    return id;
}

/* The term id of token (field, s, len) with the analyzer's word_id hint:
 * a direct array maps word ids to term ids, so a word seen before costs no
 * hashing. */
static uint32_t tok_term(struct membuf *w, int field, const char *s, size_t len,
                         uint32_t word_id)
{
    if (word_id == UINT32_MAX || field >= SEG_N_LEN_FIELDS)
        return term_id(w, field, s, len);
    uint32_t epoch = text_analyzer_epoch(w->an);
    if (epoch != w->wmap_epoch) {
        for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
            if (w->wmap[f])
                memset(w->wmap[f], 0, (size_t)w->wmap_cap[f] * sizeof *w->wmap[f]);
        w->wmap_epoch = epoch;
    }
    if (word_id >= w->wmap_cap[field]) {
        uint32_t cap = w->wmap_cap[field] ? w->wmap_cap[field] : 4096;
        while (cap <= word_id)
            cap *= 2;
        w->wmap[field] = xrealloc(w->wmap[field], (size_t)cap * sizeof *w->wmap[field]);
        memset(w->wmap[field] + w->wmap_cap[field], 0,
               (size_t)(cap - w->wmap_cap[field]) * sizeof *w->wmap[field]);
        w->wmap_cap[field] = cap;
    }
    uint32_t v = w->wmap[field][word_id];
    if (v)
        return v - 1;
    uint32_t id = term_id(w, field, s, len);
    w->wmap[field][word_id] = id + 1;
    return id;
}

/* Records one occurrence of term id at pos in the current doc. */
static void add_occ_id(struct membuf *w, uint32_t id, uint32_t pos)
{
    struct wterm *x = &w->terms[id];
    if (w->n_toks == w->cap_toks) {
        w->cap_toks = w->cap_toks * 2 + 1024;
        w->toks = xrealloc(w->toks, (size_t)w->cap_toks * sizeof *w->toks);
    }
    uint32_t t = w->n_toks++;
    w->toks[t].pos = pos;
    w->toks[t].next = UINT32_MAX;
    if (x->cur_doc != w->doc) {
        x->cur_doc = w->doc;
        x->cur_tf = 0;
        x->head = t;
        if (w->n_touched == w->cap_touched) {
            w->cap_touched = w->cap_touched * 2 + 256;
            w->touched = xrealloc(w->touched, (size_t)w->cap_touched * sizeof *w->touched);
        }
        w->touched[w->n_touched++] = id;
    } else {
        w->toks[x->tail].next = t;
    }
    x->tail = t;
    x->cur_tf++;
}

static void add_occ(struct membuf *w, int field, const char *s, size_t len, uint32_t pos)
{
    add_occ_id(w, term_id(w, field, s, len), pos);
}

static void bytes_put(struct wterm *x, const uint8_t *b, uint32_t n)
{
    if (x->n + n > x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        while (x->n + n > x->cap)
            x->cap *= 2;
        x->p = xrealloc(x->p, x->cap);
    }
    memcpy(x->p + x->n, b, n);
    x->n += n;
}

static uint32_t enc_varint(uint8_t *b, uint32_t v)
{
    uint32_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    return n;
}

/* Appends the current doc's postings to each touched term. */
static void end_doc(struct membuf *w)
{
    uint8_t tmp[16];
    for (uint32_t i = 0; i < w->n_touched; i++) {
        struct wterm *x = &w->terms[w->touched[i]];
        uint32_t gap = x->last_doc == UINT32_MAX ? w->doc : w->doc - x->last_doc - 1;
        uint32_t n = enc_varint(tmp, gap);
        n += enc_varint(tmp + n, x->cur_tf);
        bytes_put(x, tmp, n);
        if (seg_field_has_pos(x->field)) {
            uint32_t prev = 0;
            for (uint32_t t = x->head; t != UINT32_MAX; t = w->toks[t].next) {
                n = enc_varint(tmp, w->toks[t].pos - prev);
                prev = w->toks[t].pos;
                bytes_put(x, tmp, n);
            }
        }
        x->last_doc = w->doc;
        x->df++;
    }
    w->n_touched = 0;
    w->n_toks = 0;
}

struct fctx {
    struct membuf *w;
    int field;
    uint32_t len; /* non-joined tokens */
};

static int field_tok(void *ctx, const struct text_token *t)
{
    struct fctx *c = ctx;
    add_occ_id(c->w, tok_term(c->w, c->field, t->term, t->len, t->word_id), t->pos);
    if (!(t->flags & TEXT_TOKEN_JOINED))
        c->len++;
    return 0;
}

static int title_tok(void *ctx, const struct text_token *t)
{
    struct membuf *w = ctx;
    if (w->n_tt == w->cap_tt) {
        w->cap_tt = w->cap_tt * 2 + 64;
        w->tt = xrealloc(w->tt, (size_t)w->cap_tt * sizeof *w->tt);
    }
    if (w->tt_str_n + t->len > w->tt_str_cap) {
        w->tt_str_cap = (w->tt_str_n + t->len) * 2 + 1024;
        w->tt_str = xrealloc(w->tt_str, w->tt_str_cap);
    }
    w->tt[w->n_tt].str_off = (uint32_t)w->tt_str_n;
    w->tt[w->n_tt].len = (uint16_t)t->len;
    w->tt[w->n_tt].pos = t->pos;
    w->tt[w->n_tt].flags = t->flags;
    w->tt[w->n_tt].word_id = t->word_id;
    w->n_tt++;
    memcpy(w->tt_str + w->tt_str_n, t->term, t->len);
    w->tt_str_n += t->len;
    return 0;
}

int index_cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int term_order(const struct wterm *a, const struct wterm *b, const char *str)
{
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(str + a->str_off, str + b->str_off, m);
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* In-place merge sort of term ids (qsort has no context argument in C11). */
static void sort_terms(uint32_t *ids, uint32_t n, const struct wterm *terms, const char *str)
{
    uint32_t *tmp = xmalloc((size_t)n * sizeof *tmp + 4);
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = term_order(&terms[ids[b]], &terms[ids[a]], str) < 0 ? ids[b++] : ids[a++];
            while (a < mid)
                tmp[k++] = ids[a++];
            while (b < hi)
                tmp[k++] = ids[b++];
        }
        memcpy(ids, tmp, (size_t)n * sizeof *ids);
    }
    free(tmp);
}

static int dec_varint(const uint8_t **pp, uint32_t *v)
{
    const uint8_t *p = *pp;
    uint32_t x = 0;
    int shift = 0;
    while (*p & 0x80) {
        x |= (uint32_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    x |= (uint32_t)*p++ << shift;
    *v = x;
    *pp = p;
    return 0;
}

int index_membuf_flush(struct membuf *w, struct membuf_seg *out)
{
    memset(out, 0, sizeof *out);
    if (w->n_docs == 0)
        return 0;
    uint32_t n = w->n_docs;
    /* Category dictionary: the category terms used, sorted. */
    uint32_t *cat_terms = xmalloc(((size_t)w->n_terms + 1) * sizeof *cat_terms);
    uint32_t nc = 0;
    for (uint32_t i = 0; i < w->n_terms; i++)
        if (w->terms[i].field == INDEX_FIELD_CATEGORY)
            cat_terms[nc++] = i;
    sort_terms(cat_terms, nc, w->terms, w->str);
    char **cats = xcalloc((size_t)nc + 1, sizeof *cats);
    uint32_t *remap = xcalloc((size_t)w->n_terms + 1, sizeof *remap);
    for (uint32_t i = 0; i < nc; i++) {
        const struct wterm *x = &w->terms[cat_terms[i]];
        cats[i] = xstrndup(w->str + x->str_off, x->len);
        remap[cat_terms[i]] = i;
    }
    uint16_t *cat_ids = xmalloc((w->n_cat_ids + 1) * sizeof *cat_ids);
    for (size_t i = 0; i < w->n_cat_ids; i++)
        cat_ids[i] = (uint16_t)remap[w->cat_ids[i]];
    struct seg_docvals dv;
    memset(&dv, 0, sizeof dv);
    dv.n_docs = n;
    dv.rowid = w->rowid;
    dv.date = w->date;
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        dv.len[f] = w->len[f];
    dv.cat_off = w->cat_off;
    dv.cat_ids = cat_ids;
    dv.n_cats = nc;
    dv.cats = (const char *const *)cats;
    memcpy(dv.total_len, w->total_len, sizeof dv.total_len);
    dv.title_repeat = (uint32_t)w->title_repeat;
    dv.stem = w->stem;
    dv.stop = w->stop;
    char name[64];
    struct seg_out *o = NULL;
    int rc = nc > 65535 ? ERR_TOO_LARGE : index_seg_create(w->ix, &dv, name, sizeof name, &o);
    uint32_t *ids = NULL;
    uint32_t *pos = NULL;
    uint32_t pos_cap = 0;
    if (rc == 0) {
        ids = xmalloc(((size_t)w->n_terms + 1) * sizeof *ids);
        for (uint32_t i = 0; i < w->n_terms; i++)
            ids[i] = i;
        sort_terms(ids, w->n_terms, w->terms, w->str);
        for (uint32_t i = 0; i < w->n_terms && rc == 0; i++) {
            const struct wterm *x = &w->terms[ids[i]];
            rc = index_seg_out_term(o, x->field, w->str + x->str_off, x->len);
            const uint8_t *p = x->p, *e = x->p + x->n;
            uint32_t doc = 0;
            int first = 1;
            while (rc == 0 && p < e) {
                uint32_t gap, tf;
                dec_varint(&p, &gap);
                dec_varint(&p, &tf);
                doc = first ? gap : doc + gap + 1;
                first = 0;
                int hp = seg_field_has_pos(x->field);
                if (hp) {
                    if (tf > pos_cap) {
                        pos_cap = tf * 2;
                        pos = xrealloc(pos, (size_t)pos_cap * sizeof *pos);
                    }
                    uint32_t prev = 0;
                    for (uint32_t k = 0; k < tf; k++) {
                        uint32_t g;
                        dec_varint(&p, &g);
                        prev += g;
                        pos[k] = prev;
                    }
                }
                rc = index_seg_out_post(o, doc, tf, hp ? pos : NULL);
            }
        }
        if (rc == 0)
            rc = index_seg_out_finish(o);
        else
            index_seg_out_abort(o);
    }
    free(ids);
    free(pos);
    for (uint32_t i = 0; i < nc; i++)
        free(cats[i]);
    free(cats);
    free(cat_terms);
    free(remap);
    free(cat_ids);
    if (rc == 0) {
        snprintf(out->name, sizeof out->name, "%s", name);
        out->n_docs = n;
        out->rowid = xmalloc((size_t)n * sizeof *out->rowid);
        out->seq = xmalloc((size_t)n * sizeof *out->seq);
        memcpy(out->rowid, w->rowid, (size_t)n * sizeof *out->rowid);
        memcpy(out->seq, w->seq, (size_t)n * sizeof *out->seq);
    }
    mb_reset(w);
    return rc;
}

static void add_categories(struct membuf *w, const char *cats)
{
    uint32_t start = (uint32_t)w->n_cat_ids;
    const char *p = cats;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
            p++;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ',')
            p++;
        size_t len = (size_t)(p - s);
        if (len == 0 || len > SEG_MAX_CAT_LEN)
            continue;
        char lc[SEG_MAX_CAT_LEN + 1];
        for (size_t i = 0; i < len; i++)
            lc[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        uint32_t id = term_id(w, INDEX_FIELD_CATEGORY, lc, len);
        int dup = 0;
        for (size_t i = start; i < w->n_cat_ids; i++)
            if (w->cat_ids[i] == id)
                dup = 1;
        if (dup || w->n_cat_ids - start >= SEG_MAX_CATS_PER_DOC)
            continue;
        if (w->n_cat_ids == w->cap_cat_ids) {
            w->cap_cat_ids = w->cap_cat_ids * 2 + 1024;
            w->cat_ids = xrealloc(w->cat_ids, w->cap_cat_ids * sizeof *w->cat_ids);
        }
        w->cat_ids[w->n_cat_ids++] = id;
        add_occ(w, INDEX_FIELD_CATEGORY, lc, len, 0);
    }
}

int index_membuf_add(struct membuf *w, const struct index_doc *d, uint64_t seq,
                     struct membuf_seg *flushed)
{
    memset(flushed, 0, sizeof *flushed);
    if (w->n_docs == w->cap_docs) {
        w->cap_docs = w->cap_docs * 2 + 1024;
        w->rowid = xrealloc(w->rowid, (size_t)w->cap_docs * sizeof *w->rowid);
        w->seq = xrealloc(w->seq, (size_t)w->cap_docs * sizeof *w->seq);
        w->date = xrealloc(w->date, (size_t)w->cap_docs * sizeof *w->date);
        for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
            w->len[f] = xrealloc(w->len[f], (size_t)w->cap_docs * sizeof *w->len[f]);
        w->cat_off = xrealloc(w->cat_off, ((size_t)w->cap_docs + 1) * sizeof *w->cat_off);
    }
    uint32_t doc = w->n_docs;
    w->doc = doc;
    w->rowid[doc] = d->rowid;
    w->seq[doc] = seq;
    w->date[doc] = d->date;

    /* Title: analyzed once, used for TITLE and (repeated) BODY. */
    w->n_tt = 0;
    w->tt_str_n = 0;
    uint32_t title_end = 0;
    if (d->title)
        text_analyze(w->an, d->title, strlen(d->title), 0, title_tok, w, &title_end);
    uint32_t title_len = 0;
    for (uint32_t i = 0; i < w->n_tt; i++) {
        uint32_t id = tok_term(w, INDEX_FIELD_TITLE, w->tt_str + w->tt[i].str_off, w->tt[i].len,
                               w->tt[i].word_id);
        add_occ_id(w, id, w->tt[i].pos);
        if (!(w->tt[i].flags & TEXT_TOKEN_JOINED))
            title_len++;
    }
    uint32_t base = 0, body_len = 0;
    for (int r = 0; r < w->title_repeat && d->title; r++) {
        for (uint32_t i = 0; i < w->n_tt; i++)
            add_occ_id(w,
                       tok_term(w, INDEX_FIELD_BODY, w->tt_str + w->tt[i].str_off, w->tt[i].len,
                                w->tt[i].word_id),
                       base + w->tt[i].pos);
        body_len += title_len;
        base += title_end + INDEX_POS_GAP;
    }
    struct fctx c = {w, INDEX_FIELD_BODY, 0};
    if (d->abstract)
        text_analyze(w->an, d->abstract, strlen(d->abstract), base, field_tok, &c, NULL);
    body_len += c.len;
    struct fctx ca = {w, INDEX_FIELD_AUTHORS, 0};
    if (d->authors)
        text_analyze(w->an, d->authors, strlen(d->authors), 0, field_tok, &ca, NULL);
    w->cat_off[doc] = (uint32_t)w->n_cat_ids;
    add_categories(w, d->categories);
    w->cat_off[doc + 1] = (uint32_t)w->n_cat_ids;
    w->len[INDEX_FIELD_BODY][doc] = body_len;
    w->len[INDEX_FIELD_TITLE][doc] = title_len;
    w->len[INDEX_FIELD_AUTHORS][doc] = ca.len;
    w->total_len[INDEX_FIELD_BODY] += body_len;
    w->total_len[INDEX_FIELD_TITLE] += title_len;
    w->total_len[INDEX_FIELD_AUTHORS] += ca.len;
    w->total_len[INDEX_FIELD_CATEGORY] += w->cat_off[doc + 1] - w->cat_off[doc];
    end_doc(w);
    w->n_docs++;
    if (w->n_docs >= w->flush_docs)
        return index_membuf_flush(w, flushed);
    return 0;
}

struct membuf *index_membuf_new(struct index *ix, const struct index_opts *o, size_t flush_docs)
{
    struct membuf *w = xcalloc(1, sizeof *w);
    if (text_analyzer_new(&o->analyzer, &w->an) != 0) {
        free(w);
        return NULL;
    }
    w->ix = ix;
    w->wmap_epoch = text_analyzer_epoch(w->an);
    w->title_repeat = o->title_repeat;
    w->stem = (uint32_t)o->analyzer.stem;
    w->stop = (uint32_t)o->analyzer.stop;
    w->flush_docs = flush_docs ? flush_docs : 1;
    w->table_mask = (1u << 16) - 1;
    w->table = xcalloc((size_t)w->table_mask + 1, sizeof *w->table);
    w->cat_off = xmalloc(sizeof *w->cat_off);
    w->cat_off[0] = 0;
    return w;
}

void index_membuf_free(struct membuf *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->n_terms; i++)
        free(w->terms[i].p);
    free(w->terms);
    free(w->table);
    free(w->str);
    free(w->rowid);
    free(w->seq);
    free(w->date);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++) {
        free(w->len[f]);
        free(w->wmap[f]);
    }
    free(w->cat_off);
    free(w->cat_ids);
    free(w->touched);
    free(w->toks);
    free(w->tt);
    free(w->tt_str);
    text_analyzer_free(w->an);
    free(w);
}

uint32_t index_membuf_docs(const struct membuf *w)
{
    return w->n_docs;
}

