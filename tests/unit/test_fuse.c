/*
 * test_fuse.c - search/fuse.c: the convex combination and reciprocal-rank
 * fusion of a BM25 list and a dense list, checked against sums worked out
 * by hand, plus the edge cases (empty lists, one list, ties, negative
 * cosines, zero BM25 scores).
 */
#include <math.h>

#include "../../src/search/fuse.c"
#include "ok.h"

static int near(double a, double b)
{
    return fabs(a - b) < 1e-12;
}

int main(void)
{
    struct fuse_opts o;
    fuse_opts_default(&o);
    ok(o.method == FUSE_CC && near(o.alpha, 0.25) && near(o.rrf_k, 60.0), "defaults: cc, 0.25, 60");
    enum fuse_method m;
    ok(fuse_method_parse("rrf", &m) == 0 && m == FUSE_RRF, "parse rrf");
    ok(fuse_method_parse("cc", &m) == 0 && m == FUSE_CC, "parse cc");
    ok(fuse_method_parse("RRF", &m) == ERR_INVALID, "parse refuses other names");

    const struct fuse_in lex[] = {{1, 10.0}, {2, 5.0}};
    const struct fuse_in dense[] = {{2, 0.5}, {3, 0.2}};
    struct fused f[8];

    /* cc, alpha 0.25: d1 = .25*10/10; d2 = .25*5/10 + .75*(1.5/1.5);
     * d3 = .75*(1.2/1.5) */
    size_t n = fuse_lists(&o, lex, 2, dense, 2, f);
    ok_eq_int(n, 3, "cc: each rowid once");
    ok(f[0].rowid == 2 && near(f[0].score, 0.875), "cc: found by both first (0.875)");
    ok(f[1].rowid == 3 && near(f[1].score, 0.6), "cc: dense-only second (0.6)");
    ok(f[2].rowid == 1 && near(f[2].score, 0.25), "cc: lexical-only third (0.25)");
    ok(f[0].lex == 1 && f[0].dense == 0 && f[1].lex == -1 && f[1].dense == 1 &&
           f[2].lex == 0 && f[2].dense == -1,
       "cc: positions in each list kept");

    o.alpha = 1.0;
    n = fuse_lists(&o, lex, 2, dense, 2, f);
    ok(n == 3 && f[0].rowid == 1 && f[1].rowid == 2 && near(f[2].score, 0.0),
       "cc alpha 1: the BM25 order, dense-only last");

    fuse_opts_default(&o);
    o.method = FUSE_RRF;
    n = fuse_lists(&o, lex, 2, dense, 2, f);
    ok(n == 3 && f[0].rowid == 2 && near(f[0].score, 1.0 / 62 + 1.0 / 61),
       "rrf: 1/(60+2) + 1/(60+1) first");
    ok(f[1].rowid == 1 && near(f[1].score, 1.0 / 61) && f[2].rowid == 3 &&
           near(f[2].score, 1.0 / 62),
       "rrf: then rank 1 of one list, then rank 2");

    /* ties: rowid ascending */
    const struct fuse_in a[] = {{9, 1.0}}, b[] = {{4, 1.0}};
    n = fuse_lists(&o, a, 1, b, 1, f);
    ok(n == 2 && f[0].rowid == 4 && f[1].rowid == 9, "rrf tie: rowid ascending");

    /* one list empty, both empty */
    fuse_opts_default(&o);
    n = fuse_lists(&o, NULL, 0, dense, 2, f);
    ok(n == 2 && f[0].rowid == 2 && near(f[0].score, 0.75) && near(f[1].score, 0.75 * 1.2 / 1.5),
       "cc dense only: normalised cosines");
    n = fuse_lists(&o, lex, 2, NULL, 0, f);
    ok(n == 2 && f[0].rowid == 1 && near(f[1].score, 0.125), "cc lexical only");
    ok_eq_int(fuse_lists(&o, NULL, 0, NULL, 0, f), 0, "nothing in, nothing out");

    /* negative cosines stay above the theoretical minimum; zero BM25 */
    const struct fuse_in neg[] = {{5, -0.2}, {6, -0.6}};
    const struct fuse_in zero[] = {{7, 0.0}};
    n = fuse_lists(&o, zero, 1, neg, 2, f);
    ok(n == 3 && f[0].rowid == 5 && near(f[0].score, 0.75) &&
           near(f[1].score, 0.75 * 0.4 / 0.8) && f[2].rowid == 7 && near(f[2].score, 0.0),
       "cc: negative cosines (c+1)/(max+1); BM25 all zero adds nothing");
    return ok_done();
}
