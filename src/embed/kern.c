/*
 * kern.c - numeric kernels with AVX2 bodies chosen at run time (see kern.h).
 */
#include "embed/kern.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KERN_X86 1
#include <immintrin.h>
#else
#define KERN_X86 0
#endif

int kern_have_avx2(void)
{
#if KERN_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* erf as an odd rational function on [-4, 4] (see kern.h). */
#define ERF_A13 -2.72614225801306e-10f
#define ERF_A11 2.77068142495902e-08f
#define ERF_A9 -2.10102402082508e-06f
#define ERF_A7 -5.69250639462346e-05f
#define ERF_A5 -7.34990630326855e-04f
#define ERF_A3 -2.95459980854025e-03f
#define ERF_A1 -1.60960333262415e-02f
#define ERF_B8 -1.45660718464996e-05f
#define ERF_B6 -2.13374055278905e-04f
#define ERF_B4 -1.68282697438203e-03f
#define ERF_B2 -7.37332916720468e-03f
#define ERF_B0 -1.42647390514189e-02f

float kern_erf_approx(float x)
{
    x = x > 4.f ? 4.f : x < -4.f ? -4.f : x;
    float x2 = x * x;
    float p = ERF_A13;
    p = p * x2 + ERF_A11;
    p = p * x2 + ERF_A9;
    p = p * x2 + ERF_A7;
    p = p * x2 + ERF_A5;
    p = p * x2 + ERF_A3;
    p = p * x2 + ERF_A1;
    float q = ERF_B8;
    q = q * x2 + ERF_B6;
    q = q * x2 + ERF_B4;
    q = q * x2 + ERF_B2;
    q = q * x2 + ERF_B0;
    return x * p / q;
}

#if KERN_X86

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 exp256(__m256 x)
{
    const __m256 hi = _mm256_set1_ps(88.3762626647949f), lo = _mm256_set1_ps(-87.3365478515625f);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
    fx = _mm256_floor_ps(fx);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500E-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
    __m256i n = _mm256_cvttps_epi32(fx);
    n = _mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(n));
}

AVX2 static inline float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 static void gelu_avx2(float *x, size_t n)
{
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.f);
    const __m256 rs2 = _mm256_set1_ps(0.70710678118654752f);
    const __m256 c4 = _mm256_set1_ps(4.f), m4 = _mm256_set1_ps(-4.f);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 z = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, rs2), m4), c4);
        __m256 z2 = _mm256_mul_ps(z, z);
        __m256 p = _mm256_set1_ps(ERF_A13);
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A11));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A9));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A7));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A5));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A3));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(ERF_A1));
        __m256 q = _mm256_set1_ps(ERF_B8);
        q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(ERF_B6));
        q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(ERF_B4));
        q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(ERF_B2));
        q = _mm256_fmadd_ps(q, z2, _mm256_set1_ps(ERF_B0));
        __m256 erf = _mm256_div_ps(_mm256_mul_ps(z, p), q);
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(half, v), _mm256_add_ps(one, erf)));
    }
    for (; i < n; i++)
        x[i] = 0.5f * x[i] * (1.f + kern_erf_approx(x[i] * 0.70710678118654752f));
}

AVX2 static void softmax_avx2(float *x, size_t n)
{
    size_t i = 0;
    __m256 vm = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= n; i += 8)
        vm = _mm256_max_ps(vm, _mm256_loadu_ps(x + i));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vm), _mm256_extractf128_ps(vm, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    float m = _mm_cvtss_f32(m4);
    for (; i < n; i++)
        m = x[i] > m ? x[i] : m;
    __m256 mv = _mm256_set1_ps(m), sv = _mm256_setzero_ps();
    float s = 0.f;
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(x + i, e);
        sv = _mm256_add_ps(sv, e);
    }
    for (; i < n; i++) {
        x[i] = expf(x[i] - m);
        s += x[i];
    }
    s += hsum256(sv);
    __m256 inv = _mm256_set1_ps(1.f / s);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++)
        x[i] *= 1.f / s;
}

AVX2 static void layernorm_avx2(float *x, const float *g, const float *b, size_t n, float eps)
{
    __m256 s = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        s = _mm256_add_ps(s, _mm256_loadu_ps(x + i));
    float mean = hsum256(s);
    for (; i < n; i++)
        mean += x[i];
    mean /= (float)n;
    __m256 mv = _mm256_set1_ps(mean), v = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + i), mv);
        v = _mm256_fmadd_ps(d, d, v);
    }
    float var = hsum256(v);
    for (; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= (float)n;
    float inv = 1.f / sqrtf(var + eps);
    __m256 iv = _mm256_set1_ps(inv);
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv), iv);
        _mm256_storeu_ps(x + i, _mm256_fmadd_ps(d, _mm256_loadu_ps(g + i), _mm256_loadu_ps(b + i)));
    }
    for (; i < n; i++)
        x[i] = (x[i] - mean) * inv * g[i] + b[i];
}

AVX2 static float dot_avx2(const float *a, const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
    }
    float s = hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Signed int8 products through maddubs (unsigned x signed): |a| times b
 * with a's sign moved onto b. Pair sums stay within int16 because both
 * sides are clamped to [-127, 127] (2 * 127 * 127 < 32768). */
AVX2 static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i va = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i vb = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(va, va), _mm256_sign_epi8(vb, va));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p16, ones));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    int32_t r = _mm_cvtsi128_si32(s);
    for (; i < n; i++)
        r += (int32_t)a[i] * b[i];
    return r;
}

/* The four horizontal sums of a, b, c, d as one 4-float vector. */
AVX2 static inline __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d)
{
    __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/* Blocks of 4 weight rows (4 x k floats, read once while they sit in L1)
 * against 3 input rows at a time: 12 accumulators, 7 loads per 12 FMAs,
 * so the FMA units rather than the loads set the pace. While a block is in
 * use the next one is prefetched, a cache line per step, so that W (which
 * does not fit in the caches: 42 MB for the encoder) streams in behind
 * the arithmetic. */
AVX2 static void gemm_small_avx2(const float *x, size_t m, size_t k, const float *w, size_t nout,
                                 float *y, size_t ldy)
{
    size_t n = 0, k8 = k & ~(size_t)7;
    for (; n + 4 <= nout; n += 4) {
        const float *w0 = w + n * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        const char *pf = (const char *)(w3 + k);
        size_t pf_left = n + 8 <= nout ? 4 * k * sizeof(float) : 0;
        size_t r = 0;
        for (; r + 3 <= m; r += 3) {
            const float *x0 = x + r * k, *x1 = x0 + k, *x2 = x1 + k;
            __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps();
            __m256 a02 = _mm256_setzero_ps(), a03 = _mm256_setzero_ps();
            __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
            __m256 a12 = _mm256_setzero_ps(), a13 = _mm256_setzero_ps();
            __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
            __m256 a22 = _mm256_setzero_ps(), a23 = _mm256_setzero_ps();
            for (size_t i = 0; i < k8; i += 8) {
                if (pf_left >= 64) {
                    _mm_prefetch(pf, _MM_HINT_T0);
                    pf += 64;
                    pf_left -= 64;
                }
                __m256 v0 = _mm256_loadu_ps(w0 + i), v1 = _mm256_loadu_ps(w1 + i);
                __m256 v2 = _mm256_loadu_ps(w2 + i), v3 = _mm256_loadu_ps(w3 + i);
                __m256 xa = _mm256_loadu_ps(x0 + i);
                a00 = _mm256_fmadd_ps(xa, v0, a00);
                a01 = _mm256_fmadd_ps(xa, v1, a01);
                a02 = _mm256_fmadd_ps(xa, v2, a02);
                a03 = _mm256_fmadd_ps(xa, v3, a03);
                __m256 xb = _mm256_loadu_ps(x1 + i);
                a10 = _mm256_fmadd_ps(xb, v0, a10);
                a11 = _mm256_fmadd_ps(xb, v1, a11);
                a12 = _mm256_fmadd_ps(xb, v2, a12);
                a13 = _mm256_fmadd_ps(xb, v3, a13);
                __m256 xc = _mm256_loadu_ps(x2 + i);
                a20 = _mm256_fmadd_ps(xc, v0, a20);
                a21 = _mm256_fmadd_ps(xc, v1, a21);
                a22 = _mm256_fmadd_ps(xc, v2, a22);
                a23 = _mm256_fmadd_ps(xc, v3, a23);
            }
            float *y0 = y + r * ldy + n, *y1 = y0 + ldy, *y2 = y1 + ldy;
            _mm_storeu_ps(y0, _mm_add_ps(_mm_loadu_ps(y0), hsum4(a00, a01, a02, a03)));
            _mm_storeu_ps(y1, _mm_add_ps(_mm_loadu_ps(y1), hsum4(a10, a11, a12, a13)));
            _mm_storeu_ps(y2, _mm_add_ps(_mm_loadu_ps(y2), hsum4(a20, a21, a22, a23)));
            for (size_t i = k8; i < k; i++)
                for (int c = 0; c < 4; c++) {
                    float wv = w0[(size_t)c * k + i];
                    y0[c] += x0[i] * wv;
                    y1[c] += x1[i] * wv;
                    y2[c] += x2[i] * wv;
                }
        }
        for (; r < m; r++) {
            const float *xr = x + r * k;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            for (size_t i = 0; i < k8; i += 8) {
                __m256 xv = _mm256_loadu_ps(xr + i);
                a0 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w0 + i), a0);
                a1 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w1 + i), a1);
                a2 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w2 + i), a2);
                a3 = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w3 + i), a3);
            }
            float *yr = y + r * ldy + n;
            _mm_storeu_ps(yr, _mm_add_ps(_mm_loadu_ps(yr), hsum4(a0, a1, a2, a3)));
            for (size_t i = k8; i < k; i++)
                for (int c = 0; c < 4; c++)
                    yr[c] += xr[i] * w0[(size_t)c * k + i];
        }
    }
    for (; n < nout; n++)
        for (size_t r = 0; r < m; r++)
            y[r * ldy + n] += dot_avx2(x + r * k, w + n * k, k);
}

__attribute__((target("popcnt"))) static uint32_t hamming_popcnt(const uint64_t *a,
                                                                 const uint64_t *b, size_t n)
{
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += (uint32_t)__builtin_popcountll(a[i] ^ b[i]);
    return d;
}

__attribute__((target("popcnt"))) static void hamming_many_popcnt(const uint64_t *q,
                                                                  const uint64_t *b, size_t nwords,
                                                                  size_t n, uint16_t *dist)
{
    if (nwords == 6) { /* 384 dimensions: unrolled */
        uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3], q4 = q[4], q5 = q[5];
        for (size_t i = 0; i < n; i++, b += 6)
            dist[i] = (uint16_t)(__builtin_popcountll(q0 ^ b[0]) + __builtin_popcountll(q1 ^ b[1]) +
                                 __builtin_popcountll(q2 ^ b[2]) + __builtin_popcountll(q3 ^ b[3]) +
                                 __builtin_popcountll(q4 ^ b[4]) + __builtin_popcountll(q5 ^ b[5]));
        return;
    }
    for (size_t i = 0; i < n; i++, b += nwords)
        dist[i] = (uint16_t)hamming_popcnt(q, b, nwords);
}

__attribute__((target("popcnt"))) static void bits_asym_popcnt(const uint64_t *planes,
                                                               const uint64_t *base, size_t nwords,
                                                               const uint32_t *idx, size_t n,
                                                               uint32_t *dist)
{
    uint32_t top = 30u * 64u * (uint32_t)nwords;
    for (size_t i = 0; i < n; i++) {
        if (idx && i + 16 < n) { /* scattered records: fetch ahead */
            const char *a = (const char *)(base + (size_t)idx[i + 16] * nwords);
            __builtin_prefetch(a);
            __builtin_prefetch(a + nwords * 8 - 1);
        }
        const uint64_t *b = base + (idx ? idx[i] : i) * nwords;
        uint32_t pc = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t w = 0; w < nwords; w++) {
            uint64_t x = b[w];
            pc += (uint32_t)__builtin_popcountll(x);
            s0 += (uint32_t)__builtin_popcountll(x & planes[w]);
            s1 += (uint32_t)__builtin_popcountll(x & planes[nwords + w]);
            s2 += (uint32_t)__builtin_popcountll(x & planes[2 * nwords + w]);
            s3 += (uint32_t)__builtin_popcountll(x & planes[3 * nwords + w]);
        }
        uint32_t s = s0 + 2 * s1 + 4 * s2 + 8 * s3;
        dist[i] = top / 2 - 2 * s + 15 * pc;
    }
}

#endif /* KERN_X86 */

void kern_gelu(float *x, size_t n)
{
#if KERN_X86
    if (kern_have_avx2()) {
        gelu_avx2(x, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++)
        x[i] = 0.5f * x[i] * (1.f + erff(x[i] * 0.70710678118654752f));
}

void kern_softmax(float *x, size_t n)
{
#if KERN_X86
    if (kern_have_avx2()) {
        softmax_avx2(x, n);
        return;
    }
#endif
    float m = x[0], s = 0.f;
    for (size_t i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - m);
        s += x[i];
    }
    for (size_t i = 0; i < n; i++)
        x[i] /= s;
}

void kern_layernorm(float *x, const float *g, const float *b, size_t n, float eps)
{
#if KERN_X86
    if (kern_have_avx2()) {
        layernorm_avx2(x, g, b, n, eps);
        return;
    }
#endif
    float mean = 0.f, var = 0.f;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = x[i] - mean;
        var += d * d;
    }
    var /= (float)n;
    float inv = 1.f / sqrtf(var + eps);
    for (size_t i = 0; i < n; i++)
        x[i] = (x[i] - mean) * inv * g[i] + b[i];
}

float kern_dot(const float *a, const float *b, size_t n)
{
#if KERN_X86
    if (kern_have_avx2())
        return dot_avx2(a, b, n);
#endif
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

int32_t kern_dot_i8(const int8_t *a, const int8_t *b, size_t n)
{
#if KERN_X86
    if (kern_have_avx2())
        return dot_i8_avx2(a, b, n);
#endif
    int32_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += (int32_t)a[i] * b[i];
    return s;
}

void kern_gemm_small(const float *x, size_t m, size_t k, const float *w, size_t nout, float *y,
                     size_t ldy)
{
#if KERN_X86
    if (kern_have_avx2()) {
        gemm_small_avx2(x, m, k, w, nout, y, ldy);
        return;
    }
#endif
    for (size_t n = 0; n < nout; n++)
        for (size_t r = 0; r < m; r++)
            y[r * ldy + n] += kern_dot(x + r * k, w + n * k, k);
}

uint32_t kern_hamming(const uint64_t *a, const uint64_t *b, size_t nwords)
{
#if KERN_X86
    if (__builtin_cpu_supports("popcnt"))
        return hamming_popcnt(a, b, nwords);
#endif
    uint32_t d = 0;
    for (size_t i = 0; i < nwords; i++)
        d += (uint32_t)__builtin_popcountll(a[i] ^ b[i]);
    return d;
}

void kern_hamming_many(const uint64_t *q, const uint64_t *b, size_t nwords, size_t n,
                       uint16_t *dist)
{
#if KERN_X86
    if (__builtin_cpu_supports("popcnt")) {
        hamming_many_popcnt(q, b, nwords, n, dist);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++, b += nwords) {
        uint32_t d = 0;
        for (size_t w = 0; w < nwords; w++)
            d += (uint32_t)__builtin_popcountll(q[w] ^ b[w]);
        dist[i] = (uint16_t)d;
    }
}

void kern_bits_asym(const uint64_t *planes, const uint64_t *base, size_t nwords,
                    const uint32_t *idx, size_t n, uint32_t *dist)
{
#if KERN_X86
    if (__builtin_cpu_supports("popcnt")) {
        bits_asym_popcnt(planes, base, nwords, idx, n, dist);
        return;
    }
#endif
    uint32_t top = 30u * 64u * (uint32_t)nwords;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *b = base + (idx ? idx[i] : i) * nwords;
        uint32_t pc = 0, s = 0;
        for (size_t w = 0; w < nwords; w++) {
            pc += (uint32_t)__builtin_popcountll(b[w]);
            for (size_t p = 0; p < 4; p++)
                s += (uint32_t)__builtin_popcountll(b[w] & planes[p * nwords + w]) << p;
        }
        dist[i] = top / 2 - 2 * s + 15 * pc;
    }
}
