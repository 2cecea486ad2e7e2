/*
 * cmd_eval.c - `paperboy eval`: retrieval quality on a BEIR dataset.
 *
 *   paperboy eval --beir DIR [--split test] [--mode bm25] [--k 1000]
 *                 [--run FILE] [--queries FILE] [tuning options]
 *
 * Reads DIR/corpus.jsonl, the queries (--queries FILE, else
 * DIR/queries.jsonl, else DIR/queries-<split>.jsonl) and
 * DIR/qrels/<split>.tsv; indexes the corpus (title + text) in a temporary
 * directory (removed at the end, also on failure); runs every query that
 * has judgments as a plain bag of words (no query syntax) for the top k;
 * scores each with search/eval.h (trec_eval's nDCG@10 with graded gains,
 * recall@100, RR@10, ties ranked by score desc then doc id desc); and prints
 * as its last line exactly
 *
 *   ndcg@10=0.XXXX recall@100=0.XXXX mrr@10=0.XXXX queries=N
 *
 * Documents get rowids 0..N-1 in corpus order; the run file (--run) lists
 * "qid Q0 docid rank score paperboy" in the index's order (score desc,
 * rowid asc), scores printed with 9 significant digits so that a float
 * read back ranks exactly as here.
 *
 * Tuning options (defaults are the product's: search_opts_default() and
 * index_opts_default()): --k1, --b, --title-weight, --title-repeat,
 * --stem, --stop.
 *
 * --mode dense: each document (title + " " + text) is embedded with the
 * all-MiniLM-L6-v2 encoder (embed/encoder.h; --models DIR, default
 * data/models) into a vector store (--vectors DIR keeps it between runs and
 * re-embeds only documents whose text changed; without it, a temporary one),
 * each query text is embedded alone, and the top k are the exact cosine
 * nearest neighbours. --mode hybrid: the product's fusion (search/fuse.h)
 * of the BM25 and dense top --depth lists (default FUSE_DEPTH, the
 * product's): by default the convex combination of normalised scores with
 * --alpha 0.25; --fusion rrf gives reciprocal-rank fusion with --rrf-k 60.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "cli/cli.h"
#include "embed/embed_batch.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "index/index.h"
#include "ingest/beir.h"
#include "search/eval.h"
#include "search/fuse.h"
#include "search/search.h"
#include "text/analyzer.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"beir", "DIR", "BEIR dataset folder (corpus.jsonl, queries, qrels/)"},
    {"split", "NAME", "qrels split to evaluate (default test)"},
    {"mode", "MODE", "retrieval: bm25, dense or hybrid (BM25 + dense, fused)"},
    {"models", "DIR", "models folder for dense/hybrid (default data/models)"},
    {"vectors", "DIR", "keep the corpus vectors here between runs (dense/hybrid)"},
    {"fusion", "NAME", "hybrid fusion: cc (convex combination, default) or rrf"},
    {"alpha", "X", "BM25's weight in cc fusion, 0..1 (default 0.25)"},
    {"rrf-k", "N", "reciprocal-rank fusion constant (default 60)"},
    {"depth", "N", "hits of each list fused in hybrid mode (default 100, the product's)"},
    {"k", "N", "hits retrieved per query (default 1000)"},
    {"run", "FILE", "write a TREC run file"},
    {"queries", "FILE", "queries JSONL (default: queries.jsonl or queries-SPLIT.jsonl)"},
    {"k1", "X", "BM25 k1 (tuning)"},
    {"b", "X", "BM25 b (tuning)"},
    {"title-weight", "X", "weight of the extra title-field clauses, 0 = none (tuning)"},
    {"title-repeat", "N", "title copies in the body field, 0..8 (tuning)"},
    {"stem", "NAME", "stemmer: english, porter, none (tuning)"},
    {"stop", "NAME", "stopwords: lucene, snowball, none (tuning)"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
#define USAGE "--beir DIR [--split test] [--mode bm25|dense|hybrid] [--k 1000] [--run FILE]"

/* ------------------------------------------------------------------------ */

struct eval_query_rec {
    char *id;
    char *text;
};

struct ctx {
    struct eval_qrels *qrels;
    struct eval_query_rec *queries;
    size_t n_queries, cap_queries;
    size_t n_unjudged;
    /* corpus */
    struct index_writer *w;
    char **doc_ids;
    char **doc_texts; /* title + " " + text, kept for dense/hybrid only */
    int keep_texts;
    size_t n_docs, cap_docs;
    int rc;
};

static int on_qrel(void *vc, const struct beir_qrel *r)
{
    struct ctx *c = vc;
    eval_qrels_add(c->qrels, r->query_id, r->doc_id, r->grade);
    return 0;
}

static int on_query(void *vc, const struct beir_query *q)
{
    struct ctx *c = vc;
    const struct eval_judgment *j;
    size_t n;
    if (eval_qrels_find(c->qrels, q->id, &j, &n) != 0) {
        c->n_unjudged++;
        return 0;
    }
    for (size_t i = 0; i < c->n_queries; i++)
        if (strcmp(c->queries[i].id, q->id) == 0)
            return 0; /* a repeated query id: the first one counts */
    if (c->n_queries == c->cap_queries) {
        c->cap_queries = c->cap_queries ? 2 * c->cap_queries : 256;
        c->queries = xrealloc(c->queries, c->cap_queries * sizeof *c->queries);
    }
    c->queries[c->n_queries].id = xstrdup(q->id);
    c->queries[c->n_queries].text = xstrdup(q->text);
    c->n_queries++;
    return 0;
}

static int on_doc(void *vc, const struct beir_doc *d)
{
    struct ctx *c = vc;
    if (c->n_docs == c->cap_docs) {
        c->cap_docs = c->cap_docs ? 2 * c->cap_docs : 4096;
        c->doc_ids = xrealloc(c->doc_ids, c->cap_docs * sizeof *c->doc_ids);
        if (c->keep_texts)
            c->doc_texts = xrealloc(c->doc_texts, c->cap_docs * sizeof *c->doc_texts);
    }
    struct index_doc doc;
    memset(&doc, 0, sizeof doc);
    doc.rowid = (int64_t)c->n_docs;
    doc.title = d->title;
    doc.abstract = d->text;
    doc.date = INDEX_NO_DATE;
    int rc = index_writer_add(c->w, &doc);
    if (rc != 0)
        return rc;
    if (c->keep_texts) {
        const char *t = d->title ? d->title : "", *x = d->text ? d->text : "";
        size_t tl = strlen(t), xl = strlen(x);
        char *s = xmalloc(tl + xl + 2);
        memcpy(s, t, tl);
        s[tl] = ' ';
        memcpy(s + tl + 1, x, xl + 1);
        c->doc_texts[c->n_docs] = s;
    }
    c->doc_ids[c->n_docs++] = xstrdup(d->id);
    return 0;
}

/* Embeds every document whose vector in vs is missing or stale, in
 * batches, committing after each (an interrupted run keeps its work when
 * --vectors is given). Progress goes to stderr. */
static int embed_corpus(struct encoder *enc, struct vecstore *vs, struct ctx *c)
{
    enum { BATCH = 32 };
    const char *texts[BATCH];
    size_t lens[BATCH];
    int64_t rows[BATCH];
    float *out = xmalloc(BATCH * ENCODER_DIM * sizeof(float));
    size_t nb = 0, done = 0, todo = 0;
    int rc = 0;
    for (size_t i = 0; i < c->n_docs; i++) {
        uint64_t h = vecstore_text_hash(c->doc_texts[i], strlen(c->doc_texts[i])), old;
        const float *v;
        todo += !(vecstore_get(vs, (int64_t)i, &old, &v) == 0 && old == h);
    }
    double t0 = time_mono();
    for (size_t i = 0; i < c->n_docs && rc == 0; i++) {
        uint64_t h = vecstore_text_hash(c->doc_texts[i], strlen(c->doc_texts[i])), old;
        const float *v;
        if (vecstore_get(vs, (int64_t)i, &old, &v) == 0 && old == h)
            continue;
        texts[nb] = c->doc_texts[i];
        lens[nb] = strlen(c->doc_texts[i]);
        rows[nb++] = (int64_t)i;
        if (nb == BATCH || i + 1 == c->n_docs) {
            rc = embed_batch_commit(enc, vs, texts, lens, rows, nb, out);
            done += nb;
            nb = 0;
            double el = time_mono() - t0;
            fprintf(stderr, "\rpaperboy eval: embedded %zu/%zu documents (%.1f/s)", done, todo,
                    el > 0 ? (double)done / el : 0.0);
        }
    }
    if (nb && rc == 0) { /* the last documents were up to date */
        rc = embed_batch_commit(enc, vs, texts, lens, rows, nb, out);
        done += nb;
    }
    if (todo)
        fprintf(stderr, "\n");
    free(out);
    return rc;
}

/* The product's fusion (search/fuse.h) of the first depth entries of the
 * BM25 hits and of the dense hits into out (room for nl + nd); returns the
 * count. */
static size_t fuse_hits(const struct fuse_opts *fo, const struct index_hit *lex, size_t nl,
                        const struct vechit *dense, size_t nd, size_t depth, struct fused *out)
{
    nl = nl < depth ? nl : depth;
    nd = nd < depth ? nd : depth;
    struct fuse_in *in = xmalloc((nl + nd + 1) * sizeof *in);
    for (size_t i = 0; i < nl; i++)
        in[i] = (struct fuse_in){lex[i].rowid, lex[i].score};
    for (size_t i = 0; i < nd; i++)
        in[nl + i] = (struct fuse_in){dense[i].rowid, dense[i].score};
    size_t n = fuse_lists(fo, in, nl, in + nl, nd, out);
    free(in);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Prints the qrels splits found in dir/qrels to stderr. */
static void list_splits(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/qrels", dir);
    DIR *d = opendir(path);
    fprintf(stderr, "paperboy eval: splits found in %s:", path);
    int any = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 4 && strcmp(e->d_name + n - 4, ".tsv") == 0) {
                fprintf(stderr, " %.*s", (int)(n - 4), e->d_name);
                any = 1;
            }
        }
        closedir(d);
    }
    fprintf(stderr, "%s\n", any ? "" : " none");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static int parse_float(const char *name, const char *v, double min, double max, float *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < min || d > max) {
        fprintf(stderr, "paperboy eval: --%s must be a number from %g to %g, not '%s'\n", name,
                min, max, v);
        return 2;
    }
    *out = (float)d;
    return 0;
}

/* Parses the option name as a float in [min, max] into *out when given. */
static int opt_float(const struct cli_args *a, const char *name, double min, double max,
                     float *out)
{
    const char *v = cli_get(a, opts, N_OPTS, name, NULL);
    return v ? parse_float(name, v, min, max, out) : 0;
}

/* Parses the tuning options into search and index options. Returns 0 or 2. */
static int tuning(const struct cli_args *a, struct search_opts *so, struct index_opts *io)
{
    int rc = opt_float(a, "k1", 0.0, 100.0, &so->k1);
    if (rc == 0)
        rc = opt_float(a, "b", 0.0, 1.0, &so->b);
    if (rc == 0)
        rc = opt_float(a, "title-weight", 0.0, 100.0, &so->title_weight);
    long rep = io->title_repeat;
    if (rc == 0)
        rc = cli_get_long(a, opts, N_OPTS, "title-repeat", io->title_repeat, 0, 8, &rep);
    io->title_repeat = (int)rep;
    const char *stem = cli_get(a, opts, N_OPTS, "stem", NULL);
    if (rc == 0 && stem && text_stem_parse(stem, &io->analyzer.stem) != 0) {
        fprintf(stderr, "paperboy eval: --stem must be english, porter or none, not '%s'\n", stem);
        rc = 2;
    }
    const char *stop = cli_get(a, opts, N_OPTS, "stop", NULL);
    if (rc == 0 && stop && text_stop_parse(stop, &io->analyzer.stop) != 0) {
        fprintf(stderr, "paperboy eval: --stop must be lucene, snowball or none, not '%s'\n", stop);
        rc = 2;
    }
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    struct cli_args a;
    int prc = cli_args_parse("eval", USAGE, opts, N_OPTS, argc, argv, &a);
    if (prc == 1)
        return 0;
    if (prc != 0)
        return prc;
    const char *dir = cli_get(&a, opts, N_OPTS, "beir", NULL);
    const char *split = cli_get(&a, opts, N_OPTS, "split", "test");
    const char *mode = cli_get(&a, opts, N_OPTS, "mode", "bm25");
    const char *run_path = cli_get(&a, opts, N_OPTS, "run", NULL);
    const char *queries_path = cli_get(&a, opts, N_OPTS, "queries", NULL);
    if (!dir || a.n_pos) {
        cli_usage(stderr, "eval", USAGE, opts, N_OPTS);
        return 2;
    }
    int use_lex = strcmp(mode, "bm25") == 0 || strcmp(mode, "hybrid") == 0;
    int use_dense = strcmp(mode, "dense") == 0 || strcmp(mode, "hybrid") == 0;
    if (!use_lex && !use_dense) {
        fprintf(stderr, "paperboy eval: unknown --mode '%s' (accepted: bm25, dense, hybrid)\n",
                mode);
        return 2;
    }
    struct fuse_opts fo;
    fuse_opts_default(&fo);
    long rrf_k = (long)FUSE_RRF_K, depth = FUSE_DEPTH;
    float alpha = (float)FUSE_ALPHA;
    const char *fusion = cli_get(&a, opts, N_OPTS, "fusion", "cc");
    if (fuse_method_parse(fusion, &fo.method) != 0) {
        fprintf(stderr, "paperboy eval: --fusion must be cc or rrf, not '%s'\n", fusion);
        return 2;
    }
    if (cli_get_long(&a, opts, N_OPTS, "rrf-k", rrf_k, 0, 100000, &rrf_k) != 0 ||
        cli_get_long(&a, opts, N_OPTS, "depth", depth, 1, INDEX_MAX_K, &depth) != 0 ||
        opt_float(&a, "alpha", 0.0, 1.0, &alpha) != 0)
        return 2;
    fo.rrf_k = (double)rrf_k;
    fo.alpha = (double)alpha;
    long k;
    if (cli_get_long(&a, opts, N_OPTS, "k", 1000, 1, INDEX_MAX_K, &k) != 0)
        return 2;
    struct search_opts so;
    struct index_opts io;
    search_opts_default(&so);
    index_opts_default(&io);
    if (tuning(&a, &so, &io) != 0)
        return 2;
    if (strchr(split, '/')) {
        fprintf(stderr, "paperboy eval: bad --split '%s'\n", split);
        return 2;
    }

    char corpus[4096], qrels[4096], queries[4096];
    snprintf(corpus, sizeof corpus, "%s/corpus.jsonl", dir);
    if (!exists(corpus)) {
        snprintf(corpus, sizeof corpus, "%s/corpus.jsonl.gz", dir);
        if (!exists(corpus)) {
            fprintf(stderr, "paperboy eval: %s/corpus.jsonl not found\n", dir);
            return 1;
        }
    }
    snprintf(qrels, sizeof qrels, "%s/qrels/%s.tsv", dir, split);
    if (!exists(qrels)) {
        fprintf(stderr, "paperboy eval: %s not found (split '%s')\n", qrels, split);
        list_splits(dir);
        return 1;
    }
    if (queries_path) {
        snprintf(queries, sizeof queries, "%s", queries_path);
    } else {
        snprintf(queries, sizeof queries, "%s/queries.jsonl", dir);
        if (!exists(queries))
            snprintf(queries, sizeof queries, "%s/queries-%s.jsonl", dir, split);
    }
    if (!exists(queries)) {
        fprintf(stderr, "paperboy eval: no queries: neither %s/queries.jsonl nor %s (use --queries "
                        "FILE)\n", dir, queries);
        return 1;
    }

    struct ctx c;
    memset(&c, 0, sizeof c);
    c.qrels = eval_qrels_new();
    c.keep_texts = use_dense;
    struct encoder *enc = NULL;
    struct vecstore *vs = NULL;
    struct vechit *dhits = NULL;
    struct fused *fhits = NULL;
    char tmp[4096] = "";
    char ixdir[4200];
    struct index *ix = NULL;
    struct index_snapshot *snap = NULL;
    struct text_analyzer *an = NULL;
    FILE *run = NULL;
    struct index_hit *hits = NULL;
    struct eval_hit *ehits = NULL;
    int status = 1;
    long bad = 0;

    int rc = beir_qrels_read_file(qrels, on_qrel, &c, &bad);
    if (rc != 0)
        goto out;
    eval_qrels_finish(c.qrels);
    if (bad)
        fprintf(stderr, "paperboy eval: %s: %ld malformed lines skipped\n", qrels, bad);
    rc = beir_queries_read_file(queries, on_query, &c, &bad);
    if (rc != 0)
        goto out;
    if (c.n_queries < eval_qrels_n_queries(c.qrels))
        fprintf(stderr, "paperboy eval: %zu judged queries are missing from %s\n",
                eval_qrels_n_queries(c.qrels) - c.n_queries, queries);

    const char *td = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/paperboy-eval-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "paperboy eval: cannot make a temporary directory %s: %s\n", tmp,
                strerror(errno));
        tmp[0] = '\0';
        goto out;
    }
    snprintf(ixdir, sizeof ixdir, "%s/index", tmp);
    double t0 = time_mono();
    rc = index_create(ixdir, &io, &ix);
    if (rc == 0)
        rc = index_writer_new(ix, &c.w);
    if (rc == 0) {
        rc = beir_corpus_read_file(corpus, on_doc, &c, &bad);
        if (rc != 0) {
            index_writer_abort(c.w);
        } else {
            rc = index_writer_commit(c.w);
        }
        c.w = NULL;
    }
    if (rc == 0)
        rc = index_merge(ix, 1, NULL);
    if (rc != 0) {
        fprintf(stderr, "paperboy eval: indexing %s failed: %s\n", corpus, err_str(rc));
        goto out;
    }
    double t1 = time_mono();
    fprintf(stderr, "paperboy eval: indexed %zu documents in %.2f s (%ld malformed lines)\n",
            c.n_docs, t1 - t0, bad);

    if (use_dense) {
        char err[1024], model_dir[4200], vdir[4200];
        snprintf(model_dir, sizeof model_dir, "%s/%s",
                 cli_get(&a, opts, N_OPTS, "models", "data/models"), ENCODER_MODEL_NAME);
        const char *keep = cli_get(&a, opts, N_OPTS, "vectors", NULL);
        snprintf(vdir, sizeof vdir, "%s", keep ? keep : tmp);
        rc = encoder_open(model_dir, NULL, &enc, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "paperboy eval: --mode %s needs the encoder: %s\n", mode, err);
            goto out;
        }
        rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 1, 0, &vs, err, sizeof err);
        if (rc == 0)
            rc = embed_corpus(enc, vs, &c);
        vecstore_close(vs);
        vs = NULL;
        if (rc == 0)
            rc = vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &vs, err, sizeof err);
        if (rc != 0) {
            fprintf(stderr, "paperboy eval: corpus vectors: %s\n", rc == ERR_IO ? err : err_str(rc));
            goto out;
        }
        t1 = time_mono();
        dhits = xmalloc((size_t)k * sizeof *dhits);
        fhits = xmalloc(2 * (size_t)k * sizeof *fhits);
    }
    if (run_path) {
        run = fopen(run_path, "w");
        if (!run) {
            fprintf(stderr, "paperboy eval: %s: %s\n", run_path, strerror(errno));
            goto out;
        }
    }
    struct text_analyzer_opts ao;
    index_analyzer_opts(ix, &ao);
    rc = text_analyzer_new(&ao, &an);
    if (rc != 0)
        goto out;
    snap = index_snapshot_acquire(ix);
    hits = xmalloc((size_t)k * sizeof *hits);
    ehits = xmalloc((size_t)k * sizeof *ehits);
    double sum_ndcg = 0, sum_recall = 0, sum_rr = 0;
    for (size_t i = 0; i < c.n_queries; i++) {
        const struct eval_query_rec *q = &c.queries[i];
        struct search_plan *pl;
        search_plan_text(an, q->text, strlen(q->text), &so, &pl);
        size_t n = 0, nd = 0;
        if (use_lex && search_plan_selects(pl))
            rc = index_search(snap, search_plan_query(pl), (size_t)k, hits, &n, NULL);
        search_plan_free(pl);
        if (rc == 0 && use_dense) {
            float qv[ENCODER_DIM];
            size_t ql = strlen(q->text);
            const char *qt = q->text;
            rc = encoder_embed(enc, &qt, &ql, 1, qv);
            if (rc == 0)
                rc = vecstore_search(vs, qv, (size_t)k, -1, NULL, dhits, &nd);
        }
        if (rc != 0) {
            fprintf(stderr, "paperboy eval: query %s failed: %s\n", q->id, err_str(rc));
            goto out;
        }
        if (use_dense && use_lex) {
            n = fuse_hits(&fo, hits, n, dhits, nd, (size_t)depth, fhits);
            if (n > (size_t)k)
                n = (size_t)k;
        } else if (use_dense) {
            for (size_t h = 0; h < nd; h++) {
                fhits[h].rowid = dhits[h].rowid;
                fhits[h].score = dhits[h].score;
            }
            n = nd;
        }
        for (size_t h = 0; h < n; h++) {
            int64_t row = use_dense ? fhits[h].rowid : hits[h].rowid;
            double sc = use_dense ? fhits[h].score : (double)hits[h].score;
            ehits[h].doc_id = c.doc_ids[row];
            ehits[h].score = sc;
            if (run)
                fprintf(run, "%s Q0 %s %zu %.9g paperboy\n", q->id, ehits[h].doc_id, h + 1,
                        sc);
        }
        const struct eval_judgment *j;
        size_t nj;
        eval_qrels_find(c.qrels, q->id, &j, &nj);
        struct eval_metrics m;
        eval_query(j, nj, ehits, n, &m);
        sum_ndcg += m.ndcg10;
        sum_recall += m.recall100;
        sum_rr += m.mrr10;
    }
    double t2 = time_mono();
    if (run && fclose(run) != 0) {
        run = NULL;
        fprintf(stderr, "paperboy eval: writing %s failed\n", run_path);
        goto out;
    }
    run = NULL;
    fprintf(stderr, "paperboy eval: %zu queries (%zu without judgments skipped) in %.2f s\n",
            c.n_queries, c.n_unjudged, t2 - t1);
    double nq = c.n_queries ? (double)c.n_queries : 1.0;
    fprintf(stderr, "paperboy eval: unrounded: ndcg@10=%.10f recall@100=%.10f mrr@10=%.10f\n",
            sum_ndcg / nq, sum_recall / nq, sum_rr / nq);
    printf("ndcg@10=%.4f recall@100=%.4f mrr@10=%.4f queries=%zu\n", sum_ndcg / nq,
           sum_recall / nq, sum_rr / nq, c.n_queries);
    status = 0;
out:
    if (run)
        fclose(run);
    vecstore_close(vs);
    encoder_close(enc);
    free(dhits);
    free(fhits);
    if (c.doc_texts)
        for (size_t i = 0; i < c.n_docs; i++)
            free(c.doc_texts[i]);
    free(c.doc_texts);
    free(hits);
    free(ehits);
    index_snapshot_release(snap);
    text_analyzer_free(an);
    index_close(ix);
    if (tmp[0])
        nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < c.n_queries; i++) {
        free(c.queries[i].id);
        free(c.queries[i].text);
    }
    free(c.queries);
    for (size_t i = 0; i < c.n_docs; i++)
        free(c.doc_ids[i]);
    free(c.doc_ids);
    eval_qrels_free(c.qrels);
    if (status != 0 && rc != 0)
        fprintf(stderr, "paperboy eval: failed: %s\n", err_str(rc));
    return status;
}
