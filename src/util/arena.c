/* arena.c - bump allocator with chained blocks (see arena.h). */
#include "util/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* A malloc'ed block: the header, then the bytes, max_align_t aligned. */
struct arena_block {
    struct arena_block *next;
    alignas(max_align_t) char data[];
};

#define ARENA_ALIGN (alignof(max_align_t))

void arena_init(struct arena *a, size_t block, void *first, size_t first_len)
{
    a->head = NULL;
    a->block = block ? block : 8192;
    a->used = 0;
    a->cur = first;
    a->end = first ? (char *)first + first_len : NULL;
}

void arena_cleanup(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->used = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (a->cur) {
        uintptr_t p = ((uintptr_t)a->cur + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
        if (p <= (uintptr_t)a->end && n <= (uintptr_t)a->end - p) {
            a->cur = (char *)p + n;
            a->used += n;
            return (void *)p;
        }
    }
    /* A new block: big requests get their own so the current one stays. */
    size_t size = n > a->block / 2 ? n : a->block;
    if (size > SIZE_MAX - sizeof(struct arena_block))
        abort();
    struct arena_block *b = xmalloc(sizeof *b + size);
    b->next = a->head;
    a->head = b;
    a->used += n;
    if (size == n && a->cur)
        return b->data; /* keep allocating from the old, fuller block */
    a->cur = b->data + n;
    a->end = b->data + size;
    return b->data;
}

void *arena_zalloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n ? n : 1);
    return p;
}

char *arena_strndup(struct arena *a, const char *p, size_t len)
{
    char *s = arena_alloc(a, len + 1);
    if (len)
        memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        va_end(ap);
        return arena_strdup(a, "");
    }
    char *s = arena_alloc(a, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
