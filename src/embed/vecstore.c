/*
 * vecstore.c - vector files and nearest-neighbour search (see vecstore.h).
 *
 * In memory: the .f32 records committed at open are mapped read-only (as
 * are the .i8 and .b1 copies when they match); a hash table maps rowid to
 * the newest record index, and dead[i] marks records superseded by a newer
 * one for the same rowid. Appends go through stdio to the ends of the
 * three files and become part of the file, not of this snapshot.
 * vecstore_refresh (read-only stores) moves the snapshot forward: the
 * mappings grow by mremap, dead[] and the rowid table grow (doubling),
 * and nq <= n says how far the quantized copies reach; the int8 and bit
 * searches scan [0, nq) and rescore records [nq, n) with floats.
 *
 * Top-k: a binary min-heap of (score, index) of size k per thread; a new
 * score enters only when it beats the root. Bit mode scores every record
 * by the asymmetric distance of a 4-bit copy of the query to its sign bits
 * (kern_bits_asym: the query's magnitudes count, unlike a Hamming distance
 * between two sign strings, which lost 4% of recall@10 at the same
 * candidate count on real embeddings) and selects candidates by a
 * histogram of those distances (0..30 dim) instead of a heap.
 */
#include "embed/vecstore.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "embed/kern.h"
#include "util/err.h"
#include "util/mem.h"

enum { K_F32 = 0, K_I8 = 1, K_B1 = 2, NKIND = 3 };
static const char *const kind_ext[NKIND] = {"f32", "i8", "b1"};
static const char *const kind_magic[NKIND] = {"PBVECF32", "PBVECI8", "PBVECB1"};

struct vfile {
    int fd;
    FILE *app;                /* appender (writable only) */
    const unsigned char *map; /* header + committed records, or NULL */
    size_t map_len;
    uint64_t count, checksum, source;
    int usable; /* matches the .f32 (quantized kinds) */
    int has_id; /* dev/ino were read: the file that was opened */
    dev_t dev;
    ino_t ino;
    char path[4200];
};

struct vecstore {
    size_t dim;
    char model[64];
    int writable, verify;
    struct vfile f[NKIND];
    size_t rec[NKIND];     /* record sizes */
    uint64_t n;            /* committed .f32 records at open */
    uint64_t pending;      /* appended since open, not yet committed */
    uint64_t committed;    /* committed records in the files (>= n) */
    uint64_t run_checksum; /* .f32 checksum including pending */
    uint64_t nq;           /* leading records the usable quantized copies cover */
    uint8_t *dead;         /* n flags (room for dead_cap) */
    size_t dead_cap;
    size_t live;
    int64_t *slot_row; /* rowid hash table: rowid -> newest index */
    uint32_t *slot_idx;
    size_t n_slots;
};

/* ---------------------------------------------------------------------
 * Headers and checksums
 * ------------------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}
static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

#define CHECKSUM_SEED 0x50425645433031ull

/* Continues the record checksum over n bytes (a multiple of 8). */
static uint64_t mixhash(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h;
}

uint64_t vecstore_text_hash(const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211ull;
    }
    return h;
}

static void header_make(const struct vecstore *vs, int kind, uint64_t count, uint64_t checksum,
                        uint64_t source, unsigned char *h)
{
    memset(h, 0, VECSTORE_HEADER);
    memcpy(h, kind_magic[kind], strlen(kind_magic[kind]));
    put_u32(h + 8, 1);
    put_u32(h + 12, (uint32_t)vs->dim);
    put_u64(h + 16, count);
    put_u64(h + 24, checksum);
    memcpy(h + 32, vs->model, strlen(vs->model));
    put_u64(h + 96, source);
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = pwrite(fd, b, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return ERR_IO;
        b += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

struct header {
    uint64_t count, checksum, source;
};

/* Reads and checks the header of kind's file, open on fd (path for
 * messages), and that the file holds the records it counts. Changes
 * nothing. The header is read until two reads agree (at most 3), so that
 * a writer's concurrent rewrite of it is not seen half done. */
static int header_peek(const struct vecstore *vs, int kind, int fd, const char *path,
                       struct header *out /* OUT */, char *err, size_t errlen)
{
    unsigned char h[VECSTORE_HEADER], h2[VECSTORE_HEADER];
    ssize_t got = pread(fd, h, sizeof h, 0);
    for (int i = 0; i < 2 && got == (ssize_t)sizeof h; i++) {
        if (pread(fd, h2, sizeof h2, 0) != (ssize_t)sizeof h2 || memcmp(h, h2, sizeof h) == 0)
            break;
        memcpy(h, h2, sizeof h);
    }
    if (got != (ssize_t)sizeof h) {
        snprintf(err, errlen, "%s: short header", path);
        return ERR_CORRUPT;
    }
    char magic[9] = {0};
    memcpy(magic, kind_magic[kind], strlen(kind_magic[kind]));
    if (memcmp(h, magic, 8) != 0 || get_u32(h + 8) != 1) {
        snprintf(err, errlen, "%s: not a paperboy vector file (or another version)", path);
        return ERR_CORRUPT;
    }
    char model[65];
    memcpy(model, h + 32, 64);
    model[64] = '\0';
    if (strcmp(model, vs->model) != 0 || get_u32(h + 12) != vs->dim) {
        snprintf(err, errlen,
                 "%s: holds model %s dim %u, expected %s dim %zu (model changed: "
                 "remove it to re-embed)",
                 path, model, get_u32(h + 12), vs->model, vs->dim);
        return ERR_CORRUPT;
    }
    struct header hd = {get_u64(h + 16), get_u64(h + 24), get_u64(h + 96)};
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return ERR_IO;
    if (hd.count > (UINT64_MAX - VECSTORE_HEADER) / vs->rec[kind] ||
        (uint64_t)sb.st_size < VECSTORE_HEADER + hd.count * vs->rec[kind]) {
        snprintf(err, errlen, "%s: %llu records in the header but the file is %lld bytes", path,
                 (unsigned long long)hd.count, (long long)sb.st_size);
        return ERR_TRUNCATED;
    }
    *out = hd;
    return 0;
}

static int read_header(struct vecstore *vs, int kind, char *err, size_t errlen)
{
    struct vfile *f = &vs->f[kind];
    struct header hd;
    int rc = header_peek(vs, kind, f->fd, f->path, &hd, err, errlen);
    if (rc)
        return rc;
    f->count = hd.count;
    f->checksum = hd.checksum;
    f->source = hd.source;
    struct stat sb;
    if (fstat(f->fd, &sb) != 0)
        return ERR_IO;
    uint64_t need = VECSTORE_HEADER + f->count * vs->rec[kind];
    /* A crash between append and commit leaves records past count. */
    if ((uint64_t)sb.st_size > need && vs->writable && ftruncate(f->fd, (off_t)need) != 0)
        return ERR_IO;
    return 0;
}

/* Records which file fd is (rename replaces a file by another inode). */
static void note_id(struct vfile *f)
{
    struct stat sb;
    f->has_id = fstat(f->fd, &sb) == 0;
    if (f->has_id) {
        f->dev = sb.st_dev;
        f->ino = sb.st_ino;
    }
}

static int map_file(struct vecstore *vs, int kind)
{
    struct vfile *f = &vs->f[kind];
    f->map_len = VECSTORE_HEADER + (size_t)f->count * vs->rec[kind];
    if (f->count == 0)
        return 0;
    void *m = mmap(NULL, f->map_len, PROT_READ, MAP_SHARED, f->fd, 0);
    if (m == MAP_FAILED)
        return ERR_IO;
    f->map = m;
    return 0;
}

/* Extends kind's mapping over its first count records (at least those
 * mapped now); the mapping may move (mremap keeps the pages already
 * faulted in). ERR_IO when it cannot: the old mapping then stays. */
static int remap_file(struct vecstore *vs, int kind, uint64_t count)
{
    struct vfile *f = &vs->f[kind];
    size_t len = VECSTORE_HEADER + (size_t)count * vs->rec[kind];
    if (count == 0 || (f->map && len <= f->map_len))
        return 0;
    void *m = f->map ? mremap((void *)f->map, f->map_len, len, MREMAP_MAYMOVE)
                     : mmap(NULL, len, PROT_READ, MAP_SHARED, f->fd, 0);
    if (m == MAP_FAILED)
        return ERR_IO;
    f->map = m;
    f->map_len = len;
    return 0;
}

static void unmap_file(struct vfile *f)
{
    if (f->map)
        munmap((void *)f->map, f->map_len);
    f->map = NULL;
}

/* ---------------------------------------------------------------------
 * Quantization
 * ------------------------------------------------------------------- */

static void quantize(const float *v, size_t dim, unsigned char *i8rec, uint64_t *bits)
{
    float m = 0.f;
    for (size_t j = 0; j < dim; j++)
        m = fabsf(v[j]) > m ? fabsf(v[j]) : m;
    float scale = m > 0 ? m / 127.f : 1.f;
    memcpy(i8rec, &scale, 4);
    int8_t *q = (int8_t *)(i8rec + 4);
    for (size_t j = 0; j < dim; j++) {
        long r = lrintf(v[j] / scale);
        q[j] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
    memset(bits, 0, dim / 8);
    for (size_t j = 0; j < dim; j++)
        if (v[j] > 0)
            bits[j / 64] |= 1ull << (j % 64);
}

static const float *f32_vec(const struct vecstore *vs, size_t i)
{
    return (const float *)(vs->f[K_F32].map + VECSTORE_HEADER + i * vs->rec[K_F32] + 16);
}

static int64_t f32_rowid(const struct vecstore *vs, size_t i)
{
    int64_t r;
    memcpy(&r, vs->f[K_F32].map + VECSTORE_HEADER + i * vs->rec[K_F32], 8);
    return r;
}

/* Rewrites a quantized file from the committed .f32 records (temp + rename). */
static int rebuild(struct vecstore *vs, int kind)
{
    struct vfile *f = &vs->f[kind];
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ERR_IO;
    unsigned char h[VECSTORE_HEADER];
    header_make(vs, kind, vs->n, 0, vs->f[K_F32].checksum, h);
    int rc = write_all(fd, h, sizeof h, 0);
    size_t rs = vs->rec[kind];
    unsigned char *buf = xmalloc(rs * 1024), *i8 = xmalloc(vs->rec[K_I8]);
    uint64_t *bits = xmalloc(vs->rec[K_B1]);
    for (uint64_t i = 0; i < vs->n && rc == 0; i += 1024) {
        size_t k = vs->n - i < 1024 ? (size_t)(vs->n - i) : 1024;
        for (size_t j = 0; j < k; j++) {
            quantize(f32_vec(vs, i + j), vs->dim, i8, bits);
            memcpy(buf + j * rs, kind == K_I8 ? (void *)i8 : (void *)bits, rs);
        }
        rc = write_all(fd, buf, k * rs, (off_t)(VECSTORE_HEADER + i * rs));
    }
    free(buf);
    free(i8);
    free(bits);
    if (rc == 0 && fsync(fd) != 0)
        rc = ERR_IO;
    if (rc == 0 && rename(tmp, f->path) != 0)
        rc = ERR_IO;
    if (rc) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    unmap_file(f);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    note_id(f);
    f->count = vs->n;
    f->source = vs->f[K_F32].checksum;
    return map_file(vs, kind);
}

/* ---------------------------------------------------------------------
 * Open / close
 * ------------------------------------------------------------------- */

static int mkdirs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return ERR_IO;
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return ERR_IO;
    return 0;
}

static size_t slot_of(const struct vecstore *vs, int64_t rowid)
{
    uint64_t h = (uint64_t)rowid * 0x9E3779B97F4A7C15ull;
    size_t mask = vs->n_slots - 1;
    size_t i = (size_t)(h >> 20) & mask;
    while (vs->slot_idx[i] != UINT32_MAX && vs->slot_row[i] != rowid)
        i = (i + 1) & mask;
    return i;
}

/* Adds the .f32 records [from, to) to the rowid table, in order, so that
 * the newest record of a rowid wins and marks the older one dead. The
 * table and dead[] must have room (index_reserve). */
static void index_add(struct vecstore *vs, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i < to; i++) {
        int64_t r = f32_rowid(vs, i);
        size_t s = slot_of(vs, r);
        if (vs->slot_idx[s] != UINT32_MAX)
            vs->dead[vs->slot_idx[s]] = 1;
        else
            vs->live++;
        vs->slot_row[s] = r;
        vs->slot_idx[s] = (uint32_t)i;
    }
}

/* Makes room for n records in dead[] (new flags zero) and in the rowid
 * table (at most half full: it doubles and rehashes when not). */
static void index_reserve(struct vecstore *vs, uint64_t n)
{
    if (n > vs->dead_cap) {
        size_t cap = vs->dead_cap * 2 > n ? vs->dead_cap * 2 : (size_t)n;
        vs->dead = xrealloc(vs->dead, cap);
        memset(vs->dead + vs->dead_cap, 0, cap - vs->dead_cap);
        vs->dead_cap = cap;
    }
    if (vs->n_slots >= 2 * n)
        return;
    int64_t *orow = vs->slot_row;
    uint32_t *oidx = vs->slot_idx;
    size_t on = vs->n_slots;
    while (vs->n_slots < 2 * n)
        vs->n_slots *= 2;
    vs->slot_row = xmalloc(vs->n_slots * sizeof *vs->slot_row);
    vs->slot_idx = xmalloc(vs->n_slots * sizeof *vs->slot_idx);
    memset(vs->slot_idx, 0xff, vs->n_slots * sizeof *vs->slot_idx);
    for (size_t i = 0; i < on; i++) {
        if (oidx[i] == UINT32_MAX)
            continue;
        size_t s = slot_of(vs, orow[i]);
        vs->slot_row[s] = orow[i];
        vs->slot_idx[s] = oidx[i];
    }
    free(orow);
    free(oidx);
}

static void index_records(struct vecstore *vs)
{
    vs->n_slots = 16;
    while (vs->n_slots < 2 * vs->n)
        vs->n_slots *= 2;
    vs->slot_row = xmalloc(vs->n_slots * sizeof *vs->slot_row);
    vs->slot_idx = xmalloc(vs->n_slots * sizeof *vs->slot_idx);
    memset(vs->slot_idx, 0xff, vs->n_slots * sizeof *vs->slot_idx);
    vs->dead_cap = vs->n ? (size_t)vs->n : 1;
    vs->dead = xcalloc(vs->dead_cap, 1);
    vs->live = 0;
    index_add(vs, 0, vs->n);
}

/* Rewrites the .f32 with only the live records (temp file + rename), when
 * superseded ones make up a quarter or more of it. The quantized copies no
 * longer match its checksum and are rebuilt by the next open. */
static int compact(struct vecstore *vs)
{
    struct vfile *f = &vs->f[K_F32];
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ERR_IO;
    size_t rs = vs->rec[K_F32];
    uint64_t h = CHECKSUM_SEED, n = 0;
    int rc = 0;
    for (uint64_t i = 0; i < vs->n && rc == 0; i++) {
        if (vs->dead[i])
            continue;
        const unsigned char *r = f->map + VECSTORE_HEADER + i * rs;
        rc = write_all(fd, r, rs, (off_t)(VECSTORE_HEADER + n * rs));
        h = mixhash(h, r, rs);
        n++;
    }
    unsigned char hd[VECSTORE_HEADER];
    header_make(vs, K_F32, n, h, 0, hd);
    if (rc == 0)
        rc = write_all(fd, hd, sizeof hd, 0);
    if (rc == 0 && fsync(fd) != 0)
        rc = ERR_IO;
    close(fd);
    if (rc == 0 && rename(tmp, f->path) != 0)
        rc = ERR_IO;
    if (rc)
        unlink(tmp);
    return rc;
}

int vecstore_open(const char *dir, const char *model, size_t dim, int writable, int verify,
                  struct vecstore **out, char *err, size_t errlen)
{
    if (dim == 0 || dim % 64 || dim > VECSTORE_MAX_DIM || strlen(model) >= 64) {
        snprintf(err, errlen, "bad vector store parameters");
        return ERR_INVALID;
    }
    if (writable && mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    struct vecstore *vs = xcalloc(1, sizeof *vs);
    vs->dim = dim;
    snprintf(vs->model, sizeof vs->model, "%s", model);
    vs->writable = writable;
    vs->verify = verify;
    vs->rec[K_F32] = 16 + 4 * dim;
    vs->rec[K_I8] = 4 + dim;
    vs->rec[K_B1] = dim / 8;
    int rc = 0;
    for (int k = 0; k < NKIND; k++)
        vs->f[k].fd = -1;
    for (int k = 0; k < NKIND && rc == 0; k++) {
        struct vfile *f = &vs->f[k];
        snprintf(f->path, sizeof f->path, "%s/%s.%s", dir, model, kind_ext[k]);
        f->fd = open(f->path, (writable ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
        /* One writer at a time: the lock lives as long as the .f32 fd. */
        if (k == K_F32 && f->fd >= 0 && writable && flock(f->fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(err, errlen, "%s is being written by another process", f->path);
            rc = ERR_BUSY;
            break;
        }
        if (f->fd < 0) {
            if (k == K_F32) {
                snprintf(err, errlen, "no vectors for %s in %s (run `paperboy embed`)", model, dir);
                rc = errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
            }
            continue; /* a missing quantized copy only disables its mode */
        }
        note_id(f);
        struct stat sb;
        if (fstat(f->fd, &sb) == 0 && sb.st_size == 0 && writable) {
            unsigned char h[VECSTORE_HEADER];
            header_make(vs, k, 0, k == K_F32 ? CHECKSUM_SEED : 0, k == K_F32 ? 0 : CHECKSUM_SEED,
                        h);
            rc = write_all(f->fd, h, sizeof h, 0);
            if (rc)
                break;
        }
        int hr = read_header(vs, k, err, errlen);
        if (hr && k == K_F32)
            rc = hr;
        if (hr && k != K_F32) {
            close(f->fd);
            f->fd = -1;
        }
    }
    if (rc == 0)
        rc = map_file(vs, K_F32);
    if (rc == 0) {
        vs->n = vs->committed = vs->f[K_F32].count;
        vs->run_checksum = vs->f[K_F32].checksum;
        if (verify) {
            uint64_t h = CHECKSUM_SEED;
            if (vs->n)
                h = mixhash(h, vs->f[K_F32].map + VECSTORE_HEADER, vs->n * vs->rec[K_F32]);
            if (h != vs->f[K_F32].checksum) {
                snprintf(err, errlen, "%s: checksum mismatch (file damaged)", vs->f[K_F32].path);
                rc = ERR_CORRUPT;
            }
        }
    }
    for (int k = K_I8; k < NKIND && rc == 0; k++) {
        struct vfile *f = &vs->f[k];
        int match = f->fd >= 0 && f->count == vs->n && f->source == vs->f[K_F32].checksum;
        if (!match && writable) {
            rc = rebuild(vs, k);
            match = rc == 0;
            if (rc)
                snprintf(err, errlen, "%s: cannot rebuild: %s", f->path, strerror(errno));
        } else if (match) {
            rc = map_file(vs, k);
        }
        f->usable = match;
    }
    vs->nq = vs->n;
    if (rc == 0) {
        index_records(vs);
        uint64_t dead = vs->n - vs->live;
        if (writable && dead > 0 && dead * 4 >= vs->n) {
            rc = compact(vs);
            vs->writable = 0; /* nothing pending to commit */
            vecstore_close(vs);
            if (rc) {
                snprintf(err, errlen, "%s/%s.f32: cannot compact: %s", dir, model, strerror(errno));
                return rc;
            }
            return vecstore_open(dir, model, dim, writable, verify, out, err, errlen);
        }
        if (writable) {
            for (int k = 0; k < NKIND && rc == 0; k++) {
                vs->f[k].app = fdopen(dup(vs->f[k].fd), "r+b");
                if (!vs->f[k].app ||
                    fseeko(vs->f[k].app, (off_t)(VECSTORE_HEADER + vs->n * vs->rec[k]), SEEK_SET) !=
                        0)
                    rc = ERR_IO;
            }
        }
    }
    if (rc) {
        vs->writable = 0; /* nothing to commit */
        vecstore_close(vs);
        return rc;
    }
    *out = vs;
    return 0;
}

void vecstore_close(struct vecstore *vs)
{
    if (!vs)
        return;
    if (vs->writable)
        vecstore_sync(vs);
    for (int k = 0; k < NKIND; k++) {
        if (vs->f[k].app)
            fclose(vs->f[k].app);
        unmap_file(&vs->f[k]);
        if (vs->f[k].fd >= 0)
            close(vs->f[k].fd);
    }
    free(vs->dead);
    free(vs->slot_row);
    free(vs->slot_idx);
    free(vs);
}

/* ---------------------------------------------------------------------
 * Refreshing a read-only store
 * ------------------------------------------------------------------- */

/* Is the file at f->path still the one open in f (same device and inode:
 * compaction and rebuilds replace files by rename)? For a file that was
 * absent at open: is it still absent? */
static int same_file(const struct vfile *f)
{
    struct stat sb;
    if (stat(f->path, &sb) != 0)
        return !f->has_id && errno == ENOENT;
    return f->has_id && sb.st_dev == f->dev && sb.st_ino == f->ino;
}

enum { REOPEN = 1 }; /* refresh_in_place: only a full reopen will do */

/* Takes in the records the writer committed since the last look, when
 * the files are the same ones and the .f32 only grew: maps them, checks
 * that its checksum continues ours over them (the prefix was not
 * rewritten), adds them to the rowid table. The quantized copies advance
 * with it when their headers match the new count and checksum; when they
 * lag (the writer is between its .f32 and quantized header writes), nq
 * stays and the searches scan records [nq, n) with floats. Returns 0
 * (*grew: records were added), REOPEN, or ERR_IO when a mapping cannot
 * grow; the store then is as it was (mappings may be longer). */
static int refresh_in_place(struct vecstore *vs, int *grew)
{
    char e[64]; /* header_peek's message: a reopen says it again */
    for (int k = 0; k < NKIND; k++)
        if (!same_file(&vs->f[k]))
            return REOPEN;
    struct vfile *f = &vs->f[K_F32];
    size_t rs = vs->rec[K_F32];
    struct header hd;
    if (header_peek(vs, K_F32, f->fd, f->path, &hd, e, sizeof e) != 0 || hd.count < vs->n ||
        hd.count >= UINT32_MAX || (hd.count == vs->n && hd.checksum != f->checksum))
        return REOPEN;
    if (hd.count > vs->n) {
        if (remap_file(vs, K_F32, hd.count) != 0)
            return ERR_IO;
        const unsigned char *tail = f->map + VECSTORE_HEADER + (size_t)vs->n * rs;
        if (mixhash(f->checksum, tail, (size_t)(hd.count - vs->n) * rs) != hd.checksum)
            return REOPEN;
    }
    /* The quantized copies advance only all together (search reads the
     * same prefix of both); one that matches now becomes usable. */
    int match[NKIND] = {0}, all = 1;
    for (int k = K_I8; k < NKIND; k++) {
        struct vfile *q = &vs->f[k];
        struct header qh;
        match[k] = q->fd >= 0 && header_peek(vs, k, q->fd, q->path, &qh, e, sizeof e) == 0 &&
                   qh.count == hd.count && qh.source == hd.checksum;
        all &= match[k] || !q->usable;
    }
    for (int k = K_I8; k < NKIND && all; k++)
        if (match[k] && remap_file(vs, k, hd.count) != 0)
            return ERR_IO;
    /* Nothing can fail from here on. */
    if (all) {
        for (int k = K_I8; k < NKIND; k++) {
            if (!match[k])
                continue;
            vs->f[k].usable = 1;
            vs->f[k].count = hd.count;
            vs->f[k].source = hd.checksum;
        }
        vs->nq = hd.count;
    }
    *grew = hd.count > vs->n;
    if (*grew) {
        index_reserve(vs, hd.count);
        index_add(vs, vs->n, hd.count);
        vs->n = vs->committed = f->count = hd.count;
        f->checksum = vs->run_checksum = hd.checksum;
    }
    return 0;
}

int vecstore_refresh(struct vecstore *vs, int *changed, char *err, size_t errlen)
{
    if (vs->writable) {
        snprintf(err, errlen, "refresh is for read-only vector stores");
        return ERR_INVALID;
    }
    int grew = 0, rc = refresh_in_place(vs, &grew);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot map the new vectors: %s", vs->f[K_F32].path,
                 strerror(errno));
        return rc;
    }
    if (rc == 0) {
        if (changed)
            *changed = grew ? VECSTORE_EXTENDED : VECSTORE_UNCHANGED;
        return 0;
    }
    /* The directory: the .f32 path less "/MODEL.f32". */
    char dir[sizeof vs->f[K_F32].path];
    size_t dl = strlen(vs->f[K_F32].path) - strlen(vs->model) - strlen(".f32") - 1;
    snprintf(dir, sizeof dir, "%.*s", (int)dl, vs->f[K_F32].path);
    struct vecstore *fresh = NULL;
    rc = vecstore_open(dir, vs->model, vs->dim, 0, vs->verify, &fresh, err, errlen);
    if (rc)
        return rc;
    /* The caller's handle takes the new store; the old one is closed. */
    struct vecstore old = *vs;
    *vs = *fresh;
    *fresh = old;
    vecstore_close(fresh);
    if (changed)
        *changed = VECSTORE_REOPENED;
    return 0;
}

size_t vecstore_count(const struct vecstore *vs)
{
    return vs->live;
}

size_t vecstore_dim(const struct vecstore *vs)
{
    return vs->dim;
}

int vecstore_get(const struct vecstore *vs, int64_t rowid, uint64_t *text_hash, const float **v)
{
    if (vs->n == 0)
        return ERR_NOT_FOUND;
    size_t s = slot_of(vs, rowid);
    if (vs->slot_idx[s] == UINT32_MAX)
        return ERR_NOT_FOUND;
    size_t i = vs->slot_idx[s];
    memcpy(text_hash, vs->f[K_F32].map + VECSTORE_HEADER + i * vs->rec[K_F32] + 8, 8);
    *v = f32_vec(vs, i);
    return 0;
}

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------- */

int vecstore_add(struct vecstore *vs, int64_t rowid, uint64_t text_hash, const float *v)
{
    if (!vs->writable)
        return ERR_INVALID;
    size_t rs = vs->rec[K_F32];
    unsigned char *rec = xmalloc(rs + vs->rec[K_I8] + vs->rec[K_B1] + 8);
    unsigned char *i8 = rec + rs;
    uint64_t *bits = xmalloc(vs->rec[K_B1]);
    memcpy(rec, &rowid, 8);
    memcpy(rec + 8, &text_hash, 8);
    memcpy(rec + 16, v, vs->dim * sizeof(float));
    quantize(v, vs->dim, i8, bits);
    int rc = 0;
    if (fwrite(rec, 1, rs, vs->f[K_F32].app) != rs ||
        fwrite(i8, 1, vs->rec[K_I8], vs->f[K_I8].app) != vs->rec[K_I8] ||
        fwrite(bits, 1, vs->rec[K_B1], vs->f[K_B1].app) != vs->rec[K_B1])
        rc = ERR_IO;
    if (rc == 0) {
        vs->run_checksum = mixhash(vs->run_checksum, rec, rs);
        vs->pending++;
    }
    free(rec);
    free(bits);
    return rc;
}

int vecstore_sync(struct vecstore *vs)
{
    if (!vs->writable || vs->pending == 0)
        return vs->writable ? 0 : ERR_INVALID;
    uint64_t count = vs->committed + vs->pending;
    for (int k = 0; k < NKIND; k++)
        if (fflush(vs->f[k].app) != 0 || fsync(fileno(vs->f[k].app)) != 0)
            return ERR_IO;
    /* .f32 first: a crash before the quantized headers only makes them
     * stale, and they are rebuilt on the next open. */
    for (int k = 0; k < NKIND; k++) {
        unsigned char h[VECSTORE_HEADER];
        header_make(vs, k, count, k == K_F32 ? vs->run_checksum : 0,
                    k == K_F32 ? 0 : vs->run_checksum, h);
        if (write_all(vs->f[k].fd, h, sizeof h, 0) != 0 || fsync(vs->f[k].fd) != 0)
            return ERR_IO;
    }
    vs->committed = count;
    vs->pending = 0;
    return 0;
}

/* ---------------------------------------------------------------------
 * Search
 * ------------------------------------------------------------------- */

struct topk {
    size_t k, n;
    float *score;
    uint32_t *idx;
};

static void topk_init(struct topk *t, size_t k)
{
    t->k = k;
    t->n = 0;
    t->score = xmalloc(k * sizeof *t->score);
    t->idx = xmalloc(k * sizeof *t->idx);
}

static void topk_cleanup(struct topk *t)
{
    free(t->score);
    free(t->idx);
}

static void sift_down(struct topk *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < t->n && t->score[l] < t->score[m])
            m = l;
        if (l + 1 < t->n && t->score[l + 1] < t->score[m])
            m = l + 1;
        if (m == i)
            return;
        float s = t->score[i];
        uint32_t x = t->idx[i];
        t->score[i] = t->score[m];
        t->idx[i] = t->idx[m];
        t->score[m] = s;
        t->idx[m] = x;
        i = m;
    }
}

static inline void topk_push(struct topk *t, float s, uint32_t idx)
{
    if (t->n < t->k) {
        size_t i = t->n++;
        t->score[i] = s;
        t->idx[i] = idx;
        while (i > 0 && t->score[(i - 1) / 2] > t->score[i]) {
            size_t p = (i - 1) / 2;
            float ts = t->score[p];
            uint32_t ti = t->idx[p];
            t->score[p] = t->score[i];
            t->idx[p] = t->idx[i];
            t->score[i] = ts;
            t->idx[i] = ti;
            i = p;
        }
    } else if (s > t->score[0]) {
        t->score[0] = s;
        t->idx[0] = idx;
        sift_down(t, 0);
    }
}

struct scan {
    const struct vecstore *vs;
    enum vecsearch_mode mode;
    size_t lo, hi;
    const float *q;
    const int8_t *q8;
    const uint64_t *qb;
    struct topk top; /* exact / int8 */
    /* bit: the records within Hamming distance hthr, with their
     * asymmetric distances (kern_bits_asym of the query's planes), and a
     * histogram of those (0..30 dim) */
    const uint64_t *planes;
    unsigned hthr;
    uint32_t *idx, *dist;
    size_t n, cap;
    size_t *hist;
    /* bit, middle stage: int8 scores of these records into top */
    const uint32_t *cidx;
    size_t ncidx;
};

/* Bit mode, one pass over [lo, hi) in chunks that stay in L2: Hamming
 * distances first (cheap: 6 popcounts for 384 bits), then, for the records
 * within hthr only, the asymmetric distance while they are still cached. */
static void scan_bits(struct scan *s)
{
    enum { CHUNK = 2048 };
    const struct vecstore *vs = s->vs;
    size_t nw = vs->dim / 64;
    const uint64_t *base = (const uint64_t *)(vs->f[K_B1].map + VECSTORE_HEADER);
    uint16_t hd[CHUNK];
    for (size_t c0 = s->lo; c0 < s->hi; c0 += CHUNK) {
        size_t c1 = s->hi - c0 < CHUNK ? s->hi : c0 + CHUNK;
        kern_hamming_many(s->qb, base + c0 * nw, nw, c1 - c0, hd);
        if (s->n + (c1 - c0) > s->cap) {
            s->cap = 2 * s->cap + CHUNK;
            s->idx = xrealloc(s->idx, s->cap * sizeof *s->idx);
            s->dist = xrealloc(s->dist, s->cap * sizeof *s->dist);
        }
        size_t m = 0;
        uint32_t *idx = s->idx + s->n;
        if (vs->live == vs->n) { /* nothing superseded: no dead flags to read */
            for (size_t i = c0; i < c1; i++) {
                idx[m] = (uint32_t)i;
                m += hd[i - c0] <= s->hthr;
            }
        } else {
            for (size_t i = c0; i < c1; i++) {
                idx[m] = (uint32_t)i;
                m += hd[i - c0] <= s->hthr && !vs->dead[i];
            }
        }
        kern_bits_asym(s->planes, base, nw, idx, m, s->dist + s->n);
        for (size_t i = 0; i < m; i++)
            s->hist[s->dist[s->n + i]]++;
        s->n += m;
    }
}

/* The Hamming distance below which about `want` of the live records lie,
 * estimated from a sample of 64 runs of 256 records spread over the file
 * (runs, not single records: each read is then sequential). The bit pass
 * keeps the records within it. */
static unsigned hamming_cut(const struct vecstore *vs, const uint64_t *qb, size_t want)
{
    enum { RUNS = 64, RUN = 256 };
    size_t nw = vs->dim / 64, total = (size_t)vs->nq, ns = 0;
    const uint64_t *base = (const uint64_t *)(vs->f[K_B1].map + VECSTORE_HEADER);
    size_t *h = xcalloc(vs->dim + 1, sizeof *h);
    uint16_t d[RUN];
    for (size_t r = 0; r < RUNS; r++) {
        size_t a = total / RUNS * r, len = total - a < RUN ? total - a : RUN;
        kern_hamming_many(qb, base + a * nw, nw, len, d);
        for (size_t i = 0; i < len; i++)
            if (!vs->dead[a + i]) {
                h[d[i]]++;
                ns++;
            }
    }
    /* the sample's share of want, with room for sampling error */
    size_t need = (size_t)((double)want * (double)ns / (double)(vs->live ? vs->live : 1) * 1.25) + 8;
    size_t acc = 0;
    unsigned t = 0;
    while (t < vs->dim && acc + h[t] < need)
        acc += h[t++];
    free(h);
    return t;
}

static void *scan_run(void *arg)
{
    struct scan *s = arg;
    const struct vecstore *vs = s->vs;
    size_t dim = vs->dim;
    if (s->mode == VECSEARCH_BIT) {
        scan_bits(s);
        return NULL;
    }
    if (s->cidx) { /* the middle stage: int8 scores of the listed records */
        for (size_t j = 0; j < s->ncidx; j++) {
            if (j + 8 < s->ncidx) { /* scattered records: fetch ahead */
                const unsigned char *a =
                    vs->f[K_I8].map + VECSTORE_HEADER + (size_t)s->cidx[j + 8] * vs->rec[K_I8];
                for (size_t off = 0; off < vs->rec[K_I8]; off += 64)
                    __builtin_prefetch(a + off);
            }
            const unsigned char *r =
                vs->f[K_I8].map + VECSTORE_HEADER + (size_t)s->cidx[j] * vs->rec[K_I8];
            float scale;
            memcpy(&scale, r, 4);
            topk_push(&s->top, scale * (float)kern_dot_i8(s->q8, (const int8_t *)(r + 4), dim),
                      s->cidx[j]);
        }
        return NULL;
    }
    for (size_t i = s->lo; i < s->hi; i++) {
        /* The excluded rowid is dropped at rescoring (one extra candidate
         * was asked for): testing it here would read the .f32 records. */
        if (vs->dead[i])
            continue;
        float sc;
        if (s->mode == VECSEARCH_INT8) {
            const unsigned char *r = vs->f[K_I8].map + VECSTORE_HEADER + i * vs->rec[K_I8];
            float scale;
            memcpy(&scale, r, 4);
            sc = scale * (float)kern_dot_i8(s->q8, (const int8_t *)(r + 4), dim);
        } else {
            sc = kern_dot(s->q, f32_vec(vs, i), dim);
        }
        topk_push(&s->top, sc, (uint32_t)i);
    }
    return NULL;
}

/* The query for the bit scan: q_j ~ step (u_j - 7.5) with u_j in 0..15
 * and step = max|q| / 7.5, as 4 bit planes of dim/64 words each
 * (kern_bits_asym). Caller frees. */
static uint64_t *query_planes(const float *q, size_t dim)
{
    size_t nw = dim / 64;
    uint64_t *pl = xcalloc(4 * nw, sizeof *pl);
    float m = 0.f;
    for (size_t j = 0; j < dim; j++)
        m = fabsf(q[j]) > m ? fabsf(q[j]) : m;
    float inv = m > 0 ? 7.5f / m : 0.f;
    for (size_t j = 0; j < dim; j++) {
        long u = lrintf(q[j] * inv + 7.5f);
        u = u < 0 ? 0 : u > 15 ? 15 : u;
        for (int p = 0; p < 4; p++)
            if (u >> p & 1)
                pl[(size_t)p * nw + j / 64] |= 1ull << (j % 64);
    }
    return pl;
}

/* Runs scan_run over sc[0..nt), sc[0] on this thread. */
static void run_scans(struct scan *sc, int nt, pthread_t *tid)
{
    int started = 1;
    for (int t = 1; t < nt; t++) {
        if (pthread_create(&tid[t], NULL, scan_run, &sc[t]) != 0)
            break;
        started++;
    }
    scan_run(&sc[0]);
    for (int t = started; t < nt; t++) /* could not start: run here */
        scan_run(&sc[t]);
    for (int t = 1; t < started; t++)
        pthread_join(tid[t], NULL);
}

static int cmp_hit(const void *a, const void *b)
{
    const struct vechit *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

int vecstore_search(const struct vecstore *vs, const float *q, size_t k, int64_t exclude_rowid,
                    const struct vecsearch_opts *opts, struct vechit *hits, size_t *n)
{
    if (k == 0 || k > 10000)
        return ERR_INVALID;
    struct vecsearch_opts o = {VECSEARCH_AUTO, 0, 0};
    if (opts)
        o = *opts;
    size_t total = (size_t)vs->n;
    if (o.mode == VECSEARCH_AUTO)
        o.mode = total < VECSEARCH_AUTO_EXACT_BELOW ? VECSEARCH_EXACT : VECSEARCH_BIT;
    if (o.mode == VECSEARCH_BIT && !vs->f[K_B1].usable)
        o.mode = VECSEARCH_INT8;
    if ((o.mode == VECSEARCH_INT8 || o.mode == VECSEARCH_BIT) && !vs->f[K_I8].usable)
        o.mode = VECSEARCH_EXACT; /* stale copy: exact is always right */
    if (vs->nq == 0)
        o.mode = VECSEARCH_EXACT; /* the copies cover nothing yet */
    if (total == 0) {
        *n = 0;
        return 0;
    }
    /* The int8 and bit scans cover the records the quantized copies do
     * ([0, nq)); the rest (added since by a refresh while the copies
     * lagged) go to the float rescoring as they are. */
    size_t span = o.mode == VECSEARCH_EXACT ? total : (size_t)vs->nq, tail = total - span;
    size_t cand = o.candidates;
    if (cand == 0)
        cand = o.mode == VECSEARCH_INT8 ? (k * 10 > 100 ? k * 10 : 100)
                                        : (k * 200 > total / 32 ? k * 200 : total / 32);
    if (o.mode == VECSEARCH_EXACT)
        cand = k;
    if (cand < k + (exclude_rowid >= 0))
        cand = k + (exclude_rowid >= 0);
    /* bit: the Hamming pass keeps 4x what the asymmetric pass keeps */
    size_t cand1 = cand > span / 4 ? span : 4 * cand;
    int nt = o.threads > 0 ? o.threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1)
        nt = 1;
    if (nt > 16)
        nt = 16;
    if (total < 65536)
        nt = 1;

    int8_t *q8 = NULL;
    uint64_t *qb = NULL;
    if (o.mode != VECSEARCH_EXACT) {
        unsigned char *qi8 = xmalloc(vs->rec[K_I8]);
        qb = xmalloc(vs->rec[K_B1]);
        quantize(q, vs->dim, qi8, qb);
        q8 = xmalloc(vs->dim);
        memcpy(q8, qi8 + 4, vs->dim);
        free(qi8);
    }
    uint64_t *planes = NULL;
    unsigned hthr = 0;
    if (o.mode == VECSEARCH_BIT) {
        planes = query_planes(q, vs->dim);
        hthr = hamming_cut(vs, qb, cand1);
    }
    struct scan *sc = xcalloc((size_t)nt, sizeof *sc);
    pthread_t *tid = xmalloc((size_t)nt * sizeof *tid);
    for (int t = 0; t < nt; t++) {
        sc[t].vs = vs;
        sc[t].mode = o.mode;
        sc[t].lo = span * (size_t)t / (size_t)nt;
        sc[t].hi = span * (size_t)(t + 1) / (size_t)nt;
        sc[t].q = q;
        sc[t].q8 = q8;
        sc[t].qb = qb;
        if (o.mode == VECSEARCH_BIT) {
            sc[t].planes = planes;
            sc[t].hthr = hthr;
            sc[t].hist = xcalloc(30 * vs->dim + 2, sizeof *sc[t].hist);
        } else
            topk_init(&sc[t].top, cand);
    }
    run_scans(sc, nt, tid);

    /* Gather candidate indexes. */
    uint32_t *ci = xmalloc((cand * (size_t)(nt + 1) + 1 + tail) * sizeof *ci);
    size_t nc = 0;
    if (o.mode == VECSEARCH_BIT) {
        /* The pass kept about cand1 records nearest by Hamming distance
         * (all of them when the estimate fell short of cand); the cand
         * nearest of those by the asymmetric distance go on. */
        size_t kept = 0;
        for (int t = 0; t < nt; t++)
            kept += sc[t].n;
        if (kept < cand && hthr < vs->dim) {
            for (int t = 0; t < nt; t++) {
                sc[t].hthr = (unsigned)vs->dim;
                sc[t].n = 0;
                memset(sc[t].hist, 0, (30 * vs->dim + 2) * sizeof *sc[t].hist);
            }
            run_scans(sc, nt, tid);
        }
        size_t nd = 30 * vs->dim, *hist = xcalloc(nd + 2, sizeof *hist);
        for (int t = 0; t < nt; t++)
            for (size_t d = 0; d <= nd; d++)
                hist[d] += sc[t].hist[d];
        size_t thr = 0, acc = 0;
        while (thr <= nd && acc + hist[thr] < cand)
            acc += hist[thr++];
        size_t ties = cand - acc; /* acc < cand lie below thr */
        for (int t = 0; t < nt; t++)
            for (size_t i = 0; i < sc[t].n; i++) {
                uint32_t d = sc[t].dist[i];
                if (d < thr || (d == thr && ties > 0)) {
                    ties -= d == thr;
                    ci[nc++] = sc[t].idx[i];
                }
            }
        free(hist);
        /* Middle stage: the int8 copy narrows the bit candidates to the
         * int8 mode's count before the float reads. */
        size_t c2 = k * 10 > 100 ? k * 10 : 100;
        if (c2 < nc) {
            /* split over the scan threads, each with its own top c2 */
            for (int t = 0; t < nt; t++) {
                sc[t].mode = VECSEARCH_INT8;
                sc[t].cidx = ci + nc * (size_t)t / (size_t)nt;
                sc[t].ncidx = nc * (size_t)(t + 1) / (size_t)nt - nc * (size_t)t / (size_t)nt;
                topk_init(&sc[t].top, c2);
            }
            run_scans(sc, nt, tid);
            struct topk mid;
            topk_init(&mid, c2);
            for (int t = 0; t < nt; t++) {
                for (size_t i = 0; i < sc[t].top.n; i++)
                    topk_push(&mid, sc[t].top.score[i], sc[t].top.idx[i]);
                topk_cleanup(&sc[t].top);
            }
            memcpy(ci, mid.idx, mid.n * sizeof *ci);
            nc = mid.n;
            topk_cleanup(&mid);
        }
    } else {
        for (int t = 0; t < nt; t++)
            for (size_t i = 0; i < sc[t].top.n; i++)
                ci[nc++] = sc[t].top.idx[i];
    }
    for (size_t i = span; i < total; i++)
        if (!vs->dead[i])
            ci[nc++] = (uint32_t)i;
    /* Rescore with floats, keep k. */
    struct topk best;
    topk_init(&best, k);
    for (size_t i = 0; i < nc; i++) {
        if (exclude_rowid >= 0 && f32_rowid(vs, ci[i]) == exclude_rowid)
            continue;
        topk_push(&best, kern_dot(q, f32_vec(vs, ci[i]), vs->dim), ci[i]);
    }
    for (size_t i = 0; i < best.n; i++) {
        hits[i].rowid = f32_rowid(vs, best.idx[i]);
        hits[i].score = best.score[i];
    }
    qsort(hits, best.n, sizeof *hits, cmp_hit);
    *n = best.n;
    topk_cleanup(&best);
    for (int t = 0; t < nt; t++) {
        free(sc[t].idx);
        free(sc[t].dist);
        free(sc[t].hist);
        if (o.mode != VECSEARCH_BIT)
            topk_cleanup(&sc[t].top);
    }
    free(ci);
    free(sc);
    free(tid);
    free(q8);
    free(qb);
    free(planes);
    return 0;
}
