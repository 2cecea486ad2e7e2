/*
 * html.c - the HTML/XML writer (see web_int.h).
 *
 * The template layer escapes by construction: html_text() and html_fmt()
 * escape every dynamic value they are given (& < > " ' become entities), so
 * the output is safe as element text and inside quoted attribute values,
 * and it is valid XML 1.0 character data (Atom feeds use the same writer).
 * Bytes that are not valid UTF-8, and control characters other than tab,
 * newline and CR, become U+FFFD. The one way to emit raw markup is
 * html_raw(), a macro that only compiles with a string literal argument;
 * `grep -n html_raw src/web` lists every piece of markup there is.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/utf8.h"
#include "web/web_int.h"

static const char REPLACEMENT[] = "\xef\xbf\xbd";

void html_textn(struct buf *o, int *rc, const char *s, size_t n)
{
    if (*rc || !s)
        return;
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0; /* start of the pending run of plain bytes */
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        const char *rep = NULL;
        size_t adv = 1;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                rep = REPLACEMENT;
            } else if (c >= 0x80) {
                uint32_t cp = 0;
                adv = utf8_decode(u + i, n - i, &cp);
                /* U+FFFE/U+FFFF are not XML characters. */
                if (adv == 0 || cp == 0xfffe || cp == 0xffff) {
                    rep = REPLACEMENT;
                    adv = 1;
                }
            }
        }
        if (rep) {
            buf_put(o, rc, s + run, i - run);
            buf_puts(o, rc, rep);
            run = i + adv;
        }
        i += adv;
    }
    buf_put(o, rc, s + run, n - run);
}

void html_text(struct buf *o, int *rc, const char *s)
{
    if (s)
        html_textn(o, rc, s, strlen(s));
}

void html_raw_literal(struct buf *o, int *rc, const char *lit, size_t len)
{
    buf_put(o, rc, lit, len);
}

/* html_fmt: literal parts of fmt go out as they are; each conversion is
 * formatted with snprintf into a scratch buffer and escaped. */
void html_fmt(struct buf *o, int *rc, const char *fmt, ...)
{
    if (*rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    const char *p = fmt;
    while (*p && *rc == 0) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            buf_puts(o, rc, p);
            break;
        }
        buf_put(o, rc, p, (size_t)(pct - p));
        if (pct[1] == '%') {
            buf_puts(o, rc, "%");
            p = pct + 2;
            continue;
        }
        /* Copy the conversion spec: flags, width, precision, length, type. */
        char spec[16];
        size_t k = 0;
        const char *q = pct;
        spec[k++] = *q++;
        while (*q && strchr("-+ #0123456789.", *q) && k < sizeof spec - 4)
            spec[k++] = *q++;
        int lng = 0, sz = 0;
        while (*q == 'l' && k < sizeof spec - 3) {
            spec[k++] = *q++;
            lng++;
        }
        if (*q == 'z') {
            spec[k++] = *q++;
            sz = 1;
        }
        char conv = *q;
        spec[k++] = conv;
        spec[k] = '\0';
        p = conv ? q + 1 : q;
        char tmp[64];
        switch (conv) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                break;
            if (k == 2) { /* plain %s: no copy */
                html_text(o, rc, s);
            } else {
                int n = snprintf(NULL, 0, spec, s);
                if (n > 0) {
                    struct buf t;
                    buf_init(&t, 0);
                    buf_appendf(&t, spec, s);
                    html_textn(o, rc, t.p, t.len);
                    buf_cleanup(&t);
                }
            }
            break;
        }
        case 'c':
            snprintf(tmp, sizeof tmp, spec, va_arg(ap, int));
            html_text(o, rc, tmp);
            break;
        case 'd':
        case 'i':
        case 'u':
        case 'x':
            if (sz)
                snprintf(tmp, sizeof tmp, spec, va_arg(ap, size_t));
            else if (lng >= 2)
                snprintf(tmp, sizeof tmp, spec, va_arg(ap, long long));
            else if (lng == 1)
                snprintf(tmp, sizeof tmp, spec, va_arg(ap, long));
            else
                snprintf(tmp, sizeof tmp, spec, va_arg(ap, int));
            html_text(o, rc, tmp);
            break;
        case 'f':
        case 'g':
            snprintf(tmp, sizeof tmp, spec, va_arg(ap, double));
            html_text(o, rc, tmp);
            break;
        default:
            *rc = ERR_INVALID; /* a template bug */
            break;
        }
    }
    va_end(ap);
}

void html_url(struct buf *o, int *rc, const char *p, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len && *rc == 0; i++) {
        unsigned char c = (unsigned char)p[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (keep_slash && c == '/')) {
            buf_put(o, rc, &p[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_put(o, rc, e, 3);
        }
    }
}

size_t web_query_terms(struct arena *a, const char *q, const char **terms, size_t max)
{
    size_t n = 0;
    const char *p = q;
    while (p && *p && n < max) {
        while (*p && !isalnum((unsigned char)*p) && !((unsigned char)*p & 0x80))
            p++;
        const char *s = p;
        while (*p && (isalnum((unsigned char)*p) || ((unsigned char)*p & 0x80)))
            p++;
        size_t len = (size_t)(p - s);
        if (len < 2)
            continue;
        /* Skip field names such as "title:" and boolean operators. */
        if (*p == ':')
            continue;
        if ((len == 2 && strncmp(s, "OR", 2) == 0) || (len == 3 && strncmp(s, "AND", 3) == 0) ||
            (len == 3 && strncmp(s, "NOT", 3) == 0))
            continue;
        char *t = arena_strndup(a, s, len);
        for (char *c = t; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(terms[i], t) == 0;
        if (!dup)
            terms[n++] = t;
    }
    return n;
}

static int is_word(unsigned char c)
{
    return isalnum(c) || (c & 0x80);
}

void html_highlight(struct buf *o, int *rc, const char *text, size_t len, const char *const *terms,
                    size_t n_terms)
{
    if (!text)
        return;
    if (n_terms == 0) {
        html_textn(o, rc, text, len);
        return;
    }
    size_t i = 0, run = 0;
    while (i < len && *rc == 0) {
        int at_word =
            is_word((unsigned char)text[i]) && (i == 0 || !is_word((unsigned char)text[i - 1]));
        size_t hit = 0;
        if (at_word) {
            for (size_t t = 0; t < n_terms && !hit; t++) {
                size_t tl = strlen(terms[t]);
                if (tl <= len - i && strncasecmp(text + i, terms[t], tl) == 0)
                    hit = tl;
            }
        }
        if (!hit) {
            i++;
            continue;
        }
        /* Extend the mark to the end of the word (prefix match). */
        size_t e = i + hit;
        while (e < len && is_word((unsigned char)text[e]))
            e++;
        html_textn(o, rc, text + run, i - run);
        html_raw(o, rc, "<mark>");
        html_textn(o, rc, text + i, e - i);
        html_raw(o, rc, "</mark>");
        i = run = e;
    }
    html_textn(o, rc, text + run, len - run);
}
