/*
 * find.c - search as the pages, the API and the feeds see it.
 *
 * web_query_read() validates the search parameters once for all three
 * (caps: WEB_Q_MAX bytes of text, a category of letters, dots and dashes,
 * ISO dates, a known mode). web_find() runs the search engine behind
 * src/search/search.h and loads the hits as store listings, so results
 * render with the same card, JSON item and Atom entry code as the lists.
 * The engine is wired here and nowhere else in web/.
 */
#include <ctype.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "web/web_int.h"

static int cat_ok(const char *s)
{
    size_t n = strlen(s);
    if (n > 24)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

static int day_ok(const char *s)
{
    int64_t t;
    return s[0] == '\0' || time_parse_day(s, &t) == 0;
}

int web_query_read(struct web_req *r, struct web_query *q, size_t per)
{
    struct web_query x = {0};
    const char *v;
    x.q = (v = web_param(r, "q")) ? v : "";
    x.cat = (v = web_param(r, "cat")) ? v : "";
    x.from = (v = web_param(r, "from")) ? v : "";
    x.to = (v = web_param(r, "to")) ? v : "";
    x.mode = (v = web_param(r, "mode")) ? v : "";
    if (strlen(x.q) > WEB_Q_MAX) {
        web_fail(r, 400, "The search text is too long: at most 300 characters, please.");
        return ERR_INVALID;
    }
    /* Trim the text. */
    while (*x.q == ' ')
        x.q++;
    size_t ql = strlen(x.q);
    while (ql > 0 && x.q[ql - 1] == ' ')
        ql--;
    x.q = arena_strndup(r->arena, x.q, ql);
    if (!cat_ok(x.cat)) {
        web_fail(r, 400, "The category filter should look like cs.CL or hep-th.");
        return ERR_INVALID;
    }
    if (!day_ok(x.from) || !day_ok(x.to)) {
        web_fail(r, 400, "Dates in the filter must look like 2024-10-25.");
        return ERR_INVALID;
    }
    if (x.mode[0] && strcmp(x.mode, "hybrid") && strcmp(x.mode, "lexical") &&
        strcmp(x.mode, "semantic")) {
        web_fail(r, 400, "The mode must be hybrid, lexical or semantic.");
        return ERR_INVALID;
    }
    long page, limit;
    if (web_param_int(r, "page", 1, 1, WEB_PAGE_MAX, &page) ||
        web_param_int(r, "limit", (long)per, 1, WEB_API_LIMIT_MAX, &limit)) {
        web_fail(r, 400, "page must be 1 to 10000 and limit 1 to 100.");
        return ERR_INVALID;
    }
    x.page = (size_t)page;
    x.per = (size_t)limit;
    *q = x;
    return 0;
}

int web_find(struct web_req *r, const struct web_query *q, struct web_hits *out)
{
    /* Until src/search/search.h lands: the store's basic substring search. */
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    const char *words[8];
    size_t nw = web_query_terms(r->arena, q->q, words, 8);
    if (nw == 0 && !q->cat[0]) {
        memset(out, 0, sizeof *out);
        out->mode = "basic";
        return 0;
    }
    struct web_hits h;
    memset(&h, 0, sizeof h);
    rc = store_search_basic(s, words, nw, q->cat, q->from, q->to, (q->page - 1) * q->per, q->per,
                            &h.items, &h.n, &h.total);
    if (rc)
        return rc;
    h.mode = "basic";
    *out = h;
    return 0;
}

void web_hits_free(struct web_hits *h)
{
    if (h->items)
        store_listing_free(h->items, h->n);
    memset(h, 0, sizeof *h);
}
