/* test_eval.c - trec_eval-compatible metrics on hand-computed cases, and the qrels table. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ok.h"
#include "search/eval.h"
#include "util/err.h"

#define near(a, b) (fabs((a) - (b)) < 1e-9)

static void test_ties_and_metrics(void)
{
    /* d1:2 d2:1 d3:0 d9:1 (d9 never retrieved). */
    struct eval_judgment j[] = {{"d1", 2}, {"d2", 1}, {"d3", 0}, {"d9", 1}};
    struct eval_hit h[] = {{"d1", 4.0}, {"d2", 4.0}, {"d3", 5.0}, {"dX", 4.0}};
    eval_sort_hits(h, 4);
    /* score desc, then doc id desc: d3, dX, d2, d1 */
    ok_eq_str(h[0].doc_id, "d3", "rank 1 by score");
    ok_eq_str(h[1].doc_id, "dX", "tie: doc id descending (X > 2)");
    ok_eq_str(h[2].doc_id, "d2", "tie: d2 before d1");
    ok_eq_str(h[3].doc_id, "d1", "tie: d1 last");
    /* DCG = 1/log2(4) + 2/log2(5); IDCG = 2 + 1/log2(3) + 1/log2(4). */
    double ndcg = eval_ndcg(j, 4, h, 4, 10);
    ok(near(ndcg, 0.4348079399079101), "ndcg@10 hand-computed");
    ok(near(eval_ndcg(j, 4, h, 4, 2), 0.0), "ndcg@2: nothing relevant in the top 2");
    /* IDCG@3 = 2 + 1/log2(3) + 1/log2(4); DCG@3 = 1/log2(4) */
    ok(near(eval_ndcg(j, 4, h, 4, 3), 0.5 / (2 + 1 / log2(3.0) + 0.5)), "ndcg@3");
    ok(near(eval_recall(j, 4, h, 4, 100), 2.0 / 3.0), "recall@100 = 2/3");
    ok(near(eval_recall(j, 4, h, 4, 3), 1.0 / 3.0), "recall@3 = 1/3");
    ok(near(eval_rr(j, 4, h, 4, 10), 1.0 / 3.0), "rr@10 = 1/3");
    ok(near(eval_rr(j, 4, h, 4, 2), 0.0), "rr@2 = 0");

    struct eval_hit h2[] = {{"d1", 4.0}, {"d2", 4.0}, {"d3", 5.0}, {"dX", 4.0}};
    struct eval_metrics m;
    eval_query(j, 4, h2, 4, &m);
    ok(near(m.ndcg10, ndcg) && near(m.recall100, 2.0 / 3.0) && near(m.mrr10, 1.0 / 3.0),
       "eval_query sorts and computes all three");
}

static void test_edges(void)
{
    struct eval_judgment none[] = {{"a", 0}, {"b", 0}};
    struct eval_hit h[] = {{"a", 1.0}, {"b", 0.5}};
    struct eval_metrics m;
    eval_query(none, 2, h, 2, &m);
    ok(m.ndcg10 == 0 && m.recall100 == 0 && m.mrr10 == 0, "no relevant judgment: all 0");

    struct eval_judgment one[] = {{"a", 1}};
    eval_query(one, 1, NULL, 0, &m);
    ok(m.ndcg10 == 0 && m.recall100 == 0 && m.mrr10 == 0, "empty run: all 0");

    struct eval_hit p[] = {{"a", 1.0}};
    eval_query(one, 1, p, 1, &m);
    ok(near(m.ndcg10, 1) && near(m.recall100, 1) && near(m.mrr10, 1), "perfect run: all 1");

    /* Relevant doc at rank 11: outside nDCG@10 and RR@10, inside recall@100. */
    struct eval_hit r[11];
    char names[11][8];
    for (int i = 0; i < 11; i++) {
        snprintf(names[i], sizeof names[i], "x%02d", i);
        r[i].doc_id = names[i];
        r[i].score = 100 - i;
    }
    struct eval_judgment last[] = {{"x10", 3}};
    eval_query(last, 1, r, 11, &m);
    ok(m.ndcg10 == 0 && near(m.recall100, 1) && m.mrr10 == 0, "rank 11 counts for recall only");

    /* Graded gains: grades 3 and 1 swapped against the ideal. */
    struct eval_judgment gj[] = {{"a", 3}, {"b", 1}};
    struct eval_hit gh[] = {{"b", 2}, {"a", 1}};
    eval_query(gj, 2, gh, 2, &m);
    ok(near(m.ndcg10, (1 + 3 / log2(3.0)) / (3 + 1 / log2(3.0))), "graded gains, not binary");

    /* Negative grades count as 0. */
    struct eval_judgment neg[] = {{"a", -1}, {"b", 1}};
    struct eval_hit nh[] = {{"a", 2}, {"b", 1}};
    eval_query(neg, 2, nh, 2, &m);
    ok(near(m.ndcg10, (1 / log2(3.0)) / 1.0) && near(m.mrr10, 0.5), "negative grade is 0");
}

static void test_many_judgments(void)
{
    /* More judgments than the linear-scan limit: the bsearch path. */
    enum { N = 100 };
    struct eval_judgment j[N];
    struct eval_hit h[N];
    char names[N][8];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "d%03d", i);
        j[i].doc_id = names[i];
        j[i].grade = i % 2; /* odd ones relevant: 50 */
        h[i].doc_id = names[N - 1 - i];
        h[i].score = N - i; /* d099 first */
    }
    struct eval_metrics m;
    eval_query(j, N, h, N, &m);
    ok(near(m.recall100, 1.0), "all 50 relevant found");
    ok(near(m.mrr10, 1.0), "d099 (relevant) first");
    double dcg = 0, idcg = 0;
    for (int i = 0; i < 10; i++) {
        dcg += ((N - 1 - i) % 2) / log2(i + 2.0);
        idcg += 1 / log2(i + 2.0);
    }
    ok(near(m.ndcg10, dcg / idcg), "ndcg@10 over many judgments");
}

static void test_qrels(void)
{
    struct eval_qrels *q = eval_qrels_new();
    eval_qrels_add(q, "q2", "b", 1);
    eval_qrels_add(q, "q1", "a", 1);
    eval_qrels_add(q, "q2", "a", 2);
    eval_qrels_add(q, "q1", "a", 3); /* repeat: last wins */
    eval_qrels_add(q, "q10", "z", 0);
    eval_qrels_finish(q);
    ok_eq_int(eval_qrels_n_queries(q), 3, "three queries");
    const struct eval_judgment *j;
    size_t n;
    ok_eq_int(eval_qrels_find(q, "q1", &j, &n), 0, "q1 found");
    ok_eq_int(n, 1, "q1: repeat collapsed");
    ok_eq_int(j[0].grade, 3, "q1: last grade kept");
    ok_eq_int(eval_qrels_find(q, "q2", &j, &n), 0, "q2 found");
    ok(n == 2 && strcmp(j[0].doc_id, "a") == 0 && j[0].grade == 2 && j[1].grade == 1,
       "q2: both judgments");
    ok_eq_int(eval_qrels_find(q, "q10", &j, &n), 0, "q10 (only non-relevant) found");
    ok_eq_int(eval_qrels_find(q, "q3", &j, &n), ERR_NOT_FOUND, "q3 not found");
    eval_qrels_free(q);
    eval_qrels_free(NULL);

    q = eval_qrels_new();
    eval_qrels_finish(q);
    ok_eq_int(eval_qrels_n_queries(q), 0, "empty table");
    ok_eq_int(eval_qrels_find(q, "x", &j, &n), ERR_NOT_FOUND, "empty: not found");
    eval_qrels_free(q);
}

int main(void)
{
    test_ties_and_metrics();
    test_edges();
    test_many_judgments();
    test_qrels();
    return ok_done();
}
