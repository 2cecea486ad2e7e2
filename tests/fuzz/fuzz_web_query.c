/*
 * fuzz_web_query.c - libFuzzer target for the web module's parsers of
 * untrusted request text (src/web/query.c) and the escaping writer.
 *
 * The input is the request target; its first byte also picks header text
 * for Accept-Encoding/If-None-Match from the tail. Invariants checked
 * (abort on violation): the decoded path starts with '/' and is valid
 * UTF-8; parameters are valid UTF-8; escaped output never contains a raw
 * '<', '>', '"' or '\'' and is valid UTF-8; a parsed arXiv id round-trips
 * as canonical.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "web/web_int.h"

static void check_escaped(const struct buf *b)
{
    for (size_t i = 0; i < b->len; i++) {
        char c = b->p[i];
        if (c == '<' || c == '>' || c == '"' || c == '\'')
            abort();
    }
    if (b->len && !web_utf8_ok(b->p, b->len))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct arena a;
    arena_init(&a, 4096, NULL, 0);

    const char *path, *query;
    size_t plen, qlen;
    if (web_target_split(&a, p, size, &path, &plen, &query, &qlen) == 0) {
        if (plen == 0 || path[0] != '/' || !web_utf8_ok(path, plen))
            abort();
        struct web_param *ps;
        size_t n;
        if (web_query_parse(&a, query, qlen, WEB_PARAMS_MAX, &ps, &n) == 0) {
            for (size_t i = 0; i < n; i++)
                if (!web_utf8_ok(ps[i].value, ps[i].len))
                    abort();
        }
        const char *arg;
        size_t alen;
        const struct web_route *rt = web_route_match(path, plen, &arg, &alen);
        if (rt && (arg < path || arg + alen > path + plen))
            abort();
        char id[64];
        int canon = 0;
        if (rt && web_arxiv_id(arg, alen, id, sizeof id, &canon)) {
            int canon2 = 0;
            char id2[64];
            if (!web_arxiv_id(id, strlen(id), id2, sizeof id2, &canon2) || !canon2 ||
                strcmp(id, id2) != 0)
                abort();
        }
    }
    (void)web_accepts_gzip(p, size);
    (void)web_etag_match(p, size, "W/\"0123456789abcdef\"");

    struct buf b;
    buf_init(&b, 0);
    int rc = 0;
    html_textn(&b, &rc, p, size);
    check_escaped(&b);
    buf_reset(&b);
    char *text = arena_strndup(&a, p, size);
    const char *terms[8];
    size_t nt = web_query_terms(&a, text, terms, 8);
    html_highlight(&b, &rc, p, size, terms, nt);
    /* Strip the <mark> tags the highlighter adds, then check the rest. */
    struct buf c;
    buf_init(&c, 0);
    for (size_t i = 0; i < b.len;) {
        if (b.len - i >= 6 && memcmp(b.p + i, "<mark>", 6) == 0)
            i += 6;
        else if (b.len - i >= 7 && memcmp(b.p + i, "</mark>", 7) == 0)
            i += 7;
        else
            buf_append(&c, b.p + i++, 1);
    }
    check_escaped(&c);
    buf_cleanup(&c);
    buf_cleanup(&b);
    arena_cleanup(&a);
    return 0;
}
