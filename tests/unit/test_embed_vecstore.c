/*
 * test_embed_vecstore.c - the vector files (create, append, supersede,
 * crash tail, model change, damage) and the searches: exact top-k against
 * brute force, and the recall@10 of the two-stage int8 and bit searches
 * against exact, on clustered random vectors and on real ones (the
 * fixture's reference embeddings with perturbed neighbours); refreshing a
 * read-only store while a writer appends (in place, with the quantized
 * copies lagging, after compaction, damaged, deleted). The module's .c is
 * included to check how far the quantized copies reach (nq).
 */
#include "embed/vecstore.c"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fixtures/embed/fixture.h"
#include "ok.h"
#include "util/err.h"

#define DIM 384

static uint64_t rng_state = 88172645463325252ull;

static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static float nrand(void)
{
    double u = urand() + 1e-12, v = urand();
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

static void normalise(float *v)
{
    double s = 0;
    for (int j = 0; j < DIM; j++)
        s += (double)v[j] * v[j];
    float inv = (float)(1 / sqrt(s));
    for (int j = 0; j < DIM; j++)
        v[j] *= inv;
}

/* n vectors around nc random centres (noise sigma relative to the centre). */
static float *clustered(size_t n, size_t nc, float sigma, const float *centres_in)
{
    float *c = malloc(nc * DIM * sizeof(float));
    if (centres_in)
        memcpy(c, centres_in, nc * DIM * sizeof(float));
    else
        for (size_t i = 0; i < nc * DIM; i++)
            c[i] = nrand();
    for (size_t i = 0; i < nc; i++)
        normalise(c + i * DIM);
    float *v = malloc(n * DIM * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        const float *ce = c + (i % nc) * DIM;
        for (int j = 0; j < DIM; j++)
            v[i * DIM + j] = ce[j] + sigma * nrand() / sqrtf(DIM);
        normalise(v + i * DIM);
    }
    free(c);
    return v;
}

static double recall(struct vecstore *vs, const float *queries, size_t nq, enum vecsearch_mode mode,
                     size_t cand)
{
    size_t hit = 0;
    struct vechit ex[10], ap[10];
    for (size_t qi = 0; qi < nq; qi++) {
        size_t ne, na;
        struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 1}, oa = {mode, cand, 2};
        vecstore_search(vs, queries + qi * DIM, 10, -1, &oe, ex, &ne);
        vecstore_search(vs, queries + qi * DIM, 10, -1, &oa, ap, &na);
        for (size_t i = 0; i < ne; i++)
            for (size_t j = 0; j < na; j++)
                if (ex[i].rowid == ap[j].rowid) {
                    hit++;
                    break;
                }
    }
    return (double)hit / (double)(nq * 10);
}

static struct vecstore *build(const char *dir, const float *v, size_t n)
{
    char err[512];
    struct vecstore *vs = NULL;
    if (vecstore_open(dir, "test-model", DIM, 1, 0, &vs, err, sizeof err) != 0) {
        printf("# %s\n", err);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        vecstore_add(vs, (int64_t)i + 1, i * 7, v + i * DIM);
    vecstore_close(vs);
    vs = NULL;
    if (vecstore_open(dir, "test-model", DIM, 0, 1, &vs, err, sizeof err) != 0)
        printf("# %s\n", err);
    return vs;
}

static void rm_store(const char *dir)
{
    char p[512];
    static const char *const ext[] = {"f32", "i8", "b1"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/test-model.%s", dir, ext[i]);
        unlink(p);
    }
}

static void test_files(const char *dir)
{
    char err[512], p[512];
    struct vecstore *vs = NULL;
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 0, 0, &vs, err, sizeof err), ERR_NOT_FOUND,
              "read-only open of nothing is ERR_NOT_FOUND");
    float *v = clustered(100, 10, 0.5f, NULL);
    vs = build(dir, v, 100);
    ok(vs != NULL, "store written and reopened with checksum check");
    if (!vs)
        return;
    ok_eq_int(vecstore_count(vs), 100, "100 vectors");
    uint64_t th;
    const float *got;
    ok_eq_int(vecstore_get(vs, 42, &th, &got), 0, "get rowid 42");
    ok(th == 41 * 7 && memcmp(got, v + 41 * DIM, DIM * sizeof(float)) == 0, "vector and hash");
    ok_eq_int(vecstore_get(vs, 1000, &th, &got), ERR_NOT_FOUND, "absent rowid");
    struct vechit h[5];
    size_t n;
    vecstore_search(vs, v + 3 * DIM, 5, -1, NULL, h, &n);
    ok(n == 5 && h[0].rowid == 4 && fabsf(h[0].score - 1.f) < 1e-5f, "a vector finds itself");
    vecstore_search(vs, v + 3 * DIM, 5, 4, NULL, h, &n);
    ok(n == 5 && h[0].rowid != 4, "exclude leaves it out");
    ok(h[0].score >= h[1].score && h[3].score >= h[4].score, "best first");
    ok_eq_int(vecstore_search(vs, v, 0, -1, NULL, h, &n), ERR_INVALID, "k = 0 refused");
    vecstore_close(vs);

    /* Supersede rowid 5 with rowid 6's vector, then a crash tail. */
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 1, 1, &vs, err, sizeof err), 0,
              "writable reopen");
    struct vecstore *vs2 = NULL;
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 1, 0, &vs2, err, sizeof err), ERR_BUSY,
              "a second writer is refused");
    ok(vs2 == NULL && strstr(err, "another process"), "and told why");
    ok_eq_int(vecstore_add(vs, 5, 99, v + 5 * DIM), 0, "append a newer vector for rowid 5");
    vecstore_close(vs);
    snprintf(p, sizeof p, "%s/test-model.f32", dir);
    FILE *f = fopen(p, "ab");
    fwrite("garbage-tail-of-a-crash", 1, 23, f);
    fclose(f);
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 0, 1, &vs, err, sizeof err), 0,
              "uncommitted tail ignored");
    if (vs) {
        ok_eq_int(vecstore_count(vs), 100, "still 100 live vectors");
        vecstore_get(vs, 5, &th, &got);
        ok(th == 99 && memcmp(got, v + 5 * DIM, DIM * 4) == 0, "newest record wins");
        vecstore_search(vs, v + 5 * DIM, 3, -1, NULL, h, &n);
        ok(n == 3 && (h[0].rowid == 5 || h[0].rowid == 6) && h[1].rowid != h[0].rowid &&
               h[2].rowid != h[1].rowid,
           "superseded record not returned twice");
        vecstore_close(vs);
    }
    /* Supersede 40 more: a writable open compacts back to 100 records. */
    if (vecstore_open(dir, "test-model", DIM, 1, 0, &vs, err, sizeof err) == 0) {
        for (int i = 10; i < 50; i++)
            vecstore_add(vs, i, 1000 + i, v + i * DIM);
        vecstore_close(vs);
    }
    struct stat sb0, sb1;
    stat(p, &sb0);
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 1, 1, &vs, err, sizeof err), 0,
              "writable open compacts");
    stat(p, &sb1);
    ok(sb0.st_size == VECSTORE_HEADER + 141 * (16 + 4 * DIM) &&
           sb1.st_size == VECSTORE_HEADER + 100 * (16 + 4 * DIM),
       "141 records compacted to 100");
    printf("#   sizes %lld -> %lld\n", (long long)sb0.st_size, (long long)sb1.st_size);
    if (vs) {
        ok_eq_int(vecstore_count(vs), 100, "100 live after compaction");
        vecstore_get(vs, 12, &th, &got);
        ok(th == 1012, "compaction kept the newest record");
        vecstore_get(vs, 5, &th, &got);
        ok(th == 99, "and the earlier supersede");
        struct vecsearch_opts o8 = {VECSEARCH_INT8, 0, 1};
        vecstore_search(vs, v + 20 * DIM, 2, -1, &o8, h, &n);
        ok(n == 2 && (h[0].rowid == 20 || h[0].rowid == 21), "int8 copy rebuilt after compaction");
        vecstore_close(vs);
    }
    ok_eq_int(vecstore_open(dir, "other-model", DIM, 0, 0, &vs, err, sizeof err), ERR_NOT_FOUND,
              "another model has its own files");
    /* A header naming another model. */
    char p2[512];
    snprintf(p2, sizeof p2, "%s/other-model.f32", dir);
    f = fopen(p, "rb");
    FILE *g = fopen(p2, "wb");
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, g);
    fclose(f);
    fclose(g);
    ok_eq_int(vecstore_open(dir, "other-model", DIM, 0, 0, &vs, err, sizeof err), ERR_CORRUPT,
              "model change detected");
    ok(strstr(err, "test-model") != NULL, "message names the stored model");
    unlink(p2);
    ok_eq_int(vecstore_open(dir, "test-model", 400, 0, 0, &vs, err, sizeof err), ERR_INVALID,
              "dim not a multiple of 64 refused");
    /* Damage a vector: verify catches it. */
    f = fopen(p, "r+b");
    fseek(f, VECSTORE_HEADER + 16 + 100, SEEK_SET);
    fputc(0x55, f);
    fclose(f);
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 0, 1, &vs, err, sizeof err), ERR_CORRUPT,
              "checksum catches damage");
    /* Truncate below the committed count. */
    truncate(p, VECSTORE_HEADER + 10);
    ok_eq_int(vecstore_open(dir, "test-model", DIM, 0, 0, &vs, err, sizeof err), ERR_TRUNCATED,
              "truncated file refused");
    rm_store(dir);
    free(v);
}

/* Does a top-5 search for q in mode put want first with score ~1? int8
 * and bit keep only 20 first-stage candidates, so the new records must be
 * found through the quantized copies (or the exact tail). */
static int finds(struct vecstore *vs, const float *q, int64_t want, enum vecsearch_mode mode)
{
    int quant = mode == VECSEARCH_INT8 || mode == VECSEARCH_BIT;
    struct vecsearch_opts o = {mode, quant ? 20 : 0, 1};
    struct vechit h[5];
    size_t n = 0;
    if (vecstore_search(vs, q, 5, -1, &o, h, &n) != 0 || n == 0)
        return 0;
    return h[0].rowid == want && h[0].score > 0.9999f;
}

static const enum vecsearch_mode all_modes[4] = {VECSEARCH_EXACT, VECSEARCH_INT8, VECSEARCH_BIT,
                                                 VECSEARCH_AUTO};

/* How many of the four modes find want first for q. */
static int finds_all(struct vecstore *vs, const float *q, int64_t want)
{
    int n = 0;
    for (int m = 0; m < 4; m++) {
        int f = finds(vs, q, want, all_modes[m]);
        if (!f)
            printf("#   mode %d does not find rowid %lld\n", (int)all_modes[m], (long long)want);
        n += f;
    }
    return n;
}

/* In how many modes does a search for q return rowid at most once and
 * never with score ~1 (q is its superseded vector)? */
static int superseded_gone(struct vecstore *vs, const float *q, int64_t rowid)
{
    int good = 0;
    for (int m = 0; m < 4; m++) {
        struct vecsearch_opts o = {all_modes[m], 0, 1};
        struct vechit h[10];
        size_t n = 0, seen = 0, exact = 0;
        vecstore_search(vs, q, 10, -1, &o, h, &n);
        for (size_t i = 0; i < n; i++) {
            seen += h[i].rowid == rowid;
            exact += h[i].rowid == rowid && h[i].score > 0.9999f;
        }
        good += seen <= 1 && exact == 0;
    }
    return good;
}

static int read_at(const char *path, void *p, size_t n, off_t off)
{
    int fd = open(path, O_RDONLY);
    int ok = fd >= 0 && pread(fd, p, n, off) == (ssize_t)n;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int write_at(const char *path, const void *p, size_t n, off_t off)
{
    int fd = open(path, O_WRONLY);
    int ok = fd >= 0 && pwrite(fd, p, n, off) == (ssize_t)n;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* vecstore_refresh on a read-only store while a writer appends. */
static void test_refresh(const char *dir)
{
    char err[512], pf[512], pi[512];
    snprintf(pf, sizeof pf, "%s/test-model.f32", dir);
    snprintf(pi, sizeof pi, "%s/test-model.i8", dir);
    float *v = clustered(800, 40, 0.5f, NULL);
    struct vecstore *ro = build(dir, v, 100); /* rowids 1..100, verify on */
    if (!ok(ro != NULL, "refresh: read-only store of 100"))
        goto out;
    uint64_t th;
    const float *p0, *p1;
    int changed = -1;
    vecstore_get(ro, 1, &th, &p0);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh with nothing new");
    vecstore_get(ro, 1, &th, &p1);
    ok(changed == VECSTORE_UNCHANGED && p1 == p0 && vecstore_count(ro) == 100,
       "changed 0, same mapping (nothing reopened or remapped)");

    struct vecstore *w = NULL;
    ok_eq_int(vecstore_refresh(ro, NULL, err, sizeof err), 0, "changed may be NULL");
    if (!ok(vecstore_open(dir, "test-model", DIM, 1, 0, &w, err, sizeof err) == 0,
            "a writer opens beside the reader"))
        goto out;
    ok_eq_int(vecstore_refresh(w, &changed, err, sizeof err), ERR_INVALID,
              "a writable store is not refreshed");
    for (int i = 100; i < 400; i++) /* rowids 101..400; the table grows */
        vecstore_add(w, i + 1, (uint64_t)i * 7, v + i * DIM);
    vecstore_add(w, 7, 777, v + 450 * DIM); /* supersedes rowid 7 */
    changed = -1;
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh before the sync");
    ok(changed == VECSTORE_UNCHANGED && vecstore_count(ro) == 100,
       "uncommitted records are not seen");
    vecstore_sync(w);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh after the sync");
    ok_eq_int(changed, VECSTORE_EXTENDED, "taken in place (not reopened)");
    ok_eq_int(vecstore_count(ro), 400, "400 live vectors (one superseded)");
    ok(ro->nq == 401 && ro->f[K_I8].usable && ro->f[K_B1].usable,
       "the quantized copies cover the new records");
    ok(vecstore_get(ro, 350, &th, &p1) == 0 && th == 349 * 7 &&
           memcmp(p1, v + 349 * DIM, DIM * sizeof(float)) == 0,
       "vecstore_get finds a new vector");
    ok(vecstore_get(ro, 7, &th, &p1) == 0 && th == 777 &&
           memcmp(p1, v + 450 * DIM, DIM * sizeof(float)) == 0,
       "the superseding record wins");
    ok(vecstore_get(ro, 1, &th, &p1) == 0 && th == 0, "old records still there");
    ok_eq_int(finds_all(ro, v + 349 * DIM, 350), 4, "new vector found by exact, int8, bit, auto");
    ok_eq_int(finds_all(ro, v + 399 * DIM, 400), 4, "the last new vector too");
    ok_eq_int(finds_all(ro, v + 450 * DIM, 7), 4, "the superseding vector found in every mode");
    ok_eq_int(superseded_gone(ro, v + 6 * DIM, 7), 4, "the superseded vector is not (every mode)");
    ok_eq_int(finds_all(ro, v + 50 * DIM, 51), 4, "an old vector still found");

    /* The writer between its .f32 and quantized header writes: the i8
     * header still names the old count. */
    unsigned char h_old[VECSTORE_HEADER], h_new[VECSTORE_HEADER];
    read_at(pi, h_old, sizeof h_old, 0);
    for (int i = 400; i < 420; i++) /* rowids 401..420 */
        vecstore_add(w, i + 1, (uint64_t)i * 7, v + i * DIM);
    vecstore_sync(w);
    read_at(pi, h_new, sizeof h_new, 0);
    ok(write_at(pi, h_old, sizeof h_old, 0), "i8 header set back (copies lag)");
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh with lagging copies");
    ok(changed == VECSTORE_EXTENDED && vecstore_count(ro) == 420 && ro->nq == 401,
       "the records are in, the copies still cover 401");
    ok_eq_int(finds_all(ro, v + 409 * DIM, 410), 4, "the uncovered tail is searched exactly");
    ok_eq_int(finds_all(ro, v + 349 * DIM, 350), 4, "the covered part through the copies");
    write_at(pi, h_new, sizeof h_new, 0);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh once they caught up");
    ok(changed == VECSTORE_UNCHANGED && ro->nq == 421, "copies cover everything again");
    ok_eq_int(finds_all(ro, v + 409 * DIM, 410), 4, "found through the copies");

    /* Damaged new records: the checksum does not continue, the reopen
     * (with verify, as opened) refuses, the store in hand stays. */
    vecstore_add(w, 421, 1, v + 420 * DIM);
    vecstore_sync(w);
    off_t off = VECSTORE_HEADER + (off_t)421 * (16 + 4 * DIM) + 40;
    unsigned char byte, bad;
    read_at(pf, &byte, 1, off);
    bad = byte ^ 0x55;
    write_at(pf, &bad, 1, off);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), ERR_CORRUPT,
              "checksum of the new records wrong: reopen with verify fails");
    printf("#   %s\n", err);
    ok(vecstore_count(ro) == 420 && finds_all(ro, v + 409 * DIM, 410) == 4,
       "and the store in hand is unchanged and works");
    write_at(pf, &byte, 1, off);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "repaired: refresh");
    ok(changed == VECSTORE_EXTENDED && vecstore_count(ro) == 421, "taken in place");

    /* Supersede 150 of 421: the next writable open compacts, replacing the
     * files: the refresh reopens. */
    for (int i = 0; i < 150; i++)
        vecstore_add(w, i + 1, 2000 + (uint64_t)i, v + (500 + i) * DIM);
    vecstore_close(w);
    w = NULL;
    struct stat sb0, sb1;
    stat(pf, &sb0);
    if (!ok(vecstore_open(dir, "test-model", DIM, 1, 0, &w, err, sizeof err) == 0, "writer reopens"))
        goto out;
    vecstore_close(w);
    w = NULL;
    stat(pf, &sb1);
    ok(sb0.st_ino != sb1.st_ino && sb1.st_size == VECSTORE_HEADER + 421 * (16 + 4 * DIM),
       "compacted into a new file of 421 records");
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh after compaction");
    ok_eq_int(changed, VECSTORE_REOPENED, "reopened");
    ok(vecstore_count(ro) == 421 && ro->nq == 421 && ro->f[K_I8].usable && ro->f[K_B1].usable,
       "421 live, copies (rebuilt) usable");
    ok(vecstore_get(ro, 3, &th, &p1) == 0 && th == 2002 &&
           memcmp(p1, v + 502 * DIM, DIM * sizeof(float)) == 0,
       "vecstore_get has the newest record");
    ok_eq_int(finds_all(ro, v + 502 * DIM, 3), 4, "a superseding vector found in every mode");
    ok_eq_int(superseded_gone(ro, v + 2 * DIM, 3), 4, "the superseded one is not");
    ok_eq_int(finds_all(ro, v + 409 * DIM, 410), 4, "an untouched one still found");
    vecstore_get(ro, 1, &th, &p0);
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), 0, "refresh again");
    vecstore_get(ro, 1, &th, &p1);
    ok(changed == VECSTORE_UNCHANGED && p0 == p1, "nothing new: nothing done");

    /* The files deleted: an error, the store in hand stays usable. */
    rm_store(dir);
    changed = -1;
    ok_eq_int(vecstore_refresh(ro, &changed, err, sizeof err), ERR_NOT_FOUND,
              "files deleted: ERR_NOT_FOUND");
    ok(changed == -1 && strstr(err, "no vectors") != NULL, "changed untouched, err says why");
    ok(vecstore_count(ro) == 421 && vecstore_get(ro, 3, &th, &p1) == 0 && th == 2002,
       "the old store is still usable (get)");
    ok_eq_int(finds_all(ro, v + 409 * DIM, 410), 4, "and searches");
out:
    vecstore_close(ro);
    rm_store(dir);
    free(v);
}

static void test_recall(const char *dir, const char *name, float *v, size_t n, float *qs, size_t nq,
                        int bit_must_pass)
{
    struct vecstore *vs = build(dir, v, n);
    if (!ok(vs != NULL, "store built"))
        return;
    /* exact search equals brute force */
    struct vechit h[10];
    size_t nh, agree = 0;
    struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 0};
    for (size_t qi = 0; qi < 5; qi++) {
        const float *q = qs + qi * DIM;
        vecstore_search(vs, q, 10, -1, &oe, h, &nh);
        float best = -2;
        size_t bi = 0;
        for (size_t i = 0; i < n; i++) {
            float s = 0;
            for (int j = 0; j < DIM; j++)
                s += q[j] * v[i * DIM + j];
            if (s > best) {
                best = s;
                bi = i;
            }
        }
        agree += h[0].rowid == (int64_t)bi + 1;
    }
    char t[160];
    snprintf(t, sizeof t, "%s: exact top-1 equals brute force", name);
    ok_eq_int(agree, 5, t);
    double r8 = recall(vs, qs, nq, VECSEARCH_INT8, 0);
    double rb = recall(vs, qs, nq, VECSEARCH_BIT, 0);
    if (getenv("SWEEP"))
        for (size_t c = 500; c <= n / 2; c *= 2)
            printf("# bit cand %zu: %.4f  int8 cand %zu: %.4f\n", c,
                   recall(vs, qs, nq, VECSEARCH_BIT, c), c / 25,
                   recall(vs, qs, nq, VECSEARCH_INT8, c / 25));
    printf("# %s (%zu vectors, %zu queries): recall@10 int8 %.4f, bit %.4f (default "
           "candidates)\n",
           name, n, nq, r8, rb);
    snprintf(t, sizeof t, "%s: int8 two-stage recall@10 >= 0.99", name);
    ok(r8 >= 0.99, t);
    if (bit_must_pass) {
        snprintf(t, sizeof t, "%s: bit two-stage recall@10 >= 0.99", name);
        ok(rb >= 0.99, t);
    } else {
        /* Sign bits of unstructured vectors say little (see vecstore.h). */
        snprintf(t, sizeof t, "%s: bit two-stage recall@10 >= 0.6", name);
        ok(rb >= 0.6, t);
    }
    vecstore_close(vs);
    rm_store(dir);
}

/* VECSEARCH_AUTO (and opts NULL): the exact scan below
 * VECSEARCH_AUTO_EXACT_BELOW vectors, the bit two-stage search from there;
 * recall@10 >= 0.99 on the real-embedding fixture at that size. */
static void test_auto(const char *dir, const float *emb, size_t nemb)
{
    size_t per = VECSEARCH_AUTO_EXACT_BELOW / nemb + 1, n = nemb * per;
    float *v = clustered(n, nemb, 0.6f, emb);
    float *q = clustered(60, nemb, 0.6f, emb);
    /* Small: the first 1000 only, AUTO must give exactly the exact hits. */
    struct vecstore *vs = build(dir, v, 1000);
    if (ok(vs != NULL, "small store built")) {
        size_t same = 0;
        struct vecsearch_opts oe = {VECSEARCH_EXACT, 0, 1}, oa = {VECSEARCH_AUTO, 0, 0};
        for (size_t qi = 0; qi < 20; qi++) {
            struct vechit a[10], b[10], c[10];
            size_t na, nb, nc;
            vecstore_search(vs, q + qi * DIM, 10, -1, &oe, a, &na);
            vecstore_search(vs, q + qi * DIM, 10, -1, &oa, b, &nb);
            vecstore_search(vs, q + qi * DIM, 10, -1, NULL, c, &nc);
            int eq = na == nb && na == nc;
            for (size_t j = 0; eq && j < na; j++)
                eq = a[j].rowid == b[j].rowid && a[j].rowid == c[j].rowid &&
                     a[j].score == b[j].score && a[j].score == c[j].score;
            same += eq;
        }
        ok_eq_int(same, 20, "auto below the threshold is the exact search (opts NULL too)");
        vecstore_close(vs);
        rm_store(dir);
    }
    vs = build(dir, v, n);
    if (ok(vs != NULL, "large store built")) {
        double ra = recall(vs, q, 60, VECSEARCH_AUTO, 0);
        printf("# auto at %zu vectors (bit two-stage): recall@10 %.4f\n", n, ra);
        ok(ra >= 0.99, "auto at the threshold: recall@10 >= 0.99 on real-embedding neighbours");
        vecstore_close(vs);
        rm_store(dir);
    }
    free(v);
    free(q);
}

int main(void)
{
    char dir[] = "/tmp/paperboy-vec-XXXXXX";
    if (!mkdtemp(dir)) {
        ok(0, "temp dir");
        return ok_done();
    }
    test_files(dir);
    test_refresh(dir);

    /* Clustered random: 20000 vectors around 400 centres; queries are new
     * draws around the same centres. */
    float *v = clustered(20000, 400, 1.0f, NULL);
    rng_state = 12345;
    float *centres = clustered(400, 400, 0.0f, NULL);
    free(centres);
    float *q = clustered(50, 400, 1.0f, NULL);
    test_recall(dir, "clustered random", v, 20000, q, 50, 0);
    free(v);
    free(q);
    /* Pure random (no structure: the hardest case for sign bits). */
    v = clustered(20000, 20000, 0.0f, NULL);
    q = clustered(50, 50, 0.0f, NULL);
    test_recall(dir, "uniform random", v, 20000, q, 50, 0);
    free(v);
    free(q);

    struct fixture fx;
    if (fixture_load(&fx) == 0 && fx.emb) {
        /* Real embeddings: each fixture vector with 40 perturbed
         * neighbours; queries are other perturbations. */
        v = clustered(fx.n * 40, fx.n, 0.6f, fx.emb);
        q = clustered(60, fx.n, 0.6f, fx.emb);
        test_recall(dir, "real (fixture) embeddings", v, fx.n * 40, q, 60, 1);
        free(v);
        free(q);
        test_auto(dir, fx.emb, fx.n);
        fixture_free(&fx);
    } else {
        ok_skip("recall on real embeddings", "fixture missing");
    }
    rmdir(dir);
    return ok_done();
}
