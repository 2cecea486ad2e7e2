/*
 * json.c - a small JSON writer (RFC 8259) for the API (see web_int.h).
 *
 * The writer tracks nesting so callers never place commas: each level
 * remembers whether it has had an item. Strings are escaped: quote,
 * backslash and control characters as required, and also '<', '>', '&',
 * U+2028 and U+2029 as \uXXXX so a document is safe to embed anywhere;
 * invalid UTF-8 becomes U+FFFD. Nothing here parses JSON.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "web/web_int.h"

void json_init(struct json *j, struct buf *o, int *rc)
{
    memset(j, 0, sizeof *j);
    j->o = o;
    j->rc = rc;
    j->first[0] = 1;
}

/* Writes the comma before a value or key when needed. */
static void sep(struct json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (!j->first[j->depth])
        buf_put(j->o, j->rc, ",", 1);
    j->first[j->depth] = 0;
}

static void open_(struct json *j, char c)
{
    sep(j);
    buf_put(j->o, j->rc, &c, 1);
    if (j->depth + 1 >= JSON_DEPTH_MAX) {
        if (*j->rc == 0)
            *j->rc = ERR_TOO_LARGE;
        return;
    }
    j->depth++;
    j->first[j->depth] = 1;
}

static void close_(struct json *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    buf_put(j->o, j->rc, &c, 1);
}

void json_obj(struct json *j) { open_(j, '{'); }
void json_obj_end(struct json *j) { close_(j, '}'); }
void json_arr(struct json *j) { open_(j, '['); }
void json_arr_end(struct json *j) { close_(j, ']'); }

static void str_body(struct json *j, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0;
    buf_put(j->o, j->rc, "\"", 1);
    while (i < n) {
        unsigned c = u[i];
        char esc[8];
        const char *rep = NULL;
        size_t adv = 1;
        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '\n')
            rep = "\\n";
        else if (c == '\r')
            rep = "\\r";
        else if (c == '\t')
            rep = "\\t";
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            rep = esc;
        } else if (c >= 0x80) {
            /* Validate the sequence. */
            size_t k = 0;
            unsigned cp = 0, min = 0;
            if (c >= 0xc2 && c <= 0xdf)
                k = 2, min = 0x80, cp = c & 0x1f;
            else if (c >= 0xe0 && c <= 0xef)
                k = 3, min = 0x800, cp = c & 0x0f;
            else if (c >= 0xf0 && c <= 0xf4)
                k = 4, min = 0x10000, cp = c & 0x07;
            int okseq = k > 0 && k <= n - i;
            for (size_t t = 1; okseq && t < k; t++) {
                if ((u[i + t] & 0xc0) != 0x80)
                    okseq = 0;
                else
                    cp = (cp << 6) | (u[i + t] & 0x3f);
            }
            if (okseq && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)))
                okseq = 0;
            if (!okseq)
                rep = "\\ufffd";
            else if (cp == 0x2028)
                rep = "\\u2028", adv = k;
            else if (cp == 0x2029)
                rep = "\\u2029", adv = k;
            else
                adv = k;
        }
        if (rep) {
            buf_put(j->o, j->rc, s + run, i - run);
            buf_puts(j->o, j->rc, rep);
            run = i + adv;
        }
        i += adv;
    }
    buf_put(j->o, j->rc, s + run, n - run);
    buf_put(j->o, j->rc, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
    sep(j);
    str_body(j, key, strlen(key));
    buf_put(j->o, j->rc, ":", 1);
    j->after_key = 1;
}

void json_strn(struct json *j, const char *s, size_t n)
{
    if (!s) {
        json_null(j);
        return;
    }
    sep(j);
    str_body(j, s, n);
}

void json_str(struct json *j, const char *s)
{
    json_strn(j, s, s ? strlen(s) : 0);
}

void json_int(struct json *j, long long v)
{
    sep(j);
    buf_putf(j->o, j->rc, "%lld", v);
}

void json_double(struct json *j, double v)
{
    sep(j);
    if (!isfinite(v))
        buf_puts(j->o, j->rc, "null");
    else
        buf_putf(j->o, j->rc, "%.6g", v);
}

void json_bool(struct json *j, int v)
{
    sep(j);
    buf_puts(j->o, j->rc, v ? "true" : "false");
}

void json_null(struct json *j)
{
    sep(j);
    buf_puts(j->o, j->rc, "null");
}

void json_kstr(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_str(j, s);
}

void json_kint(struct json *j, const char *key, long long v)
{
    json_key(j, key);
    json_int(j, v);
}
