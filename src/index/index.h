/*
 * index.h - the lexical index: immutable segments, BM25 ranking, block-max
 * MaxScore top-k (exactly the exhaustive result), phrase matching, filters.
 *
 * The index is derived from the store and can be rebuilt at any time
 * (`paperboy reindex`); anything odd on open (missing, corrupt, wrong
 * version) is reported, never trusted: the caller rebuilds.
 *
 * DOCUMENTS AND FIELDS
 *
 * A document is one paper version, identified outside by the store's rowid
 * (int64). Fields (enum index_field):
 *   INDEX_FIELD_BODY     title and abstract, analyzed, with positions: the
 *                        title (repeated opts.title_repeat times) then the
 *                        abstract, each value INDEX_POS_GAP positions after
 *                        the previous one (no phrase spans two values). This
 *                        is the default ranking field ("BM25 flat" over
 *                        title + abstract, as Pyserini's SciFact baseline).
 *                        A query restricted to the abstract uses this field.
 *   INDEX_FIELD_TITLE    the title alone, analyzed, with positions: for
 *                        title-restricted queries and for title boosts
 *                        (score = BM25(body) + w * BM25(title)).
 *   INDEX_FIELD_AUTHORS  author names, analyzed (same analyzer), positions.
 *   INDEX_FIELD_CATEGORY arXiv categories as exact terms, lower-cased
 *                        ("cs.lg", "hep-th"); no positions; a clause on
 *                        this field matches but adds 0 to the score.
 * Per-document values: rowid, date (days since 1970-01-01 of the first
 * submission, INDEX_NO_DATE when unknown) and categories, for filters.
 *
 * SCORING (BM25, Lucene's variant, as in Anserini)
 *
 *   score(d, q) = sum over matching clauses c, in clause order, of
 *                 c.weight * idf(t_c) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
 *   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))   (always > 0)
 *
 * tf: occurrences of the clause's term in the doc's field; dl: the field's
 * length of the doc in tokens (joined compound forms not counted); N: the
 * number of documents in the snapshot; df: documents whose field holds the
 * term; avgdl: the field's total length / N. N, df and the totals are
 * summed over all segments of the snapshot and INCLUDE documents deleted
 * but not yet merged away (as Lucene's docCount/docFreq do); a merge drops
 * deleted documents and so recounts exactly. Both search paths (block-max
 * MaxScore and exhaustive) use the same statistics and the same float
 * operations in the same order, so their results are identical, bit for
 * bit. Scores are float (32-bit) and positive. Ties: by rowid ascending.
 * k1 = 0.9, b = 0.4 by default (Anserini's); both are per query.
 *
 * A phrase (struct index_phrase) is a constraint: a document matches only
 * if the field holds the terms at the given relative positions; phrases
 * add nothing to the score (give their words as clauses too to score
 * them).
 *
 * ON DISK (the index directory, e.g. data/index/)
 *
 *   seg-<16 hex>.pbx    immutable segment files (format in index_int.h):
 *                       header, term dictionary, postings (doc-id deltas and
 *                       tfs in blocks of 128, per-block impact bounds),
 *                       positions (separate, read only for phrases), doc
 *                       values; every section under a CRC32 checked on open;
 *                       mmap-ed for reading.
 *   del-<hex>-<G>.pbd   deletion bitmap of segment <hex>, manifest generation G.
 *   MANIFEST            the live segments with their deletion files, the
 *                       index options, and the sync mark; replaced by
 *                       write MANIFEST.tmp + fsync + rename + fsync(dir), so
 *                       a crash leaves either the old or the new one.
 *   LOCK                flock()ed by a writer while it commits.
 * Files no manifest names are removed by the next commit.
 *
 * THREADS AND PROCESSES
 *
 * A struct index may be used from several threads. Readers take a
 * snapshot (index_snapshot_acquire) - a refcounted, immutable set of
 * segments and deletions - and search it without any lock; writers
 * (index_writer_commit, index_merge) publish a new snapshot and never wait
 * for readers; the old one is freed when its last reader releases it. One
 * writer commits at a time (a mutex inside, plus flock on LOCK across
 * processes); a commit starts from the latest manifest on disk, so two
 * processes may add to the same index.
 */
#ifndef PAPERBOY_INDEX_INDEX_H
#define PAPERBOY_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "text/analyzer.h"

enum index_field {
    INDEX_FIELD_BODY = 0,
    INDEX_FIELD_TITLE = 1,
    INDEX_FIELD_AUTHORS = 2,
    INDEX_FIELD_CATEGORY = 3
};
#define INDEX_N_FIELDS 4

/* Positions between two values of one field (title copies, abstract). */
#define INDEX_POS_GAP 100
/* The date of a document whose date is unknown: no date filter admits it. */
#define INDEX_NO_DATE INT32_MIN
/* Limits on a query. */
#define INDEX_MAX_CLAUSES 64
#define INDEX_MAX_PHRASES 8
#define INDEX_MAX_PHRASE_TERMS 16
#define INDEX_MAX_K 10000

/* ------------------------------------------------------------------ */
/* Opening and options                                                 */

/* Options fixed when an index is created; stored in its manifest. */
struct index_opts {
    struct text_analyzer_opts analyzer; /* default: text_analyzer_opts_default() */
    int title_repeat;                   /* title copies in BODY, 0..8; default 1 */
    int max_segments;                   /* index_merge() merges above this; default 8 */
    size_t flush_docs;                  /* a writer writes a segment every this many docs; default 200000 */
};

/* Writes the defaults into *o. */
void index_opts_default(struct index_opts *o /* OUT */);

struct index;

/* Opens the index in directory dir. Reads MANIFEST and every segment it
 * names, checking magic, version and checksums. ERR_NOT_FOUND when dir or
 * its MANIFEST does not exist (or a file it names is missing),
 * ERR_CORRUPT when anything fails a check, ERR_UNSUPPORTED for another
 * format version, ERR_IO for I/O failures. The caller closes it with
 * index_close(). */
int index_open(const char *dir, struct index **out /* OUT */);

/* Creates an empty index in dir (made if missing, with parents) with
 * options o (NULL means defaults) and opens it. Removes any index files
 * already there (segments, deletions, manifests): used to rebuild.
 * ERR_INVALID for bad options, ERR_IO. */
int index_create(const char *dir, const struct index_opts *o, struct index **out /* OUT */);

/* Closes the index; snapshots still acquired stay valid until released.
 * index_close(NULL) does nothing. No writer may be open. */
void index_close(struct index *ix);

/* The index's options (as created). */
void index_opts_get(const struct index *ix, struct index_opts *o /* OUT */);

/* The analyzer options that documents were analyzed with: queries must
 * use an analyzer made with these (text_analyzer_new). */
void index_analyzer_opts(const struct index *ix, struct text_analyzer_opts *o /* OUT */);

/* Re-reads MANIFEST if another process changed it and publishes a new
 * snapshot (segments already open are reused). Returns 0 (also when
 * nothing changed), or ERR_CORRUPT/ERR_NOT_FOUND/ERR_IO, leaving the
 * current snapshot in place. */
int index_refresh(struct index *ix);

/* The sync mark and source tag stored in the manifest by the last commit
 * that set them (see index_writer_set_sync); 0 and "" for a new index.
 * source receives at most cap bytes, NUL-terminated. */
void index_sync_mark(const struct index *ix, int64_t *mark /* OUT */, char *source, size_t cap);

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/* One document to add. Strings are borrowed (copied or analyzed during
 * the call); any may be NULL. categories: space-separated ("cs.LG
 * stat.ML"), matched case-insensitively. authors: the names, any
 * separators (analyzed as text). */
struct index_doc {
    int64_t rowid;
    const char *title;
    const char *abstract;
    const char *authors;
    const char *categories;
    int32_t date; /* days since epoch, or INDEX_NO_DATE */
};

struct index_writer;

/* Starts a batch of changes to ix. Only one writer per struct index at a
 * time (ERR_BUSY otherwise). Changes become visible, all together, at
 * index_writer_commit(); a writer may flush full segments to disk before
 * (opts.flush_docs) but they are not live until the commit. */
int index_writer_new(struct index *ix, struct index_writer **out /* OUT */);

/* Inverts documents on n worker threads (1..64; default 1, which works in
 * the caller's thread). Call before the first add. Each worker holds up to
 * opts.flush_docs / n documents in memory and writes its own segments;
 * index_writer_add then copies each document and returns at once (errors
 * of a worker show at a later add or at the commit). ERR_INVALID when n is
 * out of range or documents were already added. */
int index_writer_set_threads(struct index_writer *w, int n);

/* Adds d. If a document with the same rowid is live in the index or was
 * added earlier in this batch, it is replaced (the old one is deleted at
 * commit). ERR_INVALID for rowid < 0; ERR_IO when a flush fails. */
int index_writer_add(struct index_writer *w, const struct index_doc *d);

/* Deletes the document with this rowid at commit (nothing if absent),
 * including one added earlier in this batch. */
int index_writer_delete(struct index_writer *w, int64_t rowid);

/* Records a sync mark (e.g. the store's change counter reached) and a
 * source tag (e.g. the store's identity; at most 127 bytes) to be written
 * with the commit. */
void index_writer_set_sync(struct index_writer *w, int64_t mark, const char *source);

/* Writes the pending documents as a new segment, the deletions, and a new
 * manifest (atomically), publishes the new snapshot, and frees w (also on
 * failure, which leaves the index as it was). ERR_IO, ERR_BUSY when the
 * LOCK cannot be taken. */
int index_writer_commit(struct index_writer *w);

/* Discards the pending changes (removing flushed segment files) and frees
 * w; NULL does nothing. */
void index_writer_abort(struct index_writer *w);

/* Merges segments (tiered): when the index has more than opts.max_segments
 * segments, the smallest ones (by live documents) are merged into one so
 * that max_segments remain; with force, all segments with any deletion or
 * all segments if more than one are merged into one. Deleted documents are
 * dropped. Safe to call from a background thread while readers search and
 * a writer adds documents (the merge is written without holding the
 * writer's lock; deletions that arrive meanwhile are carried over).
 * Writes to *merged (may be NULL) the number of segments merged away
 * (0 when nothing was to do). ERR_IO, ERR_BUSY. */
int index_merge(struct index *ix, int force, int *merged /* OUT */);

/* ------------------------------------------------------------------ */
/* Reading                                                             */

struct index_snapshot;

/* Takes a reference to the current snapshot; never blocks on writers.
 * Release with index_snapshot_release(). */
struct index_snapshot *index_snapshot_acquire(struct index *ix);
/* Drops a reference; NULL does nothing. */
void index_snapshot_release(struct index_snapshot *s);

/* Collection facts of a snapshot. */
struct index_stats {
    int64_t n_docs;     /* documents, deleted-but-unmerged included (N) */
    int64_t n_live;     /* live documents */
    int n_segments;
    int64_t total_len[INDEX_N_FIELDS]; /* summed field lengths (N-based, as N) */
    uint64_t bytes;     /* size of the segment files */
};
void index_snapshot_stats(const struct index_snapshot *s, struct index_stats *out /* OUT */);

/* Document frequency of term in field over the snapshot (as used by BM25,
 * deleted-but-unmerged documents included). */
int64_t index_snapshot_df(const struct index_snapshot *s, enum index_field f, const char *term,
                          size_t len);

/* Is rowid live in the snapshot? If so, writes its date (may be NULL). */
int index_snapshot_has(const struct index_snapshot *s, int64_t rowid, int32_t *date /* OUT */);

/* How a clause takes part. */
enum index_occur {
    INDEX_SHOULD = 0,  /* scores when present */
    INDEX_MUST = 1,    /* the document must hold it; scores */
    INDEX_MUST_NOT = 2 /* the document must not hold it */
};

/* One query term: term (len bytes, already analyzed with the index's
 * analyzer; for CATEGORY lower-case) in field, its weight (a factor on
 * its BM25 contribution, > 0) and how it occurs. */
struct index_clause {
    const char *term;
    size_t len;
    enum index_field field;
    float weight;
    enum index_occur occur;
};

/* A phrase constraint: n terms, term i at relative position pos[i]
 * (non-decreasing, pos[0] == 0; gaps from stopwords are kept: "state of
 * the art" -> state@0 art@3). field must be BODY, TITLE or AUTHORS. */
struct index_phrase {
    enum index_field field;
    size_t n;
    const char *terms[INDEX_MAX_PHRASE_TERMS];
    size_t lens[INDEX_MAX_PHRASE_TERMS];
    uint32_t pos[INDEX_MAX_PHRASE_TERMS];
};

/* Filters on per-document values. A document must pass all. */
struct index_filter {
    int32_t date_from, date_to;      /* inclusive; INT32_MIN/INT32_MAX: open */
    const char *const *categories;   /* n_categories names, OR-ed; "cs.*" matches "cs.AI" ... */
    size_t n_categories;             /* 0: no category filter */
    /* Optional: a document passes only if accept(ctx, rowid) is non-zero.
     * Called from the searching thread. */
    int (*accept)(void *ctx, int64_t rowid);
    void *accept_ctx;
};

/* A query. With no SHOULD or MUST clause (only filters, phrases, MUST_NOT)
 * every document that passes scores 0, and ties order by rowid. */
struct index_query {
    const struct index_clause *clauses;
    size_t n_clauses; /* <= INDEX_MAX_CLAUSES */
    const struct index_phrase *phrases;
    size_t n_phrases; /* <= INDEX_MAX_PHRASES */
    const struct index_filter *filter; /* NULL: none */
    float k1, b;
};

/* Zeroes q and sets k1 = 0.9, b = 0.4. */
void index_query_init(struct index_query *q /* OUT */);
/* Zeroes f and opens the date range. */
void index_filter_init(struct index_filter *f /* OUT */);

/* One result. */
struct index_hit {
    int64_t rowid;
    float score;
};

/* Counters a search may fill (pass NULL to skip). */
struct index_search_info {
    uint64_t scored;   /* documents fully scored */
    uint64_t postings; /* postings decoded (approximate) */
};

/* The top k (1..INDEX_MAX_K) live documents by score (desc), then rowid
 * (asc), into hits (room for k, caller-owned); *n receives how many (<= k).
 * Uses block-max MaxScore (search.c): the result equals
 * index_search_exhaustive()'s exactly, ids and scores. ERR_INVALID for a malformed query (too many clauses, weight
 * <= 0, k out of range, bad phrase). Thread-safe on a shared snapshot. */
int index_search(const struct index_snapshot *s, const struct index_query *q, size_t k,
                 struct index_hit *hits /* OUT */, size_t *n /* OUT */,
                 struct index_search_info *info /* OUT */);

/* The same result computed by scoring every matching document (slow;
 * the reference for tests and benchmarks). *total (may be NULL) receives
 * the number of matching documents. */
int index_search_exhaustive(const struct index_snapshot *s, const struct index_query *q, size_t k,
                            struct index_hit *hits /* OUT */, size_t *n /* OUT */,
                            int64_t *total /* OUT */);

/* Which of the documents rowids[0..n) (any order, repeats allowed) pass
 * q's constraints: live in s, pass q's filter (dates, categories, accept
 * callback), hold every MUST clause and every phrase, and hold no
 * MUST_NOT clause. SHOULD clauses are ignored. pass[i] receives 1 or 0
 * (caller-owned, room for n); an absent or deleted rowid gets 0. So a
 * document passes iff index_search_exhaustive() of q without its SHOULD
 * clauses would count it. The cost grows with n and with the postings of
 * q's clauses and phrases near those documents (skipped to by the block
 * index), never with the size of the collection: per segment, each rowid
 * is looked up in the rowid index and the cursors advance over the
 * documents in ascending order. ERR_INVALID for a malformed query (as
 * index_search), ERR_CORRUPT when a posting block fails to decode (pass
 * is then not written). Thread-safe on a shared snapshot. */
int index_match_docs(const struct index_snapshot *s, const struct index_query *q,
                     const int64_t *rowids, size_t n, unsigned char *pass /* OUT */);

#endif
