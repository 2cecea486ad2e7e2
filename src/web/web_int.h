/*
 * web_int.h - what the files of the web module share (not a public API).
 *
 * Files:
 *   http.c    libmicrohttpd glue: the daemon, limits, the per-request
 *             arena, conditional requests (ETag/304), gzip, security
 *             headers, the micro-cache, access log and metrics. The only
 *             file that includes microhttpd.h.
 *   router.c  the route table (a constant table) and path matching.
 *   query.c   parsers of untrusted request text: the request target
 *             (percent-decoding), query strings, Accept-Encoding,
 *             If-None-Match, arXiv ids and dates in paths (fuzzed by
 *             tests/fuzz/fuzz_web_query.c).
 *   html.c    the HTML/XML writer: every dynamic value is escaped by it;
 *             raw markup goes out only through html_raw(), which accepts
 *             string literals only (grep "html_raw" to audit).
 *   pages.c   HTML pages; api.c JSON API (util/jsonw.h) + OpenAPI document;
 *             feeds.c Atom;
 *   assets.c  CSS, JS and the icon compiled in, with content-hash URLs;
 *   data.c    the per-thread store and the queries pages share;
 *   cache.c   the micro-cache of rendered responses; metrics.c counters.
 *
 * A request: http.c decodes the target into a struct web_req whose memory
 * comes from a per-request arena, matches a route, and calls its handler.
 * The handler writes status, content type and body into the web_req (or
 * calls web_fail()); http.c then adds ETag, compresses, caches and queues.
 *
 * Response caching: responses of routes marked cacheable are kept for
 * cache_ttl seconds keyed by the request target, compressed once, and
 * served to every later request from memory (libmicrohttpd responses are
 * reference counted and may be queued on many connections).
 */
#ifndef PAPERBOY_WEB_WEB_INT_H
#define PAPERBOY_WEB_WEB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "web/web.h"

/* ---- limits (STYLE rule 12) ---------------------------------------------- */

#define WEB_URI_MAX 4096          /* request target bytes; above: 414 */
#define WEB_HEADERS_MAX 16384     /* header names+values bytes; above: 431 */
#define WEB_HEADERS_COUNT_MAX 100 /* header lines; above: 431 */
#define WEB_QUERY_MAX 2048        /* query string bytes; above: 400 */
#define WEB_PARAMS_MAX 32         /* query parameters; above: 400 */
#define WEB_Q_MAX 300             /* search text bytes; above: 400 */
#define WEB_BODY_MAX (16u << 20)  /* a rendered response */
#define WEB_PAGE_SIZE 30          /* cards per page */
#define WEB_PAGE_MAX 10000        /* highest ?page= */
#define WEB_API_LIMIT_MAX 100     /* highest ?limit= */
#define WEB_MAX_ROUTES 32
#define WEB_TRENDING_DAYS 7
#define WEB_SEARCH_REOPEN_S 60 /* a thread reopens its search index this often */
#define WEB_VECTORS_REFRESH_S 2 /* ... and its vectors this soon after the queue wrote some */
#define WEB_VECTORS_REFRESH_COST_X 50 /* ... but no sooner than 50x what the last reload took */

/* ---- routes ------------------------------------------------------------- */

enum web_kind { WEB_HTML, WEB_JSON, WEB_ATOM, WEB_TEXT, WEB_ASSET, WEB_BIB };

struct web_req;
typedef int (*web_handler_fn)(struct web_req *r);

struct web_route {
    const char *name;    /* metrics label: "home", "paper", ... */
    const char *pattern; /* documented form: "/api/papers/{id}" */
    const char *path;    /* the exact path, or the prefix when prefix is set */
    int prefix;          /* 1: path is a prefix; the rest is the argument */
    enum web_kind kind;  /* what errors on this route look like */
    int cache;           /* 1: 200 responses may be micro-cached */
    int api;             /* 1: documented in /api/openapi.json */
    web_handler_fn fn;
    const char *suffix; /* prefix routes: the path must also end so (or NULL) */
};

/* The route table, in match order (first match wins). */
extern const struct web_route web_routes[];
extern const size_t web_n_routes;

/* Returns the first route matching the decoded path (p, len) and points
 * arg and arg_len at the rest after a prefix route's prefix (empty for exact
 * routes), or NULL when none matches. */
const struct web_route *web_route_match(const char *p, size_t len, const char **arg /* OUT */,
                                        size_t *arg_len /* OUT */);
/* The index of route in web_routes (for metrics). */
size_t web_route_index(const struct web_route *route);

/* ---- the server context ------------------------------------------------- */

enum web_asset_id { WEB_ASSET_CSS, WEB_ASSET_JS, WEB_ASSET_ICON, WEB_N_ASSETS };

struct web_asset {
    const char *name;  /* "app.css" */
    const char *ctype; /* content type */
    const char *data;  /* the bytes (a constant) */
    size_t len;
    char url[64]; /* "/assets/app.0123456789abcdef.css" */
};

#define WEB_N_STATUS 13
#define WEB_N_BUCKETS 12

struct web_metrics {
    /* requests[route][status]: the last route row counts unrouted requests */
    atomic_ulong requests[WEB_MAX_ROUTES + 1][WEB_N_STATUS];
    atomic_ulong latency[WEB_N_BUCKETS + 1]; /* per bucket; the last is +Inf */
    atomic_ullong latency_sum_us;
    atomic_ulong latency_count;
    atomic_ulong bytes;
};

struct web_cache;

/* The server: owned by web_serve(), shared (read-only after start, apart
 * from the atomics, the cache's own lock and the per-thread key) by every
 * pool thread. */
struct web {
    struct web_config cfg;
    pthread_key_t store_key;  /* this thread's struct store * */
    pthread_key_t search_key; /* this thread's struct web_searcher * */
    struct web_asset assets[WEB_N_ASSETS];
    struct web_metrics metrics;
    struct web_cache *cache;       /* NULL when cache_ttl is 0 */
    atomic_long cached_papers;     /* paper count for /metrics, -1 unknown */
    atomic_llong cached_papers_at; /* when it was counted (epoch s) */
    int64_t started;               /* epoch s */
};

/* Fills w->assets (content hashes, URLs). */
void web_assets_init(struct web *w);
/* Finds the asset whose URL path is (p, len): the part after "/assets/". */
const struct web_asset *web_asset_find(const struct web *w, const char *p, size_t len);

/* ---- requests ------------------------------------------------------------ */

struct web_param {
    const char *name;  /* decoded, NUL-terminated, arena */
    const char *value; /* decoded, NUL-terminated, arena */
    size_t len;        /* value bytes */
};

struct web_req {
    struct web *web;
    struct arena *arena;           /* this request's memory */
    const struct web_route *route; /* NULL until matched */
    int head;                      /* a HEAD request */
    const char *path;              /* decoded path, arena, NUL-terminated */
    size_t path_len;
    const char *arg; /* path after a prefix route's prefix */
    size_t arg_len;
    struct web_param *params; /* decoded query parameters */
    size_t n_params;
    int64_t now; /* epoch seconds at arrival */
    /* The response, written by the handler. */
    int status;                /* 200 by default */
    const char *content_type;  /* static or arena */
    const char *cache_control; /* NULL: the route kind's default */
    const char *location;      /* redirect target (a local path) */
    const char *allow;         /* for 405 */
    int no_cache;              /* 1: never micro-cache this response */
    int immutable;             /* 1: an asset under a content-hash URL */
    struct buf body;           /* the body, capped at WEB_BODY_MAX */
    int wrc;                   /* sticky: a write into body failed (500) */
};

/* Returns the value of query parameter name (the first one), or NULL. */
const char *web_param(const struct web_req *r, const char *name);
/* Parses query parameter name as an integer in [min, max]; def when absent;
 * ERR_INVALID when present but not such an integer. */
int web_param_int(const struct web_req *r, const char *name, long def, long min, long max,
                  long *out /* OUT */);

/* Makes r an error response appropriate to its route's kind (JSON
 * {"status","message"} under /api/, an HTML page otherwise): status and a
 * message in plain words (escaped by the writer). Returns 0. */
int web_fail(struct web_req *r, int status, const char *message);
/* Makes r a redirect (301 when permanent, else 302) to the local path
 * target, which must start with one "/" (anything else becomes "/": no
 * open redirects). Returns 0. */
int web_redirect(struct web_req *r, const char *target, int permanent);

/* The calling thread's store connection, opened on first use (read-only)
 * and closed when the thread exits. ERR_IO/ERR_CORRUPT when it cannot be
 * opened. The store belongs to the thread: never keep it across requests
 * of other threads. */
int web_store(struct web_req *r, struct store **out /* OUT */);

/* ---- query.c: untrusted text -------------------------------------------- */

/* Splits the request target (p, len) into a decoded path and the raw query
 * (after '?', not decoded), both copied into the arena. The path must begin
 * with '/'; "%XX" is decoded; NUL bytes, bad escapes and invalid UTF-8 are
 * ERR_PARSE. */
int web_target_split(struct arena *a, const char *p, size_t len, const char **path /* OUT */,
                     size_t *path_len /* OUT */, const char **query /* OUT */,
                     size_t *query_len /* OUT */);
/* Parses a query string ("a=1&b=x+y&c") into at most max parameters
 * (decoded into the arena: '+' is a space, %XX a byte; values with invalid
 * UTF-8 are ERR_PARSE). Empty pieces are skipped. ERR_TOO_LARGE beyond max
 * parameters. */
int web_query_parse(struct arena *a, const char *p, size_t len, size_t max,
                    struct web_param **params /* OUT */, size_t *n /* OUT */);
/* 1 when the Accept-Encoding value (p, len) accepts gzip (by name or "*",
 * with a q-value above 0), else 0. NULL p means the header was absent. */
int web_accepts_gzip(const char *p, size_t len);
/* 1 when the If-None-Match value (p, len) matches etag (weak comparison,
 * "*" matches anything), else 0. */
int web_etag_match(const char *p, size_t len, const char *etag);
/* Checks (p, len) as an arXiv id in the normal form the store uses, or
 * with a version suffix / "arXiv:" prefix. Returns 1 when it is an id
 * (writes the normal form, NUL-terminated, into out of outsz bytes, and
 * sets *canonical to 1 when (p, len) was already normal), else 0. */
int web_arxiv_id(const char *p, size_t len, char *out, size_t outsz, int *canonical /* OUT */);
/* 1 when (p, len) is valid UTF-8 without NUL bytes or C0 controls other
 * than tab/newline/CR. */
int web_utf8_ok(const char *p, size_t len);

/* ---- html.c: the HTML/XML writer ----------------------------------------- */

/* All writers take the sticky rc (STYLE rule 8) and escape & < > " ' into
 * entities, replace invalid UTF-8 and control characters (other than tab,
 * newline, CR) with U+FFFD, so their output is safe in text and in quoted
 * attribute values alike, and valid XML 1.0 character data. */
void html_text(struct buf *o, int *rc, const char *s);
void html_textn(struct buf *o, int *rc, const char *s, size_t n);
/* Writes fmt, a trusted template, with its arguments formatted by printf
 * rules and then escaped; supports the printf conversions %s %d %ld %lld
 * %zu %u %lu %c %% (with flags/width). A NULL %s writes nothing. */
void html_fmt(struct buf *o, int *rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes a string literal as markup, unescaped: the ONLY way raw markup
 * reaches a page. The macro refuses anything but a literal. */
void html_raw_literal(struct buf *o, int *rc, const char *lit, size_t len);
#define html_raw(o, rc, lit) html_raw_literal((o), (rc), "" lit "", sizeof(lit) - 1)
/* Writes (p, len) percent-encoded for a URL query value or path segment
 * (unreserved characters kept; '/' kept when keep_slash). The result needs
 * no further escaping inside an attribute. */
void html_url(struct buf *o, int *rc, const char *p, size_t len, int keep_slash);
/* Writes text escaped, wrapping every word that begins with one of the
 * query terms (case-insensitive ASCII) in <mark>...</mark>. */
void html_highlight(struct buf *o, int *rc, const char *text, size_t len, const char *const *terms,
                    size_t n_terms);
/* Splits a search query into lower-cased terms of letters/digits (at most
 * max, each at least 2 bytes), arena-allocated, for highlighting. */
size_t web_query_terms(struct arena *a, const char *q, const char **terms, size_t max);

/* ---- pages, api, feeds: the handlers (one per route) --------------------- */

int page_home(struct web_req *r);
int page_day(struct web_req *r);
int page_week(struct web_req *r);
int page_month(struct web_req *r);
int page_trending(struct web_req *r);
int page_paper(struct web_req *r);
int page_bibtex(struct web_req *r);
int page_search(struct web_req *r);
int page_about(struct web_req *r);
int page_asset(struct web_req *r);
int page_healthz(struct web_req *r);
int page_metrics(struct web_req *r);
int page_not_found(struct web_req *r);
int api_daily(struct web_req *r);
int api_paper(struct web_req *r);
int api_search(struct web_req *r);
int api_trending(struct web_req *r);
int api_openapi(struct web_req *r);
int api_not_found(struct web_req *r);
int feed_daily(struct web_req *r);
int feed_trending(struct web_req *r);
int feed_search(struct web_req *r);

/* Renders the HTML error page for status/message into r (pages.c). */
int page_error(struct web_req *r, int status, const char *message);
/* Renders the JSON error {"status":N,"message":"..."} into r (api.c). */
int api_error(struct web_req *r, int status, const char *message);

/* The OpenAPI document (api.c), a constant. */
extern const char web_openapi_json[];

/* ---- data.c: queries the pages share ------------------------------------- */

/* A page of listings plus what the navigation needs. */
struct web_list {
    struct store_listing *items; /* store-owned array (store_listing_free) */
    size_t n;
    size_t total;       /* over all pages */
    size_t page, pages; /* 1-based current page, page count */
};

void web_list_free(struct web_list *l);
/* Lists the papers of day_from..day_to (inclusive), page page (1-based) of
 * per entries. */
int web_list_range(struct web_req *r, const char *from, const char *to, size_t page, size_t per,
                   struct web_list *out /* OUT */);
/* Trending: the daily entries of the WEB_TRENDING_DAYS days ending at the
 * latest day, by upvotes (then comments, then id). *latest gets that day
 * ("" when the store is empty). */
int web_list_trending(struct web_req *r, size_t page, size_t per, struct web_list *out /* OUT */,
                      char latest[11] /* OUT */);
/* The nearest day before/after day that has papers, into prev/next (""
 * when none). */
int web_day_neighbors(struct web_req *r, const char *day, char prev[11] /* OUT */,
                      char next[11] /* OUT */);
/* The total paper count, recounted at most every 10 s. */
int web_paper_count(struct web_req *r, long *n /* OUT */);

/* A paper's display pieces shared by HTML, JSON and Atom. */
/* Writes the display date (YYYY-MM-DD) of a listing into day (11 bytes). */
const char *web_listing_day(const struct store_listing *l);
/* Writes a plain-text abstract snippet of at most max bytes (cut at a
 * word, "…" appended) into the arena. */
const char *web_snippet(struct arena *a, const char *text, size_t max);
/* Formats "Oct 25, 2024" (style 0) or "Friday, October 25, 2024" (1)
 * from "YYYY-MM-DD..." into the arena; the input itself when unparsable. */
const char *web_day_human(struct arena *a, const char *day, int style);
/* The paper's BibTeX entry (text, not escaped for HTML) into o. */
void web_bibtex(struct buf *o, int *rc, const struct paper *p);

/* ---- find.c: search, as the pages see it ---------------------------------- */

/* A validated search request; strings are never NULL ("" when absent). */
struct web_query {
    const char *q;    /* the search text, at most WEB_Q_MAX bytes */
    const char *cat;  /* category filter ("cs.CL" or an archive "cs") */
    const char *from; /* "YYYY-MM-DD" or "" */
    const char *to;   /* "YYYY-MM-DD" or "" */
    const char *mode; /* "", "bm25", "dense", "hybrid" (or "lexical", "semantic") */
    size_t page;      /* 1-based */
    size_t per;       /* results per page */
};

struct web_hits {
    struct store_listing *items; /* store-owned (store_listing_free) */
    size_t n;
    size_t total;     /* matches over all pages (may be an estimate) */
    double *scores;   /* n scores (arena), or NULL */
    int more;         /* total is a lower bound: more may follow */
    const char *mode; /* what ran: "bm25", "dense", "hybrid" or "basic" */
    int has_vectors;  /* 1 when semantic search is available */
};

/* Reads and checks q, cat, from, to, mode, page and limit (default per).
 * On bad input writes a 400 response into r and returns ERR_INVALID. */
int web_query_read(struct web_req *r, struct web_query *q /* OUT */, size_t per);
/* Runs the search. ERR_UNSUPPORTED when this server has no search index. */
int web_find(struct web_req *r, const struct web_query *q, struct web_hits *out /* OUT */);
void web_hits_free(struct web_hits *h);
/* 1 when this thread can run semantic search (paper vectors and the model
 * beside the database), else 0. */
int web_has_vectors(struct web_req *r);
/* The k papers nearest to paper id by its stored vector (itself left out),
 * best first, as hits (no daily entries). ERR_UNSUPPORTED when semantic
 * features are off, ERR_NOT_FOUND when the paper has no vector. */
int web_similar(struct web_req *r, const char *id, size_t k, struct web_hits *out /* OUT */);
/* Destructor of the per-thread search handle (web->search_key). */
void web_searcher_free(void *p);

/* ---- metrics.c ------------------------------------------------------------ */

/* Counts one finished request: route index (web_n_routes for unrouted),
 * status, latency in microseconds, body bytes. */
void web_metrics_count(struct web_metrics *m, size_t route, int status, uint64_t us, size_t bytes);
/* Writes the Prometheus text exposition of m (and the gauges given) to o. */
void web_metrics_render(const struct web_metrics *m, struct buf *o, int *rc, long papers,
                        long long db_bytes, long long index_bytes, double uptime_s);
/* Writes the embedding queue's numbers (cfg.vectors_queue) to o; nothing
 * when serve runs without the queue. */
void web_metrics_render_vectors(const struct web *w, struct buf *o, int *rc);

/* ---- cache.c --------------------------------------------------------------- */

/* A cached response: the handles are libmicrohttpd responses, opaque here. */
struct web_cache_entry {
    struct web_cache_entry *next; /* hash chain */
    char *key;                    /* the request target, owned */
    size_t key_len;
    uint64_t hash;
    double expires; /* monotonic seconds */
    int status;
    char etag[24];    /* W/"<16 hex>" */
    void *resp_plain; /* owned handle */
    void *resp_gzip;  /* owned handle, or NULL (not compressed) */
    size_t len_plain, len_gzip;
};

typedef void (*web_cache_free_fn)(void *handle);
typedef void (*web_cache_use_fn)(void *ctx, const struct web_cache_entry *e);

/* Creates a cache of at most max_entries entries holding at most max_bytes
 * of bodies (len_plain + len_gzip; 0 = no byte cap); free_handle releases a
 * handle when its entry goes. */
struct web_cache *web_cache_new(size_t max_entries, size_t max_bytes,
                                web_cache_free_fn free_handle);
/* Frees every entry (their handles via free_handle); NULL does nothing. */
void web_cache_free(struct web_cache *c);
/* When a live entry for key exists, calls fn(ctx, entry) while holding the
 * cache's read lock (the entry and its handles stay valid during the call)
 * and returns 1; else returns 0. */
int web_cache_use(struct web_cache *c, const char *key, size_t key_len, double now,
                  web_cache_use_fn fn, void *ctx);
/* Inserts e (takes ownership of e, its key and handles), replacing an entry
 * with the same key; evicts expired entries, or everything, when full. */
void web_cache_put(struct web_cache *c, struct web_cache_entry *e, double now);
/* FNV-1a 64-bit hash, for keys and ETags. */
uint64_t web_hash(const void *p, size_t len);

#endif
