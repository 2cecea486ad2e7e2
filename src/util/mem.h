/*
 * mem.h - allocation that never returns NULL.
 *
 * Out of memory is not a recoverable condition for paperboy: these wrappers
 * log and abort(), so callers never test for NULL (STYLE rule 9). Everything
 * they return is freed with plain free().
 */
#ifndef PAPERBOY_UTIL_MEM_H
#define PAPERBOY_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Copies the NUL-terminated s; xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
/* Copies len bytes of p and appends a NUL. */
char *xstrndup(const char *p, size_t len);

#endif
