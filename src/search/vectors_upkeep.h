/*
 * vectors_upkeep.h - bringing the paper vectors up to date with the store:
 * the one routine behind `paperboy embed` and the embedding queue of
 * `paperboy serve` (vectors_queue.h).
 *
 * A paper's text is its title, a space and its abstract (display forms);
 * its vector is current when the vector store (embed/vecstore.h) holds one
 * for its row whose text hash (vecstore_text_hash of that text) matches.
 * The vectors record the model and dimension in their header, so a model
 * change is detected there (the files are named after the model).
 *
 * Two steps:
 *   plan  which rows need a (new) vector: every paper (after_seq < 0) or
 *         only those whose change counter (store.h, papers.seq) is above
 *         after_seq, each compared with the vectors on disk (opened
 *         read-only, so planning never takes the writer lock). The plan
 *         lists rows newest first (row number descending: rows grow as
 *         papers arrive, so this is "most recently ingested first" at the
 *         cost of nothing) and remembers the change counter read before
 *         the walk, the mark for the next incremental plan.
 *   run   embeds planned rows in batches: each paper is loaded by row,
 *         its text hashed, skipped when the vectors (as opened for
 *         writing, which includes what another writer committed after the
 *         plan) already match, otherwise embedded; after every batch the
 *         vectors are committed (vecstore_sync), so a crash loses at most
 *         one batch and the next run carries on. The vectors are open for
 *         writing (flock) only for the length of one run: ERR_BUSY when
 *         another process holds them. A step callback after each batch
 *         reports progress and may stop the run between batches.
 *
 * Files: the model in models_dir/all-MiniLM-L6-v2 (default: "models"
 * beside the database), the vectors in vectors_dir (default: "vectors"
 * beside it), the same places search_semantic_open() reads.
 *
 * Threads: a struct vectors_upkeep (its encoder and its read-only store
 * connection) belongs to one thread.
 */
#ifndef PAPERBOY_SEARCH_VECTORS_UPKEEP_H
#define PAPERBOY_SEARCH_VECTORS_UPKEEP_H

#include <stddef.h>
#include <stdint.h>

struct vectors_upkeep;

struct vectors_upkeep_opts {
    const char *models_dir;  /* NULL: "models" beside the database */
    const char *vectors_dir; /* NULL: "vectors" beside the database */
    int threads;             /* encoder worker threads; 0 = online CPUs */
    int blas_threads;        /* OpenBLAS threads; 0 = the encoder's default */
    size_t batch;            /* texts per forward pass and per commit; 0 = 32 */
};

/* Rows to (re-)embed, made by vectors_upkeep_plan(). */
struct vectors_plan {
    int64_t *rows; /* n row numbers, highest (newest) first; owned */
    size_t n;
    size_t checked; /* papers looked at */
    size_t vectors; /* live vectors on disk when planned (0: none yet) */
    int64_t seq;    /* the store's change counter before the walk */
};

/* Where a run stands; the caller zeroes it before the first run of a plan
 * and passes it again to continue a stopped run. */
struct vectors_progress {
    size_t next;     /* plan rows [0, next) are handled */
    size_t embedded; /* vectors written (added to by each run) */
    size_t vectors;  /* live vectors after the last commit */
};

/* Asked during a long walk whether to give up (non-zero: stop). */
typedef int (*vectors_stop_fn)(void *ctx);

/* Called after each committed batch (and once before the first); a
 * non-zero return stops the run there (it returns 0, progress->next < n). */
typedef int (*vectors_step_fn)(void *ctx, const struct vectors_progress *p, size_t total);

/* Loads the encoder (with o's threads) for the papers of the database at
 * db_path (copied), which is opened read-only by the first plan, run or
 * seq call (so it may not exist yet: those return its error, ERR_NOT_FOUND
 * for a missing file). o may be NULL (defaults). ERR_NOT_FOUND when the
 * model is not installed; other ERR_* for a damaged model. why (why_len
 * bytes, may be NULL) gets a one-line reason naming the file. Close with
 * vectors_upkeep_close(). */
int vectors_upkeep_open(const char *db_path, const struct vectors_upkeep_opts *o,
                        struct vectors_upkeep **out /* OUT */, char *why, size_t why_len);
/* Frees the encoder and closes the store; NULL does nothing. */
void vectors_upkeep_close(struct vectors_upkeep *up);

/* The vectors folder in use (owned by up). */
const char *vectors_upkeep_dir(const struct vectors_upkeep *up);

/* Lists into *pl the rows whose vector is missing or stale: of every
 * paper when after_seq < 0, else of the papers changed since the change
 * counter was after_seq (see above). The caller frees with
 * vectors_plan_cleanup(). The store's error when it cannot be opened,
 * ERR_DB when it fails, ERR_CORRUPT (or
 * ERR_IO) when the vectors on disk are bad; why gets the reason. stop
 * (may be NULL) is asked every 1024 papers: non-zero ends the walk with
 * ERR_INTERRUPTED and no plan. */
int vectors_upkeep_plan(struct vectors_upkeep *up, int64_t after_seq, vectors_stop_fn stop,
                        void *ctx, struct vectors_plan *pl /* OUT */, char *why, size_t why_len);
/* 1 when rowid is among pl's rows (binary search: the rows of a plan
 * from vectors_upkeep_plan are sorted), else 0. */
int vectors_plan_has(const struct vectors_plan *pl, int64_t rowid);
/* Frees what pl owns and zeroes it. */
void vectors_plan_cleanup(struct vectors_plan *pl);

/* Embeds the rows pl->rows[pr->next ..] as described above, updating *pr
 * after every committed batch. step (may be NULL) is called before the
 * first batch and after each. Returns 0 when the plan is done or step
 * stopped it; ERR_BUSY when another process is writing the vectors (then
 * nothing was done), ERR_IO/ERR_CORRUPT for the vector files, ERR_DB, or
 * the encoder's error; why gets the reason. A row deleted since the plan
 * is skipped. */
int vectors_upkeep_run(struct vectors_upkeep *up, const struct vectors_plan *pl,
                       struct vectors_progress *pr, vectors_step_fn step, void *ctx, char *why,
                       size_t why_len);

/* The store's change counter now (store_seq_max), to tell whether a new
 * plan is needed. ERR_DB on failure, or the error opening the store. */
int vectors_upkeep_seq(struct vectors_upkeep *up, int64_t *seq /* OUT */);

#endif
