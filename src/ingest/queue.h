/*
 * queue.h - a bounded hand-over queue between a reader thread and the
 * thread that stores records (used by pipeline.c).
 *
 * The reader thread turns what a reader hands its sink into items: a
 * record (the paper, and the daily entry when there is one, moved out of
 * the reader's structs, so no string is copied) or an error report (where
 * and a copy of the reason). The storing thread takes them in the same
 * order, so it can print, count and store exactly as if it were the sink
 * itself. The queue holds at most cap items: a full queue blocks the
 * producer, an empty one the consumer, so memory stays flat whatever the
 * input size.
 *
 * Ending: the producer calls ingest_queue_close() with the reader's result
 * once it has pushed everything; the consumer then drains what is left
 * and learns that result. The consumer may give up at any time with
 * ingest_queue_stop(): pushes then fail at once (waking a producer
 * blocked on a full queue) with ERR_INTERRUPTED, which makes the reader
 * return, and the items still queued are freed by ingest_queue_free().
 *
 * Wake-ups are batched to keep two busy threads from ping-ponging: a
 * waiting consumer is woken when a quarter of the queue has filled (or on
 * close), a waiting producer when the queue has drained to half.
 *
 * Threads: exactly one producer and one consumer (pthread mutex and two
 * condition variables).
 */
#ifndef PAPERBOY_INGEST_QUEUE_H
#define PAPERBOY_INGEST_QUEUE_H

#include <stddef.h>

#include "store/paper.h"

enum ingest_item_kind { INGEST_ITEM_RECORD = 1, INGEST_ITEM_ERROR = 2 };

struct ingest_item {
    enum ingest_item_kind kind;
    long where;               /* line or record number, as the reader said */
    struct paper paper;       /* RECORD: owned */
    struct daily_entry daily; /* RECORD: owned; daily.paper_id NULL when none */
    int has_daily;            /* RECORD: the reader gave a daily entry */
    char *reason;             /* ERROR: owned copy of the reason */
};

struct ingest_queue;

/* Creates a queue of at most cap items (cap >= 4). Free with
 * ingest_queue_free() once both threads are done with it. */
struct ingest_queue *ingest_queue_new(size_t cap);
/* Frees the queue and every item still in it; NULL does nothing. */
void ingest_queue_free(struct ingest_queue *q);

/* Producer: moves *it into the queue (on return *it is zeroed either
 * way), waiting while the queue is full. Returns 0, or ERR_INTERRUPTED
 * when the consumer has stopped (the item is then freed). */
int ingest_queue_push(struct ingest_queue *q, struct ingest_item *it);
/* Producer: no more items; rc is the reader's result, which the consumer
 * gets from ingest_queue_pop() after the last item. */
void ingest_queue_close(struct ingest_queue *q, int rc);

/* Consumer: waits for the next item and moves it into *out (the caller
 * cleans it up with ingest_item_cleanup()); returns 1. Returns 0 when the
 * queue is closed and empty, with the producer's rc in *rc. */
int ingest_queue_pop(struct ingest_queue *q, struct ingest_item *out /* OUT */, int *rc /* OUT */);
/* Consumer: stop taking items; the producer's pushes fail from now on. */
void ingest_queue_stop(struct ingest_queue *q);

/* Frees what an item owns and zeroes it. */
void ingest_item_cleanup(struct ingest_item *it);

#endif
