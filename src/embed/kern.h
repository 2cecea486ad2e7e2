/*
 * kern.h - the small numeric kernels of the encoder and the vector scan.
 *
 * Each kernel has a portable C body and, on x86-64 with GCC or clang, an
 * AVX2+FMA body compiled with __attribute__((target)) and chosen at run time
 * by __builtin_cpu_supports (we build with -O2 and no -march, so the
 * compiler would otherwise emit SSE2 only). The AVX2 bodies use polynomial
 * approximations where libm would be the bottleneck:
 *
 *   exp(x):  Cody-Waite range reduction x = n ln2 + r, a degree-6 polynomial
 *            for e^r (the Cephes expf coefficients), 2^n by exponent bits;
 *            relative error about 1e-7.
 *   erf(x):  an odd/even rational function of degree 13/8 on [-4, 4]
 *            (clamped outside, where erf is +-1 in float); absolute error
 *            below 5e-7 (checked against libm in test_embed_kern).
 *
 * The portable bodies call expf/erff, so results differ between the two
 * paths by about 1e-7 relative: far below the 1e-4 cosine budget of the
 * encoder tests.
 */
#ifndef PAPERBOY_EMBED_KERN_H
#define PAPERBOY_EMBED_KERN_H

#include <stddef.h>
#include <stdint.h>

/* 1 when the AVX2+FMA bodies are in use on this CPU. */
int kern_have_avx2(void);

/* x[i] = 0.5 x (1 + erf(x / sqrt 2)), in place (BERT's exact GELU). */
void kern_gelu(float *x, size_t n);

/* x = softmax(x), in place, over n > 0 values (max-subtracted). */
void kern_softmax(float *x, size_t n);

/* x = (x - mean) / sqrt(var + eps) * g + b over n values (biased var). */
void kern_layernorm(float *x, const float *g, const float *b, size_t n, float eps);

/* Dot products: float, int8 (exact in int32 for values in [-127, 127]; the
 * AVX2 body does not take -128), and the Hamming distance of two bit
 * strings of nwords 64-bit words. */
float kern_dot(const float *a, const float *b, size_t n);
int32_t kern_dot_i8(const int8_t *a, const int8_t *b, size_t n);
uint32_t kern_hamming(const uint64_t *a, const uint64_t *b, size_t nwords);

/* dist[i] = Hamming distance of q and the i-th of n bit strings stored
 * back to back at b (nwords 64-bit words each; nwords * 64 < 65536). */
void kern_hamming_many(const uint64_t *q, const uint64_t *b, size_t nwords, size_t n,
                       uint16_t *dist);

/* The asymmetric distance of a 4-bit query to n sign-bit strings of
 * nwords 64-bit words each: string i at base + idx[i] * nwords, or (idx
 * NULL) at base + i * nwords. The query is quantized as
 * q_j ~ step (u_j - 7.5), u_j in 0..15, and passed as 4 bit planes
 * (planes[p * nwords + w] holds bit p of the u_j of word w); a string x
 * stands for s_j = +1 where bit j is set, else -1. Since
 *   sum_j (2 u_j - 15) s_j = 2 (2 S - 15 P) + (a query constant),
 * S = sum of u_j over the set bits, P = popcount(x), the rank by q . s is
 * the rank by dist[i] = 15 * 64 * nwords - (2 S - 15 P), in [0, 30 * 64 *
 * nwords], smaller = closer. */
void kern_bits_asym(const uint64_t *planes, const uint64_t *base, size_t nwords,
                    const uint32_t *idx, size_t n, uint32_t *dist);

/* y[m x nout] += x[m x k] w[nout x k]^T (rows of y ldy floats apart), for
 * the few-row products that sgemm does badly (it repacks all of w on every
 * call): each block of w rows is read once and applied to every row of x
 * while it sits in L1. */
void kern_gemm_small(const float *x, size_t m, size_t k, const float *w, size_t nout, float *y,
                     size_t ldy);

/* Scalar references for tests: erf approximation used by the AVX2 path. */
float kern_erf_approx(float x);

#endif
