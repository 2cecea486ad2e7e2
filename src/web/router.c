/*
 * router.c - the route table and path matching (see web_int.h).
 *
 * Routes are a constant table tried in order; the first whose exact path
 * equals the request path, or whose prefix starts it, wins. Prefix routes
 * hand the rest of the path to the handler as r->arg (a paper id, a date).
 * The table is the single list of what the server answers: /metrics labels
 * come from its names, and the tests compare its api rows with the paths of
 * /api/openapi.json (see `paperboy serve --list-routes`).
 */
#include <string.h>

#include "web/web_int.h"

const struct web_route web_routes[] = {
    /* name, pattern, path, prefix, kind, cache, api, handler[, suffix] */
    {"home", "/", "/", 0, WEB_HTML, 1, 0, page_home, NULL},
    {"day", "/papers/date/{date}", "/papers/date/", 1, WEB_HTML, 1, 0, page_day, NULL},
    {"week", "/papers/week/{week}", "/papers/week/", 1, WEB_HTML, 1, 0, page_week, NULL},
    {"month", "/papers/month/{month}", "/papers/month/", 1, WEB_HTML, 1, 0, page_month, NULL},
    {"trending", "/papers/trending", "/papers/trending", 0, WEB_HTML, 1, 0, page_trending, NULL},
    {"bibtex", "/papers/{id}.bib", "/papers/", 1, WEB_BIB, 1, 0, page_bibtex, ".bib"},
    {"paper", "/papers/{id}", "/papers/", 1, WEB_HTML, 1, 0, page_paper, NULL},
    {"search", "/search", "/search", 0, WEB_HTML, 1, 0, page_search, NULL},
    {"about", "/about", "/about", 0, WEB_HTML, 1, 0, page_about, NULL},
    {"api_daily", "/api/daily_papers", "/api/daily_papers", 0, WEB_JSON, 1, 1, api_daily, NULL},
    {"api_paper", "/api/papers/{id}", "/api/papers/", 1, WEB_JSON, 1, 1, api_paper, NULL},
    {"api_search", "/api/search", "/api/search", 0, WEB_JSON, 1, 1, api_search, NULL},
    {"api_trending", "/api/trending", "/api/trending", 0, WEB_JSON, 1, 1, api_trending, NULL},
    {"api_openapi", "/api/openapi.json", "/api/openapi.json", 0, WEB_JSON, 1, 1, api_openapi, NULL},
    {"api_other", "/api/*", "/api/", 1, WEB_JSON, 0, 0, api_not_found, NULL},
    {"feed_daily", "/feeds/daily.atom", "/feeds/daily.atom", 0, WEB_ATOM, 1, 0, feed_daily, NULL},
    {"feed_trending", "/feeds/trending.atom", "/feeds/trending.atom", 0, WEB_ATOM, 1, 0,
     feed_trending, NULL},
    {"feed_search", "/feeds/search.atom", "/feeds/search.atom", 0, WEB_ATOM, 1, 0, feed_search,
     NULL},
    {"asset", "/assets/{file}", "/assets/", 1, WEB_ASSET, 1, 0, page_asset, NULL},
    {"healthz", "/healthz", "/healthz", 0, WEB_TEXT, 0, 0, page_healthz, NULL},
    {"metrics", "/metrics", "/metrics", 0, WEB_TEXT, 0, 0, page_metrics, NULL},
};

const size_t web_n_routes = sizeof web_routes / sizeof web_routes[0];

_Static_assert(sizeof web_routes / sizeof web_routes[0] <= WEB_MAX_ROUTES, "raise WEB_MAX_ROUTES");

const struct web_route *web_route_match(const char *p, size_t len, const char **arg,
                                        size_t *arg_len)
{
    for (size_t i = 0; i < web_n_routes; i++) {
        const struct web_route *rt = &web_routes[i];
        size_t pl = strlen(rt->path);
        if (rt->prefix) {
            size_t sl = rt->suffix ? strlen(rt->suffix) : 0;
            if (len > pl + sl && memcmp(p, rt->path, pl) == 0 &&
                (sl == 0 || memcmp(p + len - sl, rt->suffix, sl) == 0)) {
                *arg = p + pl;
                *arg_len = len - pl - sl;
                return rt;
            }
        } else if (len == pl && memcmp(p, rt->path, pl) == 0) {
            *arg = p + len;
            *arg_len = 0;
            return rt;
        }
    }
    return NULL;
}

size_t web_route_index(const struct web_route *route)
{
    return route ? (size_t)(route - web_routes) : web_n_routes;
}

static const char *kind_name(enum web_kind k)
{
    switch (k) {
    case WEB_HTML:
        return "html";
    case WEB_JSON:
        return "json";
    case WEB_ATOM:
        return "atom";
    case WEB_TEXT:
        return "text";
    case WEB_ASSET:
        return "asset";
    case WEB_BIB:
        return "bibtex";
    }
    return "?";
}

void web_routes_print(FILE *f)
{
    for (size_t i = 0; i < web_n_routes; i++)
        fprintf(f, "%s %s %s%s\n", web_routes[i].name, web_routes[i].pattern,
                kind_name(web_routes[i].kind), web_routes[i].api ? " api" : "");
}
