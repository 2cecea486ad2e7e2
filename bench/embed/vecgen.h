/*
 * bench/embed/vecgen.h - the synthetic "clustered" unit vectors of the
 * vector benchmarks, shared by bench/embed (--vec) and bench/hybrid.
 *
 * Vectors lie around nc random centres (standard normal coordinates) with
 * isotropic noise of the centre's magnitude (sigma 1 per coordinate /
 * sqrt(dim)), normalised to unit length: every vector has ~50 close
 * neighbours, as real embeddings have neighbourhoods. Deterministic: a
 * xorshift64 generator with a caller-held state.
 *
 * Header-only (static functions): each bench folder is one program.
 */
#ifndef PAPERBOY_BENCH_VECGEN_H
#define PAPERBOY_BENCH_VECGEN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* A standard normal draw (Box-Muller) from the xorshift state *s. */
static float vecgen_nrand(uint64_t *s)
{
    double u, v;
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    u = (double)(*s >> 11) / 9007199254740992.0 + 1e-12;
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    v = (double)(*s >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

/* v = normalise(c + noise), dim floats. */
static void vecgen_around(uint64_t *s, const float *c, float *v, size_t dim)
{
    double sum = 0;
    for (size_t j = 0; j < dim; j++) {
        v[j] = c[j] + 1.0f * vecgen_nrand(s) / sqrtf((float)dim);
        sum += (double)v[j] * v[j];
    }
    for (size_t j = 0; j < dim; j++)
        v[j] /= (float)sqrt(sum);
}

#endif
