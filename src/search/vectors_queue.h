/*
 * vectors_queue.h - the background embedding queue of `paperboy serve`:
 * one low-priority thread that keeps the paper vectors current while the
 * server runs (the work itself is vectors_upkeep.h, shared with
 * `paperboy embed`).
 *
 * What it does, round after round (a round every interval_s seconds, or
 * at once while work is left):
 *   1. The first round plans every paper (text hash against the stored
 *      vectors), which after a restart finds only what is left; later
 *      rounds plan only the papers whose change counter (store.h,
 *      papers.seq) rose since the last plan: new papers and papers whose
 *      title or abstract changed. A round whose counter has not moved
 *      costs one indexed SELECT MAX.
 *   2. The work list is the latest plan's rows (newest first) followed by
 *      what is left of the earlier ones, so a freshly ingested day jumps
 *      ahead of a long backlog: between batches the thread checks the
 *      counter and, when it moved, plans again before going on.
 *   3. Batches of `batch` papers are embedded and committed one by one
 *      (a kill loses at most one batch). The vectors are opened for
 *      writing only while there is work and closed after it, so
 *      `paperboy embed` can run in between; while another process holds
 *      them (ERR_BUSY) the round is skipped (logged once).
 * Without the model the queue logs once that semantic features are off
 * and keeps looking for the model every interval (installing it while the
 * server runs starts the queue); the server works as before.
 *
 * Load: one thread, one encoder thread, OpenBLAS single-threaded, and on
 * Linux the thread's nice value is raised by `nice` (setpriority on its
 * thread id; the threads the encoder would start inherit it), so request
 * threads win the CPU. The thread blocks SIGINT/SIGTERM (web_serve waits
 * for them with sigwait); vectors_queue_stop() asks it to stop, which it
 * does after the batch in hand is committed, or within 1024 papers of a
 * plan's walk.
 *
 * Numbers for /metrics come from vectors_queue_stats(): atomics, read
 * from any thread.
 */
#ifndef PAPERBOY_SEARCH_VECTORS_QUEUE_H
#define PAPERBOY_SEARCH_VECTORS_QUEUE_H

#include <stddef.h>

struct vectors_queue;

struct vectors_queue_opts {
    const char *db_path;     /* the store (borrowed; must outlive the queue) */
    const char *models_dir;  /* NULL: "models" beside the database */
    const char *vectors_dir; /* NULL: "vectors" beside the database */
    double interval_s;       /* seconds between checks for changes (> 0) */
    size_t batch;            /* papers per forward pass and commit; 0 = 8 */
    int nice;                /* added to the thread's nice value, 0..19 */
};

struct vectors_queue_stats {
    int on;                      /* 1 once the model is loaded */
    long long vectors;           /* live vectors; -1 before the first plan */
    long long pending;           /* papers planned and not embedded yet */
    unsigned long long embedded; /* vectors written since start */
    unsigned long long commits;  /* batches committed since start: when it
                                  * changes, readers should reopen */
    unsigned long long busy;     /* rounds skipped: another process wrote */
    unsigned long long errors;   /* rounds that failed otherwise */
};

/* Starts the queue thread with opts (copied; db_path etc. borrowed).
 * ERR_INVALID for a bad interval, ERR_IO when no thread can be started.
 * Stop and free with vectors_queue_stop(). */
int vectors_queue_start(const struct vectors_queue_opts *opts,
                        struct vectors_queue **out /* OUT */);

/* Asks the thread to stop, waits for it (it finishes the batch in hand),
 * closes what it holds and frees q. NULL does nothing. */
void vectors_queue_stop(struct vectors_queue *q);

/* The queue's numbers now (any thread). */
void vectors_queue_stats(const struct vectors_queue *q, struct vectors_queue_stats *out /* OUT */);

#endif
