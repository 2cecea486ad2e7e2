/*
 * fuse.c - convex-combination and reciprocal-rank fusion of two ranked
 * lists (see fuse.h for the formulas and why these defaults).
 *
 * The two lists are concatenated, sorted by rowid so that a document found
 * by both sits in two neighbouring entries, merged, and sorted by score:
 * O((nl + nd) log(nl + nd)), no hash table for a few hundred entries.
 */
#include <stdlib.h>
#include <string.h>

#include "search/fuse.h"
#include "util/err.h"
#include "util/mem.h"

void fuse_opts_default(struct fuse_opts *o)
{
    o->method = FUSE_CC;
    o->alpha = FUSE_ALPHA;
    o->rrf_k = FUSE_RRF_K;
}

int fuse_method_parse(const char *s, enum fuse_method *m)
{
    if (strcmp(s, "cc") == 0)
        *m = FUSE_CC;
    else if (strcmp(s, "rrf") == 0)
        *m = FUSE_RRF;
    else
        return ERR_INVALID;
    return 0;
}

static int by_rowid(const void *a, const void *b)
{
    const struct fused *x = a, *y = b;
    return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

static int by_score(const void *a, const void *b)
{
    const struct fused *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* The contribution of entry i of a list whose best score is max. */
static double part(const struct fuse_opts *o, int dense, const struct fuse_in *l, size_t i,
                   double max)
{
    if (o->method == FUSE_RRF)
        return 1.0 / (o->rrf_k + (double)(i + 1));
    if (dense) /* cosine, theoretical minimum -1 */
        return (1.0 - o->alpha) * (max > -1.0 ? (l[i].score + 1.0) / (max + 1.0) : 0.0);
    return o->alpha * (max > 0.0 && l[i].score > 0.0 ? l[i].score / max : 0.0);
}

static double list_max(const struct fuse_in *l, size_t n)
{
    double m = n ? l[0].score : 0.0;
    for (size_t i = 1; i < n; i++)
        if (l[i].score > m)
            m = l[i].score;
    return m;
}

size_t fuse_lists(const struct fuse_opts *o, const struct fuse_in *lex, size_t nl,
                  const struct fuse_in *dense, size_t nd, struct fused *out)
{
    double ml = list_max(lex, nl), md = list_max(dense, nd);
    size_t n = 0;
    for (size_t i = 0; i < nl; i++)
        out[n++] = (struct fused){lex[i].rowid, part(o, 0, lex, i, ml), (long)i, -1};
    for (size_t i = 0; i < nd; i++)
        out[n++] = (struct fused){dense[i].rowid, part(o, 1, dense, i, md), -1, (long)i};
    qsort(out, n, sizeof *out, by_rowid);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && out[m - 1].rowid == out[i].rowid) {
            out[m - 1].score += out[i].score;
            if (out[i].lex >= 0)
                out[m - 1].lex = out[i].lex;
            if (out[i].dense >= 0)
                out[m - 1].dense = out[i].dense;
        } else {
            out[m++] = out[i];
        }
    }
    qsort(out, m, sizeof *out, by_score);
    return m;
}
