/*
 * index_int.h - what the files of the index module share (not a public
 * contract: only the .c files of src/index, its tests and its fuzz target include it).
 *
 * SEGMENT FILE FORMAT (version 1, little-endian, every section 8-aligned)
 *
 *   header (SEG_HEADER_SIZE bytes):
 *     magic "PBXSEG\0\1" | u32 version | u32 n_sections | u32 n_docs | u32 flags
 *     | n_sections x {u32 id, u32 crc32, u64 off, u64 len} | zero padding
 *     | u32 crc32 of the header's first SEG_HEADER_SIZE-4 bytes
 *   sections (crc32 over each section's bytes, zlib polynomial):
 *     ROWID   i64[n_docs]       the store rowid of each doc id
 *     DATE    i32[n_docs]       days since epoch or INDEX_NO_DATE
 *     LEN     u32[3][n_docs]    field lengths: body, title, authors
 *     ROWIDX  u32[n_docs]       doc ids sorted by rowid (rowid -> doc id lookup)
 *     CATOFF  u32[n_docs + 1]   doc d's category ids are CATIDS[CATOFF[d] .. CATOFF[d+1])
 *     CATIDS  u16[]             indexes into CATDICT
 *     CATDICT u32 n | u32 off[n + 1] | bytes   sorted, lower-case category names
 *     META    u64 total_len[4] | u32 title_repeat | u32 stem | u32 stop | u32 0
 *     POST    per term, in term order: for df > 128 a block index
 *             (ceil(df/128) x struct seg_blk), then the blocks; a term with
 *             df <= 128 has one block and no index (its bounds are the
 *             term's). A term with a block index starts 4-aligned (zero
 *             padding, at most 3 bytes, ends the previous term's region).
 *     POS     per term (fields with positions), per block, per doc in
 *             order: tf varints, the deltas of its ascending positions
 *             (the first from 0).
 *     TERMS   struct seg_term[n_terms], sorted by (field, bytes)
 *     TERMSTR the terms' bytes
 *
 *   A block holds n = min(128, docs left) postings:
 *     u8 bits_d | u8 bits_t | n doc-id gaps (doc - prev - 1, prev = the
 *     previous block's last doc or -1) bit-packed LSB-first in bits_d bits,
 *     padded to a byte | n (tf - 1) in bits_t bits, padded to a byte.
 *
 *   Impact bounds: for a block (and for a whole term) up to SEG_PAIRS
 *   (tf, dl) pairs such that every posting (tf', dl') of the block has a pair
 *   with tf >= tf' and dl <= dl' (a dominating frontier, Lucene's
 *   "competitive impacts"). BM25 grows with tf and shrinks with dl, so the
 *   largest BM25 over the pairs bounds every posting's contribution, for any
 *   k1, b, avgdl. tf is saturated at 65535 (read as "infinite"), dl at
 *   65535 (rounded down: still a bound); unused pairs have tf 0.
 */
#ifndef PAPERBOY_INDEX_INDEX_INT_H
#define PAPERBOY_INDEX_INDEX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"

#define SEG_MAGIC "PBXSEG\0\1"
#define SEG_VERSION 1
#define SEG_HEADER_SIZE 512
#define SEG_BLOCK 128
#define SEG_PAIRS 4
#define SEG_MAX_SECTIONS 16
#define SEG_N_LEN_FIELDS 3 /* body, title, authors have lengths */
#define SEG_MAX_CATS_PER_DOC 64
#define SEG_MAX_CAT_LEN 64
#define DOC_END UINT32_MAX

enum seg_section {
    SEC_ROWID = 1,
    SEC_DATE,
    SEC_LEN,
    SEC_ROWIDX,
    SEC_CATOFF,
    SEC_CATIDS,
    SEC_CATDICT,
    SEC_META,
    SEC_POST,
    SEC_POS,
    SEC_TERMS,
    SEC_TERMSTR,
    SEC_COUNT_ /* one past the last */
};

struct seg_pairs {
    uint16_t tf[SEG_PAIRS];
    uint16_t dl[SEG_PAIRS];
};

/* On-disk term entry (48 bytes). */
struct seg_term {
    uint32_t str_off; /* into TERMSTR */
    uint8_t field;
    uint8_t len;
    uint16_t reserved;
    uint32_t df;
    uint32_t reserved2;
    uint64_t post_off; /* into POST */
    uint64_t pos_off;  /* into POS (0 and unused for CATEGORY) */
    struct seg_pairs pairs;
};

/* On-disk block index entry (32 bytes). */
struct seg_blk {
    uint32_t last_doc;
    uint32_t doc_off; /* from the term's post_off */
    uint32_t pos_off; /* from the term's pos_off */
    uint32_t reserved;
    struct seg_pairs pairs;
};

/* An open, verified segment (read-only, shared by snapshots). */
struct seg {
    atomic_int refs;
    char *name; /* file name within the index directory ("seg-....pbx") */
    void *map;  /* the mapping (NULL when borrowed) */
    size_t size;
    const uint8_t *data_end; /* one past the last byte of the file image */
    uint32_t n_docs;
    const int64_t *rowid;
    const int32_t *date;
    const uint32_t *len[SEG_N_LEN_FIELDS];
    const uint32_t *rowidx;
    const uint32_t *cat_off;
    const uint16_t *cat_ids;
    uint32_t n_cats;
    const uint32_t *catdict_off;
    const char *catdict_str;
    uint64_t total_len[INDEX_N_FIELDS];
    uint32_t title_repeat, stem, stop;
    const uint8_t *post;
    uint64_t post_len;
    const uint8_t *pos;
    uint64_t pos_len;
    const struct seg_term *terms;
    uint32_t n_terms;
    const char *termstr;
    uint64_t termstr_len;
};

/* Does field f record positions? */
static inline int seg_field_has_pos(int f)
{
    return f != INDEX_FIELD_CATEGORY;
}

/* Opens and verifies segment file path (name is recorded as given).
 * ERR_NOT_FOUND, ERR_IO, ERR_CORRUPT, ERR_UNSUPPORTED. */
int index_seg_open(const char *path, const char *name, struct seg **out /* OUT */);
/* Verifies len bytes at p as a segment (checking CRCs only if verify_crc)
 * and wraps them without copying: p must outlive the segment. */
int index_seg_open_mem(const void *p, size_t len, int verify_crc, struct seg **out /* OUT */);
/* Reference counting; the last unref unmaps and frees. */
void index_seg_ref(struct seg *s);
void index_seg_unref(struct seg *s);
/* The term entry for (field, term), or NULL. */
const struct seg_term *index_seg_term(const struct seg *s, int field, const char *term, size_t len);
struct delset;
/* Doc id of the copy of rowid in s that del does not delete (del may be
 * NULL), or DOC_END. */
uint32_t index_seg_find(const struct seg *s, int64_t rowid, const struct delset *del);
/* Recomputes every section CRC and the header CRC of a segment image in
 * memory (for the fuzz target and corruption tests). */
void index_seg_fix_crcs(uint8_t *p, size_t len);

/* --- the streaming segment writer --- */

struct seg_out;
struct seg_docvals {
    uint32_t n_docs;
    const int64_t *rowid;
    const int32_t *date;
    const uint32_t *len[SEG_N_LEN_FIELDS];
    const uint32_t *cat_off; /* n_docs + 1 */
    const uint16_t *cat_ids;
    uint32_t n_cats;
    const char *const *cats; /* sorted, unique, lower-case */
    uint64_t total_len[INDEX_N_FIELDS];
    uint32_t title_repeat, stem, stop;
};
/* Creates file path (O_EXCL: ERR_EXISTS when it exists) and writes the
 * doc values; then terms are added in (field, bytes) order. */
int index_seg_out_new(const char *path, const struct seg_docvals *dv, struct seg_out **out /* OUT */);
/* Starts a term (must sort after the previous one). */
int index_seg_out_term(struct seg_out *o, int field, const char *term, size_t len);
/* Adds a posting of the current term: doc ids strictly ascending, tf >= 1,
 * pos (tf ascending positions) for fields with positions, else NULL. */
int index_seg_out_post(struct seg_out *o, uint32_t doc, uint32_t tf, const uint32_t *pos);
/* Ends the last term, writes the remaining sections and the header,
 * fsyncs and closes. Frees o (also on failure, removing the file). */
int index_seg_out_finish(struct seg_out *o);
/* Removes the file and frees o; NULL does nothing. */
void index_seg_out_abort(struct seg_out *o);

/* --- postings cursors --- */

struct pcur {
    const struct seg *seg;
    const struct seg_term *t;
    const uint8_t *base;  /* the term's POST region */
    const uint8_t *end;   /* its end */
    const struct seg_blk *blks; /* block index, NULL for a one-block term */
    uint32_t n_blocks, df;
    uint32_t blk;  /* decoded block, UINT32_MAX before the first */
    uint32_t n, i; /* postings in the decoded block; current index */
    uint32_t doc;  /* current doc id, DOC_END when exhausted */
    int corrupt;   /* set when a block failed to decode */
    /* positions */
    const uint8_t *pbase, *pend; /* the term's POS region */
    const uint8_t *pp;           /* positions of doc index ppi in the block */
    uint32_t ppi;
    uint32_t docs[SEG_BLOCK];
    uint32_t tfs[SEG_BLOCK];
};

/* Positions the cursor before the first posting of term t in s (call
 * pcur_next to reach it). */
void pcur_init(struct pcur *c, const struct seg *s, const struct seg_term *t);
/* Moves to the next posting; returns the doc (DOC_END at the end). */
uint32_t pcur_next(struct pcur *c);
/* Moves to the first posting with doc >= target; returns it. */
uint32_t pcur_advance(struct pcur *c, uint32_t target);
/* The tf of the current posting. */
static inline uint32_t pcur_tf(const struct pcur *c)
{
    return c->tfs[c->i];
}
/* The block that would hold target, without decoding (shallow advance):
 * writes its last doc and its bounds; returns 0, or -1 past the end. */
int pcur_shallow(struct pcur *c, uint32_t target, uint32_t *last_doc, const struct seg_pairs **pairs);
/* Reads the current posting's positions into pos (room for max); returns
 * their count (== tf unless capped by max), or -1 when corrupt. */
int pcur_positions(struct pcur *c, uint32_t *pos, uint32_t max);

/* --- deletions --- */

struct delset {
    atomic_int refs;
    char *name;     /* file name, NULL when none written yet */
    uint32_t n_docs;
    uint32_t n_del;
    uint64_t *bits; /* n_docs bits */
};
static inline int delset_has(const struct delset *d, uint32_t doc)
{
    return d && (d->bits[doc >> 6] >> (doc & 63)) & 1;
}
struct delset *index_delset_new(uint32_t n_docs);
struct delset *index_delset_copy(const struct delset *d);
void index_delset_unref(struct delset *d);
int index_delset_read(const char *path, const char *name, uint32_t n_docs, struct delset **out /* OUT */);
int index_delset_write(const char *path, const struct delset *d);

/* --- snapshots --- */

struct snap_seg {
    struct seg *seg;
    struct delset *del; /* NULL: nothing deleted */
};

struct index_snapshot {
    atomic_int refs;
    uint64_t gen;
    int n;
    struct snap_seg *segs;
    int64_t n_docs, n_live;
    uint64_t total_len[INDEX_N_FIELDS];
    uint64_t bytes;
};

/* --- the manifest --- */

struct manifest_seg {
    char name[64];
    uint32_t n_docs;
    char del[64]; /* "" when none */
    uint32_t n_del;
};
struct manifest {
    uint64_t gen;
    struct index_opts opts;
    int64_t sync_mark;
    char source[128];
    int n;
    struct manifest_seg *segs;
};
/* Reads dir/MANIFEST. ERR_NOT_FOUND, ERR_CORRUPT, ERR_UNSUPPORTED, ERR_IO. */
int index_manifest_read(const char *dir, struct manifest *m /* OUT */);
/* Writes dir/MANIFEST atomically (tmp + fsync + rename + fsync dir). With
 * crash_before_rename (tests only) it stops after writing the tmp file. */
int index_manifest_write(const char *dir, const struct manifest *m, int crash_before_rename);
void index_manifest_cleanup(struct manifest *m);

/* --- the in-memory inverted index (membuf.c) --- */

struct membuf;
/* A segment a membuf wrote: its file name, and each doc's rowid and the
 * writer's sequence number of that add (malloc'ed; name[0] == 0: none). */
struct membuf_seg {
    char name[64];
    uint32_t n_docs;
    int64_t *rowid;
    uint64_t *seq;
};
/* A membuf for index ix with options o, flushing every flush_docs docs;
 * NULL when the analyzer options are invalid. */
struct membuf *index_membuf_new(struct index *ix, const struct index_opts *o, size_t flush_docs);
void index_membuf_free(struct membuf *mb);
/* Analyzes and inverts d (add number seq); when that fills the buffer it
 * is flushed and *flushed describes the segment written. */
int index_membuf_add(struct membuf *mb, const struct index_doc *d, uint64_t seq,
                     struct membuf_seg *flushed /* OUT */);
/* Writes the buffered documents as a segment (nothing when empty). */
int index_membuf_flush(struct membuf *mb, struct membuf_seg *out /* OUT */);
uint32_t index_membuf_docs(const struct membuf *mb);

/* Creates a new uniquely named segment file in ix's directory (index.c). */
int index_seg_create(struct index *ix, const struct seg_docvals *dv, char *name, size_t cap,
                     struct seg_out **out /* OUT */);

int index_cmp_str_ptr(const void *a, const void *b); /* qsort on char * */
uint32_t index_crc32(uint32_t crc, const void *p, size_t n);
int index_fsync_dir(const char *dir);
char *index_path(const char *dir, const char *name); /* malloc'ed "dir/name" */

#endif
