/*
 * eval.h - retrieval metrics as trec_eval computes them, and a qrels table.
 *
 * Per query, given its judgments (doc id, grade) and a run's hits (doc id,
 * score):
 *
 *   order       hits are ranked as trec_eval ranks them: score descending,
 *               ties by doc id descending (strcmp), whatever order the run
 *               listed them in (eval_sort_hits)
 *   nDCG@k      DCG@k / IDCG@k with DCG@k = sum over ranks i = 1..k of
 *               gain(d_i) / log2(i + 1), gain = the judged grade when > 0,
 *               else 0 (unjudged = 0); IDCG@k = the same sum over all judged
 *               grades > 0 sorted descending; 0 when IDCG is 0 (trec_eval
 *               ndcg_cut with its default gains)
 *   recall@k    relevant (grade > 0) docs in the top k / relevant docs
 *               judged; 0 when none is judged relevant
 *   RR@k        1 / rank of the first relevant doc within the top k, else 0
 *               (trec_eval recip_rank with the run cut at k)
 *
 * Means are plain averages over the queries evaluated. A run must not list
 * a doc id twice for one query (trec_eval refuses that; paperboy's runs
 * never do); a repeat would be counted at each rank.
 */
#ifndef PAPERBOY_SEARCH_EVAL_H
#define PAPERBOY_SEARCH_EVAL_H

#include <stddef.h>

struct eval_judgment {
    const char *doc_id;
    int grade;
};

struct eval_hit {
    const char *doc_id; /* borrowed */
    double score;
};

struct eval_metrics {
    double ndcg10, recall100, mrr10;
};

/* Sorts hits in trec_eval's order (score desc, doc id desc). */
void eval_sort_hits(struct eval_hit *hits, size_t n);

/* The metrics of one query over hits already in eval_sort_hits() order,
 * with cutoff k. j: the query's n_j judgments (any order). */
double eval_ndcg(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
                 size_t k);
double eval_recall(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
                   size_t k);
double eval_rr(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
               size_t k);

/* Sorts hits (in place) and computes nDCG@10, recall@100 and RR@10 into
 * *out. */
void eval_query(const struct eval_judgment *j, size_t n_j, struct eval_hit *hits, size_t n,
                struct eval_metrics *out /* OUT */);

/* ------------------------------------------------------------------ */
/* Qrels: judgments grouped by query                                   */

struct eval_qrels;

/* Creates an empty table; free with eval_qrels_free(). */
struct eval_qrels *eval_qrels_new(void);
void eval_qrels_free(struct eval_qrels *q);

/* Adds a judgment (strings copied). A repeated (query, doc) pair keeps the
 * last grade added. Not allowed after eval_qrels_finish(). */
void eval_qrels_add(struct eval_qrels *q, const char *query_id, const char *doc_id, int grade);

/* Groups the judgments by query; call once, after the last add. */
void eval_qrels_finish(struct eval_qrels *q);

/* The number of queries with at least one judgment. */
size_t eval_qrels_n_queries(const struct eval_qrels *q);

/* The judgments of query_id: *j points into the table (valid until it is
 * freed), *n their count. ERR_NOT_FOUND when the query has none. */
int eval_qrels_find(const struct eval_qrels *q, const char *query_id,
                    const struct eval_judgment **j /* OUT */, size_t *n /* OUT */);

#endif
