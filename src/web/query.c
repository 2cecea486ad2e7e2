/*
 * query.c - parsers of untrusted request text (see web_int.h).
 *
 * Everything here reads (p, len) and never relies on a NUL; output goes to
 * the request arena. The request target is "/path?query" as sent: the path
 * is percent-decoded (RFC 3986 section 2.1) and must be valid UTF-8 without
 * NUL or control bytes; the query is kept raw and decoded per parameter
 * (application/x-www-form-urlencoded: '+' is a space). Header values
 * (Accept-Encoding, RFC 9110 12.5.3; If-None-Match, RFC 9110 13.1.2) are
 * read leniently: anything unexpected means "no match", never an error.
 * These functions are fuzzed by tests/fuzz/fuzz_web_query.c.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/utf8.h"
#include "web/web_int.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int web_utf8_ok(const char *p, size_t len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' && u[i] != '\r')
            return 0;
        if (u[i] == 0x7f)
            return 0;
        size_t k = utf8_decode(u + i, len - i, NULL);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Percent-decodes (p, len) into the arena; plus_space turns '+' into ' '.
 * ERR_PARSE for a bad escape. */
static int pct_decode(struct arena *a, const char *p, size_t len, int plus_space, char **out,
                      size_t *out_len)
{
    char *d = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c == '%') {
            if (i + 2 >= len)
                return ERR_PARSE;
            int h = hexval((unsigned char)p[i + 1]), l = hexval((unsigned char)p[i + 2]);
            if (h < 0 || l < 0)
                return ERR_PARSE;
            d[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+' && plus_space) {
            d[o++] = ' ';
        } else {
            d[o++] = c;
        }
    }
    d[o] = '\0';
    *out = d;
    *out_len = o;
    return 0;
}

int web_target_split(struct arena *a, const char *p, size_t len, const char **path,
                     size_t *path_len, const char **query, size_t *query_len)
{
    if (len == 0 || p[0] != '/')
        return ERR_PARSE;
    const char *q = memchr(p, '?', len);
    size_t plen = q ? (size_t)(q - p) : len;
    /* A fragment is never sent by clients; treat '#' as the end. */
    const char *h = memchr(p, '#', plen);
    if (h)
        plen = (size_t)(h - p);
    char *dp;
    size_t dlen;
    int rc = pct_decode(a, p, plen, 0, &dp, &dlen);
    if (rc)
        return rc;
    if (!web_utf8_ok(dp, dlen) || memchr(dp, '\t', dlen) || memchr(dp, '\n', dlen) ||
        memchr(dp, '\r', dlen))
        return ERR_PARSE;
    const char *qs = "";
    size_t qlen = 0;
    if (q) {
        const char *qstart = q + 1;
        qlen = (size_t)(p + len - qstart);
        const char *qh = memchr(qstart, '#', qlen);
        if (qh)
            qlen = (size_t)(qh - qstart);
        qs = arena_strndup(a, qstart, qlen);
    }
    *path = dp;
    *path_len = dlen;
    *query = qs;
    *query_len = qlen;
    return 0;
}

int web_query_parse(struct arena *a, const char *p, size_t len, size_t max,
                    struct web_param **params, size_t *n)
{
    /* Count pieces first to size the array. */
    size_t pieces = 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '&' || p[i] == ';')
            pieces++;
    pieces++;
    struct web_param *ps = arena_alloc(a, sizeof *ps * (pieces < max ? pieces : max) + 1);
    size_t count = 0;
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && p[j] != '&' && p[j] != ';')
            j++;
        if (j > i) {
            if (count >= max)
                return ERR_TOO_LARGE;
            const char *eq = memchr(p + i, '=', j - i);
            size_t nlen = eq ? (size_t)(eq - (p + i)) : j - i;
            char *name, *value;
            size_t dn, dv;
            int rc = pct_decode(a, p + i, nlen, 1, &name, &dn);
            if (rc)
                return rc;
            if (eq)
                rc = pct_decode(a, eq + 1, (size_t)(p + j - (eq + 1)), 1, &value, &dv);
            else
                value = arena_strdup(a, ""), dv = 0;
            if (rc)
                return rc;
            if (!web_utf8_ok(name, dn) || !web_utf8_ok(value, dv))
                return ERR_PARSE;
            if (strlen(name) != dn)
                return ERR_PARSE;
            ps[count].name = name;
            ps[count].value = value;
            ps[count].len = dv;
            count++;
        }
        i = j + 1;
    }
    *params = ps;
    *n = count;
    return 0;
}

/* Skips optional whitespace. */
static size_t ows(const char *p, size_t len, size_t i)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

/* Parses the ";q=..." parameter after a coding token (RFC 9110 12.4.2);
 * returns the q-value in thousandths, 1000 when absent. */
static int qvalue(const char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && p[i] != ';')
            i++;
        if (i >= len)
            break;
        i = ows(p, len, i + 1);
        if (i + 1 < len && (p[i] == 'q' || p[i] == 'Q') && p[i + 1] == '=') {
            i += 2;
            int q = 0;
            if (i < len && isdigit((unsigned char)p[i]))
                q = (p[i++] - '0') * 1000;
            if (i < len && p[i] == '.') {
                i++;
                int scale = 100;
                while (i < len && isdigit((unsigned char)p[i])) {
                    q += (p[i++] - '0') * scale;
                    scale /= 10;
                }
            }
            return q > 1000 ? 1000 : q;
        }
    }
    return 1000;
}

int web_accepts_gzip(const char *p, size_t len)
{
    if (!p)
        return 0;
    int gzip_q = -1, star_q = -1;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && p[j] != ',')
            j++;
        size_t s = ows(p, j, i);
        size_t e = s;
        while (e < j && p[e] != ';' && p[e] != ' ' && p[e] != '\t')
            e++;
        int q = qvalue(p + e, j - e);
        if ((e - s == 4 && strncasecmp(p + s, "gzip", 4) == 0) ||
            (e - s == 6 && strncasecmp(p + s, "x-gzip", 6) == 0))
            gzip_q = q;
        else if (e - s == 1 && p[s] == '*')
            star_q = q;
        i = j + 1;
    }
    if (gzip_q >= 0)
        return gzip_q > 0;
    return star_q > 0;
}

int web_etag_match(const char *p, size_t len, const char *etag)
{
    if (!p || !etag)
        return 0;
    /* Weak comparison: compare the opaque parts, ignoring W/. */
    const char *et = etag;
    if (et[0] == 'W' && et[1] == '/')
        et += 2;
    size_t etlen = strlen(et);
    size_t i = 0;
    while (i < len) {
        i = ows(p, len, i);
        if (i < len && p[i] == ',') {
            i++;
            continue;
        }
        if (i < len && p[i] == '*')
            return 1;
        if (i + 1 < len && p[i] == 'W' && p[i + 1] == '/')
            i += 2;
        if (i < len && p[i] == '"') {
            size_t j = i + 1;
            while (j < len && p[j] != '"')
                j++;
            if (j >= len)
                return 0;
            if (j + 1 - i == etlen && memcmp(p + i, et, etlen) == 0)
                return 1;
            i = j + 1;
        } else {
            /* Not an entity tag: skip to the next comma. */
            while (i < len && p[i] != ',')
                i++;
        }
    }
    return 0;
}

int web_arxiv_id(const char *p, size_t len, char *out, size_t outsz, int *canonical)
{
    size_t i = 0;
    int canon = 1;
    if (len >= 6 && strncasecmp(p, "arxiv:", 6) == 0) {
        i = 6;
        canon = 0;
    }
    char buf[64];
    size_t o = 0;
    if (i + 4 < len && isdigit((unsigned char)p[i]) && isdigit((unsigned char)p[i + 1]) &&
        isdigit((unsigned char)p[i + 2]) && isdigit((unsigned char)p[i + 3]) && p[i + 4] == '.') {
        /* New style YYMM.NNNN(N) */
        size_t j = i + 5, d = 0;
        while (j < len && isdigit((unsigned char)p[j]) && d < 6)
            j++, d++;
        if (d < 4 || d > 5)
            return 0;
        int mm = (p[i + 2] - '0') * 10 + (p[i + 3] - '0');
        if (mm < 1 || mm > 12)
            return 0;
        memcpy(buf, p + i, j - i);
        o = j - i;
        i = j;
    } else {
        /* Old style archive[.SUBJ]/NNNNNNN */
        size_t j = i;
        while (j < len && (islower((unsigned char)p[j]) || p[j] == '-'))
            j++;
        if (j == i || j - i > 20 || p[i] == '-' || p[j - 1] == '-')
            return 0;
        memcpy(buf, p + i, j - i);
        o = j - i;
        if (j < len && p[j] == '.') {
            size_t k = j + 1;
            while (k < len && isalpha((unsigned char)p[k]))
                k++;
            if (k == j + 1 || k - j > 8)
                return 0;
            canon = 0; /* the subject class is dropped */
            j = k;
        }
        if (j >= len || p[j] != '/')
            return 0;
        j++;
        size_t d = 0, k = j;
        while (k < len && isdigit((unsigned char)p[k]) && d < 8)
            k++, d++;
        if (d != 7)
            return 0;
        buf[o++] = '/';
        memcpy(buf + o, p + j, 7);
        o += 7;
        i = k;
    }
    if (i < len && p[i] == 'v') {
        size_t k = i + 1;
        while (k < len && isdigit((unsigned char)p[k]) && k - i < 6)
            k++;
        if (k == i + 1)
            return 0;
        canon = 0;
        i = k;
    }
    if (i != len)
        return 0;
    if (o + 1 > outsz)
        return 0;
    memcpy(out, buf, o);
    out[o] = '\0';
    if (canonical)
        *canonical = canon;
    return 1;
}
