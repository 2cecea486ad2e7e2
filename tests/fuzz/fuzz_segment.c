/*
 * fuzz_segment.c - libFuzzer target for the segment loader: the input is
 * taken as a segment file. When its last byte is even the section and
 * header CRCs are recomputed first, so that mutations reach the structure
 * checks behind them; a segment that opens is then read in full (every
 * term's postings and positions) and searched (block-max and exhaustive,
 * which must agree whenever the impact bounds really bound the postings:
 * a mutated doc length or pair can break that, and the CRCs are what
 * rule such files out in practice). Nothing may crash, leak or read out
 * of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index/index.h"
#include "index/index_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void search_some(struct seg *sg, int bounds_ok)
{
    struct index_snapshot snap;
    struct snap_seg ss = {sg, NULL};
    memset(&snap, 0, sizeof snap);
    atomic_init(&snap.refs, 1);
    snap.n = 1;
    snap.segs = &ss;
    snap.n_docs = sg->n_docs;
    for (int f = 0; f < INDEX_N_FIELDS; f++)
        snap.total_len[f] = sg->total_len[f];
    struct index_clause cl[3];
    size_t n = 0;
    for (uint32_t i = 0; i < sg->n_terms && n < 3; i += 1 + sg->n_terms / 3) {
        const struct seg_term *t = &sg->terms[i];
        cl[n++] = (struct index_clause){sg->termstr + t->str_off, t->len, (enum index_field)t->field,
                                        1.0f, INDEX_SHOULD};
    }
    if (n == 0)
        return;
    struct index_query q;
    index_query_init(&q);
    q.clauses = cl;
    q.n_clauses = n;
    struct index_phrase ph;
    memset(&ph, 0, sizeof ph);
    if (cl[0].field != INDEX_FIELD_CATEGORY) {
        ph.field = cl[0].field;
        ph.n = 2;
        ph.terms[0] = ph.terms[1] = cl[0].term;
        ph.lens[0] = ph.lens[1] = cl[0].len;
        ph.pos[1] = 1;
    }
    struct index_hit a[5], b[5];
    size_t na = 0, nb = 0;
    struct index_filter f;
    index_filter_init(&f);
    const char *notcat[1] = {"cs.*"};
    f.not_categories = notcat;
    f.n_not_categories = 1;
    for (int round = 0; round < 3; round++) {
        if (round == 1 && ph.n) {
            q.phrases = &ph;
            q.n_phrases = 1;
        }
        if (round == 2) { /* the phrase and a category pattern as exclusions */
            q.phrases = NULL;
            q.n_phrases = 0;
            q.not_phrases = ph.n ? &ph : NULL;
            q.n_not_phrases = ph.n ? 1 : 0;
            q.filter = &f;
        }
        int r1 = index_search(&snap, &q, 5, a, &na, NULL);
        int r2 = index_search_exhaustive(&snap, &q, 5, b, &nb, NULL);
        if (bounds_ok && r1 == 0 && r2 == 0 && (na != nb || memcmp(a, b, na * sizeof *a) != 0))
            abort(); /* the two paths disagree */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    uint8_t *p = malloc(size + 8);
    memcpy(p, data, size);
    if (size && !(data[size - 1] & 1))
        index_seg_fix_crcs(p, size);
    struct seg *sg = NULL;
    if (index_seg_open_mem(p, size, 1, &sg) == 0) {
        struct pcur *c = malloc(sizeof *c);
        uint32_t pos[64];
        int bounds_ok = 1;
        for (uint32_t i = 0; i < sg->n_terms; i++) {
            const struct seg_term *t = &sg->terms[i];
            pcur_init(c, sg, t);
            for (uint32_t d = pcur_next(c); d != DOC_END; d = pcur_next(c)) {
                if (seg_field_has_pos(t->field))
                    pcur_positions(c, pos, 64);
                uint32_t tf = pcur_tf(c), dl = t->field < SEG_N_LEN_FIELDS ? sg->len[t->field][d] : 0;
                const struct seg_pairs *pr = c->blks ? &c->blks[c->blk].pairs : &t->pairs;
                int dom = 0;
                for (int k = 0; k < SEG_PAIRS; k++)
                    if (pr->tf[k] && (pr->tf[k] >= tf || pr->tf[k] == 65535) && pr->dl[k] <= dl)
                        dom = 1;
                bounds_ok &= dom;
            }
            pcur_init(c, sg, &sg->terms[i]);
            pcur_advance(c, sg->n_docs / 2);
        }
        free(c);
        for (uint32_t r = 0; r < 8 && sg->n_docs; r++)
            index_seg_find(sg, (int64_t)r, NULL);
        search_some(sg, bounds_ok);
        index_seg_unref(sg);
    }
    free(p);
    return 0;
}
