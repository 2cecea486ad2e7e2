/*
 * query.c - the search box parser (see query.h for the language).
 *
 * One left-to-right pass over the (capped) bytes. A token starts at a
 * non-space byte; its shape is decided by its first bytes:
 *
 *   '-' then non-space      exclusion, then the rest is a token again
 *   NAME ':' VALUE          a field, when NAME is a known field name
 *   '"' ... '"'             a phrase (the closing quote ends the token)
 *   anything else           a word, up to the next space
 *
 * An unclosed quote is read as a space (so its words become free words) and
 * sets QUERY_DEGRADED; the same flag covers a lone '-', an empty field value,
 * an unknown field and a date that does not parse, all of which are kept as
 * free text as typed.
 *
 * arXiv ids: a positive free word is tried with arxiv_id_parse() from
 * ingest/normalize.h before it becomes a term. DESIGN.md has search depend
 * on index/embed/store, not ingest; the header is included anyway because
 * the function is pure (bytes in, string out: no I/O, no state, no JSON), and
 * having one definition of "an arXiv id" matters more than the layering. If
 * the id code ever moves to util/, only the include changes.
 *
 * Dates: since:/until: take YYYY-MM-DD, YYYY-MM or YYYY, validated with
 * util/timeutil.h; since: takes the first day of a month/year, until: the
 * last. Several bounds intersect (the latest since, the earliest until).
 */
#include "search/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/normalize.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* ------------------------------------------------------------------------ */
/* Scanning helpers                                                          */
/* ------------------------------------------------------------------------ */

/* Spaces are ASCII blanks and every control byte (NUL included). */
static int is_space(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/* Moves *s past leading spaces of the len bytes there and returns the
 * length left without the trailing ones (a phrase's inside). */
static size_t trim_spaces(const char **s, size_t len)
{
    while (len && is_space((unsigned char)**s))
        (*s)++, len--;
    while (len && is_space((unsigned char)(*s)[len - 1]))
        len--;
    return len;
}

/* Largest n <= len that does not cut a UTF-8 sequence: backs up over
 * continuation bytes when the byte at n is one. */
static size_t utf8_cut(const char *p, size_t len, size_t n)
{
    if (n >= len)
        return len;
    size_t k = n;
    while (k > 0 && ((unsigned char)p[k] & 0xC0) == 0x80 && n - k < 4)
        k--;
    if (((unsigned char)p[k] & 0xC0) == 0x80)
        return n; /* not UTF-8 anyway: cut where asked */
    return k;
}

struct field_name {
    const char *name;
    int kind; /* enum query_field, or one of the KIND_ values below */
};

enum { KIND_SINCE = 100, KIND_UNTIL, KIND_YEAR, KIND_ID };

static const struct field_name field_names[] = {
    {"ti", QUERY_FIELD_TITLE},     {"title", QUERY_FIELD_TITLE},
    {"abs", QUERY_FIELD_ABSTRACT}, {"abstract", QUERY_FIELD_ABSTRACT},
    {"au", QUERY_FIELD_AUTHOR},    {"author", QUERY_FIELD_AUTHOR},
    {"cat", QUERY_FIELD_CATEGORY}, {"category", QUERY_FIELD_CATEGORY},
    {"since", KIND_SINCE},         {"until", KIND_UNTIL},
    {"year", KIND_YEAR},           {"id", KIND_ID},
};

/* Looks up (p, n) as a field name, case-insensitively; -1 when unknown. */
static int field_lookup(const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof field_names / sizeof field_names[0]; i++)
        if (strlen(field_names[i].name) == n && strncasecmp(field_names[i].name, p, n) == 0)
            return field_names[i].kind;
    return -1;
}

const char *query_field_name(enum query_field f)
{
    switch (f) {
    case QUERY_FIELD_TITLE:
        return "ti";
    case QUERY_FIELD_ABSTRACT:
        return "abs";
    case QUERY_FIELD_AUTHOR:
        return "au";
    case QUERY_FIELD_CATEGORY:
        return "cat";
    case QUERY_FIELD_ANY:
        break;
    }
    return "";
}

/* ------------------------------------------------------------------------ */
/* Dates                                                                     */
/* ------------------------------------------------------------------------ */

static int digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Parses YYYY-MM-DD, YYYY-MM or YYYY from (p, n) into the first (last = 0)
 * or last (last = 1) day it covers, as "YYYY-MM-DD". ERR_PARSE otherwise. */
static int date_bound(const char *p, size_t n, int last, char out[11])
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m = last ? 12 : 1, d = 1;
    if (n != 4 && n != 7 && n != 10)
        return ERR_PARSE;
    if (!digits(p, 4))
        return ERR_PARSE;
    y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    if (n >= 7) {
        if (p[4] != '-' || !digits(p + 5, 2))
            return ERR_PARSE;
        m = (p[5] - '0') * 10 + (p[6] - '0');
        if (m < 1 || m > 12)
            return ERR_PARSE;
    }
    if (n == 10) {
        if (p[7] != '-' || !digits(p + 8, 2))
            return ERR_PARSE;
        d = (p[8] - '0') * 10 + (p[9] - '0');
    } else if (last) {
        d = mdays[m - 1] + (m == 2 && leap(y));
    }
    char tmp[16];
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02d", y, m, d);
    int64_t t;
    if (time_parse_day(tmp, &t) != 0) /* validates the day of the month */
        return ERR_PARSE;
    memcpy(out, tmp, 11);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Building the AST                                                          */
/* ------------------------------------------------------------------------ */

static void add_term(struct search_query *q, const char *p, size_t n, enum query_field field,
                     int phrase, int exclude)
{
    if (n == 0)
        return;
    if (q->n_terms >= QUERY_MAX_TERMS) {
        q->flags |= QUERY_TRUNC_TERMS;
        return;
    }
    if (!q->terms)
        q->terms = xcalloc(QUERY_MAX_TERMS, sizeof *q->terms);
    struct query_term *t = &q->terms[q->n_terms++];
    /* Inside phrases, runs of spaces and control bytes become one space. */
    char *text = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_space((unsigned char)p[i])) {
            if (o > 0 && text[o - 1] != ' ')
                text[o++] = ' ';
        } else {
            text[o++] = p[i];
        }
    }
    while (o > 0 && text[o - 1] == ' ')
        o--;
    text[o] = '\0';
    t->text = text;
    t->field = field;
    t->phrase = (unsigned char)(phrase != 0);
    t->exclude = (unsigned char)(exclude != 0);
}

static void add_pin(struct search_query *q, char *id /* takes ownership */)
{
    for (size_t i = 0; i < q->n_pins; i++)
        if (strcmp(q->pins[i], id) == 0) {
            free(id);
            return;
        }
    if (q->n_pins >= QUERY_MAX_PINS) {
        q->flags |= QUERY_TRUNC_PINS;
        free(id);
        return;
    }
    q->pins[q->n_pins++] = id;
}

/* A free word: pinned when it is an arXiv id and not excluded, else a term. */
static void add_word(struct search_query *q, const char *p, size_t n, int exclude)
{
    char *id = NULL;
    if (!exclude && arxiv_id_parse(p, n, &id, NULL) == 0) {
        add_pin(q, id);
        return;
    }
    add_term(q, p, n, QUERY_FIELD_ANY, 0, exclude);
}

/* Length of the word starting at p (up to a space or end). */
static size_t word_len(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !is_space((unsigned char)p[i]))
        i++;
    return i;
}

/* Position of the closing quote in (p, n), or n when there is none. */
static size_t quote_end(const char *p, size_t n)
{
    const char *e = memchr(p, '"', n);
    return e ? (size_t)(e - p) : n;
}

/* Tries NAME:VALUE at (p, n). Returns the bytes consumed, or 0 when the
 * token is not a well-formed known field (the caller reads it as a word). */
static size_t parse_field(struct search_query *q, const char *p, size_t n, int exclude)
{
    size_t wl = word_len(p, n);
    const char *colon = memchr(p, ':', wl);
    if (!colon)
        return 0;
    size_t nl = (size_t)(colon - p);
    int kind = field_lookup(p, nl);
    if (kind < 0)
        return 0;
    const char *v = colon + 1;
    size_t rest = n - nl - 1;
    if (rest > 0 && *v == '"') {
        size_t e = quote_end(v + 1, rest - 1);
        if (e == rest - 1)
            return 0; /* unclosed: the caller drops the quote */
        if (kind >= KIND_SINCE)
            return 0; /* dates and ids take no phrases */
        /* Empty or blank phrase: a field with no value. */
        const char *s = v + 1;
        size_t sl = trim_spaces(&s, e);
        if (sl == 0)
            return 0;
        add_term(q, s, sl, (enum query_field)kind, 1, exclude);
        return nl + 1 + 1 + e + 1;
    }
    size_t vl = word_len(v, rest);
    if (vl == 0)
        return 0;
    char a[11], b[11];
    switch (kind) {
    case KIND_SINCE:
    case KIND_UNTIL:
    case KIND_YEAR:
        if (exclude)
            return 0;
        if (kind == KIND_YEAR && vl != 4)
            return 0;
        if (date_bound(v, vl, 0, a) != 0 || date_bound(v, vl, 1, b) != 0)
            return 0;
        if (kind != KIND_UNTIL && (!q->since[0] || strcmp(a, q->since) > 0))
            memcpy(q->since, a, 11);
        if (kind != KIND_SINCE && (!q->until[0] || strcmp(b, q->until) < 0))
            memcpy(q->until, b, 11);
        break;
    case KIND_ID: {
        char *id = NULL;
        if (exclude || arxiv_id_parse(v, vl, &id, NULL) != 0)
            return 0;
        add_pin(q, id);
        break;
    }
    default:
        add_term(q, v, vl, (enum query_field)kind, 0, exclude);
        break;
    }
    return nl + 1 + vl;
}

void query_parse(const char *p, size_t len, struct search_query *out)
{
    struct search_query q;
    memset(&q, 0, sizeof q);
    if (len > QUERY_MAX_BYTES) {
        len = utf8_cut(p, len, QUERY_MAX_BYTES);
        q.flags |= QUERY_TRUNC_BYTES;
    }
    size_t i = 0;
    while (i < len) {
        if (is_space((unsigned char)p[i])) {
            i++;
            continue;
        }
        int exclude = 0;
        if (p[i] == '-') {
            if (i + 1 >= len || is_space((unsigned char)p[i + 1])) {
                q.flags |= QUERY_DEGRADED; /* lone '-' */
                i++;
                continue;
            }
            exclude = 1;
            i++;
        }
        if (p[i] == '"') {
            size_t e = quote_end(p + i + 1, len - i - 1);
            if (i + 1 + e >= len) {
                q.flags |= QUERY_DEGRADED; /* unclosed: the quote is a space */
                i++;
                continue;
            }
            const char *s = p + i + 1;
            size_t sl = trim_spaces(&s, e);
            if (sl == 0)
                q.flags |= QUERY_DEGRADED; /* "" */
            else
                add_term(&q, s, sl, QUERY_FIELD_ANY, 1, exclude);
            i += e + 2;
            continue;
        }
        size_t used = parse_field(&q, p + i, len - i, exclude);
        if (used) {
            i += used;
            continue;
        }
        size_t wl = word_len(p + i, len - i);
        const char *colon = memchr(p + i, ':', wl);
        if (colon) {
            /* Unknown field, empty value, bad date or id, unclosed field
             * phrase: kept as typed, except that an unclosed quote right
             * after the colon is a space (so "ti:"x y" reads ti: x y). */
            size_t nl = (size_t)(colon - (p + i));
            int known = field_lookup(p + i, nl) >= 0;
            /* Words with a colon that are arXiv ids or URLs are fine. */
            char *id = NULL;
            if (!exclude && arxiv_id_parse(p + i, wl, &id, NULL) == 0) {
                add_pin(&q, id);
                i += wl;
                continue;
            }
            q.flags |= QUERY_DEGRADED;
            if (known && nl + 1 < wl && p[i + nl + 1] == '"') {
                add_term(&q, p + i, nl + 1, QUERY_FIELD_ANY, 0, exclude);
                i += nl + 2;
                continue;
            }
        }
        add_word(&q, p + i, wl, exclude);
        i += wl;
    }
    *out = q;
}

void query_cleanup(struct search_query *q)
{
    for (size_t i = 0; i < q->n_terms; i++)
        free(q->terms[i].text);
    free(q->terms);
    for (size_t i = 0; i < q->n_pins; i++)
        free(q->pins[i]);
    memset(q, 0, sizeof *q);
}

int query_has_text(const struct search_query *q)
{
    for (size_t i = 0; i < q->n_terms; i++)
        if (!q->terms[i].exclude && q->terms[i].field != QUERY_FIELD_CATEGORY)
            return 1;
    return 0;
}

int query_free_text(const struct search_query *q, struct buf *b)
{
    int rc = 0;
    int first = 1;
    for (size_t i = 0; i < q->n_terms; i++) {
        const struct query_term *t = &q->terms[i];
        if (t->exclude || t->field != QUERY_FIELD_ANY)
            continue;
        if (!first)
            buf_puts(b, &rc, " ");
        buf_puts(b, &rc, t->text);
        first = 0;
    }
    return rc;
}

int query_format(const struct search_query *q, struct buf *b)
{
    int rc = 0;
    const char *sep = "";
    for (size_t i = 0; i < q->n_terms; i++) {
        const struct query_term *t = &q->terms[i];
        buf_putf(b, &rc, "%s%s%s%s", sep, t->exclude ? "-" : "", query_field_name(t->field),
                 t->field != QUERY_FIELD_ANY ? ":" : "");
        if (t->phrase)
            buf_putf(b, &rc, "\"%s\"", t->text);
        else
            buf_puts(b, &rc, t->text);
        sep = " ";
    }
    for (size_t i = 0; i < q->n_pins; i++) {
        buf_putf(b, &rc, "%sid:%s", sep, q->pins[i]);
        sep = " ";
    }
    if (q->since[0]) {
        buf_putf(b, &rc, "%ssince:%s", sep, q->since);
        sep = " ";
    }
    if (q->until[0]) {
        buf_putf(b, &rc, "%suntil:%s", sep, q->until);
        sep = " ";
    }
    static const struct {
        unsigned bit;
        const char *name;
    } flag_names[] = {{QUERY_TRUNC_BYTES, "#bytes"},
                      {QUERY_TRUNC_TERMS, "#terms"},
                      {QUERY_TRUNC_PINS, "#pins"},
                      {QUERY_DEGRADED, "#degraded"}};
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if (q->flags & flag_names[i].bit) {
            buf_putf(b, &rc, "%s%s", sep, flag_names[i].name);
            sep = " ";
        }
    return rc;
}
