/*
 * encoder.h - the all-MiniLM-L6-v2 sentence encoder, forward pass in C.
 *
 * Model (config.json of the installed model): BERT, 6 layers, hidden 384,
 * 12 heads of 32, intermediate 1536, vocabulary 30522, 512 positions,
 * LayerNorm eps 1e-12, GELU (erf form). Sentence embedding as
 * sentence-transformers computes it for this model: mean of the last
 * layer's token vectors over the real (non-padding) tokens, then L2
 * normalisation. Texts are tokenized by wordpiece.h and truncated to 256
 * tokens (the model's max_seq_length).
 *
 * Weights: model_dir/model.safetensors (mapped, see safetensors.h) and
 * model_dir/vocab.txt. Every tensor the forward pass needs is checked for
 * name, shape and dtype at open time.
 *
 * Batches: the sequences of a batch are packed back to back without
 * padding (T = sum of lengths rows); the dense layers are sgemm calls over
 * all T rows, attention runs per (sequence, head) over that sequence's own
 * rows only, which is what the reference's padding mask computes. Work is
 * split over `threads` pthreads (rows for dense layers, (sequence, head)
 * pairs for attention) with OpenBLAS itself single-threaded; or, with
 * threads = 1 and blas_threads > 1, OpenBLAS threads each sgemm instead.
 *
 * Queries: an input of at most 64 tokens in all (T <= 64: a search query)
 * runs on encoder_set_query_threads() threads, by default 1, the caller's own: no
 * thread start-up or barriers, and the other core stays free for the
 * BM25 side of a hybrid search. Its dense products skip sgemm (which would
 * repack all 42 MB of weights for a few rows) for kern_gemm_small, which
 * streams each weight block once. A query then costs about its FLOPs at
 * the machine's single-core rate (bench/RESULTS.md, "Hybrid search at 1M").
 * With more than one query thread the products are split by output columns.
 *
 * A struct encoder is immutable after encoder_open(): every call allocates
 * its own workspace, so encoder_embed() may run from several threads at
 * once (a web server's request threads share one encoder). Each call
 * starts its own worker threads for the duration of the call.
 */
#ifndef PAPERBOY_EMBED_ENCODER_H
#define PAPERBOY_EMBED_ENCODER_H

#include <stddef.h>
#include <stdint.h>

#define ENCODER_MODEL_NAME "all-MiniLM-L6-v2"
#define ENCODER_DIM 384
#define ENCODER_MAX_TOKENS 256

struct encoder;
struct wordpiece;

struct encoder_opts {
    int threads;      /* own worker threads; 0 = number of online CPUs */
    int blas_threads; /* OpenBLAS threads; 0 = 1 when threads > 1, else CPUs */
};

/* Loads the model from model_dir (model.safetensors + vocab.txt). opts may
 * be NULL (defaults). On failure returns ERR_NOT_FOUND (no model there),
 * ERR_IO, ERR_PARSE, ERR_TRUNCATED or ERR_CORRUPT and writes a one-line
 * reason naming the file or tensor to err. Free with encoder_close(). */
int encoder_open(const char *model_dir, const struct encoder_opts *opts,
                 struct encoder **out /* OUT */, char *err, size_t errlen);
/* Unmaps the model and frees the encoder; NULL does nothing. */
void encoder_close(struct encoder *enc);

/* Sets the threads an input of at most 64 tokens runs on (default 1, the
 * caller's; n > 1 splits its products by columns; n <= 0 means 1). Call it
 * before enc is shared between threads: it is the one setting that may
 * change after encoder_open(). */
void encoder_set_query_threads(struct encoder *enc, int n);

/* The encoder's tokenizer (owned by enc). */
const struct wordpiece *encoder_tokenizer(const struct encoder *enc);

/* Embeds n texts (texts[i] is lens[i] bytes of UTF-8) into out[i * 384 ..]
 * (n x ENCODER_DIM floats, caller-owned), each of unit length. */
int encoder_embed(struct encoder *enc, const char *const *texts, const size_t *lens, size_t n,
                  float *out /* OUT */);

/* Embeds n already tokenized sequences (ids[i] has n_ids[i] ids, [CLS] and
 * [SEP] included, 1 <= n_ids[i] <= 512). ERR_INVALID on a bad length or id. */
int encoder_embed_ids(struct encoder *enc, const int32_t *const *ids, const size_t *n_ids, size_t n,
                      float *out /* OUT */);

/* Floating-point operations of one forward pass over sequences of these
 * lengths (multiply-add = 2), counting the matrix products only. */
double encoder_flops(const size_t *n_ids, size_t n);

#endif
