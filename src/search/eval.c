/*
 * eval.c - trec_eval-compatible metrics and the qrels table (see eval.h).
 *
 * Judgment lookup: a query has few judgments (SciFact: 1-5), so the metric
 * functions scan them linearly per hit until a query has more than
 * LINEAR_MAX; then they sort a copy by doc id and bsearch.
 *
 * The qrels table keeps every judgment in one array; finish() sorts it by
 * (query id, doc id, insertion order), drops repeats but the last, and
 * builds a sorted index of query ranges for bsearch by query id.
 */
#include "search/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

#define LINEAR_MAX 32

/* ------------------------------------------------------------------------ */
/* Metrics                                                                   */
/* ------------------------------------------------------------------------ */

static int hit_cmp(const void *a, const void *b)
{
    const struct eval_hit *x = a, *y = b;
    if (x->score > y->score)
        return -1;
    if (x->score < y->score)
        return 1;
    return strcmp(y->doc_id, x->doc_id); /* doc id descending */
}

void eval_sort_hits(struct eval_hit *hits, size_t n)
{
    if (n > 1)
        qsort(hits, n, sizeof *hits, hit_cmp);
}

static int judg_cmp(const void *a, const void *b)
{
    const struct eval_judgment *x = a, *y = b;
    return strcmp(x->doc_id, y->doc_id);
}

/* Grade lookup over the judgments of one query. */
struct grades {
    const struct eval_judgment *j;
    size_t n;
    struct eval_judgment *sorted; /* owned copy when n > LINEAR_MAX */
};

static void grades_init(struct grades *g, const struct eval_judgment *j, size_t n)
{
    g->j = j;
    g->n = n;
    g->sorted = NULL;
    if (n > LINEAR_MAX) {
        g->sorted = xmalloc(n * sizeof *g->sorted);
        memcpy(g->sorted, j, n * sizeof *j);
        qsort(g->sorted, n, sizeof *g->sorted, judg_cmp);
        g->j = g->sorted;
    }
}

static void grades_cleanup(struct grades *g)
{
    free(g->sorted);
}

/* The grade of doc_id (0 when unjudged). */
static int grade_of(const struct grades *g, const char *doc_id)
{
    if (g->sorted) {
        struct eval_judgment key = {doc_id, 0};
        const struct eval_judgment *f = bsearch(&key, g->j, g->n, sizeof key, judg_cmp);
        return f ? f->grade : 0;
    }
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->j[i].doc_id, doc_id) == 0)
            return g->j[i].grade;
    return 0;
}

static int int_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

double eval_ndcg(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
                 size_t k)
{
    struct grades g;
    grades_init(&g, j, n_j);
    double dcg = 0;
    for (size_t i = 0; i < n && i < k; i++) {
        int gr = grade_of(&g, hits[i].doc_id);
        if (gr > 0)
            dcg += gr / log2((double)i + 2.0);
    }
    grades_cleanup(&g);
    int *ideal = xmalloc((n_j ? n_j : 1) * sizeof *ideal);
    size_t m = 0;
    for (size_t i = 0; i < n_j; i++)
        if (j[i].grade > 0)
            ideal[m++] = j[i].grade;
    qsort(ideal, m, sizeof *ideal, int_desc);
    double idcg = 0;
    for (size_t i = 0; i < m && i < k; i++)
        idcg += ideal[i] / log2((double)i + 2.0);
    free(ideal);
    return idcg > 0 ? dcg / idcg : 0.0;
}

double eval_recall(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
                   size_t k)
{
    size_t rel = 0;
    for (size_t i = 0; i < n_j; i++)
        rel += j[i].grade > 0;
    if (rel == 0)
        return 0.0;
    struct grades g;
    grades_init(&g, j, n_j);
    size_t found = 0;
    for (size_t i = 0; i < n && i < k; i++)
        found += grade_of(&g, hits[i].doc_id) > 0;
    grades_cleanup(&g);
    return (double)found / (double)rel;
}

double eval_rr(const struct eval_judgment *j, size_t n_j, const struct eval_hit *hits, size_t n,
               size_t k)
{
    struct grades g;
    grades_init(&g, j, n_j);
    double rr = 0.0;
    for (size_t i = 0; i < n && i < k; i++)
        if (grade_of(&g, hits[i].doc_id) > 0) {
            rr = 1.0 / (double)(i + 1);
            break;
        }
    grades_cleanup(&g);
    return rr;
}

void eval_query(const struct eval_judgment *j, size_t n_j, struct eval_hit *hits, size_t n,
                struct eval_metrics *out)
{
    eval_sort_hits(hits, n);
    out->ndcg10 = eval_ndcg(j, n_j, hits, n, 10);
    out->recall100 = eval_recall(j, n_j, hits, n, 100);
    out->mrr10 = eval_rr(j, n_j, hits, n, 10);
}

/* ------------------------------------------------------------------------ */
/* Qrels                                                                     */
/* ------------------------------------------------------------------------ */

struct qrel_row {
    char *query_id;
    struct eval_judgment j; /* doc_id owned */
    size_t seq;             /* insertion order, to keep the last repeat */
};

struct query_range {
    const char *query_id;
    size_t first, n; /* into judg[] */
};

struct eval_qrels {
    struct qrel_row *rows;
    size_t n_rows, cap_rows;
    struct eval_judgment *judg; /* n_rows after finish, grouped by query */
    struct query_range *queries;
    size_t n_queries;
    int finished;
};

struct eval_qrels *eval_qrels_new(void)
{
    return xcalloc(1, sizeof(struct eval_qrels));
}

void eval_qrels_free(struct eval_qrels *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n_rows; i++) {
        free(q->rows[i].query_id);
        free((char *)q->rows[i].j.doc_id);
    }
    free(q->rows);
    free(q->judg);
    free(q->queries);
    free(q);
}

void eval_qrels_add(struct eval_qrels *q, const char *query_id, const char *doc_id, int grade)
{
    if (q->n_rows == q->cap_rows) {
        q->cap_rows = q->cap_rows ? 2 * q->cap_rows : 256;
        q->rows = xrealloc(q->rows, q->cap_rows * sizeof *q->rows);
    }
    struct qrel_row *r = &q->rows[q->n_rows];
    r->query_id = xstrdup(query_id);
    r->j.doc_id = xstrdup(doc_id);
    r->j.grade = grade;
    r->seq = q->n_rows;
    q->n_rows++;
}

static int row_cmp(const void *a, const void *b)
{
    const struct qrel_row *x = a, *y = b;
    int c = strcmp(x->query_id, y->query_id);
    if (c == 0)
        c = strcmp(x->j.doc_id, y->j.doc_id);
    if (c == 0)
        c = (x->seq > y->seq) - (x->seq < y->seq);
    return c;
}

void eval_qrels_finish(struct eval_qrels *q)
{
    if (q->finished)
        return;
    q->finished = 1;
    if (q->n_rows > 1)
        qsort(q->rows, q->n_rows, sizeof *q->rows, row_cmp);
    q->judg = xmalloc((q->n_rows ? q->n_rows : 1) * sizeof *q->judg);
    q->queries = xmalloc((q->n_rows ? q->n_rows : 1) * sizeof *q->queries);
    size_t m = 0;
    for (size_t i = 0; i < q->n_rows; i++) {
        const struct qrel_row *r = &q->rows[i];
        /* A repeat of (query, doc): the later row (next) wins. */
        if (i + 1 < q->n_rows && strcmp(r->query_id, q->rows[i + 1].query_id) == 0 &&
            strcmp(r->j.doc_id, q->rows[i + 1].j.doc_id) == 0)
            continue;
        if (q->n_queries == 0 ||
            strcmp(q->queries[q->n_queries - 1].query_id, r->query_id) != 0) {
            q->queries[q->n_queries].query_id = r->query_id;
            q->queries[q->n_queries].first = m;
            q->queries[q->n_queries].n = 0;
            q->n_queries++;
        }
        q->judg[m++] = r->j;
        q->queries[q->n_queries - 1].n++;
    }
}

size_t eval_qrels_n_queries(const struct eval_qrels *q)
{
    return q->n_queries;
}

static int range_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct query_range *)elem)->query_id);
}

int eval_qrels_find(const struct eval_qrels *q, const char *query_id,
                    const struct eval_judgment **j, size_t *n)
{
    if (!q->finished || q->n_queries == 0)
        return ERR_NOT_FOUND;
    const struct query_range *r =
        bsearch(query_id, q->queries, q->n_queries, sizeof *q->queries, range_cmp);
    if (!r)
        return ERR_NOT_FOUND;
    *j = q->judg + r->first;
    *n = r->n;
    return 0;
}
