/*
 * web.h - the web app: HTML pages, the JSON API, Atom feeds, health and
 * metrics, served over HTTP/1.1 by libmicrohttpd.
 *
 * `paperboy serve` fills a struct web_config and calls web_serve(), which
 * runs until SIGINT or SIGTERM. The server is a libmicrohttpd daemon with
 * an internal thread pool (one epoll loop per pool thread); each pool thread
 * opens its own store connection on first use (struct store is per thread).
 * Everything about the HTTP side (routing, templates, escaping, caching,
 * compression, limits) lives in src/web/ and is described in web_int.h.
 */
#ifndef PAPERBOY_WEB_WEB_H
#define PAPERBOY_WEB_WEB_H

#include <stddef.h>
#include <stdio.h>

struct vectors_queue;

struct web_config {
    const char *db_path;  /* the store (created if missing) */
    const char *listen;   /* "HOST:PORT", numeric IPv4 or [IPv6] */
    const char *base_url; /* absolute URL of the site for feeds; NULL:
                           * "http://" + listen */
    unsigned threads;     /* pool threads; 0 = number of online CPUs */
    unsigned max_conns;   /* total connection limit (0 = 1024) */
    unsigned max_per_ip;  /* connections per client IP (0 = no limit) */
    unsigned timeout_s;   /* idle connection timeout (0 = 15) */
    unsigned cache_ttl_s; /* rendered-page micro-cache lifetime; 0 = off */
    int quiet;            /* no per-request log lines */
    /* serve's embedding queue (search/vectors_queue.h), or NULL: its
     * numbers go to /metrics, and a thread reopens its vectors soon after
     * the queue committed new ones. Borrowed; outlives web_serve(). */
    const struct vectors_queue *vectors_queue;
};

/* Fills cfg with the defaults above (db_path and listen included). */
void web_config_defaults(struct web_config *cfg);

/* Serves until SIGINT/SIGTERM. Returns 0 after a clean shutdown,
 * ERR_INVALID for a bad listen address, ERR_IO when the port cannot be
 * bound or the store cannot be opened (after logging why). */
int web_serve(const struct web_config *cfg);

/* Prints the route table, one "NAME PATTERN KIND" line per route, to f:
 * used by the tests that check the OpenAPI document against the router. */
void web_routes_print(FILE *f);

#endif
