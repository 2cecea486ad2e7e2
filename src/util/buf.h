/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Everything read from outside (files, network, feeds) goes through a
 * struct buf whose max says how large it may grow; an append past max fails
 * with ERR_TOO_LARGE and leaves the buffer as it was (STYLE rule 12, as in
 * curl's dynbuf). The content is always NUL-terminated for convenience, but
 * len is the truth: the bytes may contain NULs.
 *
 * Appenders come in two forms: buf_append() returns a code, and
 * buf_put*(b, &rc, ...) take a sticky code and do nothing once it is set,
 * which keeps renderers linear (STYLE rule 8).
 */
#ifndef PAPERBOY_UTIL_BUF_H
#define PAPERBOY_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;    /* owned; NULL until the first append */
    size_t len; /* bytes used, not counting the trailing NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len; 0 means SIZE_MAX/2 */
};

/* Initialises a caller-owned buffer that may hold at most max bytes. */
void buf_init(struct buf *b, size_t max);
/* Frees the contents; the struct may be reused after buf_init(). */
void buf_cleanup(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Appends len bytes; ERR_TOO_LARGE (buffer unchanged) past the cap. */
int buf_append(struct buf *b, const void *p, size_t len);
/* Appends a NUL-terminated string. */
int buf_append_str(struct buf *b, const char *s);
/* Appends printf-formatted text. */
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vappendf(struct buf *b, const char *fmt, va_list ap);
/* Sticky forms: do nothing when *rc != 0, else set *rc to the result. */
void buf_put(struct buf *b, int *rc, const void *p, size_t len);
void buf_puts(struct buf *b, int *rc, const char *s);
void buf_putf(struct buf *b, int *rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns the content as a C string ("" when empty); owned by b. */
const char *buf_cstr(const struct buf *b);
/* Hands the content to the caller (free() it) and empties b. */
char *buf_steal(struct buf *b);

#endif
