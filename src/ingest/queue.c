/*
 * queue.c - the bounded reader-to-store queue (see queue.h).
 *
 * A ring of cap items under one mutex. not_empty wakes the consumer,
 * not_full the producer; each side only signals when the other is known
 * to be waiting, and then only past a threshold (a quarter full for the
 * consumer, half drained for the producer) or at the end, so a steady
 * stream costs a lock round trip per item and a wake-up per many items.
 */
#include "ingest/queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

struct ingest_queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    struct ingest_item *ring; /* cap slots */
    size_t cap, head, count;  /* the oldest item is ring[head] */
    int closed, close_rc;     /* the producer is done, with its result */
    int stopped;              /* the consumer gave up */
    int consumer_waits, producer_waits;
};

void ingest_item_cleanup(struct ingest_item *it)
{
    paper_cleanup(&it->paper);
    daily_entry_cleanup(&it->daily);
    free(it->reason);
    memset(it, 0, sizeof *it);
}

struct ingest_queue *ingest_queue_new(size_t cap)
{
    struct ingest_queue *q = xcalloc(1, sizeof *q);
    q->cap = cap < 4 ? 4 : cap;
    q->ring = xcalloc(q->cap, sizeof *q->ring);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    return q;
}

void ingest_queue_free(struct ingest_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->count; i++)
        ingest_item_cleanup(&q->ring[(q->head + i) % q->cap]);
    free(q->ring);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q);
}

int ingest_queue_push(struct ingest_queue *q, struct ingest_item *it)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->stopped) {
        q->producer_waits = 1;
        pthread_cond_wait(&q->not_full, &q->mu);
    }
    q->producer_waits = 0;
    if (q->stopped) {
        pthread_mutex_unlock(&q->mu);
        ingest_item_cleanup(it);
        return ERR_INTERRUPTED;
    }
    q->ring[(q->head + q->count) % q->cap] = *it;
    q->count++;
    int wake = q->consumer_waits && q->count >= q->cap / 4;
    if (wake)
        q->consumer_waits = 0;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        pthread_cond_signal(&q->not_empty);
    memset(it, 0, sizeof *it);
    return 0;
}

void ingest_queue_close(struct ingest_queue *q, int rc)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    q->close_rc = rc;
    q->consumer_waits = 0;
    pthread_mutex_unlock(&q->mu);
    pthread_cond_signal(&q->not_empty);
}

int ingest_queue_pop(struct ingest_queue *q, struct ingest_item *out, int *rc)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !q->closed) {
        q->consumer_waits = 1;
        pthread_cond_wait(&q->not_empty, &q->mu);
    }
    if (q->count == 0) {
        *rc = q->close_rc;
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    *out = q->ring[q->head];
    memset(&q->ring[q->head], 0, sizeof q->ring[q->head]);
    q->head = (q->head + 1) % q->cap;
    q->count--;
    int wake = q->producer_waits && q->count <= q->cap / 2;
    if (wake)
        q->producer_waits = 0;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        pthread_cond_signal(&q->not_full);
    return 1;
}

void ingest_queue_stop(struct ingest_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->stopped = 1;
    q->producer_waits = 0;
    pthread_mutex_unlock(&q->mu);
    pthread_cond_signal(&q->not_full);
}
