/*
 * fuse.h - one ranking out of a BM25 list and a dense (vector) list: the
 * fusion step of hybrid search, shared by the product (hybrid.c) and
 * `paperboy eval`, so that eval measures what users get.
 *
 * Default: a convex combination of the two scores, each normalised by its
 * theoretical minimum and the list's maximum (Bruch, Gai and Ingber 2023,
 * "An Analysis of Fusion Functions for Hybrid Retrieval", TM2C2):
 *
 *   score(d) = a * bm25(d) / max bm25  +  (1 - a) * (cos(d) + 1) / (max cos + 1)
 *
 * BM25's minimum is 0 and the cosine's -1; a document missing from a list
 * gets that list's minimum (0 after normalisation). a = FUSE_ALPHA (0.25)
 * was chosen by 5-fold cross-validation on the SciFact train queries: the
 * same a won every fold, three seeds, and scored 0.7332 nDCG@10 out of fold
 * against 0.7148 for reciprocal-rank fusion (k = 60) on the same top-100
 * lists (bench/fusion/study.py, bench/RESULTS.md "Fusion").
 *
 * Reciprocal-rank fusion (Cormack et al. 2009), score(d) = sum over lists
 * of w / (k + rank), ranks from 1, stays selectable as the baseline.
 */
#ifndef PAPERBOY_SEARCH_FUSE_H
#define PAPERBOY_SEARCH_FUSE_H

#include <stddef.h>
#include <stdint.h>

#define FUSE_ALPHA 0.25
#define FUSE_RRF_K 60.0
/* How deep each list is read before fusing (the product's depth). */
#define FUSE_DEPTH 100

enum fuse_method { FUSE_CC = 0, FUSE_RRF };

struct fuse_opts {
    enum fuse_method method;
    double alpha; /* FUSE_CC: BM25's weight, 0..1 */
    double rrf_k; /* FUSE_RRF: the rank constant, >= 0 */
};

/* Writes the product's defaults (FUSE_CC, FUSE_ALPHA, FUSE_RRF_K). */
void fuse_opts_default(struct fuse_opts *o /* OUT */);

/* Reads "cc" or "rrf" into *m; ERR_INVALID for anything else. */
int fuse_method_parse(const char *s, enum fuse_method *m /* OUT */);

/* One ranked input: a paper and its score in that list. */
struct fuse_in {
    int64_t rowid;
    double score;
};

/* One fused document: its score and where it stood in each list (index
 * into that input, -1 when absent). */
struct fused {
    int64_t rowid;
    double score;
    long lex, dense;
};

/* Fuses lex[0..nl) and dense[0..nd) (each best first, rowids unique
 * within a list) into out (room for nl + nd), sorted by fused score desc,
 * then rowid asc; returns how many (each rowid once). */
size_t fuse_lists(const struct fuse_opts *o, const struct fuse_in *lex, size_t nl,
                  const struct fuse_in *dense, size_t nd, struct fused *out /* OUT */);

#endif
