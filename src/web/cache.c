/*
 * cache.c - the micro-cache of rendered responses (see web_int.h).
 *
 * A chained hash table (FNV-1a 64 of the request target, a power-of-two
 * bucket count) under one reader-writer lock: lookups take the read lock
 * and run the caller's function (which queues the cached libmicrohttpd
 * response) while holding it, so an entry cannot be freed under a reader;
 * inserts take the write lock. Entries expire by time (monotonic clock);
 * when the table holds max_entries, an insert first drops every expired
 * entry and, if that frees nothing, empties the table: simple, bounded,
 * and rare with a sensible size. The same happens when the bodies held
 * would pass max_bytes (distinct query strings cannot grow it unbounded).
 */
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "web/web_int.h"

struct web_cache {
    pthread_rwlock_t lock;
    struct web_cache_entry **buckets;
    size_t mask; /* buckets - 1 */
    size_t count;
    size_t max;
    size_t bytes;     /* body bytes held (plain + gzip) */
    size_t max_bytes; /* cap on bytes */
    web_cache_free_fn free_handle;
};

uint64_t web_hash(const void *p, size_t len)
{
    const unsigned char *u = p;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= u[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

struct web_cache *web_cache_new(size_t max_entries, size_t max_bytes, web_cache_free_fn free_handle)
{
    struct web_cache *c = xcalloc(1, sizeof *c);
    c->max_bytes = max_bytes ? max_bytes : SIZE_MAX;
    size_t nb = 64;
    while (nb < max_entries)
        nb *= 2;
    c->buckets = xcalloc(nb, sizeof *c->buckets);
    c->mask = nb - 1;
    c->max = max_entries ? max_entries : 1;
    c->free_handle = free_handle;
    pthread_rwlock_init(&c->lock, NULL);
    return c;
}

static void entry_free(struct web_cache *c, struct web_cache_entry *e)
{
    if (e->resp_plain)
        c->free_handle(e->resp_plain);
    if (e->resp_gzip)
        c->free_handle(e->resp_gzip);
    free(e->key);
    free(e);
}

void web_cache_free(struct web_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i <= c->mask; i++) {
        struct web_cache_entry *e = c->buckets[i];
        while (e) {
            struct web_cache_entry *next = e->next;
            entry_free(c, e);
            e = next;
        }
    }
    free(c->buckets);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

int web_cache_use(struct web_cache *c, const char *key, size_t key_len, double now,
                  web_cache_use_fn fn, void *ctx)
{
    uint64_t h = web_hash(key, key_len);
    int found = 0;
    pthread_rwlock_rdlock(&c->lock);
    for (struct web_cache_entry *e = c->buckets[h & c->mask]; e; e = e->next) {
        if (e->hash == h && e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
            if (e->expires > now) {
                fn(ctx, e);
                found = 1;
            }
            break;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return found;
}

/* Drops entries for which expired (or all when all is set); write lock held. */
static void sweep(struct web_cache *c, double now, int all)
{
    for (size_t i = 0; i <= c->mask; i++) {
        struct web_cache_entry **pp = &c->buckets[i];
        while (*pp) {
            struct web_cache_entry *e = *pp;
            if (all || e->expires <= now) {
                *pp = e->next;
                c->bytes -= e->len_plain + e->len_gzip;
                entry_free(c, e);
                c->count--;
            } else {
                pp = &e->next;
            }
        }
    }
}

void web_cache_put(struct web_cache *c, struct web_cache_entry *e, double now)
{
    e->hash = web_hash(e->key, e->key_len);
    pthread_rwlock_wrlock(&c->lock);
    struct web_cache_entry **pp = &c->buckets[e->hash & c->mask];
    while (*pp) {
        struct web_cache_entry *x = *pp;
        if (x->hash == e->hash && x->key_len == e->key_len &&
            memcmp(x->key, e->key, e->key_len) == 0) {
            *pp = x->next;
            c->bytes -= x->len_plain + x->len_gzip;
            entry_free(c, x);
            c->count--;
            break;
        }
        pp = &x->next;
    }
    size_t size = e->len_plain + e->len_gzip;
    if (c->count >= c->max || size > c->max_bytes - c->bytes) {
        sweep(c, now, 0);
        if (c->count >= c->max || size > c->max_bytes - c->bytes)
            sweep(c, now, 1);
    }
    c->bytes += size;
    struct web_cache_entry **head = &c->buckets[e->hash & c->mask];
    e->next = *head;
    *head = e;
    c->count++;
    pthread_rwlock_unlock(&c->lock);
}
