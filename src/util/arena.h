/*
 * arena.h - a bump allocator for memory that dies all at once.
 *
 * Per-request memory (STYLE rule 11, as in h2o's req->pool): a request
 * allocates its decoded path, query parameters and scratch strings from
 * one arena and frees them with a single arena_cleanup() after the
 * response is sent. Blocks are chained; an allocation larger than the
 * block size gets a block of its own. Alignment is that of max_align_t.
 * There is no per-object free. Out of memory aborts (xmalloc).
 *
 * An arena may start with a caller-supplied first block (e.g. on the
 * stack or inside the request struct) so that small requests never call
 * malloc at all; that block is never freed by the arena.
 */
#ifndef PAPERBOY_UTIL_ARENA_H
#define PAPERBOY_UTIL_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* newest malloc'ed block, or NULL */
    char *cur;                /* next free byte in the current block */
    char *end;                /* end of the current block */
    size_t block;             /* size of the blocks it mallocs */
    size_t used;              /* bytes handed out (statistics) */
};

/* Initialises a caller-owned arena whose malloc'ed blocks are block bytes
 * (0 means 8 KiB). first/first_len: an optional initial block the caller
 * owns (may be NULL/0); it must outlive the arena. */
void arena_init(struct arena *a, size_t block, void *first, size_t first_len);
/* Frees every block the arena malloc'ed; the arena is empty afterwards and
 * may be reused only after arena_init(). arena_cleanup on a zeroed arena
 * does nothing. */
void arena_cleanup(struct arena *a);
/* Returns n bytes (n may be 0), aligned for any type, valid until cleanup. */
void *arena_alloc(struct arena *a, size_t n);
/* Like arena_alloc but zeroed. */
void *arena_zalloc(struct arena *a, size_t n);
/* Copies len bytes of p and a NUL into the arena. */
char *arena_strndup(struct arena *a, const char *p, size_t len);
/* Copies the NUL-terminated s; NULL gives NULL. */
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena. */
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
