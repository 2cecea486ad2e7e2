/*
 * encoder.c - BERT forward pass over OpenBLAS (see encoder.h).
 *
 * Per layer, with X the T x 384 hidden states of the packed batch:
 *
 *   QKV = X Wqkv^T + bqkv                 T x 1152 (Wq, Wk, Wv stacked)
 *   for each sequence s and head h (rows of s, columns 32h..32h+31):
 *     S = Q K^T / sqrt(32); P = softmax(S) by rows; C = P V
 *   X = LayerNorm(X + C Wo^T + bo)
 *   H = GELU(X Wi^T + bi)                 T x 1536
 *   X = LayerNorm(X + H Wo2^T + bo2)
 *
 * PyTorch stores a Linear weight as [out, in] row-major, so every product
 * is sgemm(NoTrans, Trans). Workers run the whole pass SPMD: dense stages
 * touch only their own block of rows, so the only barriers are before and
 * after attention (which reads every row of a sequence). Attention pairs
 * are handed out through an atomic counter, longest sequences first.
 * A query (T <= SMALL_ROWS = 64) runs the same pass on the calling thread
 * alone (or, with encoder_set_query_threads() > 1, run_worker_narrow's
 * split by output columns), and every product with at most 64 rows, in
 * either pass, is kern_gemm_small rather than sgemm, which would repack
 * all of W for a few rows.
 * Workspace: X, QKV, C, H and a residual buffer (T x (384 + 1152 + 384 +
 * 1536 + 384) floats) plus a 256 x 256 score matrix per worker.
 */
#include "embed/encoder.h"

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embed/kern.h"
#include "embed/safetensors.h"
#include "embed/wordpiece.h"
#include "util/err.h"
#include "util/mem.h"

#define D ENCODER_DIM
#define NH 12
#define HD 32
#define FF 1536
#define NL 6
#define VOCAB 30522
#define MAXPOS 512
#define LN_EPS 1e-12f

struct layer {
    float *wqkv, *bqkv;   /* owned: [1152, 384], [1152] */
    const float *wo, *bo; /* attention output dense */
    const float *ln1_g, *ln1_b;
    const float *wi, *bi;   /* intermediate [1536, 384] */
    const float *wo2, *bo2; /* output [384, 1536] */
    const float *ln2_g, *ln2_b;
};

struct encoder {
    struct safetensors *st;
    struct wordpiece *wp;
    const float *word, *pos, *type, *eln_g, *eln_b;
    struct layer layer[NL];
    int threads;       /* for inputs of more than SMALL_ROWS tokens */
    int query_threads; /* for inputs of at most SMALL_ROWS tokens */
};

static int get(struct safetensors *st, const char *name, int64_t d0, int64_t d1, const float **p,
               char *err, size_t errlen)
{
    int64_t shape[2] = {d0, d1};
    return safetensors_get_f32(st, name, shape, d1 ? 2 : 1, p, err, errlen);
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int encoder_open(const char *model_dir, const struct encoder_opts *opts, struct encoder **out,
                 char *err, size_t errlen)
{
    char path[4096];
    struct encoder *enc = xcalloc(1, sizeof *enc);
    int rc = 0;
    snprintf(path, sizeof path, "%s/vocab.txt", model_dir);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "no model in %s (vocab.txt missing; run `make model`)", model_dir);
        rc = ERR_NOT_FOUND;
        goto out;
    }
    rc = wordpiece_load(path, &enc->wp);
    if (rc) {
        snprintf(err, errlen, "%s: cannot load the vocabulary (%s)", path, err_str(rc));
        goto out;
    }
    if (wordpiece_vocab_size(enc->wp) != VOCAB) {
        snprintf(err, errlen, "%s: %zu tokens, expected %d", path, wordpiece_vocab_size(enc->wp),
                 VOCAB);
        rc = ERR_CORRUPT;
        goto out;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", model_dir);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "no model in %s (model.safetensors missing; run `make model`)",
                 model_dir);
        rc = ERR_NOT_FOUND;
        goto out;
    }
    char why[512] = "";
    rc = safetensors_open(path, &enc->st, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, why);
        goto out;
    }
    struct safetensors *st = enc->st;
    if (rc == 0)
        rc = get(st, "embeddings.word_embeddings.weight", VOCAB, D, &enc->word, why, sizeof why);
    if (rc == 0)
        rc =
            get(st, "embeddings.position_embeddings.weight", MAXPOS, D, &enc->pos, why, sizeof why);
    if (rc == 0)
        rc = get(st, "embeddings.token_type_embeddings.weight", 2, D, &enc->type, why, sizeof why);
    if (rc == 0)
        rc = get(st, "embeddings.LayerNorm.weight", D, 0, &enc->eln_g, why, sizeof why);
    if (rc == 0)
        rc = get(st, "embeddings.LayerNorm.bias", D, 0, &enc->eln_b, why, sizeof why);
    for (int l = 0; l < NL && rc == 0; l++) {
        struct layer *ly = &enc->layer[l];
        char n[128];
        const float *w[3] = {0}, *b[3] = {0};
        static const char *const qkv[3] = {"query", "key", "value"};
        for (int k = 0; k < 3 && rc == 0; k++) {
            snprintf(n, sizeof n, "encoder.layer.%d.attention.self.%s.weight", l, qkv[k]);
            rc = get(st, n, D, D, &w[k], why, sizeof why);
            snprintf(n, sizeof n, "encoder.layer.%d.attention.self.%s.bias", l, qkv[k]);
            if (rc == 0)
                rc = get(st, n, D, 0, &b[k], why, sizeof why);
        }
        if (rc)
            break;
        ly->wqkv = xmalloc(3 * D * D * sizeof(float));
        ly->bqkv = xmalloc(3 * D * sizeof(float));
        for (int k = 0; k < 3; k++) {
            memcpy(ly->wqkv + (size_t)k * D * D, w[k], D * D * sizeof(float));
            memcpy(ly->bqkv + k * D, b[k], D * sizeof(float));
        }
#define GETL(field, fmt, d0, d1)                                                                   \
    do {                                                                                           \
        snprintf(n, sizeof n, "encoder.layer.%d." fmt, l);                                         \
        if (rc == 0)                                                                               \
            rc = get(st, n, d0, d1, &ly->field, why, sizeof why);                                  \
    } while (0)
        GETL(wo, "attention.output.dense.weight", D, D);
        GETL(bo, "attention.output.dense.bias", D, 0);
        GETL(ln1_g, "attention.output.LayerNorm.weight", D, 0);
        GETL(ln1_b, "attention.output.LayerNorm.bias", D, 0);
        GETL(wi, "intermediate.dense.weight", FF, D);
        GETL(bi, "intermediate.dense.bias", FF, 0);
        GETL(wo2, "output.dense.weight", D, FF);
        GETL(bo2, "output.dense.bias", D, 0);
        GETL(ln2_g, "output.LayerNorm.weight", D, 0);
        GETL(ln2_b, "output.LayerNorm.bias", D, 0);
#undef GETL
    }
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, why);
        if (rc == ERR_NOT_FOUND) /* a tensor is missing: broken, not absent */
            rc = ERR_CORRUPT;
        goto out;
    }
    int cpus = online_cpus();
    enc->threads = opts && opts->threads > 0 ? opts->threads : cpus;
    enc->query_threads = 1;
    int blas = opts && opts->blas_threads > 0 ? opts->blas_threads : enc->threads > 1 ? 1 : cpus;
    openblas_set_num_threads(blas);
out:
    if (rc) {
        encoder_close(enc);
        return rc;
    }
    *out = enc;
    return 0;
}

void encoder_close(struct encoder *enc)
{
    if (!enc)
        return;
    for (int l = 0; l < NL; l++) {
        free(enc->layer[l].wqkv);
        free(enc->layer[l].bqkv);
    }
    safetensors_close(enc->st);
    wordpiece_free(enc->wp);
    free(enc);
}

void encoder_set_query_threads(struct encoder *enc, int n)
{
    enc->query_threads = n > 1 ? (n > 8 ? 8 : n) : 1;
}

const struct wordpiece *encoder_tokenizer(const struct encoder *enc)
{
    return enc->wp;
}

double encoder_flops(const size_t *n_ids, size_t n)
{
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)n_ids[i];
        /* dense: 2 t (384*1152 + 384*384 + 2*384*1536); attention: 2 * 2 t^2 * 384 */
        f += NL * (2.0 * t * (D * 3.0 * D + D * D + 2.0 * D * FF) + 4.0 * t * t * D);
    }
    return f;
}

/* ---------------------------------------------------------------------
 * The pass
 * ------------------------------------------------------------------- */

struct pass {
    const struct encoder *enc;
    size_t n_seq, T;
    const int32_t *const *ids;
    const size_t *len;   /* per sequence */
    const size_t *start; /* first row of each sequence */
    const size_t *order; /* sequences by descending length */
    float *x, *qkv, *ctx, *h, *res, *scores;
    int nthreads;
    pthread_barrier_t bar;
    atomic_size_t next_task[NL];
};

struct worker {
    struct pass *p;
    int id;
};

/* Up to this many rows a product streams W once through kern_gemm_small:
 * sgemm would first repack all of W (as many bytes again) for few rows. */
#define SMALL_ROWS 64

/* Y[rows] = A[rows] W^T + (Y preset with bias and residual, beta 1). */
static void dense(const float *a, size_t m, size_t k, const float *w, size_t nout, float *y)
{
    if (m == 0)
        return;
    if (m <= SMALL_ROWS) {
        kern_gemm_small(a, m, k, w, nout, y, nout);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nout, (int)k, 1.0f, a, (int)k,
                w, (int)k, 1.0f, y, (int)nout);
}

static void fill_bias(float *y, size_t m, const float *b, size_t n)
{
    for (size_t r = 0; r < m; r++)
        memcpy(y + r * n, b, n * sizeof(float));
}

static void attention(struct pass *p, const struct layer *ly, float *scores, int layer)
{
    (void)ly;
    size_t ntask = p->n_seq * NH;
    const float scale = 1.0f / sqrtf((float)HD);
    for (;;) {
        size_t t = atomic_fetch_add(&p->next_task[layer], 1);
        if (t >= ntask)
            break;
        size_t s = p->order[t / NH], h = t % NH;
        size_t L = p->len[s], r0 = p->start[s];
        const float *q = p->qkv + r0 * 3 * D + h * HD;
        const float *k = q + D, *v = q + 2 * D;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)L, (int)L, HD, scale, q, 3 * D, k,
                    3 * D, 0.0f, scores, (int)L);
        for (size_t i = 0; i < L; i++)
            kern_softmax(scores + i * L, L);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)L, HD, (int)L, 1.0f, scores,
                    (int)L, v, 3 * D, 0.0f, p->ctx + r0 * D + h * HD, D);
    }
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    struct pass *p = w->p;
    const struct encoder *enc = p->enc;
    size_t r0 = p->T * (size_t)w->id / (size_t)p->nthreads;
    size_t r1 = p->T * (size_t)(w->id + 1) / (size_t)p->nthreads;
    size_t m = r1 - r0;
    float *scores = p->scores + (size_t)w->id * MAXPOS * MAXPOS;

    /* Embeddings: word + position + token type 0, LayerNorm. Rows map to
     * (sequence, position) through start[]. */
    for (size_t s = 0; s < p->n_seq; s++) {
        for (size_t i = 0; i < p->len[s]; i++) {
            size_t r = p->start[s] + i;
            if (r < r0 || r >= r1)
                continue;
            float *x = p->x + r * D;
            const float *we = enc->word + (size_t)p->ids[s][i] * D;
            const float *pe = enc->pos + i * D;
            for (size_t j = 0; j < D; j++)
                x[j] = we[j] + pe[j] + enc->type[j];
            kern_layernorm(x, enc->eln_g, enc->eln_b, D, LN_EPS);
        }
    }
    for (int l = 0; l < NL; l++) {
        const struct layer *ly = &enc->layer[l];
        float *x = p->x + r0 * D, *qkv = p->qkv + r0 * 3 * D, *ctx = p->ctx + r0 * D;
        float *h = p->h + r0 * FF, *res = p->res + r0 * D;
        fill_bias(qkv, m, ly->bqkv, 3 * D);
        dense(x, m, D, ly->wqkv, 3 * D, qkv);
        pthread_barrier_wait(&p->bar);
        attention(p, ly, scores, l);
        pthread_barrier_wait(&p->bar);
        /* res = x + bo + ctx Wo^T; x = LN(res) */
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < D; j++)
                res[r * D + j] = x[r * D + j] + ly->bo[j];
        dense(ctx, m, D, ly->wo, D, res);
        for (size_t r = 0; r < m; r++)
            kern_layernorm(res + r * D, ly->ln1_g, ly->ln1_b, D, LN_EPS);
        fill_bias(h, m, ly->bi, FF);
        dense(res, m, D, ly->wi, FF, h);
        kern_gelu(h, m * FF);
        for (size_t r = 0; r < m; r++)
            for (size_t j = 0; j < D; j++)
                x[r * D + j] = res[r * D + j] + ly->bo2[j];
        dense(h, m, FF, ly->wo2, D, x);
        for (size_t r = 0; r < m; r++)
            kern_layernorm(x + r * D, ly->ln2_g, ly->ln2_b, D, LN_EPS);
    }
    return NULL;
}

/* The few-token pass (a query): every dense product is split by output
 * columns instead of rows, so each thread reads only its share of the
 * weights, which is what bounds a pass over a handful of tokens. Costs
 * seven barriers per layer instead of two. */
static void *run_worker_narrow(void *arg)
{
    struct worker *w = arg;
    struct pass *p = w->p;
    const struct encoder *enc = p->enc;
    size_t T = p->T, nt = (size_t)p->nthreads, id = (size_t)w->id;
    size_t r0 = T * id / nt, r1 = T * (id + 1) / nt;
    /* column slices in multiples of 4 (the small kernel's block) */
    size_t q0 = (3 * D / 4) * id / nt * 4, q1 = (3 * D / 4) * (id + 1) / nt * 4;
    size_t d0 = (D / 4) * id / nt * 4, d1 = (D / 4) * (id + 1) / nt * 4;
    size_t f0 = (FF / 4) * id / nt * 4, f1 = (FF / 4) * (id + 1) / nt * 4;
    float *scores = p->scores + id * MAXPOS * MAXPOS;

    for (size_t s = 0; s < p->n_seq; s++)
        for (size_t i = 0; i < p->len[s]; i++) {
            size_t r = p->start[s] + i;
            if (r < r0 || r >= r1)
                continue;
            float *x = p->x + r * D;
            const float *we = enc->word + (size_t)p->ids[s][i] * D, *pe = enc->pos + i * D;
            for (size_t j = 0; j < D; j++)
                x[j] = we[j] + pe[j] + enc->type[j];
            kern_layernorm(x, enc->eln_g, enc->eln_b, D, LN_EPS);
        }
    pthread_barrier_wait(&p->bar);
    for (int l = 0; l < NL; l++) {
        const struct layer *ly = &enc->layer[l];
        for (size_t r = 0; r < T; r++)
            memcpy(p->qkv + r * 3 * D + q0, ly->bqkv + q0, (q1 - q0) * sizeof(float));
        kern_gemm_small(p->x, T, D, ly->wqkv + q0 * D, q1 - q0, p->qkv + q0, 3 * D);
        pthread_barrier_wait(&p->bar);
        attention(p, ly, scores, l);
        pthread_barrier_wait(&p->bar);
        for (size_t r = 0; r < T; r++)
            for (size_t j = d0; j < d1; j++)
                p->res[r * D + j] = p->x[r * D + j] + ly->bo[j];
        kern_gemm_small(p->ctx, T, D, ly->wo + d0 * D, d1 - d0, p->res + d0, D);
        pthread_barrier_wait(&p->bar);
        for (size_t r = r0; r < r1; r++)
            kern_layernorm(p->res + r * D, ly->ln1_g, ly->ln1_b, D, LN_EPS);
        pthread_barrier_wait(&p->bar);
        for (size_t r = 0; r < T; r++) {
            memcpy(p->h + r * FF + f0, ly->bi + f0, (f1 - f0) * sizeof(float));
        }
        kern_gemm_small(p->res, T, D, ly->wi + f0 * D, f1 - f0, p->h + f0, FF);
        for (size_t r = 0; r < T; r++)
            kern_gelu(p->h + r * FF + f0, f1 - f0);
        pthread_barrier_wait(&p->bar);
        for (size_t r = 0; r < T; r++)
            for (size_t j = d0; j < d1; j++)
                p->x[r * D + j] = p->res[r * D + j] + ly->bo2[j];
        kern_gemm_small(p->h, T, FF, ly->wo2 + d0 * FF, d1 - d0, p->x + d0, D);
        pthread_barrier_wait(&p->bar);
        for (size_t r = r0; r < r1; r++)
            kern_layernorm(p->x + r * D, ly->ln2_g, ly->ln2_b, D, LN_EPS);
        pthread_barrier_wait(&p->bar);
    }
    return NULL;
}

int encoder_embed_ids(struct encoder *enc, const int32_t *const *ids, const size_t *n_ids, size_t n,
                      float *out)
{
    if (n == 0)
        return 0;
    size_t T = 0;
    for (size_t s = 0; s < n; s++) {
        if (n_ids[s] < 1 || n_ids[s] > MAXPOS)
            return ERR_INVALID;
        for (size_t i = 0; i < n_ids[s]; i++)
            if (ids[s][i] < 0 || ids[s][i] >= VOCAB)
                return ERR_INVALID;
        T += n_ids[s];
    }
    struct pass p;
    memset(&p, 0, sizeof p);
    p.enc = enc;
    p.n_seq = n;
    p.T = T;
    p.ids = ids;
    p.len = n_ids;
    size_t *start = xmalloc(n * sizeof *start), *order = xmalloc(n * sizeof *order);
    for (size_t s = 0, r = 0; s < n; s++) {
        start[s] = r;
        r += n_ids[s];
        order[s] = s;
    }
    /* Longest first, so the last attention tasks handed out are short. */
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && n_ids[order[j - 1]] < n_ids[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    p.start = start;
    p.order = order;
    /* A few tokens (a query) run on query_threads (default 1: the
     * caller's thread, no start-up or barriers; with more, the narrow
     * pass splits the columns); else a thread needs a few dozen rows to
     * amortise its start. */
    int small = T <= SMALL_ROWS;
    int nt = small ? enc->query_threads : enc->threads;
    int narrow = small && nt > 1;
    if (!small && (size_t)nt > T / 16 + 1)
        nt = (int)(T / 16 + 1);
    if (nt > 8 && narrow)
        nt = 8;
    if (nt < 1)
        nt = 1;
    p.nthreads = nt;
    p.x = xmalloc(T * D * sizeof(float));
    p.qkv = xmalloc(T * 3 * D * sizeof(float));
    p.ctx = xmalloc(T * D * sizeof(float));
    p.h = xmalloc(T * FF * sizeof(float));
    p.res = xmalloc(T * D * sizeof(float));
    p.scores = xmalloc((size_t)nt * MAXPOS * MAXPOS * sizeof(float));
    for (int l = 0; l < NL; l++)
        atomic_init(&p.next_task[l], 0);
    pthread_barrier_init(&p.bar, NULL, (unsigned)nt);
    struct worker *w = xmalloc((size_t)nt * sizeof *w);
    pthread_t *tid = xmalloc((size_t)nt * sizeof *tid);
    int started = 1;
    for (int t = 0; t < nt; t++) {
        w[t].p = &p;
        w[t].id = t;
    }
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, narrow ? run_worker_narrow : run_worker, &w[t]) != 0) {
            /* Cannot happen short of resource exhaustion; the barrier
             * count would then be wrong, so treat it like OOM. */
            fprintf(stderr, "paperboy: encoder: cannot start a worker thread\n");
            abort();
        }
        started++;
    }
    if (narrow)
        run_worker_narrow(&w[0]);
    else
        run_worker(&w[0]);
    for (int t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_barrier_destroy(&p.bar);

    /* Mean pooling over each sequence's rows, then L2 normalisation. */
    for (size_t s = 0; s < n; s++) {
        float *o = out + s * D;
        memset(o, 0, D * sizeof(float));
        for (size_t i = 0; i < n_ids[s]; i++) {
            const float *x = p.x + (start[s] + i) * D;
            for (size_t j = 0; j < D; j++)
                o[j] += x[j];
        }
        float norm = 0.f;
        for (size_t j = 0; j < D; j++) {
            o[j] /= (float)n_ids[s];
            norm += o[j] * o[j];
        }
        norm = sqrtf(norm);
        float inv = 1.f / (norm > 1e-12f ? norm : 1e-12f);
        for (size_t j = 0; j < D; j++)
            o[j] *= inv;
    }
    free(w);
    free(tid);
    free(p.x);
    free(p.qkv);
    free(p.ctx);
    free(p.h);
    free(p.res);
    free(p.scores);
    free(start);
    free(order);
    return 0;
}

int encoder_embed(struct encoder *enc, const char *const *texts, const size_t *lens, size_t n,
                  float *out)
{
    int32_t **ids = xmalloc((n ? n : 1) * sizeof *ids);
    size_t *n_ids = xmalloc((n ? n : 1) * sizeof *n_ids);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = xmalloc(ENCODER_MAX_TOKENS * sizeof **ids);
        if (rc == 0)
            rc =
                wordpiece_encode(enc->wp, texts[i], lens[i], ENCODER_MAX_TOKENS, ids[i], &n_ids[i]);
    }
    if (rc == 0)
        rc = encoder_embed_ids(enc, (const int32_t *const *)ids, n_ids, n, out);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(n_ids);
    return rc;
}
