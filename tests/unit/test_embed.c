/*
 * test_embed.c - the safetensors loader (always, on images built here), the
 * numeric kernels (always), and the encoder against the reference
 * sentence-transformers embeddings (when the model is installed).
 */
#include "embed/encoder.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fixtures/embed/fixture.h"
#include "embed/kern.h"
#include "embed/safetensors.h"
#include "embed/wordpiece.h"
#include "ok.h"
#include "util/err.h"

/* Builds a safetensors image from a header text and n data bytes. */
static unsigned char *image(const char *hdr, size_t ndata, size_t *len)
{
    size_t hl = strlen(hdr);
    *len = 8 + hl + ndata;
    unsigned char *p = calloc(1, *len);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(p + 8, hdr, hl);
    for (size_t i = 0; i < ndata; i++)
        p[8 + hl + i] = (unsigned char)i;
    return p;
}

static void test_safetensors(void)
{
    size_t len;
    char err[256];
    struct safetensors *st = NULL;
    unsigned char *p = image("{\"__metadata__\":{\"format\":\"pt\"},"
                             "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                             "\"h\":{\"shape\":[2],\"data_offsets\":[16,20],\"dtype\":\"F16\"}}  ",
                             20, &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), 0, "valid image parses");
    if (st) {
        ok_eq_int(safetensors_count(st), 2, "two tensors");
        const float *f = NULL;
        int64_t s22[2] = {2, 2}, s4[1] = {4}, s2[1] = {2};
        ok_eq_int(safetensors_get_f32(st, "a", s22, 2, &f, err, sizeof err), 0, "F32 get");
        ok_eq_int(safetensors_get_f32(st, "a", s4, 1, &f, err, sizeof err), ERR_CORRUPT,
                  "wrong shape refused");
        ok(strstr(err, "tensor a: expected shape [4], found [2, 2]") != NULL,
           "message names tensor, expected and found");
        ok_eq_int(safetensors_get_f32(st, "zz", s4, 1, &f, err, sizeof err), ERR_NOT_FOUND,
                  "missing tensor");
        ok(strstr(err, "zz") != NULL, "message names missing tensor");
        ok_eq_int(safetensors_get_f32(st, "h", s2, 1, &f, err, sizeof err), 0, "F16 converted");
        /* bytes 16..19 = 0x10 0x11 0x12 0x13: halves 0x1110 and 0x1312 */
        ok(f && fabsf(f[0] - 0.00061798096f) < 1e-9f, "F16 value");
        safetensors_close(st);
        st = NULL;
    }
    free(p);

    p = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12, &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), ERR_TRUNCATED, "truncated data");
    ok(strstr(err, "tensor a") != NULL, "truncation names the tensor");
    free(p);
    p = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16, &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), ERR_CORRUPT, "byte count vs shape");
    free(p);
    p = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},}", 16, &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), ERR_PARSE, "trailing comma");
    free(p);
    p = image("{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), ERR_UNSUPPORTED, "unknown dtype");
    free(p);
    p = image("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],\"x\":1}}", 16,
              &len);
    ok_eq_int(safetensors_parse(p, len, &st, err, sizeof err), ERR_PARSE, "unknown member");
    free(p);
    unsigned char shortf[5] = {1, 2, 3, 4, 5};
    ok_eq_int(safetensors_parse(shortf, 5, &st, err, sizeof err), ERR_TRUNCATED, "5-byte file");
    unsigned char big[16] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    ok_eq_int(safetensors_parse(big, 16, &st, err, sizeof err), ERR_TOO_LARGE, "huge header");
    ok_eq_int(safetensors_open("/nonexistent/x.safetensors", &st, err, sizeof err), ERR_IO,
              "missing file");
}

static void test_kernels(void)
{
    double m = 0;
    for (float x = -6.f; x < 6.f; x += 1e-3f) {
        double e = fabs((double)kern_erf_approx(x) - erf((double)x));
        m = e > m ? e : m;
    }
    ok(m < 5e-7, "erf approximation within 5e-7");
    float v[37], w[37];
    for (int i = 0; i < 37; i++)
        v[i] = w[i] = (float)(i - 18) * 0.37f;
    kern_gelu(v, 37);
    double ge = 0;
    for (int i = 0; i < 37; i++) {
        double want = 0.5 * w[i] * (1 + erf(w[i] / sqrt(2.0)));
        ge = fmax(ge, fabs(v[i] - want));
    }
    ok(ge < 2e-6, "gelu");
    for (int i = 0; i < 37; i++)
        v[i] = w[i] * 7.f;
    kern_softmax(v, 37);
    double s = 0, se = 0, z = 0;
    for (int i = 0; i < 37; i++)
        z += exp((double)w[i] * 7 - (double)w[36] * 7);
    for (int i = 0; i < 37; i++) {
        s += v[i];
        se = fmax(se, fabs(v[i] - exp((double)w[i] * 7 - (double)w[36] * 7) / z));
    }
    ok(fabs(s - 1) < 1e-5 && se < 1e-6, "softmax");
    float ln[387], g[387], bb[387];
    double mu = 0, var = 0, lerr = 0;
    for (int i = 0; i < 387; i++) {
        ln[i] = sinf((float)i) * 3.f + 0.5f;
        g[i] = 1.f + 0.01f * (float)(i % 7);
        bb[i] = 0.1f * (float)(i % 3);
        mu += ln[i];
    }
    mu /= 387;
    for (int i = 0; i < 387; i++)
        var += (ln[i] - mu) * (ln[i] - mu);
    var /= 387;
    float ln0[387];
    memcpy(ln0, ln, sizeof ln);
    kern_layernorm(ln, g, bb, 387, 1e-12f);
    for (int i = 0; i < 387; i++)
        lerr = fmax(lerr, fabs(ln[i] - ((ln0[i] - mu) / sqrt(var + 1e-12) * g[i] + bb[i])));
    ok(lerr < 1e-5, "layernorm");
    int8_t a8[37], b8[37];
    int32_t want8 = 0;
    float fd = 0;
    for (int i = 0; i < 37; i++) {
        a8[i] = (int8_t)(i * 7 - 127);
        b8[i] = (int8_t)(100 - i * 5);
        want8 += a8[i] * b8[i];
        fd += w[i] * w[i];
    }
    ok_eq_int(kern_dot_i8(a8, b8, 37), want8, "int8 dot");
    int8_t c8[384], d8[384];
    int32_t want384 = 0;
    unsigned st = 7;
    for (int i = 0; i < 384; i++) {
        st = st * 1103515245u + 12345u;
        c8[i] = (int8_t)((int)(st >> 16) % 255 - 127);
        st = st * 1103515245u + 12345u;
        d8[i] = (int8_t)(i % 2 ? 127 : -127);
        if (i % 5 == 0)
            d8[i] = (int8_t)((int)(st >> 16) % 255 - 127);
        want384 += c8[i] * d8[i];
    }
    ok_eq_int(kern_dot_i8(c8, d8, 384), want384, "int8 dot, 384 values at the extremes");
    ok(fabsf(kern_dot(w, w, 37) - fd) < 1e-3f, "float dot");
    uint64_t h1[6] = {0, ~0ull, 5, 0, 0, 1}, h2[6] = {0, 0, 3, 0, 0, 1};
    ok_eq_int(kern_hamming(h1, h2, 6), 66, "hamming");

    /* Many at once, 6 words (the unrolled body) and 2 words. */
    uint64_t hb[3 * 6] = {0}, hq[6] = {0};
    uint16_t hd[3];
    memcpy(hb + 6, h1, sizeof h1);
    memcpy(hq, h2, sizeof h2);
    hb[12] = 7;
    kern_hamming_many(hq, hb, 6, 3, hd);
    ok(hd[0] == kern_hamming(hq, hb, 6) && hd[1] == 66 && hd[2] == kern_hamming(hq, hb + 12, 6),
       "hamming of many, 6 words");
    kern_hamming_many(hq, hb, 2, 3, hd);
    ok(hd[0] == kern_hamming(hq, hb, 2) && hd[1] == kern_hamming(hq, hb + 2, 2) &&
           hd[2] == kern_hamming(hq, hb + 4, 2),
       "hamming of many, 2 words");

    /* The asymmetric distance against its definition: for a query of
     * 4-bit levels u_j and a sign string s_j = +-1, sum_j (2 u_j - 15) s_j
     * = 2 (2S - 15P) - 2 sum u + 15 * 64 nw, so the distance 15 * 64 nw -
     * (2S - 15P) follows from that sum. */
    {
        enum { NW = 6, NB = 5 };
        uint64_t pl[4 * NW] = {0}, bits[NB * NW];
        unsigned u[NW * 64];
        uint64_t rs = 0x1234567ull;
        for (int j = 0; j < NW * 64; j++) {
            rs = rs * 6364136223846793005ull + 1442695040888963407ull;
            u[j] = (unsigned)(rs >> 60);
            for (int p = 0; p < 4; p++)
                if (u[j] >> p & 1)
                    pl[p * NW + j / 64] |= 1ull << (j % 64);
        }
        for (int i = 0; i < NB * NW; i++) {
            rs = rs * 6364136223846793005ull + 1442695040888963407ull;
            bits[i] = rs ^ (rs >> 17);
        }
        bits[0] = 0, bits[1] = ~0ull; /* record 0: partly empty */
        uint32_t ad[NB], ai[2];
        kern_bits_asym(pl, bits, NW, NULL, NB, ad);
        int good = 1;
        for (int r = 0; r < NB; r++) {
            long sum = 0; /* sum_j (2 u_j - 15) s_j */
            for (int j = 0; j < NW * 64; j++) {
                int set = (int)(bits[r * NW + j / 64] >> (j % 64) & 1);
                sum += (2 * (long)u[j] - 15) * (set ? 1 : -1);
            }
            long sum_u = 0;
            for (int j = 0; j < NW * 64; j++)
                sum_u += (long)u[j];
            /* sum = 2 (2S - 15P) - 2 sum_u + 15 * 64 NW */
            long want = 15L * 64 * NW - (sum + 2 * sum_u - 15L * 64 * NW) / 2;
            good &= (long)ad[r] == want;
        }
        uint32_t pick[2] = {3, 1};
        kern_bits_asym(pl, bits, NW, pick, 2, ai);
        ok(good && ai[0] == ad[3] && ai[1] == ad[1],
           "asymmetric 4-bit distance matches its definition (and by index)");
    }

    /* The small-row product against a plain double loop: every row count
     * of the 3-row blocks and their rest, k not a multiple of 8, nout not
     * a multiple of 4, y rows wider than nout. */
    enum { KM = 7, KK = 45, KN = 11, LDY = 13 };
    float gx[KM * KK], gw[KN * KK], gy[KM * LDY];
    for (int i = 0; i < KM * KK; i++)
        gx[i] = (float)((i * 37) % 19) / 7.f - 1.f;
    for (int i = 0; i < KN * KK; i++)
        gw[i] = (float)((i * 11) % 23) / 9.f - 1.2f;
    double gerr = 0;
    for (int rows = 1; rows <= KM; rows++) {
        for (int i = 0; i < KM * LDY; i++)
            gy[i] = 0.5f;
        kern_gemm_small(gx, (size_t)rows, KK, gw, KN, gy, LDY);
        for (int r = 0; r < KM; r++)
            for (int c = 0; c < LDY; c++) {
                double want = 0.5;
                if (r < rows && c < KN)
                    for (int i = 0; i < KK; i++)
                        want += (double)gx[r * KK + i] * gw[c * KK + i];
                double e = fabs(want - gy[r * LDY + c]);
                gerr = e > gerr ? e : gerr;
            }
    }
    ok(gerr < 1e-4, "small-row product equals the plain product (1..7 rows)");
    printf("#   small-row product max error %.2g\n", gerr);
}

static double cosine(const float *a, const float *b, size_t n)
{
    double d = 0, na = 0, nb = 0;
    for (size_t i = 0; i < n; i++) {
        d += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    return d / sqrt(na * nb);
}

struct conc {
    struct encoder *enc;
    const char **texts;
    const size_t *lens;
    size_t n;
    float *out;
};

static void *conc_run(void *arg)
{
    struct conc *c = arg;
    for (size_t i = 0; i < c->n; i += 4) {
        size_t k = c->n - i < 4 ? c->n - i : 4;
        encoder_embed(c->enc, c->texts + i, c->lens + i, k, c->out + i * ENCODER_DIM);
    }
    return NULL;
}

static void test_encoder(void)
{
    char dir[1024], err[512];
    fixture_model_dir(dir, sizeof dir);
    struct encoder *enc = NULL;
    int rc = encoder_open(dir, NULL, &enc, err, sizeof err);
    if (rc == ERR_NOT_FOUND) {
        ok_skip("encoder vs reference embeddings", "model not installed (make model)");
        return;
    }
    ok_eq_int(rc, 0, "encoder opens");
    if (rc) {
        printf("#   %s\n", err);
        return;
    }
    struct fixture fx;
    if (fixture_load(&fx) != 0 || !fx.emb) {
        ok(0, "fixture readable");
        encoder_close(enc);
        return;
    }
    /* Batches of 32 (mixed lengths), like `paperboy embed`. */
    float *out = malloc(fx.n * ENCODER_DIM * sizeof(float));
    const char **texts = malloc(fx.n * sizeof *texts);
    size_t *lens = malloc(fx.n * sizeof *lens);
    for (size_t i = 0; i < fx.n; i++) {
        texts[i] = fx.items[i].text;
        lens[i] = fx.items[i].len;
    }
    rc = 0;
    for (size_t i = 0; i < fx.n && rc == 0; i += 32) {
        size_t k = fx.n - i < 32 ? fx.n - i : 32;
        rc = encoder_embed(enc, texts + i, lens + i, k, out + i * ENCODER_DIM);
    }
    ok_eq_int(rc, 0, "embeds every fixture string");
    double minc = 1, sum = 0;
    size_t worst = 0, below = 0;
    for (size_t i = 0; i < fx.n; i++) {
        double c = cosine(out + i * ENCODER_DIM, fx.emb + i * ENCODER_DIM, ENCODER_DIM);
        sum += c;
        below += c < 0.9999;
        if (c < minc) {
            minc = c;
            worst = i;
        }
    }
    printf("# %zu strings: min cosine %.7f (string %zu), mean %.8f\n", fx.n, minc, worst,
           sum / (double)fx.n);
    ok(below == 0, "every embedding has cosine >= 0.9999 with the reference");
    double nrm = 0;
    for (size_t j = 0; j < ENCODER_DIM; j++)
        nrm += (double)out[j] * out[j];
    ok(fabs(nrm - 1) < 1e-5, "unit length");

    /* One at a time gives the same vectors as batched. */
    float one[ENCODER_DIM];
    double mc = 1;
    for (size_t i = 0; i < fx.n; i += 23) {
        encoder_embed(enc, &texts[i], &lens[i], 1, one);
        double c = cosine(one, out + i * ENCODER_DIM, ENCODER_DIM);
        mc = c < mc ? c : mc;
    }
    ok(mc > 0.999999, "batch of 1 equals batched");

    /* The query path (<= 64 tokens, one sequence) on 1 thread and split
     * by columns over 2 and 3 threads gives the batched vectors; also a
     * 25..64-token input, which used to take the sgemm path. */
    double qc = 1;
    size_t mid = 0;
    for (int e = 0; e < 2; e++) {
        struct encoder *qenc = NULL;
        if (encoder_open(dir, NULL, &qenc, err, sizeof err) != 0)
            break;
        encoder_set_query_threads(qenc, 2 + e);
        for (size_t i = 0; i < fx.n; i += 7) {
            int32_t qids[ENCODER_MAX_TOKENS];
            size_t nq = 0;
            wordpiece_encode(encoder_tokenizer(enc), texts[i], lens[i], ENCODER_MAX_TOKENS, qids,
                             &nq);
            if (nq > 64)
                continue;
            mid += e == 0 && nq > 24;
            float a1[ENCODER_DIM], a2[ENCODER_DIM];
            encoder_embed(enc, &texts[i], &lens[i], 1, a1);
            encoder_embed(qenc, &texts[i], &lens[i], 1, a2);
            double c1 = cosine(a1, out + i * ENCODER_DIM, ENCODER_DIM);
            double c2 = cosine(a2, out + i * ENCODER_DIM, ENCODER_DIM);
            qc = c1 < qc ? c1 : qc;
            qc = c2 < qc ? c2 : qc;
        }
        encoder_close(qenc);
    }
    printf("#   query path: %zu inputs of 25-64 tokens among those checked\n", mid);
    ok(qc > 0.999999 && mid > 0, "query path (1, 2, 3 threads) equals batched");

    /* Two threads embedding at once get what one thread gets. */
    size_t nc = fx.n < 24 ? fx.n : 24;
    float *o1 = malloc(nc * ENCODER_DIM * sizeof(float)), *o2 = malloc(nc * ENCODER_DIM * 4);
    struct conc c1 = {enc, texts + 60, lens + 60, nc, o1},
                c2 = {enc, texts + 60, lens + 60, nc, o2};
    pthread_t th;
    int started = pthread_create(&th, NULL, conc_run, &c1) == 0;
    conc_run(&c2);
    if (started)
        pthread_join(th, NULL);
    double cc = 1;
    for (size_t i = 0; i < nc; i++) {
        double c = cosine(o1 + i * ENCODER_DIM, out + (60 + i) * ENCODER_DIM, ENCODER_DIM);
        double d = cosine(o2 + i * ENCODER_DIM, out + (60 + i) * ENCODER_DIM, ENCODER_DIM);
        cc = c < cc ? c : cc;
        cc = d < cc ? d : cc;
    }
    ok(started && cc > 0.999999, "concurrent calls on one encoder agree with serial ones");
    free(o1);
    free(o2);
    int32_t bad_ids[2] = {101, 40000};
    const int32_t *bp = bad_ids;
    size_t bn = 2;
    ok_eq_int(encoder_embed_ids(enc, &bp, &bn, 1, one), ERR_INVALID, "out-of-range id refused");
    free(out);
    free(texts);
    free(lens);
    fixture_free(&fx);
    encoder_close(enc);

    ok_eq_int(encoder_open("/nonexistent-model-dir", NULL, &enc, err, sizeof err), ERR_NOT_FOUND,
              "absent model is ERR_NOT_FOUND");
    ok(strstr(err, "make model") != NULL, "absent model message says make model");
}

/* A model folder with a 30522-token vocab.txt and the given header as
 * model.safetensors (plus ndata data bytes): encoder_open() must refuse it
 * and say which tensor is wrong. */
static int fake_model(const char *dir, const char *hdr, size_t ndata, char *err, size_t errlen)
{
    char p[512];
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    FILE *f = fopen(p, "w");
    fputs("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n", f);
    for (int i = 5; i < 30522; i++)
        fprintf(f, "t%d\n", i);
    fclose(f);
    size_t len;
    unsigned char *img = image(hdr, ndata, &len);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    f = fopen(p, "wb");
    fwrite(img, 1, len, f);
    fclose(f);
    free(img);
    struct encoder *enc = NULL;
    int rc = encoder_open(dir, NULL, &enc, err, errlen);
    encoder_close(enc);
    unlink(p);
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    unlink(p);
    return rc;
}

static void test_bad_models(void)
{
    char dir[] = "/tmp/paperboy-model-XXXXXX", err[512];
    if (!mkdtemp(dir)) {
        ok(0, "temp dir");
        return;
    }
    int rc = fake_model(dir,
                        "{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\","
                        "\"shape\":[30522,383],\"data_offsets\":[0,46759704]}}",
                        46759704, err, sizeof err);
    ok_eq_int(rc, ERR_CORRUPT, "wrong shape refused");
    ok(strstr(err, "embeddings.word_embeddings.weight: expected shape [30522, 384], found "
                   "[30522, 383]") != NULL,
       "message names the tensor, expected and found shape");
    printf("#   %s\n", err);
    rc = fake_model(dir,
                    "{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\","
                    "\"shape\":[30522,384],\"data_offsets\":[0,46881792]}}",
                    1000, err, sizeof err);
    ok_eq_int(rc, ERR_TRUNCATED, "truncated weights refused");
    ok(strstr(err, "embeddings.word_embeddings.weight") && strstr(err, "truncated"),
       "message names the tensor and says truncated");
    printf("#   %s\n", err);
    rc = fake_model(dir,
                    "{\"embeddings.word_embeddings.weight\":{\"dtype\":\"I32\","
                    "\"shape\":[30522,384],\"data_offsets\":[0,46881792]}}",
                    46881792, err, sizeof err);
    ok_eq_int(rc, ERR_CORRUPT, "wrong dtype refused");
    ok(strstr(err, "expected dtype F32") && strstr(err, "found I32"), "message says dtype");
    rc = fake_model(dir, "{}", 0, err, sizeof err);
    ok_eq_int(rc, ERR_CORRUPT, "empty weights: a broken model, not an absent one");
    ok(strstr(err, "embeddings.word_embeddings.weight is missing") != NULL,
       "message names the missing tensor");
    rmdir(dir);
}

int main(void)
{
    test_safetensors();
    test_bad_models();
    test_kernels();
    test_encoder();
    return ok_done();
}
