/* jsonw.c - JSON writer (see jsonw.h). */
#include "util/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/utf8.h"

void jsonw_init(struct jsonw *w, struct buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

/* Emits the comma a value needs at the current level. */
static void value_prefix(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->need_comma[w->depth])
        buf_put(w->out, &w->rc, ",", 1);
    w->need_comma[w->depth] = 1;
}

static void open_level(struct jsonw *w, char c)
{
    value_prefix(w);
    if (w->depth + 1 >= JSONW_MAX_DEPTH) {
        if (!w->rc)
            w->rc = ERR_INVALID;
        return;
    }
    buf_put(w->out, &w->rc, &c, 1);
    w->depth++;
    w->need_comma[w->depth] = 0;
}

static void close_level(struct jsonw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    buf_put(w->out, &w->rc, &c, 1);
}

void jsonw_obj_begin(struct jsonw *w)
{
    open_level(w, '{');
}

void jsonw_obj_end(struct jsonw *w)
{
    close_level(w, '}');
}

void jsonw_arr_begin(struct jsonw *w)
{
    open_level(w, '[');
}

void jsonw_arr_end(struct jsonw *w)
{
    close_level(w, ']');
}

void json_escape(struct buf *b, int *rc, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_put(b, rc, "\"", 1);
    size_t i = 0, run = 0;
    while (i < len && *rc == 0) {
        unsigned char c = p[i];
        const char *esc = NULL;
        char tmp[8];
        size_t n = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20 || c == 0x7F) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            esc = tmp;
        } else if (c == '/' && i > 0 && p[i - 1] == '<') {
            esc = "\\/";
        } else if (c >= 0x80) {
            n = utf8_decode(p + i, len - i, NULL);
            if (n == 0) {
                esc = "\xEF\xBF\xBD"; /* U+FFFD for a stray byte */
                n = 1;
            }
        }
        if (esc) {
            buf_put(b, rc, s + i - run, run);
            run = 0;
            buf_puts(b, rc, esc);
            i += n;
        } else {
            run += n;
            i += n;
        }
    }
    buf_put(b, rc, s + i - run, run);
    buf_put(b, rc, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
    value_prefix(w);
    json_escape(w->out, &w->rc, key, strlen(key));
    buf_put(w->out, &w->rc, ":", 1);
    w->after_key = 1;
}

void jsonw_str(struct jsonw *w, const char *s)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    jsonw_strn(w, s, strlen(s));
}

void jsonw_strn(struct jsonw *w, const char *s, size_t len)
{
    value_prefix(w);
    json_escape(w->out, &w->rc, s, len);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    value_prefix(w);
    buf_putf(w->out, &w->rc, "%lld", (long long)v);
}

void jsonw_double(struct jsonw *w, double v)
{
    value_prefix(w);
    if (!isfinite(v))
        buf_puts(w->out, &w->rc, "null");
    else
        buf_putf(w->out, &w->rc, "%.9g", v);
}

void jsonw_bool(struct jsonw *w, int v)
{
    value_prefix(w);
    buf_puts(w->out, &w->rc, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
    value_prefix(w);
    buf_puts(w->out, &w->rc, "null");
}

void jsonw_kv_str(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_str(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}
