/*
 * http.c - libmicrohttpd glue: the only file that includes microhttpd.h.
 *
 * Daemon: MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL with a thread
 * pool of cfg.threads (default: online CPUs); each pool thread runs its own
 * epoll loop and calls the handlers, so a request is served start to end on
 * one thread, which owns its store connection (data.c). Slow or stuck
 * clients cannot hold the server: MHD_OPTION_CONNECTION_TIMEOUT closes idle
 * connections, MHD_OPTION_CONNECTION_LIMIT and PER_IP_CONNECTION_LIMIT cap
 * how many there are, MHD_OPTION_CONNECTION_MEMORY_LIMIT caps what one may
 * buffer.
 *
 * A request's life:
 *   1. uri_log(): MHD has read the request line; we allocate the struct
 *      conn_req (with an 8 KiB first arena block inside it), note the start
 *      time and copy the request target (at most WEB_URI_MAX + 1 bytes).
 *   2. on_access(), second call (the first only says the headers are in;
 *      answering then would cost the keep-alive): limits (414 target,
 *      431 headers, 405
 *      method, 400 bad encoding or query), route match, micro-cache lookup,
 *      the handler, then respond(): ETag (FNV-1a 64 of the body, weak),
 *      If-None-Match -> 304, gzip when Accept-Encoding allows and the type
 *      is text, the security headers, and into the cache when cacheable.
 *      Later calls (a request body) discard the body: only GET/HEAD exist.
 *   3. on_completed(): one access-log line to stderr ("GET /path 200 1234
 *      567us"), the metrics, and the arena and conn_req are freed in one go.
 *
 * Cached responses are MHD response objects built once (plain and gzip)
 * and queued on any number of connections; MHD reference-counts them, so
 * evicting an entry while connections still send it is safe.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "web/web_int.h"

#define ARENA_FIRST 8192
#define WEB_DISCARD_MAX (64 * 1024) /* request body bytes read before closing */
#define GZIP_MIN 256                /* smaller bodies go out plain */
#define CACHE_ENTRIES 4096
#define CACHE_BYTES (64u << 20)      /* rendered bodies held by the micro-cache */
#define MHD_MEMORY_LIMIT (96 * 1024) /* per connection, above our own caps */

static const char CSP_HTML[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";
static const char CSP_OTHER[] = "default-src 'none'; frame-ancestors 'none'; sandbox";

struct conn_req {
    struct web_req r;
    struct arena arena;
    double t0; /* monotonic seconds at the request line */
    char *uri; /* the target as received (capped copy) */
    size_t uri_len;
    int uri_too_long;
    char method[8];
    int headers_seen; /* on_access had its first (headers) call */
    size_t discarded; /* request body bytes dropped */
    int handled;      /* the response was queued */
    int status;       /* sent status, 0 if none */
    size_t bytes;     /* body bytes queued */
    size_t route;     /* route index for metrics */
    char first[ARENA_FIRST];
};

/* ---- requests ---------------------------------------------------------------- */

const char *web_param(const struct web_req *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

int web_param_int(const struct web_req *r, const char *name, long def, long min, long max,
                  long *out)
{
    const char *v = web_param(r, name);
    if (!v || !*v) {
        *out = def;
        return 0;
    }
    long n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > max)
            return ERR_INVALID;
        n = n * 10 + (*p - '0');
    }
    if (n < min || n > max)
        return ERR_INVALID;
    *out = n;
    return 0;
}

int web_fail(struct web_req *r, int status, const char *message)
{
    if (r->route && r->route->kind == WEB_JSON)
        return api_error(r, status, message);
    if (r->route && (r->route->kind != WEB_HTML)) {
        /* Feeds, text, assets, BibTeX: a plain-text message. */
        buf_reset(&r->body);
        r->status = status;
        r->no_cache = 1;
        r->content_type = "text/plain; charset=utf-8";
        int rc = 0;
        buf_putf(&r->body, &rc, "%d: %s\n", status, message);
        return rc;
    }
    return page_error(r, status, message);
}

int web_redirect(struct web_req *r, const char *target, int permanent)
{
    /* Only local paths: "/x", never "//host" or "/\host" (no open redirects). */
    if (!target || target[0] != '/' || target[1] == '/' || target[1] == '\\' ||
        strpbrk(target, "\r\n") != NULL)
        target = "/";
    buf_reset(&r->body);
    r->status = permanent ? 301 : 302;
    r->location = target;
    r->content_type = "text/plain; charset=utf-8";
    int rc = 0;
    buf_putf(&r->body, &rc, "Moved to %s\n", target);
    return rc;
}

/* ---- responses ----------------------------------------------------------------- */

static int compressible(const char *ctype)
{
    return ctype &&
           (strncmp(ctype, "text/", 5) == 0 || strncmp(ctype, "application/json", 16) == 0 ||
            strncmp(ctype, "application/atom+xml", 20) == 0 ||
            strncmp(ctype, "image/svg+xml", 13) == 0);
}

/* gzip (RFC 1952) of (p, len) into a malloc'ed buffer. */
static int gzip_body(const char *p, size_t len, char **out, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return ERR_IO;
    uLong bound = deflateBound(&z, (uLong)len);
    char *dst = xmalloc(bound + 32);
    z.next_in = (Bytef *)p;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)dst;
    z.avail_out = (uInt)(bound + 32);
    int zr = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (zr != Z_STREAM_END) {
        free(dst);
        return ERR_IO;
    }
    *out = dst;
    *out_len = n;
    return 0;
}

/* What the headers of one response say. */
struct head {
    int status;
    enum web_kind kind;
    const char *ctype;
    const char *cache_control;
    const char *etag;     /* or NULL */
    const char *location; /* or NULL */
    const char *allow;    /* or NULL */
    int gzip;             /* body is gzip-encoded */
    int vary;             /* add Vary: Accept-Encoding */
};

static void add_headers(struct MHD_Response *resp, const struct head *h)
{
    if (h->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, h->ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, h->cache_control);
    if (h->etag)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, h->etag);
    if (h->gzip)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (h->vary)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    if (h->location)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, h->location);
    if (h->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, h->allow);
    int html = h->ctype && strncmp(h->ctype, "text/html", 9) == 0;
    MHD_add_response_header(resp, "Content-Security-Policy", html ? CSP_HTML : CSP_OTHER);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "strict-origin-when-cross-origin");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    if (h->kind == WEB_JSON || h->kind == WEB_ATOM)
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
}

/* Builds a response over a copy of (p, len) with headers h. */
static struct MHD_Response *make_response(const void *p, size_t len, const struct head *h)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (resp)
        add_headers(resp, h);
    return resp;
}

static const char *default_cache_control(const struct web_req *r, int status)
{
    if (r->cache_control)
        return r->cache_control;
    if (r->immutable && status == 200)
        return "public, max-age=31536000, immutable";
    if (status == 200)
        return "public, max-age=60";
    if (status == 301)
        return "public, max-age=3600";
    return "no-store";
}

static void cache_free_handle(void *handle)
{
    MHD_destroy_response(handle);
}

/* Serving from the cache (runs under the cache's read lock). */
struct hit {
    struct MHD_Connection *c;
    int gzip;
    const char *inm;
    enum MHD_Result ret;
    int status;
    size_t bytes;
};

static void serve_hit(void *ctx, const struct web_cache_entry *e)
{
    struct hit *h = ctx;
    if (h->inm && web_etag_match(h->inm, strlen(h->inm), e->etag)) {
        struct head hd = {.status = 304,
                          .cache_control = "public, max-age=60",
                          .etag = e->etag,
                          .vary = e->resp_gzip != NULL};
        struct MHD_Response *resp = make_response("", 0, &hd);
        h->ret = resp ? MHD_queue_response(h->c, MHD_HTTP_NOT_MODIFIED, resp) : MHD_NO;
        if (resp)
            MHD_destroy_response(resp);
        h->status = 304;
        h->bytes = 0;
        return;
    }
    int gz = h->gzip && e->resp_gzip;
    h->ret = MHD_queue_response(h->c, (unsigned)e->status, gz ? e->resp_gzip : e->resp_plain);
    h->status = e->status;
    h->bytes = gz ? e->len_gzip : e->len_plain;
}

/* Sends what the handler left in cr->r. */
static enum MHD_Result respond(struct web *w, struct MHD_Connection *c, struct conn_req *cr,
                               int cacheable)
{
    struct web_req *r = &cr->r;
    int status = r->status ? r->status : 200;
    struct head h = {
        .status = status,
        .kind = r->route ? r->route->kind : WEB_HTML,
        .ctype = r->content_type ? r->content_type : "text/plain; charset=utf-8",
        .cache_control = default_cache_control(r, status),
        .location = r->location,
        .allow = r->allow,
    };
    char etag[24] = "";
    if (status == 200) {
        snprintf(etag, sizeof etag, "W/\"%016llx\"",
                 (unsigned long long)web_hash(r->body.p ? r->body.p : "", r->body.len));
        h.etag = etag;
    }
    const char *ae =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    int want_gzip = web_accepts_gzip(ae, ae ? strlen(ae) : 0);
    int can_gzip = compressible(h.ctype) && r->body.len >= GZIP_MIN;
    h.vary = can_gzip;
    const char *inm =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    cacheable = cacheable && status == 200 && !r->no_cache && w->cache != NULL;

    char *gz = NULL;
    size_t gz_len = 0;
    if (can_gzip && (want_gzip || cacheable) && gzip_body(r->body.p, r->body.len, &gz, &gz_len))
        can_gzip = 0;

    enum MHD_Result ret;
    if (cacheable) {
        struct web_cache_entry *e = xcalloc(1, sizeof *e);
        e->key = xstrndup(cr->uri, cr->uri_len);
        e->key_len = cr->uri_len;
        e->expires = time_mono() + w->cfg.cache_ttl_s;
        e->status = status;
        memcpy(e->etag, etag, sizeof etag);
        e->resp_plain = make_response(r->body.p ? r->body.p : "", r->body.len, &h);
        e->len_plain = r->body.len;
        if (gz) {
            struct head hg = h;
            hg.gzip = 1;
            e->resp_gzip = make_response(gz, gz_len, &hg);
            e->len_gzip = gz_len;
        }
        if (!e->resp_plain || (gz && !e->resp_gzip)) {
            if (e->resp_plain)
                MHD_destroy_response(e->resp_plain);
            if (e->resp_gzip)
                MHD_destroy_response(e->resp_gzip);
            free(e->key);
            free(e);
            free(gz);
            return MHD_NO;
        }
        int use_gz = want_gzip && e->resp_gzip != NULL;
        web_cache_put(w->cache, e, time_mono());
        /* Serve through the cache so the entry is pinned by the read lock. */
        struct hit hit = {.c = c, .gzip = use_gz, .inm = inm, .ret = MHD_NO};
        if (!web_cache_use(w->cache, cr->uri, cr->uri_len, time_mono(), serve_hit, &hit)) {
            /* Evicted already (a tiny cache): render the plain copy directly. */
            struct MHD_Response *resp = make_response(r->body.p ? r->body.p : "", r->body.len, &h);
            hit.ret = resp ? MHD_queue_response(c, (unsigned)status, resp) : MHD_NO;
            if (resp)
                MHD_destroy_response(resp);
            hit.status = status;
            hit.bytes = r->body.len;
        }
        free(gz);
        cr->status = hit.status;
        cr->bytes = hit.bytes;
        return hit.ret;
    }

    if (h.etag && inm && web_etag_match(inm, strlen(inm), etag)) {
        struct head h304 = h;
        h304.status = 304;
        h304.ctype = NULL;
        struct MHD_Response *resp = make_response("", 0, &h304);
        ret = resp ? MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, resp) : MHD_NO;
        if (resp)
            MHD_destroy_response(resp);
        free(gz);
        cr->status = 304;
        cr->bytes = 0;
        return ret;
    }
    struct MHD_Response *resp;
    if (gz && want_gzip) {
        h.gzip = 1;
        resp = MHD_create_response_from_buffer(gz_len, gz, MHD_RESPMEM_MUST_FREE);
        if (resp)
            add_headers(resp, &h);
        else
            free(gz);
        cr->bytes = gz_len;
    } else {
        free(gz);
        size_t len = r->body.len;
        char *body = buf_steal(&r->body);
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        cr->bytes = len;
        if (resp)
            add_headers(resp, &h);
        else
            free(body);
    }
    ret = resp ? MHD_queue_response(c, (unsigned)status, resp) : MHD_NO;
    if (resp)
        MHD_destroy_response(resp);
    cr->status = status;
    return ret;
}

/* ---- the request handler -------------------------------------------------------- */

struct header_sum {
    size_t bytes;
    size_t count;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct header_sum *hs = cls;
    hs->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    hs->count++;
    return MHD_YES;
}

/* Runs the route's handler and turns failures into error pages. */
static void run_handler(struct web_req *r)
{
    int rc = r->route ? r->route->fn(r) : page_not_found(r);
    if (rc == 0 && r->wrc)
        rc = r->wrc;
    if (rc == 0)
        return;
    r->wrc = 0;
    if (rc == ERR_NOT_FOUND) {
        web_fail(r, 404, "Not found.");
    } else if (rc == ERR_TOO_LARGE) {
        web_fail(r, 500, "The response grew too large to send.");
    } else if (rc == ERR_IO || rc == ERR_CORRUPT || rc == ERR_BUSY) {
        log_error(NULL, "%s: store unavailable: %s", r->path, err_str(rc));
        web_fail(r, 503, "The paper store is unavailable right now. Try again in a moment.");
    } else {
        log_error(NULL, "%s: %s", r->path, err_str(rc));
        web_fail(r, 500, "The server failed to build this page. The error was logged.");
    }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)url;
    (void)version;
    (void)upload_data;
    struct web *w = cls;
    struct conn_req *cr = *con_cls;
    if (!cr)
        return MHD_NO; /* uri_log always runs first; be safe */
    if (cr->handled) {
        *upload_data_size = 0; /* discard request bodies */
        return MHD_YES;
    }
    /* The first call comes with the headers only: answering then would make
     * libmicrohttpd close the connection (it cannot know the request is
     * complete), so wait for the call that ends the request, which for a
     * GET or HEAD comes at once. A body (only GET and HEAD exist here, so
     * the request will be refused) is read and dropped up to
     * WEB_DISCARD_MAX bytes; beyond that the connection is closed. */
    if (!cr->headers_seen) {
        cr->headers_seen = 1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        cr->discarded += *upload_data_size;
        *upload_data_size = 0;
        return cr->discarded > WEB_DISCARD_MAX ? MHD_NO : MHD_YES;
    }
    cr->handled = 1;
    struct web_req *r = &cr->r;
    snprintf(cr->method, sizeof cr->method, "%s", method);
    r->head = strcmp(method, "HEAD") == 0;
    int get = strcmp(method, "GET") == 0 || r->head;

    struct header_sum hs = {0, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &hs);

    int cacheable = 0;
    if (cr->uri_too_long) {
        r->path = "(too long)";
        web_fail(r, 414,
                 "The address (URL) is longer than this server accepts (4096 bytes). "
                 "Shorten the search text or the link.");
    } else if (hs.bytes > WEB_HEADERS_MAX || hs.count > WEB_HEADERS_COUNT_MAX) {
        r->path = "(headers)";
        web_fail(r, 431,
                 "The request headers are larger than this server accepts (16 KiB, "
                 "100 lines). Clearing this site's cookies usually helps.");
    } else {
        const char *query;
        size_t qlen;
        if (web_target_split(r->arena, cr->uri, cr->uri_len, &r->path, &r->path_len, &query,
                             &qlen)) {
            r->path = "(bad)";
            web_fail(r, 400, "The address is malformed (bad %-escape or invalid UTF-8).");
        } else {
            r->route = web_route_match(r->path, r->path_len, &r->arg, &r->arg_len);
            if (!get) {
                r->allow = "GET, HEAD";
                web_fail(r, 405, "Only GET and HEAD are supported here.");
            } else if (qlen > WEB_QUERY_MAX) {
                web_fail(r, 400, "The query string is too long (at most 2048 bytes).");
            } else if (web_query_parse(r->arena, query, qlen, WEB_PARAMS_MAX, &r->params,
                                       &r->n_params)) {
                web_fail(r, 400,
                         "The query string is malformed or has too many parameters "
                         "(at most 32).");
            } else {
                cacheable = r->route && r->route->cache;
                if (cacheable && w->cache) {
                    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                                 MHD_HTTP_HEADER_ACCEPT_ENCODING);
                    struct hit hit = {
                        .c = c,
                        .gzip = web_accepts_gzip(ae, ae ? strlen(ae) : 0),
                        .inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                           MHD_HTTP_HEADER_IF_NONE_MATCH),
                        .ret = MHD_NO,
                    };
                    if (web_cache_use(w->cache, cr->uri, cr->uri_len, time_mono(), serve_hit,
                                      &hit)) {
                        cr->route = web_route_index(r->route);
                        cr->status = hit.status;
                        cr->bytes = hit.bytes;
                        return hit.ret;
                    }
                }
                run_handler(r);
            }
        }
    }
    cr->route = web_route_index(r->route);
    return respond(w, c, cr, cacheable);
}

/* Called by MHD once the request line is read: the request begins here. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    struct web *w = cls;
    struct conn_req *cr = xmalloc(sizeof *cr);
    memset(cr, 0, offsetof(struct conn_req, first));
    arena_init(&cr->arena, 16384, cr->first, sizeof cr->first);
    cr->t0 = time_mono();
    size_t len = strnlen(uri, WEB_URI_MAX + 1);
    cr->uri_too_long = len > WEB_URI_MAX;
    cr->uri_len = cr->uri_too_long ? 256 : len;
    cr->uri = arena_strndup(&cr->arena, uri, cr->uri_len);
    cr->route = web_n_routes;
    struct web_req *r = &cr->r;
    r->web = w;
    r->arena = &cr->arena;
    r->now = time_now();
    r->path = "";
    buf_init(&r->body, WEB_BODY_MAX);
    return cr;
}

/* Writes (p, len) to the log line with control bytes escaped and a cap. */
static void log_safe(struct buf *o, const char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (len > 300)
        len = 300;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == ' ' || ch == '"' || ch == 0x5c) {
            char e[4] = {0x5c, 'x', hex[ch >> 4], hex[ch & 15]};
            buf_append(o, e, 4);
        } else {
            buf_append(o, &p[i], 1);
        }
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    struct web *w = cls;
    struct conn_req *cr = *con_cls;
    if (!cr)
        return;
    *con_cls = NULL;
    uint64_t us = (uint64_t)((time_mono() - cr->t0) * 1e6);
    if (cr->handled) {
        size_t bytes = cr->r.head ? 0 : cr->bytes;
        web_metrics_count(&w->metrics, cr->route, cr->status, us, bytes);
        if (!w->cfg.quiet) {
            struct buf line;
            buf_init(&line, 1024);
            buf_appendf(&line, "%s ", cr->method);
            log_safe(&line, cr->uri, cr->uri_len);
            buf_appendf(&line, " %d %zu %lluus%s\n", cr->status, bytes, (unsigned long long)us,
                        toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
            /* One write per line, so threads never interleave within a line. */
            fwrite(line.p, 1, line.len, stderr);
            buf_cleanup(&line);
        }
    }
    buf_cleanup(&cr->r.body);
    arena_cleanup(&cr->arena);
    free(cr);
}

/* ---- the daemon ------------------------------------------------------------------- */

void web_config_defaults(struct web_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->db_path = "data/paperboy.db";
    cfg->listen = "127.0.0.1:8080";
    cfg->max_conns = 1024;
    cfg->max_per_ip = 64;
    cfg->timeout_s = 15;
    cfg->cache_ttl_s = 2;
}

/* Parses "HOST:PORT" / "[V6]:PORT" / ":PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
    char host[256];
    const char *port;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':' || (size_t)(e - s - 1) >= sizeof host)
            return ERR_INVALID;
        memcpy(host, s + 1, (size_t)(e - s - 1));
        host[e - s - 1] = '\0';
        port = e + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= sizeof host)
            return ERR_INVALID;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    if (!host[0])
        snprintf(host, sizeof host, "127.0.0.1");
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        return ERR_INVALID;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return ERR_INVALID;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *sl = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void store_key_destroy(void *p)
{
    store_close(p);
}

int web_serve(const struct web_config *cfg_in)
{
    struct web *w = xcalloc(1, sizeof *w);
    w->cfg = *cfg_in;
    struct MHD_Daemon *d = NULL;
    struct store *s = NULL;
    char *base = NULL;
    int rc = 0;
    int key_made = 0;
    struct sockaddr_storage ss;
    socklen_t sl = 0;

    if (parse_listen(w->cfg.listen, &ss, &sl)) {
        log_error(NULL,
                  "serve: cannot use listen address '%s' (want HOST:PORT, e.g. "
                  "127.0.0.1:8080 or [::1]:8080)",
                  w->cfg.listen);
        rc = ERR_INVALID;
        goto out;
    }
    /* Create or migrate the store once, before any request thread opens it. */
    rc = store_open(w->cfg.db_path, 0, &s);
    if (rc) {
        log_error(NULL, "serve: cannot open the store %s: %s", w->cfg.db_path, err_str(rc));
        goto out;
    }
    store_close(s);
    s = NULL;
    if (!w->cfg.base_url) {
        base = xmalloc(strlen(w->cfg.listen) + 8);
        sprintf(base, "http://%s", w->cfg.listen);
        w->cfg.base_url = base;
    }
    if (!w->cfg.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        w->cfg.threads = n > 0 ? (unsigned)n : 1;
    }
    if (!w->cfg.max_conns)
        w->cfg.max_conns = 1024;
    if (!w->cfg.timeout_s)
        w->cfg.timeout_s = 15;
    if (pthread_key_create(&w->store_key, store_key_destroy) != 0) {
        rc = ERR_IO;
        goto out;
    }
    if (pthread_key_create(&w->search_key, web_searcher_free) != 0) {
        pthread_key_delete(w->store_key);
        rc = ERR_IO;
        goto out;
    }
    key_made = 1;
    web_assets_init(w);
    atomic_store(&w->cached_papers, -1);
    w->started = time_now();
    if (w->cfg.cache_ttl_s)
        w->cache = web_cache_new(CACHE_ENTRIES, CACHE_BYTES, cache_free_handle);

    /* Block the signals in every thread; this one waits for them. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                             : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    unsigned pool = w->cfg.threads > 1 ? w->cfg.threads : 0;
    d = MHD_start_daemon(
        flags, port, NULL, NULL, on_access, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_CONNECTION_LIMIT, w->cfg.max_conns,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, w->cfg.max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
        w->cfg.timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MHD_MEMORY_LIMIT,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_URI_LOG_CALLBACK, uri_log, w,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
    if (!d) {
        log_error(NULL, "serve: cannot listen on %s: %s", w->cfg.listen,
                  errno ? strerror(errno) : "libmicrohttpd refused the options");
        rc = ERR_IO;
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    log_info(NULL, "serving on http://%s (port %u), %u threads, store %s", w->cfg.listen,
             info ? (unsigned)info->port : port, w->cfg.threads, w->cfg.db_path);
    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    log_info(NULL, "serve: %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");

out:
    if (d)
        MHD_stop_daemon(d);
    store_close(s);
    web_cache_free(w->cache);
    if (key_made) {
        pthread_key_delete(w->store_key);
        pthread_key_delete(w->search_key);
    }
    free(base);
    free(w);
    return rc;
}
