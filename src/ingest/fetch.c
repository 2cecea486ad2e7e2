/*
 * fetch.c - HTTP GET over libcurl with caps and timeouts (see fetch.h).
 *
 * One CURL easy handle per struct fetch, reused between requests so curl
 * keeps the connection alive. The write callback appends to the response's
 * capped buffer and stops the transfer (by returning a short count) when
 * the cap is crossed; CURLOPT_MAXFILESIZE_LARGE stops it even earlier when
 * the server announces a Content-Length over the cap. The header callback
 * keeps the Retry-After value of the last response only: a new status line
 * (after a redirect or a 100 Continue) forgets what came before.
 */
#include "ingest/fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Header values longer than this are not a Retry-After we can use. */
#define RETRY_AFTER_MAX 256
/* Upper bound on a parsed wait (about 31 years): keeps arithmetic in range. */
#define RETRY_AFTER_CAP 1000000000L

struct fetch {
    CURL *curl;
    struct fetch_opts o;
};

/* The state of one transfer, handed to the callbacks. */
struct xfer {
    struct fetch_resp *r;
    int too_large;
};

void fetch_resp_init(struct fetch_resp *r)
{
    r->status = 0;
    buf_init(&r->body, FETCH_DEFAULT_MAX_BODY);
    r->retry_after = NULL;
    r->error[0] = '\0';
}

void fetch_resp_cleanup(struct fetch_resp *r)
{
    buf_cleanup(&r->body);
    free(r->retry_after);
    r->retry_after = NULL;
    r->status = 0;
    r->error[0] = '\0';
}

int fetch_new(const struct fetch_opts *o, struct fetch **out)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ERR_IO;
    CURL *c = curl_easy_init();
    if (!c) {
        curl_global_cleanup();
        return ERR_IO;
    }
    struct fetch *f = xcalloc(1, sizeof *f);
    f->curl = c;
    if (o)
        f->o = *o;
    if (!f->o.user_agent)
        f->o.user_agent = FETCH_USER_AGENT;
    if (!f->o.max_body)
        f->o.max_body = FETCH_DEFAULT_MAX_BODY;
    if (f->o.connect_timeout_s <= 0)
        f->o.connect_timeout_s = 30;
    if (f->o.low_speed_time_s <= 0)
        f->o.low_speed_time_s = 60;
    if (f->o.total_timeout_s <= 0)
        f->o.total_timeout_s = 1800;
    if (f->o.max_redirs <= 0)
        f->o.max_redirs = 5;
    *out = f;
    return 0;
}

void fetch_free(struct fetch *f)
{
    if (!f)
        return;
    curl_easy_cleanup(f->curl);
    free(f);
    curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    if (buf_append(&x->r->body, p, len) != 0) {
        x->too_large = 1;
        return 0; /* a short count makes curl stop with CURLE_WRITE_ERROR */
    }
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct xfer *x = ud;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        free(x->r->retry_after); /* a new response: forget the previous one's */
        x->r->retry_after = NULL;
    } else if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1, *end = p + len;
        while (v < end && isspace((unsigned char)*v))
            v++;
        while (end > v && isspace((unsigned char)end[-1]))
            end--;
        if ((size_t)(end - v) <= RETRY_AFTER_MAX) {
            free(x->r->retry_after);
            x->r->retry_after = xstrndup(v, (size_t)(end - v));
        }
    }
    return len;
}

static int code_from_curl(CURLcode cc)
{
    switch (cc) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return ERR_TIMEOUT;
    case CURLE_FILESIZE_EXCEEDED:
        return ERR_TOO_LARGE;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return ERR_INVALID;
    default:
        return ERR_NET;
    }
}

int fetch_get(struct fetch *f, const char *url, struct fetch_resp *r)
{
    struct xfer x = {r, 0};
    char errbuf[CURL_ERROR_SIZE];
    CURL *c = f->curl;

    buf_reset(&r->body);
    r->body.max = f->o.max_body;
    free(r->retry_after);
    r->retry_after = NULL;
    r->status = 0;
    r->error[0] = '\0';
    errbuf[0] = '\0';

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, f->o.user_agent);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, f->o.max_redirs);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, f->o.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, f->o.low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, f->o.total_timeout_s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_body);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: safe in threads */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);

    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    r->status = status;
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL); /* errbuf leaves scope */

    int rc = code_from_curl(cc);
    if (x.too_large)
        rc = ERR_TOO_LARGE;
    if (rc == ERR_TOO_LARGE)
        snprintf(r->error, sizeof r->error, "response body over %zu bytes", f->o.max_body);
    else if (rc != 0)
        snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Pure helpers                                                             */
/* ------------------------------------------------------------------------ */

int fetch_url_escape(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            rc = buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = buf_append(b, e, 3);
        }
    }
    return rc;
}

int fetch_retry_after(const char *v, int64_t now, long *secs)
{
    if (!v)
        return ERR_PARSE;
    size_t len = strlen(v);
    while (len && isspace((unsigned char)v[len - 1]))
        len--;
    while (len && isspace((unsigned char)*v)) {
        v++;
        len--;
    }
    if (len == 0)
        return ERR_PARSE;
    size_t i = 0;
    while (i < len && isdigit((unsigned char)v[i]))
        i++;
    if (i == len) {
        long n = 0;
        for (i = 0; i < len; i++) {
            n = n * 10 + (v[i] - '0');
            if (n > RETRY_AFTER_CAP) {
                n = RETRY_AFTER_CAP;
                break;
            }
        }
        *secs = n;
        return 0;
    }
    int64_t t;
    if (time_parse(v, len, &t) != 0)
        return ERR_PARSE;
    int64_t d = t - now;
    *secs = d < 0 ? 0 : d > RETRY_AFTER_CAP ? RETRY_AFTER_CAP : (long)d;
    return 0;
}

double fetch_backoff(int attempt, double base, double cap)
{
    if (base <= 0)
        return 0;
    if (attempt < 1)
        attempt = 1;
    double w = base;
    for (int i = 1; i < attempt && w < cap; i++)
        w *= 2;
    return w > cap ? cap : w;
}
