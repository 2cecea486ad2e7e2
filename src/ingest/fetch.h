/*
 * fetch.h - HTTP GET with libcurl, capped and bounded in time, plus the
 * small pure pieces of a polite retry policy.
 *
 * Only ingest/ uses libcurl for HTTP (mail/ uses it for SMTP); this module
 * is the one place that does, so the harvester and any other downloader
 * share one set of limits:
 *   - the body goes into a struct buf with a hard cap (default 256 MiB);
 *     a larger body is ERR_TOO_LARGE (curl stops reading at once when the
 *     server announces the size, else when the cap is crossed);
 *   - redirects are followed, at most 5, http/https only;
 *   - a connect timeout (30 s), a low-speed timeout (under 1 byte/s for
 *     60 s aborts) and an overall timeout (30 min) so that a stuck server
 *     cannot hang the caller;
 *   - Accept-Encoding offers what curl can decode (the cap applies to the
 *     decoded bytes, so a compression bomb is still bounded);
 *   - User-Agent "paperboy/0.1 (+self-hosted)" unless told otherwise.
 *
 * A fetch handle keeps one curl easy handle so that connections are reused
 * between requests to the same server. It is not shared between threads.
 *
 * Retry policy helpers (pure, for unit tests): fetch_retry_after() reads a
 * Retry-After header (RFC 9110 10.2.3: delay-seconds or an HTTP-date), and
 * fetch_backoff() gives a bounded exponential wait: base * 2^(attempt-1),
 * at most cap.
 */
#ifndef PAPERBOY_INGEST_FETCH_H
#define PAPERBOY_INGEST_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define FETCH_USER_AGENT "paperboy/0.1 (+self-hosted)"
#define FETCH_DEFAULT_MAX_BODY ((size_t)256 << 20)

/* Limits; a zero field takes the default named in the comment. */
struct fetch_opts {
    const char *user_agent; /* NULL: FETCH_USER_AGENT */
    size_t max_body;        /* 0: FETCH_DEFAULT_MAX_BODY */
    long connect_timeout_s; /* 0: 30 */
    long low_speed_time_s;  /* 0: 60 (abort when under 1 byte/s this long) */
    long total_timeout_s;   /* 0: 1800 */
    long max_redirs;        /* 0: 5 */
};

/* One response. The caller initialises it with fetch_resp_init() and frees
 * it with fetch_resp_cleanup(); fetch_get() resets it on every call. */
struct fetch_resp {
    long status;       /* HTTP status of the final response; 0 when none came */
    struct buf body;   /* the body (capped) */
    char *retry_after; /* the final response's Retry-After value, or NULL (owned) */
    char error[256];   /* why fetch_get() failed ("" when it did not) */
};

void fetch_resp_init(struct fetch_resp *r);
void fetch_resp_cleanup(struct fetch_resp *r);

struct fetch;

/* Creates a handle with the limits in o (NULL: all defaults; o is copied,
 * but user_agent is borrowed and must outlive the handle). ERR_IO when
 * libcurl cannot be initialised. Free with fetch_free(). */
int fetch_new(const struct fetch_opts *o, struct fetch **out /* OUT */);
/* Frees the handle and closes its connections; NULL does nothing. */
void fetch_free(struct fetch *f);

/* GETs url into r. Returns 0 when a response arrived, whatever its status
 * (look at r->status); ERR_TOO_LARGE when the body passed the cap;
 * ERR_TIMEOUT when a timeout fired; ERR_INVALID for a URL curl refuses
 * (malformed, or not http/https); ERR_NET for any other transport failure
 * (cannot resolve or connect, connection dropped mid-response, TLS, ...).
 * On failure r->error says why and r->body holds what arrived. Unlike the
 * usual out-parameter rule, r is written in every case: it is the caller's
 * diagnostic record of the attempt. */
int fetch_get(struct fetch *f, const char *url, struct fetch_resp *r);

/* Appends s to b percent-encoded for a URL query value: RFC 3986
 * unreserved characters (A-Z a-z 0-9 - . _ ~) stay, every other byte
 * becomes %XX. Returns buf_append's code (ERR_TOO_LARGE past b's cap). */
int fetch_url_escape(struct buf *b, const char *s);

/* Parses a Retry-After value: delay-seconds ("120") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", read as RFC 2822 by time_parse()).
 * now is the current epoch second (for the date form). Writes the wait in
 * seconds, never negative (a date in the past is 0) and at most
 * 1000000000, to *secs. ERR_PARSE when v is neither form. */
int fetch_retry_after(const char *v, int64_t now, long *secs /* OUT */);

/* The wait before retry number attempt (1-based): base * 2^(attempt-1)
 * seconds, never more than cap (and cap when attempt is huge). attempt < 1
 * is treated as 1; base <= 0 gives 0. */
double fetch_backoff(int attempt, double base, double cap);

#endif
