/*
 * vecstore.h - the paper vectors of one encoder model, on disk, and their
 * nearest-neighbour search.
 *
 * Files, in DIR (normally <data>/vectors/), named after the model:
 *
 *   MODEL.f32   header + records {i64 rowid, u64 text_hash, f32 v[dim]}
 *   MODEL.i8    header + records {f32 scale, i8 q[dim]}   (q = round(v/scale),
 *               scale = max|v| / 127; record i belongs to f32 record i)
 *   MODEL.b1    header + records {u64 bits[dim/64]}       (bit j = v[j] > 0)
 *
 * Header (128 bytes, little-endian): magic "PBVEC" + kind ("F32", "I8\0",
 * "B1\0"), u32 version (1), u32 dim, u64 count (records committed), u64
 * checksum, char model[64] (NUL-padded), u64 source (in .i8/.b1: the .f32
 * checksum they were derived from), padding. The .f32 checksum is a 64-bit
 * multiply-xorshift hash over the committed record bytes (8 at a time),
 * continued as records are appended. Records past count (a crash between
 * append and commit) are ignored and cut off by the next writer. The
 * quantized copies are rebuilt from the .f32 when their source or count
 * does not match it.
 *
 * The model name and dimension in the header are what "each vector records
 * its model and dim": opening with another model or dim is ERR_CORRUPT.
 * text_hash is vecstore_text_hash() of the text that was embedded, so a
 * paper whose title or abstract changed is re-embedded: the new record is
 * appended and supersedes the older record of the same rowid (the newest
 * wins at load; superseded ones are skipped by searches). A writable open
 * compacts the files when superseded records are a quarter or more.
 *
 * Readers see what was committed when they opened; vecstore_refresh()
 * brings a read-only store up to date (the web threads' stores, after
 * serve's embedding queue commits). The writer appends to the three files
 * in step and commits by rewriting the .f32 header (count, checksum) and
 * then the copies' headers (count, source = that checksum). Refresh:
 * same files (device, inode) and a count that grew, with the .f32
 * checksum continued over the new records from the one in hand, -> the
 * new records are mapped (mremap) and added to the rowid table, the newest
 * record of a rowid still winning; the copies advance when their headers
 * match the new count and checksum. When they lag (the writer between its
 * header writes) the int8 and bit scans cover the records the copies do
 * and the rest are rescored with floats (exact) until a later refresh
 * finds the copies caught up. Anything else (a file replaced by
 * compaction or a rebuild, a count that shrank, a checksum that does not
 * continue) -> a full reopen within the call.
 *
 * Vectors are unit length, so the score is the dot product (cosine).
 * Search modes:
 *   exact  scan every float vector;
 *   int8   scan the int8 copy for `candidates` (default max(10k, 100))
 *          best by s * (q . v8), then rescore those with floats;
 *   bit    one pass over the sign bits: a Hamming distance per record,
 *          and for the records within a Hamming cut (estimated from a
 *          sample to keep about 4 x candidates) the asymmetric distance of
 *          a 4-bit copy of the query to the signs (kern_bits_asym, ~ q .
 *          sign(v)); the `candidates` (default max(200k, n/32)) nearest by
 *          that are narrowed by their int8 scores to max(10k, 100), then
 *          rescored with floats;
 *   auto   the default (opts NULL): exact below VECSEARCH_AUTO_EXACT_BELOW
 *          vectors (a scan of < 30 MB), bit from there.
 * Measured recall@10 vs exact (test_embed_vecstore; bench/RESULTS.md
 * "Hybrid search at 1M"): int8 1.0; bit 1.0 at 1M clustered synthetic
 * vectors with queries near them, 0.996 on real MiniLM embeddings of
 * SciFact (5,183 vectors, 809 queries, candidates at 3% of n as the 1M
 * default asks: an extrapolation), 0.98 on uniform random vectors, and about
 * 0.97 for queries far from every stored vector. Callers that need exact
 * results ask for exact. At 1M: bit 13-16 CPU-ms per query (memory-bound
 * on the 48 MB of bits), exact ~125. Scans split the records over
 * threads; each keeps its own top list (bit: its own kept records and
 * distance histogram).
 */
#ifndef PAPERBOY_EMBED_VECSTORE_H
#define PAPERBOY_EMBED_VECSTORE_H

#include <stddef.h>
#include <stdint.h>

#define VECSTORE_HEADER 128
#define VECSTORE_MAX_DIM 4096
/* VECSEARCH_AUTO scans every float vector below this many, else bit. */
#define VECSEARCH_AUTO_EXACT_BELOW 20000

struct vecstore;

enum vecsearch_mode { VECSEARCH_EXACT = 0, VECSEARCH_INT8, VECSEARCH_BIT, VECSEARCH_AUTO };

struct vecsearch_opts {
    enum vecsearch_mode mode;
    size_t candidates; /* first-stage candidates; 0 = the mode's default */
    int threads;       /* 0 = online CPUs */
};

struct vechit {
    int64_t rowid;
    float score;
};

/* Opens the vectors of model (dim floats each) in dir, creating dir and
 * the files when writable and absent. Read-only: ERR_NOT_FOUND when there
 * are none. Writable: ERR_BUSY while another process has them open for
 * writing (flock on the .f32). ERR_CORRUPT when a header is bad, names another model or dim,
 * or (with verify) the checksum differs; err says which file and why.
 * Free with vecstore_close(). */
int vecstore_open(const char *dir, const char *model, size_t dim, int writable, int verify,
                  struct vecstore **out /* OUT */, char *err, size_t errlen);
/* Commits what was added (vecstore_sync) and closes; NULL does nothing. */
void vecstore_close(struct vecstore *vs);

/* Live vectors (superseded records not counted), and the dimension. */
size_t vecstore_count(const struct vecstore *vs);
size_t vecstore_dim(const struct vecstore *vs);

/* The latest vector stored for rowid at open time (or the last
 * vecstore_refresh): its text hash and a pointer to dim floats valid until
 * close or a refresh that reports a change. ERR_NOT_FOUND when none. */
int vecstore_get(const struct vecstore *vs, int64_t rowid, uint64_t *text_hash /* OUT */,
                 const float **v /* OUT */);

/* Appends a vector (dim floats, copied) for rowid; it supersedes any older
 * one once committed. ERR_INVALID when not opened writable, ERR_IO on a
 * write error. Visible to other stores' vecstore_get/search after their
 * vecstore_refresh (or a reopen), once committed by vecstore_sync. */
int vecstore_add(struct vecstore *vs, int64_t rowid, uint64_t text_hash, const float *v);

/* Makes every add so far durable: flushes and fsyncs the records, then
 * writes the headers (count, checksums). ERR_IO on failure. */
int vecstore_sync(struct vecstore *vs);

/* What vecstore_refresh did. */
enum vecstore_change {
    VECSTORE_UNCHANGED = 0, /* nothing new was committed */
    VECSTORE_EXTENDED = 1,  /* the new records were taken in place */
    VECSTORE_REOPENED = 2   /* the files were replaced (or damaged): reopened */
};

/* Brings a read-only store up to what the writer has committed since it
 * was opened or last refreshed. When the files are the same ones (device
 * and inode) and the committed .f32 count only grew with its checksum
 * continuing ours over the new records, only those are mapped and indexed
 * (O(new records); ~O(1) when none): *changed = VECSTORE_EXTENDED or
 * VECSTORE_UNCHANGED. Otherwise (compaction or a rebuild replaced a file,
 * the count shrank, the checksum does not continue) the store is reopened
 * within the call (O(n)) and takes the new files' contents in place:
 * *changed = VECSTORE_REOPENED. changed may be NULL. On failure (files
 * gone: ERR_NOT_FOUND, damaged: open's errors, a mapping that cannot grow:
 * ERR_IO; err says why) vs is unchanged and stays usable. ERR_INVALID for
 * a writable store. A change invalidates vecstore_get's pointers. Not
 * safe to call while another thread uses vs. */
int vecstore_refresh(struct vecstore *vs, int *changed /* OUT */, char *err, size_t errlen);

/* The k nearest live vectors to q (dim floats, unit length) into
 * hits[0..*n), best first, *n = min(k, count). ERR_INVALID for k == 0 or
 * k > 10000; exclude_rowid (or -1) is left out (a paper's own vector). */
int vecstore_search(const struct vecstore *vs, const float *q, size_t k, int64_t exclude_rowid,
                    const struct vecsearch_opts *opts, struct vechit *hits /* OUT */,
                    size_t *n /* OUT */);

/* The hash recorded for an embedded text (64-bit FNV-1a of its bytes). */
uint64_t vecstore_text_hash(const char *text, size_t len);

#endif
