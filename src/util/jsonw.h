/*
 * jsonw.h - a small JSON writer over struct buf.
 *
 * Writing JSON needs no parser, so it lives here for every module that
 * emits it (cli --json, web API). The writer tracks whether a comma is due
 * at each nesting level; strings are escaped per RFC 8259 (", \, control
 * characters as \u00XX; "</" as "<\/" so output is safe inside HTML
 * script blocks). Invalid UTF-8 bytes become U+FFFD. Errors are sticky in
 * w->rc (ERR_TOO_LARGE when the buffer cap is hit, ERR_INVALID when nesting
 * is deeper than JSONW_MAX_DEPTH).
 */
#ifndef PAPERBOY_UTIL_JSONW_H
#define PAPERBOY_UTIL_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
    struct buf *out;            /* borrowed */
    int rc;                     /* sticky error */
    int depth;
    unsigned char need_comma[JSONW_MAX_DEPTH];
    int after_key;              /* a key was just written: no comma before the value */
};

/* Starts writing into out (borrowed, appended to). */
void jsonw_init(struct jsonw *w, struct buf *out);
void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
/* Writes an object key; the next call writes its value. */
void jsonw_key(struct jsonw *w, const char *key);
/* Values. jsonw_str(NULL) writes null. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* key + value shorthands. */
void jsonw_kv_str(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
/* Appends a JSON string literal for (s, len) to b with the escaping above. */
void json_escape(struct buf *b, int *rc, const char *s, size_t len);

#endif
