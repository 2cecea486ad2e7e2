/*
 * segment.c - immutable segment files: the streaming writer, the verifying
 * reader (mmap) and postings cursors. The format is described in
 * index_int.h.
 *
 * Writer: doc values are written first; then terms arrive in order with
 * their postings; a term's blocks are encoded into a memory buffer (its
 * block index must precede them) and appended to the POST section when the
 * term ends; positions stream to an unlinked temporary file, term entries
 * and term bytes to two more; at the end those are copied behind POST and
 * the header (with every section's CRC) is written at offset 0.
 *
 * Reader: everything a search could follow is checked once on open
 * (offsets, sizes, sort orders, block headers), so cursors only check what
 * is cheap (a block's decoded last doc).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "index/index_int.h"
#include "util/err.h"
#include "util/mem.h"

uint32_t index_crc32(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n > 0) {
        uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = (uint32_t)crc32(crc, b, chunk);
        b += chunk;
        n -= chunk;
    }
    return crc;
}

char *index_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = xmalloc(a + b + 2);
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

int index_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return ERR_IO;
    int rc = fsync(fd) == 0 ? 0 : ERR_IO;
    close(fd);
    return rc;
}

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* ------------------------------------------------------------------ */
/* Bit packing                                                         */

static unsigned bits_for(uint32_t v)
{
    return v ? 32u - (unsigned)__builtin_clz(v) : 0u;
}

static size_t packed_size(uint32_t n, unsigned bits)
{
    return ((size_t)n * bits + 7) / 8;
}

static void pack(uint8_t *dst, const uint32_t *v, uint32_t n, unsigned bits)
{
    uint64_t acc = 0;
    unsigned have = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc |= (uint64_t)v[i] << have;
        have += bits;
        while (have >= 8) {
            *dst++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have)
        *dst = (uint8_t)acc;
}

/* Fast unpacking for a constant width: each value is one unaligned 64-bit
 * load, so it may read up to 8 bytes past the packed data (the caller
 * checks there is room). */
#define UNPACK_FAST(B)                                                                             \
    static void unpack_##B(uint32_t *v, const uint8_t *src, uint32_t n)                           \
    {                                                                                              \
        const uint64_t mask = (B) == 32 ? 0xffffffffull : ((1ull << (B)) - 1);                    \
        for (uint32_t i = 0; i < n; i++) {                                                         \
            size_t bit = (size_t)i * (B);                                                          \
            v[i] = (uint32_t)((rd64(src + (bit >> 3)) >> (bit & 7)) & mask);                       \
        }                                                                                          \
    }
UNPACK_FAST(1)
UNPACK_FAST(2)
UNPACK_FAST(3)
UNPACK_FAST(4)
UNPACK_FAST(5)
UNPACK_FAST(6)
UNPACK_FAST(7)
UNPACK_FAST(8)
UNPACK_FAST(9)
UNPACK_FAST(10)
UNPACK_FAST(11)
UNPACK_FAST(12)
UNPACK_FAST(13)
UNPACK_FAST(14)
UNPACK_FAST(15)
UNPACK_FAST(16)
UNPACK_FAST(17)
UNPACK_FAST(18)
UNPACK_FAST(19)
UNPACK_FAST(20)

typedef void (*unpack_fn)(uint32_t *, const uint8_t *, uint32_t);
static const unpack_fn unpackers[21] = {
    NULL,       unpack_1,  unpack_2,  unpack_3,  unpack_4,  unpack_5,  unpack_6,
    unpack_7,   unpack_8,  unpack_9,  unpack_10, unpack_11, unpack_12, unpack_13,
    unpack_14,  unpack_15, unpack_16, unpack_17, unpack_18, unpack_19, unpack_20,
};

/* Unpacks n values of bits bits from exactly packed_size(n, bits) bytes. */
static void unpack(uint32_t *v, const uint8_t *src, uint32_t n, unsigned bits)
{
    if (bits == 0) {
        memset(v, 0, n * sizeof *v);
        return;
    }
    const uint8_t *end = src + packed_size(n, bits);
    uint64_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1);
    uint64_t acc = 0;
    unsigned have = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (have < bits) {
            /* Refill whole bytes; 8 at a time when far from the end. */
            if (end - src >= 8) {
                uint64_t w = rd64(src);
                unsigned take = (64 - have) / 8;
                acc |= (have ? (w << have) : w);
                if (take < 8)
                    acc &= (have + take * 8 == 64) ? ~0ull : ((1ull << (have + take * 8)) - 1);
                src += take;
                have += take * 8;
            } else {
                while (have < bits && src < end) {
                    acc |= (uint64_t)*src++ << have;
                    have += 8;
                }
            }
        }
        v[i] = (uint32_t)(acc & mask);
        acc >>= bits;
        have -= bits;
    }
}

/* ------------------------------------------------------------------ */
/* Impact frontiers                                                    */

struct tdl {
    uint32_t tf, dl;
};

static int tdl_cmp(const void *a, const void *b)
{
    const struct tdl *x = a, *y = b;
    if (x->tf != y->tf)
        return x->tf > y->tf ? -1 : 1;
    return x->dl < y->dl ? -1 : x->dl > y->dl;
}

static double ref_score(uint32_t tf, uint32_t dl, double avgdl)
{
    double k1 = 0.9, b = 0.4;
    return tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl));
}

static void frontier_sorted(struct tdl *p, size_t n, double avgdl, struct seg_pairs *out);

/* Reduces n (tf, dl) points (clobbered) to a dominating frontier of at
 * most SEG_PAIRS pairs. */
static void frontier(struct tdl *p, size_t n, double avgdl, struct seg_pairs *out)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i].tf > 65535)
            p[i].tf = 65535;
        if (p[i].dl > 65535)
            p[i].dl = 65535;
    }
    qsort(p, n, sizeof *p, tdl_cmp);
    frontier_sorted(p, n, avgdl, out);
}

/* The same for one block's postings, without sorting: the smallest dl per
 * tf (tf >= 32 share one bucket, represented by their largest tf). */
static void block_frontier(const uint32_t *tfs, const uint32_t *dls, uint32_t n, double avgdl,
                           struct seg_pairs *out)
{
    uint32_t mind[33], big = 0;
    for (int b = 0; b < 33; b++)
        mind[b] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = tfs[i] >= 32 ? 32 : tfs[i];
        if (tfs[i] > big && b == 32)
            big = tfs[i];
        if (dls[i] < mind[b])
            mind[b] = dls[i];
    }
    struct tdl p[33];
    size_t m = 0;
    for (int b = 32; b >= 1; b--)
        if (mind[b] != UINT32_MAX) {
            p[m].tf = b == 32 ? (big > 65535 ? 65535 : big) : (uint32_t)b;
            p[m].dl = mind[b] > 65535 ? 65535 : mind[b];
            m++;
        }
    frontier_sorted(p, m, avgdl, out);
}

/* p sorted by tf descending, then dl ascending. */
static void frontier_sorted(struct tdl *p, size_t n, double avgdl, struct seg_pairs *out)
{
    memset(out, 0, sizeof *out);
    /* Keep points whose dl is below every dl of a higher (or equal) tf. */
    size_t m = 0;
    uint32_t min_dl = UINT32_MAX;
    for (size_t i = 0; i < n; i++)
        if (p[i].dl < min_dl) {
            min_dl = p[i].dl;
            p[m++] = p[i];
        }
    if (avgdl <= 0)
        avgdl = 1;
    /* Merge neighbours (tf_i, dl_i), (tf_i+1, dl_i+1) into (tf_i, dl_i+1)
     * where that raises the bound least. */
    while (m > SEG_PAIRS) {
        size_t best = 0;
        double best_s = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            double s = ref_score(p[i].tf, p[i + 1].dl, avgdl);
            if (i == 0 || s < best_s) {
                best_s = s;
                best = i;
            }
        }
        p[best].dl = p[best + 1].dl;
        memmove(p + best + 1, p + best + 2, (m - best - 2) * sizeof *p);
        m--;
    }
    for (size_t i = 0; i < m; i++) {
        out->tf[i] = (uint16_t)p[i].tf;
        out->dl[i] = (uint16_t)p[i].dl;
    }
}

/* ------------------------------------------------------------------ */
/* The streaming writer                                                */

struct wst {
    int fd;
    uint8_t *buf;
    size_t n;
    uint64_t off; /* bytes written to fd + n */
    uint32_t crc; /* of the current section */
    int err;
};

#define WST_BUF (1u << 20)

static void wst_init(struct wst *w, int fd)
{
    w->fd = fd;
    w->buf = xmalloc(WST_BUF);
    w->n = 0;
    w->off = 0;
    w->crc = 0;
    w->err = 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return ERR_IO;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static void wst_flush(struct wst *w)
{
    if (!w->err && w->n && write_all(w->fd, w->buf, w->n) != 0)
        w->err = ERR_IO;
    w->n = 0;
}

static void wst_put(struct wst *w, const void *p, size_t n)
{
    if (w->err)
        return;
    w->crc = index_crc32(w->crc, p, n);
    w->off += n;
    const uint8_t *c = p;
    while (n > 0) {
        size_t room = WST_BUF - w->n;
        size_t k = n < room ? n : room;
        memcpy(w->buf + w->n, c, k);
        w->n += k;
        c += k;
        n -= k;
        if (w->n == WST_BUF)
            wst_flush(w);
    }
}

static void wst_cleanup(struct wst *w)
{
    free(w->buf);
    w->buf = NULL;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

/* Opens an unlinked temporary file in dir of path. */
static int tmp_open(const char *path)
{
    char *t = xmalloc(strlen(path) + 32);
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        sprintf(t, "%s.t%d", path, i);
        fd = open(t, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            unlink(t);
        else if (errno != EEXIST)
            break;
    }
    free(t);
    return fd;
}

struct sec_rec {
    uint32_t id, crc;
    uint64_t off, len;
};

struct seg_out {
    char *path;
    struct wst main;  /* the segment file */
    struct wst pos;   /* temp: POS */
    struct wst terms; /* temp: TERMS */
    struct wst str;   /* temp: TERMSTR */
    struct sec_rec sec[SEG_MAX_SECTIONS];
    int n_sec;
    uint64_t sec_start;
    uint32_t n_docs;
    const uint32_t *len[SEG_N_LEN_FIELDS]; /* copies, for bounds */
    uint32_t *len_copy;
    double avgdl[INDEX_N_FIELDS];
    /* the current term */
    int has_term;
    int field;
    char term[256];
    size_t term_len;
    uint64_t term_pos_start; /* pos stream offset at term start */
    uint32_t df;
    int64_t last_doc;   /* previous posting's doc, -1 at term start */
    uint32_t blk_docs[SEG_BLOCK], blk_tfs[SEG_BLOCK];
    uint32_t blk_n;
    uint32_t blk_pos_off; /* pos offset of the block, from term_pos_start */
    int64_t blk_prev;     /* last doc of the previous block, -1 */
    uint8_t *tdata;       /* the term's encoded blocks */
    size_t tdata_n, tdata_cap;
    struct seg_blk *tblk; /* the term's block index */
    size_t tblk_n, tblk_cap;
    struct tdl *tpairs; /* the term's block pairs, for its frontier */
    size_t tpairs_n, tpairs_cap;
    uint64_t n_terms;
};

static void sec_begin(struct seg_out *o)
{
    /* 8-align the section start (padding outside any CRC). */
    static const uint8_t zero[8];
    size_t pad = (size_t)((8 - (o->main.off & 7)) & 7);
    if (pad)
        wst_put(&o->main, zero, pad);
    o->sec_start = o->main.off;
    o->main.crc = 0;
}

static void sec_end(struct seg_out *o, uint32_t id)
{
    struct sec_rec *r = &o->sec[o->n_sec++];
    r->id = id;
    r->crc = o->main.crc;
    r->off = o->sec_start;
    r->len = o->main.off - o->sec_start;
}

static void sec_write(struct seg_out *o, uint32_t id, const void *p, size_t n)
{
    sec_begin(o);
    wst_put(&o->main, p, n);
    sec_end(o, id);
}

int index_seg_out_new(const char *path, const struct seg_docvals *dv, struct seg_out **out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == EEXIST ? ERR_EXISTS : ERR_IO;
    struct seg_out *o = xcalloc(1, sizeof *o);
    o->path = xstrdup(path);
    wst_init(&o->main, fd);
    int pfd = tmp_open(path), tfd = tmp_open(path), sfd = tmp_open(path);
    wst_init(&o->pos, pfd);
    wst_init(&o->terms, tfd);
    wst_init(&o->str, sfd);
    if (pfd < 0 || tfd < 0 || sfd < 0) {
        index_seg_out_abort(o);
        return ERR_IO;
    }
    o->n_docs = dv->n_docs;
    uint32_t n = dv->n_docs;
    o->len_copy = xmalloc((size_t)SEG_N_LEN_FIELDS * n * sizeof(uint32_t) + 1);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++) {
        memcpy(o->len_copy + (size_t)f * n, dv->len[f], (size_t)n * sizeof(uint32_t));
        o->len[f] = o->len_copy + (size_t)f * n;
    }
    for (int f = 0; f < INDEX_N_FIELDS; f++)
        o->avgdl[f] = n ? (double)dv->total_len[f] / n : 1;

    /* Header placeholder. */
    uint8_t hdr[SEG_HEADER_SIZE];
    memset(hdr, 0, sizeof hdr);
    wst_put(&o->main, hdr, sizeof hdr);

    sec_write(o, SEC_ROWID, dv->rowid, (size_t)n * 8);
    sec_write(o, SEC_DATE, dv->date, (size_t)n * 4);
    sec_begin(o);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        wst_put(&o->main, dv->len[f], (size_t)n * 4);
    sec_end(o, SEC_LEN);
    /* ROWIDX: doc ids sorted by rowid (counting on unique rowids). */
    uint32_t *ri = xmalloc((size_t)n * 4 + 4);
    for (uint32_t i = 0; i < n; i++)
        ri[i] = i;
    /* sort by rowid: a simple merge sort via qsort_r-free approach */
    {
        uint32_t *tmp = xmalloc((size_t)n * 4 + 4);
        for (uint32_t w = 1; w < n; w *= 2) {
            for (uint32_t lo = 0; lo < n; lo += 2 * w) {
                uint32_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
                uint32_t a = lo, b = mid, k = lo;
                while (a < mid && b < hi)
                    tmp[k++] = dv->rowid[ri[b]] < dv->rowid[ri[a]] ? ri[b++] : ri[a++];
                while (a < mid)
                    tmp[k++] = ri[a++];
                while (b < hi)
                    tmp[k++] = ri[b++];
            }
            memcpy(ri, tmp, (size_t)n * 4);
        }
        free(tmp);
    }
    sec_write(o, SEC_ROWIDX, ri, (size_t)n * 4);
    free(ri);
    sec_write(o, SEC_CATOFF, dv->cat_off, ((size_t)n + 1) * 4);
    sec_write(o, SEC_CATIDS, dv->cat_ids, (size_t)dv->cat_off[n] * 2);
    sec_begin(o);
    uint32_t nc = dv->n_cats, off = 0;
    wst_put(&o->main, &nc, 4);
    for (uint32_t i = 0; i <= nc; i++) {
        wst_put(&o->main, &off, 4);
        if (i < nc)
            off += (uint32_t)strlen(dv->cats[i]);
    }
    for (uint32_t i = 0; i < nc; i++)
        wst_put(&o->main, dv->cats[i], strlen(dv->cats[i]));
    sec_end(o, SEC_CATDICT);
    uint8_t meta[48];
    memset(meta, 0, sizeof meta);
    memcpy(meta, dv->total_len, 32);
    memcpy(meta + 32, &dv->title_repeat, 4);
    memcpy(meta + 36, &dv->stem, 4);
    memcpy(meta + 40, &dv->stop, 4);
    sec_write(o, SEC_META, meta, sizeof meta);
    sec_begin(o); /* POST starts; it ends in finish */
    *out = o;
    return 0;
}

static void tdata_put(struct seg_out *o, const void *p, size_t n)
{
    if (o->tdata_n + n > o->tdata_cap) {
        o->tdata_cap = (o->tdata_n + n) * 2 + 256;
        o->tdata = xrealloc(o->tdata, o->tdata_cap);
    }
    memcpy(o->tdata + o->tdata_n, p, n);
    o->tdata_n += n;
}

static void put_varint(struct wst *w, uint32_t v)
{
    uint8_t b[5];
    int n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    wst_put(w, b, (size_t)n);
}

/* Encodes the buffered block of the current term. */
static void flush_block(struct seg_out *o)
{
    uint32_t n = o->blk_n;
    if (n == 0)
        return;
    uint32_t gaps[SEG_BLOCK], tfm[SEG_BLOCK], maxg = 0, maxt = 0;
    int64_t prev = o->blk_prev;
    uint32_t dls[SEG_BLOCK];
    for (uint32_t i = 0; i < n; i++) {
        gaps[i] = (uint32_t)((int64_t)o->blk_docs[i] - prev - 1);
        prev = o->blk_docs[i];
        tfm[i] = o->blk_tfs[i] - 1;
        maxg |= gaps[i];
        maxt |= tfm[i];
        dls[i] = o->field < SEG_N_LEN_FIELDS ? o->len[o->field][o->blk_docs[i]] : 0;
    }
    unsigned bd = bits_for(maxg), bt = bits_for(maxt);
    struct seg_blk blk;
    memset(&blk, 0, sizeof blk);
    blk.last_doc = o->blk_docs[n - 1];
    blk.doc_off = (uint32_t)o->tdata_n; /* made absolute in end_term */
    blk.pos_off = o->blk_pos_off;
    block_frontier(o->blk_tfs, dls, n, o->avgdl[o->field], &blk.pairs);
    uint8_t buf[2 + 2 * SEG_BLOCK * 4 + 8];
    buf[0] = (uint8_t)bd;
    buf[1] = (uint8_t)bt;
    size_t sd = packed_size(n, bd), stt = packed_size(n, bt);
    memset(buf + 2, 0, sd + stt);
    pack(buf + 2, gaps, n, bd);
    pack(buf + 2 + sd, tfm, n, bt);
    tdata_put(o, buf, 2 + sd + stt);
    if (o->tblk_n == o->tblk_cap) {
        o->tblk_cap = o->tblk_cap * 2 + 8;
        o->tblk = xrealloc(o->tblk, o->tblk_cap * sizeof *o->tblk);
    }
    o->tblk[o->tblk_n++] = blk;
    for (int i = 0; i < SEG_PAIRS && blk.pairs.tf[i]; i++) {
        if (o->tpairs_n == o->tpairs_cap) {
            o->tpairs_cap = o->tpairs_cap * 2 + 16;
            o->tpairs = xrealloc(o->tpairs, o->tpairs_cap * sizeof *o->tpairs);
        }
        o->tpairs[o->tpairs_n].tf = blk.pairs.tf[i];
        o->tpairs[o->tpairs_n].dl = blk.pairs.dl[i];
        o->tpairs_n++;
    }
    o->blk_prev = o->blk_docs[n - 1];
    o->blk_n = 0;
    o->blk_pos_off = (uint32_t)(o->pos.off - o->term_pos_start);
}

static void end_term(struct seg_out *o)
{
    if (!o->has_term)
        return;
    o->has_term = 0;
    if (o->df == 0)
        return; /* a term without postings is not written */
    flush_block(o);
    struct seg_term t;
    memset(&t, 0, sizeof t);
    t.str_off = (uint32_t)o->str.off;
    t.field = (uint8_t)o->field;
    t.len = (uint8_t)o->term_len;
    t.df = o->df;
    if (o->tblk_n > 1) {
        /* a block index is read in place: 4-align it (the padding ends
         * the previous term's region) */
        static const uint8_t zero[4];
        size_t pad = (size_t)((4 - ((o->main.off - o->sec_start) & 3)) & 3);
        if (pad)
            wst_put(&o->main, zero, pad);
    }
    t.post_off = o->main.off - o->sec_start;
    t.pos_off = seg_field_has_pos(o->field) ? o->term_pos_start : 0;
    frontier(o->tpairs, o->tpairs_n, o->avgdl[o->field], &t.pairs);
    if (o->tblk_n > 1) {
        uint32_t idx_size = (uint32_t)(o->tblk_n * sizeof(struct seg_blk));
        for (size_t i = 0; i < o->tblk_n; i++)
            o->tblk[i].doc_off += idx_size;
        wst_put(&o->main, o->tblk, o->tblk_n * sizeof(struct seg_blk));
    }
    wst_put(&o->main, o->tdata, o->tdata_n);
    wst_put(&o->terms, &t, sizeof t);
    wst_put(&o->str, o->term, o->term_len);
    o->n_terms++;
}

int index_seg_out_term(struct seg_out *o, int field, const char *term, size_t len)
{
    if (len == 0 || len > 255 || field < 0 || field >= INDEX_N_FIELDS)
        return ERR_INVALID;
    if (o->has_term) {
        int c = field - o->field;
        if (c == 0) {
            size_t m = len < o->term_len ? len : o->term_len;
            c = memcmp(term, o->term, m);
            if (c == 0)
                c = len > o->term_len ? 1 : (len < o->term_len ? -1 : 0);
        }
        if (c <= 0)
            return ERR_INVALID;
    }
    end_term(o);
    o->has_term = 1;
    o->field = field;
    memcpy(o->term, term, len);
    o->term_len = len;
    o->term_pos_start = o->pos.off;
    o->df = 0;
    o->last_doc = -1;
    o->blk_n = 0;
    o->blk_pos_off = 0;
    o->blk_prev = -1;
    o->tdata_n = 0;
    o->tblk_n = 0;
    o->tpairs_n = 0;
    return 0;
}

int index_seg_out_post(struct seg_out *o, uint32_t doc, uint32_t tf, const uint32_t *pos)
{
    if (!o->has_term || (int64_t)doc <= o->last_doc || doc >= o->n_docs || tf == 0)
        return ERR_INVALID;
    if (seg_field_has_pos(o->field) != (pos != NULL))
        return ERR_INVALID;
    o->last_doc = doc;
    o->blk_docs[o->blk_n] = doc;
    o->blk_tfs[o->blk_n] = tf;
    o->blk_n++;
    o->df++;
    if (pos) {
        uint32_t prev = 0;
        for (uint32_t i = 0; i < tf; i++) {
            put_varint(&o->pos, pos[i] - prev);
            prev = pos[i];
        }
    }
    if (o->blk_n == SEG_BLOCK)
        flush_block(o);
    return o->main.err;
}

/* Appends the temp stream's bytes to main as section id. */
static void copy_stream(struct seg_out *o, struct wst *t, uint32_t id)
{
    wst_flush(t);
    sec_begin(o);
    if (t->err)
        o->main.err = t->err;
    if (lseek(t->fd, 0, SEEK_SET) != 0)
        o->main.err = ERR_IO;
    uint64_t left = t->off;
    uint8_t *buf = xmalloc(WST_BUF);
    while (left > 0 && !o->main.err) {
        size_t want = left < WST_BUF ? (size_t)left : WST_BUF;
        ssize_t k = read(t->fd, buf, want);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            o->main.err = ERR_IO;
            break;
        }
        wst_put(&o->main, buf, (size_t)k);
        left -= (uint64_t)k;
    }
    free(buf);
    sec_end(o, id);
}

static void free_out(struct seg_out *o)
{
    wst_cleanup(&o->main);
    wst_cleanup(&o->pos);
    wst_cleanup(&o->terms);
    wst_cleanup(&o->str);
    free(o->len_copy);
    free(o->tdata);
    free(o->tblk);
    free(o->tpairs);
    free(o->path);
    free(o);
}

int index_seg_out_finish(struct seg_out *o)
{
    end_term(o);
    sec_end(o, SEC_POST);
    copy_stream(o, &o->pos, SEC_POS);
    copy_stream(o, &o->terms, SEC_TERMS);
    copy_stream(o, &o->str, SEC_TERMSTR);
    wst_flush(&o->main);
    int rc = o->main.err;
    if (rc == 0) {
        uint8_t hdr[SEG_HEADER_SIZE];
        memset(hdr, 0, sizeof hdr);
        memcpy(hdr, SEG_MAGIC, 8);
        uint32_t v = SEG_VERSION, ns = (uint32_t)o->n_sec, nd = o->n_docs, fl = 0;
        memcpy(hdr + 8, &v, 4);
        memcpy(hdr + 12, &ns, 4);
        memcpy(hdr + 16, &nd, 4);
        memcpy(hdr + 20, &fl, 4);
        for (int i = 0; i < o->n_sec; i++) {
            uint8_t *e = hdr + 24 + 24 * i;
            memcpy(e, &o->sec[i].id, 4);
            memcpy(e + 4, &o->sec[i].crc, 4);
            memcpy(e + 8, &o->sec[i].off, 8);
            memcpy(e + 16, &o->sec[i].len, 8);
        }
        uint32_t crc = index_crc32(0, hdr, SEG_HEADER_SIZE - 4);
        memcpy(hdr + SEG_HEADER_SIZE - 4, &crc, 4);
        if (pwrite(o->main.fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr)
            rc = ERR_IO;
    }
    if (rc == 0 && fsync(o->main.fd) != 0)
        rc = ERR_IO;
    if (rc != 0)
        unlink(o->path);
    free_out(o);
    return rc;
}

void index_seg_out_abort(struct seg_out *o)
{
    if (!o)
        return;
    unlink(o->path);
    free_out(o);
}

/* ------------------------------------------------------------------ */
/* The reader                                                          */

static int term_cmp(int fa, const char *a, size_t la, int fb, const char *b, size_t lb)
{
    if (fa != fb)
        return fa < fb ? -1 : 1;
    size_t m = la < lb ? la : lb;
    int c = memcmp(a, b, m);
    if (c)
        return c;
    return la < lb ? -1 : la > lb;
}

/* Checks the block structure of term i (region [s, e) of POST). */
static int check_term_blocks(const struct seg *sg, const struct seg_term *t, const uint8_t *s,
                             const uint8_t *e, uint64_t pos_len)
{
    uint32_t nb = (t->df + SEG_BLOCK - 1) / SEG_BLOCK;
    uint64_t region = (uint64_t)(e - s);
    /* A region may end with up to 3 bytes of padding (see end_term). */
    if (nb == 1) {
        if (region < 2 || s[0] > 32 || s[1] > 32)
            return ERR_CORRUPT;
        uint32_t n = t->df;
        uint64_t need = 2 + packed_size(n, s[0]) + packed_size(n, s[1]);
        if (need > region || region - need > 3)
            return ERR_CORRUPT;
        return 0;
    }
    uint64_t idx = (uint64_t)nb * sizeof(struct seg_blk);
    if (idx > region || (t->post_off & 3))
        return ERR_CORRUPT;
    const uint8_t *bi = s;
    int64_t prev_last = -1;
    uint64_t prev_pos = 0;
    for (uint32_t b = 0; b < nb; b++) {
        struct seg_blk blk;
        memcpy(&blk, bi + (uint64_t)b * sizeof blk, sizeof blk);
        uint64_t start = blk.doc_off;
        uint64_t end = region;
        if (b + 1 < nb) {
            struct seg_blk nx;
            memcpy(&nx, bi + (uint64_t)(b + 1) * sizeof nx, sizeof nx);
            end = nx.doc_off;
        }
        if (start < (b == 0 ? idx : 0) || (b == 0 && start != idx) || end > region || start + 2 > end)
            return ERR_CORRUPT;
        uint32_t n = b + 1 < nb ? SEG_BLOCK : t->df - SEG_BLOCK * (nb - 1);
        if (s[start] > 32 || s[start + 1] > 32)
            return ERR_CORRUPT;
        uint64_t need = 2 + packed_size(n, s[start]) + packed_size(n, s[start + 1]);
        if (need > end - start || end - start - need > (b + 1 < nb ? 0 : 3))
            return ERR_CORRUPT;
        if ((int64_t)blk.last_doc <= prev_last || blk.last_doc >= sg->n_docs)
            return ERR_CORRUPT;
        if (blk.pos_off < prev_pos || (seg_field_has_pos(t->field) && blk.pos_off > pos_len))
            return ERR_CORRUPT;
        prev_last = blk.last_doc;
        prev_pos = blk.pos_off;
    }
    return 0;
}

static int find_sec(const uint8_t *hdr, uint32_t ns, uint32_t id, uint64_t *off, uint64_t *len,
                    uint32_t *crc)
{
    for (uint32_t i = 0; i < ns; i++) {
        const uint8_t *e = hdr + 24 + 24 * i;
        if (rd32(e) == id) {
            *crc = rd32(e + 4);
            *off = rd64(e + 8);
            *len = rd64(e + 16);
            return 0;
        }
    }
    return ERR_CORRUPT;
}

static int verify(struct seg *sg, const uint8_t *p, size_t size, int verify_crc)
{
    if (size < SEG_HEADER_SIZE || memcmp(p, SEG_MAGIC, 6) != 0)
        return ERR_CORRUPT;
    if (memcmp(p, SEG_MAGIC, 8) != 0 || rd32(p + 8) != SEG_VERSION)
        return ERR_UNSUPPORTED;
    if (index_crc32(0, p, SEG_HEADER_SIZE - 4) != rd32(p + SEG_HEADER_SIZE - 4))
        return ERR_CORRUPT;
    uint32_t ns = rd32(p + 12);
    if (ns > SEG_MAX_SECTIONS)
        return ERR_CORRUPT;
    uint32_t n = rd32(p + 16);
    sg->n_docs = n;
    const uint8_t *sec[SEC_COUNT_];
    uint64_t slen[SEC_COUNT_];
    for (uint32_t id = SEC_ROWID; id < SEC_COUNT_; id++) {
        uint64_t off, len;
        uint32_t crc;
        if (find_sec(p, ns, id, &off, &len, &crc) != 0)
            return ERR_CORRUPT;
        if (off < SEG_HEADER_SIZE || (off & 7) || off > size || len > size - off)
            return ERR_CORRUPT;
        if (verify_crc && index_crc32(0, p + off, (size_t)len) != crc)
            return ERR_CORRUPT;
        sec[id] = p + off;
        slen[id] = len;
    }
    if (slen[SEC_ROWID] != (uint64_t)n * 8 || slen[SEC_DATE] != (uint64_t)n * 4 ||
        slen[SEC_LEN] != (uint64_t)n * 12 || slen[SEC_ROWIDX] != (uint64_t)n * 4 ||
        slen[SEC_CATOFF] != ((uint64_t)n + 1) * 4 || slen[SEC_META] != 48 ||
        slen[SEC_TERMS] % sizeof(struct seg_term) != 0 || slen[SEC_CATIDS] & 1)
        return ERR_CORRUPT;
    sg->rowid = (const int64_t *)sec[SEC_ROWID];
    sg->date = (const int32_t *)sec[SEC_DATE];
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        sg->len[f] = (const uint32_t *)sec[SEC_LEN] + (size_t)f * n;
    sg->rowidx = (const uint32_t *)sec[SEC_ROWIDX];
    for (uint32_t i = 0; i < n; i++) {
        if (sg->rowidx[i] >= n)
            return ERR_CORRUPT;
        /* a rowid may repeat (a doc replaced within one batch: all but the
         * last copy are deleted); ties keep doc id order */
        if (i && (sg->rowid[sg->rowidx[i]] < sg->rowid[sg->rowidx[i - 1]] ||
                  (sg->rowid[sg->rowidx[i]] == sg->rowid[sg->rowidx[i - 1]] &&
                   sg->rowidx[i] <= sg->rowidx[i - 1])))
            return ERR_CORRUPT;
    }
    /* categories */
    sg->cat_off = (const uint32_t *)sec[SEC_CATOFF];
    sg->cat_ids = (const uint16_t *)sec[SEC_CATIDS];
    uint64_t n_ids = slen[SEC_CATIDS] / 2;
    if (sg->cat_off[0] != 0 || sg->cat_off[n] != n_ids)
        return ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++)
        if (sg->cat_off[i] > sg->cat_off[i + 1])
            return ERR_CORRUPT;
    if (slen[SEC_CATDICT] < 8)
        return ERR_CORRUPT;
    sg->n_cats = rd32(sec[SEC_CATDICT]);
    if (((uint64_t)sg->n_cats + 2) * 4 > slen[SEC_CATDICT])
        return ERR_CORRUPT;
    sg->catdict_off = (const uint32_t *)(sec[SEC_CATDICT] + 4);
    sg->catdict_str = (const char *)(sec[SEC_CATDICT] + 4 + ((size_t)sg->n_cats + 1) * 4);
    uint64_t str_room = slen[SEC_CATDICT] - ((uint64_t)sg->n_cats + 2) * 4;
    if (sg->catdict_off[0] != 0 || sg->catdict_off[sg->n_cats] > str_room)
        return ERR_CORRUPT;
    for (uint32_t i = 0; i < sg->n_cats; i++)
        if (sg->catdict_off[i] > sg->catdict_off[i + 1] ||
            sg->catdict_off[i + 1] - sg->catdict_off[i] > SEG_MAX_CAT_LEN)
            return ERR_CORRUPT;
    for (uint64_t i = 0; i < n_ids; i++)
        if (sg->cat_ids[i] >= sg->n_cats)
            return ERR_CORRUPT;
    /* meta */
    memcpy(sg->total_len, sec[SEC_META], 32);
    sg->title_repeat = rd32(sec[SEC_META] + 32);
    sg->stem = rd32(sec[SEC_META] + 36);
    sg->stop = rd32(sec[SEC_META] + 40);
    /* terms */
    sg->post = sec[SEC_POST];
    sg->post_len = slen[SEC_POST];
    sg->pos = sec[SEC_POS];
    sg->pos_len = slen[SEC_POS];
    sg->terms = (const struct seg_term *)sec[SEC_TERMS];
    if (slen[SEC_TERMS] / sizeof(struct seg_term) > UINT32_MAX)
        return ERR_CORRUPT;
    sg->n_terms = (uint32_t)(slen[SEC_TERMS] / sizeof(struct seg_term));
    sg->termstr = (const char *)sec[SEC_TERMSTR];
    sg->termstr_len = slen[SEC_TERMSTR];
    uint64_t next_pos = sg->pos_len;
    for (uint32_t i = sg->n_terms; i-- > 0;) {
        const struct seg_term *t = &sg->terms[i];
        if (t->field >= INDEX_N_FIELDS || t->len == 0 || t->df == 0 || t->df > n ||
            (uint64_t)t->str_off + t->len > sg->termstr_len)
            return ERR_CORRUPT;
        if (i + 1 < sg->n_terms) {
            const struct seg_term *u = &sg->terms[i + 1];
            if (term_cmp(t->field, sg->termstr + t->str_off, t->len, u->field,
                         sg->termstr + u->str_off, u->len) >= 0)
                return ERR_CORRUPT;
        }
        uint64_t pend = i + 1 < sg->n_terms ? sg->terms[i + 1].post_off : sg->post_len;
        if (t->post_off > pend || pend > sg->post_len)
            return ERR_CORRUPT;
        uint64_t pos_region = 0;
        if (seg_field_has_pos(t->field)) {
            if (t->pos_off > next_pos)
                return ERR_CORRUPT;
            pos_region = next_pos - t->pos_off;
            next_pos = t->pos_off;
        }
        int rc = check_term_blocks(sg, t, sg->post + t->post_off, sg->post + pend, pos_region);
        if (rc)
            return rc;
    }
    return 0;
}

int index_seg_open_mem(const void *p, size_t len, int verify_crc, struct seg **out)
{
    struct seg *sg = xcalloc(1, sizeof *sg);
    atomic_init(&sg->refs, 1);
    int rc = verify(sg, p, len, verify_crc);
    if (rc) {
        free(sg);
        return rc;
    }
    sg->size = len;
    sg->data_end = (const uint8_t *)p + len;
    *out = sg;
    return 0;
}

int index_seg_open(const char *path, const char *name, struct seg **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ERR_IO;
    }
    size_t size = (size_t)st.st_size;
    if (size < SEG_HEADER_SIZE) {
        close(fd);
        return ERR_CORRUPT;
    }
    void *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return ERR_IO;
    struct seg *sg = NULL;
    int rc = index_seg_open_mem(map, size, 1, &sg);
    if (rc) {
        munmap(map, size);
        return rc;
    }
    sg->map = map;
    sg->name = xstrdup(name);
    *out = sg;
    return 0;
}

void index_seg_ref(struct seg *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void index_seg_unref(struct seg *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->map)
        munmap(s->map, s->size);
    free(s->name);
    free(s);
}

const struct seg_term *index_seg_term(const struct seg *s, int field, const char *term, size_t len)
{
    uint32_t lo = 0, hi = s->n_terms;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct seg_term *t = &s->terms[mid];
        int c = term_cmp(t->field, s->termstr + t->str_off, t->len, field, term, len);
        if (c == 0)
            return t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

uint32_t index_seg_find(const struct seg *s, int64_t rowid, const struct delset *del)
{
    uint32_t lo = 0, hi = s->n_docs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->rowid[s->rowidx[mid]] < rowid)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < s->n_docs && s->rowid[s->rowidx[lo]] == rowid; lo++)
        if (!delset_has(del, s->rowidx[lo]))
            return s->rowidx[lo];
    return DOC_END;
}

void index_seg_fix_crcs(uint8_t *p, size_t len)
{
    if (len < SEG_HEADER_SIZE)
        return;
    uint32_t ns = rd32(p + 12);
    if (ns > SEG_MAX_SECTIONS)
        ns = SEG_MAX_SECTIONS;
    for (uint32_t i = 0; i < ns; i++) {
        uint8_t *e = p + 24 + 24 * i;
        uint64_t off = rd64(e + 8), l = rd64(e + 16);
        if (off <= len && l <= len - off) {
            uint32_t crc = index_crc32(0, p + off, (size_t)l);
            memcpy(e + 4, &crc, 4);
        }
    }
    uint32_t crc = index_crc32(0, p, SEG_HEADER_SIZE - 4);
    memcpy(p + SEG_HEADER_SIZE - 4, &crc, 4);
}

/* ------------------------------------------------------------------ */
/* Cursors                                                             */

void pcur_init(struct pcur *c, const struct seg *s, const struct seg_term *t)
{
    c->seg = s;
    c->t = t;
    c->df = t->df;
    c->n_blocks = (t->df + SEG_BLOCK - 1) / SEG_BLOCK;
    c->base = s->post + t->post_off;
    uint64_t end_off = (uint64_t)(t - s->terms) + 1 < s->n_terms ? t[1].post_off : s->post_len;
    c->end = s->post + end_off;
    c->blks = c->n_blocks > 1 ? (const struct seg_blk *)c->base : NULL;
    c->blk = UINT32_MAX;
    c->n = c->i = 0;
    c->doc = 0;
    c->corrupt = 0;
    if (seg_field_has_pos(t->field)) {
        c->pbase = s->pos + t->pos_off;
        /* the region ends at the next positional term's start */
        const struct seg_term *u = t + 1, *tend = s->terms + s->n_terms;
        while (u < tend && !seg_field_has_pos(u->field))
            u++;
        c->pend = u < tend ? s->pos + u->pos_off : s->pos + s->pos_len;
    } else {
        c->pbase = c->pend = NULL;
    }
    c->pp = NULL;
    c->ppi = 0;
}

/* Decodes block b; returns 0 or -1 (corrupt or past the end). */
static int decode_block(struct pcur *c, uint32_t b)
{
    if (b >= c->n_blocks)
        return -1;
    const uint8_t *s, *e;
    int64_t prev;
    uint32_t n;
    if (c->blks) {
        struct seg_blk blk;
        memcpy(&blk, &c->blks[b], sizeof blk);
        s = c->base + blk.doc_off;
        if (b + 1 < c->n_blocks) {
            struct seg_blk nx;
            memcpy(&nx, &c->blks[b + 1], sizeof nx);
            e = c->base + nx.doc_off;
        } else {
            e = c->end;
        }
        if (b > 0) {
            struct seg_blk pv;
            memcpy(&pv, &c->blks[b - 1], sizeof pv);
            prev = pv.last_doc;
        } else {
            prev = -1;
        }
        n = b + 1 < c->n_blocks ? SEG_BLOCK : c->df - SEG_BLOCK * (c->n_blocks - 1);
    } else {
        s = c->base;
        e = c->end;
        prev = -1;
        n = c->df;
    }
    if (e - s < 2 || s[0] > 32 || s[1] > 32)
        goto bad;
    size_t sd = packed_size(n, s[0]), st = packed_size(n, s[1]);
    if ((size_t)(e - s) < 2 + sd + st)
        goto bad;
    /* the fast unpackers may read 8 bytes past the data: room is checked */
    if (s[0] >= 1 && s[0] <= 20 && s + 2 + sd + 8 <= c->seg->data_end)
        unpackers[s[0]](c->docs, s + 2, n);
    else
        unpack(c->docs, s + 2, n, s[0]);
    if (s[1] >= 1 && s[1] <= 20 && s + 2 + sd + st + 8 <= c->seg->data_end)
        unpackers[s[1]](c->tfs, s + 2 + sd, n);
    else
        unpack(c->tfs, s + 2 + sd, n, s[1]);
    uint64_t d = (uint64_t)(prev + 1);
    for (uint32_t i = 0; i < n; i++) {
        d += c->docs[i];
        c->docs[i] = (uint32_t)d;
        c->tfs[i] += 1;
        if (c->tfs[i] == 0) /* (2^32-1)+1 wrapped */
            goto bad;
        d++;
    }
    if (d - 1 >= c->seg->n_docs)
        goto bad;
    if (c->blks) {
        struct seg_blk blk;
        memcpy(&blk, &c->blks[b], sizeof blk);
        if (c->docs[n - 1] != blk.last_doc)
            goto bad;
    }
    c->blk = b;
    c->n = n;
    c->i = 0;
    c->pp = NULL;
    return 0;
bad:
    c->corrupt = 1;
    return -1;
}

uint32_t pcur_next(struct pcur *c)
{
    if (c->doc == DOC_END)
        return DOC_END;
    if (c->blk != UINT32_MAX && c->i + 1 < c->n) {
        c->i++;
        return c->doc = c->docs[c->i];
    }
    uint32_t b = c->blk == UINT32_MAX ? 0 : c->blk + 1;
    if (decode_block(c, b) != 0)
        return c->doc = DOC_END;
    return c->doc = c->docs[0];
}

uint32_t pcur_advance(struct pcur *c, uint32_t target)
{
    if (c->doc == DOC_END)
        return DOC_END;
    if (c->blk != UINT32_MAX && c->docs[c->n - 1] >= target) {
        /* within the decoded block */
        uint32_t i = c->i;
        if (c->docs[i] >= target)
            return c->doc;
        while (c->docs[i] < target)
            i++;
        c->i = i;
        return c->doc = c->docs[i];
    }
    uint32_t b = c->blk == UINT32_MAX ? 0 : c->blk + 1;
    if (c->blks) {
        /* gallop then binary search over the block index' last docs */
        uint32_t lo = b, step = 1, hi = b;
        while (hi < c->n_blocks && c->blks[hi].last_doc < target) {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        if (hi > c->n_blocks)
            hi = c->n_blocks;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (c->blks[mid].last_doc < target)
                lo = mid + 1;
            else
                hi = mid;
        }
        b = lo;
    }
    if (decode_block(c, b) != 0)
        return c->doc = DOC_END;
    uint32_t i = 0;
    while (i < c->n && c->docs[i] < target)
        i++;
    if (i == c->n) /* only a one-block term can get here */
        return c->doc = DOC_END;
    c->i = i;
    return c->doc = c->docs[i];
}

int pcur_shallow(struct pcur *c, uint32_t target, uint32_t *last_doc, const struct seg_pairs **pairs)
{
    if (!c->blks) {
        *pairs = &c->t->pairs;
        *last_doc = c->seg->n_docs - 1; /* the whole term */
        if (c->blk != UINT32_MAX)
            *last_doc = c->docs[c->n - 1];
        return 0;
    }
    uint32_t b = c->blk == UINT32_MAX ? 0 : c->blk;
    while (b < c->n_blocks && c->blks[b].last_doc < target)
        b++;
    if (b >= c->n_blocks)
        return -1;
    *last_doc = c->blks[b].last_doc;
    *pairs = &c->blks[b].pairs;
    return 0;
}

static int read_varint(const uint8_t **pp, const uint8_t *end, uint32_t *v)
{
    const uint8_t *p = *pp;
    uint32_t x = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        x |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            *pp = p;
            return 0;
        }
    }
    return -1;
}

int pcur_positions(struct pcur *c, uint32_t *pos, uint32_t max)
{
    if (!c->pbase || c->doc == DOC_END)
        return -1;
    if (!c->pp || c->ppi > c->i) {
        uint32_t off = c->blks ? c->blks[c->blk].pos_off : 0;
        if ((uint64_t)off > (uint64_t)(c->pend - c->pbase))
            return -1;
        c->pp = c->pbase + off;
        c->ppi = 0;
    }
    while (c->ppi < c->i) {
        for (uint32_t k = 0; k < c->tfs[c->ppi]; k++) {
            uint32_t v;
            if (read_varint(&c->pp, c->pend, &v) != 0)
                return -1;
        }
        c->ppi++;
    }
    uint32_t tf = c->tfs[c->i], p = 0, n = 0;
    const uint8_t *q = c->pp;
    for (uint32_t k = 0; k < tf; k++) {
        uint32_t v;
        if (read_varint(&q, c->pend, &v) != 0)
            return -1;
        p += v;
        if (n < max)
            pos[n++] = p;
    }
    return (int)n;
}
