/*
 * harvest.c - the OAI-PMH harvester (see harvest.h for the protocol, the
 * retry policy and the saved state).
 *
 * Structure: harvest_run() loads the saved state and decides where to
 * start; the loop builds each page's URL, fetch_page() downloads it with
 * retries until it is a readable OAI-PMH document, store_page() sends its
 * records through the pipeline and commits, and the token is saved. A page
 * is parsed twice: first into a sink that stores nothing (so that a page
 * damaged halfway never sends half its records to the store, and the
 * retry does not count them twice), then into the pipeline.
 */
#include "ingest/harvest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/fetch.h"
#include "ingest/input.h"
#include "ingest/oai.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Caps on what we build from outside text (URLs, keys, saved state). */
#define URL_MAX 16384

struct harvester {
    struct store *s;
    const struct harvest_opts *o;
    struct harvest_result *res;
    struct fetch *f;
    struct fetch_resp resp;
    struct ingest_pipeline *pl;
    long requests; /* requests made so far: the first is not delayed */
};

/* ------------------------------------------------------------------------ */
/* Pure helpers                                                             */
/* ------------------------------------------------------------------------ */

void harvest_opts_init(struct harvest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->url = HARVEST_DEFAULT_URL;
    o->prefix = HARVEST_DEFAULT_PREFIX;
    o->delay = 3.0;
    o->max_retries = 5;
    o->max_wait = 600.0;
    o->backoff_max = 300.0;
}

/* Appends "&name=value" (or "?name=value" first) when value is set. */
static int add_param(struct buf *b, int *first, const char *name, const char *value)
{
    if (!value || !*value)
        return 0;
    int rc = buf_append_str(b, *first ? "?" : "&");
    *first = 0;
    if (rc == 0)
        rc = buf_append_str(b, name);
    if (rc == 0)
        rc = buf_append_str(b, "=");
    if (rc == 0)
        rc = fetch_url_escape(b, value);
    return rc;
}

int harvest_url(struct buf *b, const char *base, const char *prefix, const char *set,
                const char *from, const char *until, const char *token)
{
    int first = strchr(base, '?') == NULL;
    int rc = buf_append_str(b, base);
    if (rc == 0)
        rc = add_param(b, &first, "verb", "ListRecords");
    if (token && *token) {
        if (rc == 0)
            rc = add_param(b, &first, "resumptionToken", token);
        return rc;
    }
    if (rc == 0)
        rc = add_param(b, &first, "metadataPrefix", prefix);
    if (rc == 0)
        rc = add_param(b, &first, "set", set);
    if (rc == 0)
        rc = add_param(b, &first, "from", from);
    if (rc == 0)
        rc = add_param(b, &first, "until", until);
    return rc;
}

int harvest_state_key(struct buf *b, const char *url, const char *set, const char *prefix,
                      const char *what)
{
    return buf_appendf(b, "harvest|%s|%s|%s|%s", url, set ? set : "", prefix, what);
}

/* ------------------------------------------------------------------------ */
/* Saved state                                                              */
/* ------------------------------------------------------------------------ */

/* Reads state WHAT into *value (NULL when absent). */
static int state_get(struct harvester *h, const char *what, char **value)
{
    struct buf k;
    buf_init(&k, URL_MAX);
    int rc = harvest_state_key(&k, h->o->url, h->o->set, h->o->prefix, what);
    char *v = NULL;
    if (rc == 0)
        rc = store_state_get(h->s, buf_cstr(&k), &v);
    if (rc == ERR_NOT_FOUND) {
        rc = 0;
        v = NULL;
    }
    buf_cleanup(&k);
    if (rc == 0)
        *value = v;
    else
        log_error(NULL, "harvest: cannot read saved state: %s", err_str(rc));
    return rc;
}

/* Writes state WHAT (value NULL deletes it). */
static int state_put(struct harvester *h, const char *what, const char *value)
{
    struct buf k;
    buf_init(&k, URL_MAX);
    int rc = harvest_state_key(&k, h->o->url, h->o->set, h->o->prefix, what);
    if (rc == 0)
        rc = value ? store_state_set(h->s, buf_cstr(&k), value)
                   : store_state_del(h->s, buf_cstr(&k));
    if (rc == ERR_NOT_FOUND && !value)
        rc = 0;
    if (rc)
        log_error(NULL, "harvest: cannot save state '%s': %s (%s)", buf_cstr(&k), err_str(rc),
                  store_errmsg(h->s));
    buf_cleanup(&k);
    return rc;
}

/* The parameters part of a run record: "from=F\nuntil=U\n". */
static void run_params(struct buf *b, const char *from, const char *until)
{
    buf_reset(b);
    buf_appendf(b, "from=%s\nuntil=%s\n", from ? from : "", until ? until : "");
}

/* The started= value of a saved run record, copied, or NULL. */
static char *run_started(const char *run)
{
    const char *p = strstr(run, "\nstarted=");
    if (!p)
        return NULL;
    p += strlen("\nstarted=");
    return xstrndup(p, strcspn(p, "\n"));
}

/* ------------------------------------------------------------------------ */
/* Fetching and storing pages                                               */
/* ------------------------------------------------------------------------ */

static void sleep_s(double secs)
{
    if (secs <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int check_record(void *ctx, const struct ingest_record *rec)
{
    (void)ctx;
    (void)rec;
    return 0;
}

static void check_error(void *ctx, long where, const char *reason)
{
    (void)ctx;
    (void)where;
    (void)reason;
}

/* Parses the body of h->resp as an OAI-PMH page into sink and *pg. */
static int parse_body(struct harvester *h, const char *url, const struct ingest_sink *sink,
                      struct oai_page *pg)
{
    struct ingest_input *in = NULL;
    const char *p = h->resp.body.p ? h->resp.body.p : "";
    int rc = ingest_input_mem(url, p, h->resp.body.len, &in);
    if (rc == 0)
        rc = oai_read_page(in, sink, pg);
    if (in)
        ingest_input_close(in);
    return rc;
}

/* Downloads url into h->resp until it is a readable OAI-PMH response, with
 * the waits and retries of harvest.h. Returns 0, or the code of the last
 * failure once the retries are spent (after logging it). */
static int fetch_page(struct harvester *h, const char *url)
{
    const struct harvest_opts *o = h->o;
    double base = o->delay > 0 ? o->delay : 1.0;
    double wait = h->requests > 0 ? o->delay : 0;
    int attempt = 0;
    for (;;) {
        sleep_s(wait);
        h->requests++;
        char why[512];
        int rc = fetch_get(h->f, url, &h->resp);
        long status = h->resp.status;
        int honoured = 0;
        why[0] = '\0';
        if (rc == ERR_NET || rc == ERR_TIMEOUT) {
            snprintf(why, sizeof why, "%s", h->resp.error);
        } else if (rc) {
            log_error(NULL, "harvest: %s: %s", url, h->resp.error);
            return rc;
        } else if (status == 503 || status == 429) {
            long secs;
            rc = ERR_NET;
            if (h->resp.retry_after &&
                fetch_retry_after(h->resp.retry_after, time_now(), &secs) == 0) {
                wait = (double)secs < o->max_wait ? (double)secs : o->max_wait;
                honoured = 1;
                snprintf(why, sizeof why, "HTTP %ld, Retry-After: %s", status, h->resp.retry_after);
            } else {
                snprintf(why, sizeof why, "HTTP %ld", status);
            }
        } else if (status >= 500) {
            rc = ERR_NET;
            snprintf(why, sizeof why, "HTTP %ld", status);
        } else {
            /* 2xx, or a 4xx that may carry an OAI-PMH error: read it. */
            struct oai_page pg;
            struct ingest_sink sink = {check_record, check_error, NULL};
            oai_page_init(&pg);
            rc = parse_body(h, url, &sink, &pg);
            int usable = rc == 0 && (status == 200 || pg.error_code != NULL);
            oai_page_cleanup(&pg);
            if (usable)
                return 0;
            if (status != 200) {
                log_error(NULL, "harvest: %s: HTTP %ld", url, status);
                return ERR_NET;
            }
            if (rc == 0)
                rc = ERR_PARSE;
            snprintf(why, sizeof why, "not a readable OAI-PMH response (%s, %zu bytes)",
                     err_str(rc), h->resp.body.len);
        }
        attempt++;
        if (attempt > o->max_retries) {
            log_error(NULL, "harvest: giving up on %s after %d %s: %s", url, o->max_retries,
                      o->max_retries == 1 ? "retry" : "retries", why);
            return rc;
        }
        h->res->retries++;
        if (!honoured)
            wait = fetch_backoff(attempt, base, o->backoff_max);
        if (wait < o->delay)
            wait = o->delay;
        log_warn(NULL, "harvest: %s: %s; retry %d of %d in %.2f s", url, why, attempt,
                 o->max_retries, wait);
    }
}

/* ------------------------------------------------------------------------ */
/* The harvest                                                              */
/* ------------------------------------------------------------------------ */

/* The "YYYY-MM-DD" of an OAI-PMH responseDate (or of now, when it is
 * missing or unreadable) into day (11 bytes). */
static void response_day(const char *date, char *day)
{
    int64_t t;
    if (!date || time_parse(date, strlen(date), &t) != 0)
        t = time_now();
    time_format_day(t, day);
}

int harvest_run(struct store *s, const struct harvest_opts *o, struct harvest_result *res)
{
    struct harvester h;
    struct buf url, params;
    struct oai_page pg;
    char *done = NULL, *saved_token = NULL, *saved_run = NULL;
    char *token = NULL;   /* the token of the next page; NULL for the first */
    char *started = NULL; /* responseDate of this list's first page */
    const char *from = o->from;
    int rc = 0;

    memset(res, 0, sizeof *res);
    res->list_size = -1;
    memset(&h, 0, sizeof h);
    h.s = s;
    h.o = o;
    h.res = res;
    fetch_resp_init(&h.resp);
    buf_init(&url, URL_MAX);
    buf_init(&params, URL_MAX);
    oai_page_init(&pg);

    if (!o->url || !*o->url || !o->prefix || !*o->prefix) {
        log_error(NULL, "harvest: a URL and a metadataPrefix are needed");
        rc = ERR_INVALID;
        goto out;
    }

    /* Where to start: a saved token of the same harvest, else from. */
    if (rc == 0)
        rc = state_get(&h, "done", &done);
    if (rc == 0)
        rc = state_get(&h, "token", &saved_token);
    if (rc == 0)
        rc = state_get(&h, "run", &saved_run);
    if (rc)
        goto out;
    if (!from && done && *done)
        from = done;
    if (from)
        snprintf(res->from, sizeof res->from, "%s", from);
    run_params(&params, from, o->until);
    if (saved_token && *saved_token && saved_run &&
        strncmp(saved_run, buf_cstr(&params), params.len) == 0) {
        token = saved_token;
        saved_token = NULL;
        started = run_started(saved_run);
        res->resumed = 1;
        log_info(NULL,
                 "harvest: resuming an interrupted harvest (from %s) at its saved resumption token",
                 from ? from : "the beginning");
    } else if (saved_token || saved_run) {
        if (saved_token && *saved_token)
            log_info(NULL,
                     "harvest: dropping the saved resumption token of a harvest with other dates");
        rc = state_put(&h, "token", NULL);
        if (rc == 0)
            rc = state_put(&h, "run", NULL);
        if (rc)
            goto out;
    }

    rc = fetch_new(NULL, &h.f);
    if (rc) {
        log_error(NULL, "harvest: cannot initialise libcurl");
        goto out;
    }
    rc = ingest_pipeline_new(s, 100000, NULL, &h.pl);
    if (rc) {
        log_error(NULL, "harvest: cannot start the ingest pipeline: %s", err_str(rc));
        goto out;
    }

    for (;;) {
        buf_reset(&url);
        rc = harvest_url(&url, o->url, o->prefix, o->set, from, o->until, token);
        if (rc) {
            log_error(NULL, "harvest: request URL too long");
            break;
        }
        rc = fetch_page(&h, buf_cstr(&url));
        if (rc)
            break;

        oai_page_cleanup(&pg);
        oai_page_init(&pg);
        ingest_pipeline_set_source(h.pl, buf_cstr(&url));
        rc = parse_body(&h, buf_cstr(&url), ingest_pipeline_sink(h.pl), &pg);
        if (rc) {
            log_error(NULL, "harvest: %s: storing the page failed: %s", buf_cstr(&url),
                      err_str(rc));
            break;
        }
        if (pg.error_code && strcmp(pg.error_code, "badResumptionToken") == 0 && token &&
            !res->restarted) {
            log_warn(NULL,
                     "harvest: the server does not know the resumption token any more (%s); "
                     "starting the list again from %s",
                     pg.error_message ? pg.error_message : "badResumptionToken",
                     from ? from : "the beginning");
            free(token);
            token = NULL;
            free(started);
            started = NULL;
            res->restarted = 1;
            rc = state_put(&h, "token", NULL);
            if (rc)
                break;
            continue;
        }
        if (pg.error_code && strcmp(pg.error_code, "noRecordsMatch") != 0) {
            log_error(NULL, "harvest: %s: the server answered OAI-PMH error %s: %s", buf_cstr(&url),
                      pg.error_code, pg.error_message ? pg.error_message : "");
            rc = ERR_NET;
            break;
        }
        rc = ingest_pipeline_flush(h.pl);
        if (rc) {
            log_error(NULL, "harvest: committing a page failed: %s (%s)", err_str(rc),
                      store_errmsg(s));
            break;
        }
        if (!started)
            started = xstrdup(pg.response_date ? pg.response_date : "");
        if (pg.error_code) { /* noRecordsMatch: an empty list */
            if (res->pages == 0 && !token)
                res->no_records = 1;
        } else {
            res->pages++;
            res->records += pg.records;
            res->deleted += pg.deleted;
            if (pg.complete_size >= 0)
                res->list_size = pg.complete_size;
            if (o->progress) {
                char size[32] = "?";
                if (res->list_size >= 0)
                    snprintf(size, sizeof size, "%ld", res->list_size);
                fprintf(o->progress,
                        "harvest: page %ld: %ld records, %ld deleted; %ld so far, list size %s\n",
                        res->pages, pg.records, pg.deleted, res->records + res->deleted, size);
                fflush(o->progress);
            }
        }
        if (!pg.error_code && pg.token && *pg.token) {
            if (token && strcmp(token, pg.token) == 0) {
                log_error(NULL,
                          "harvest: %s: the server sent the same resumption token again; "
                          "stopping rather than looping",
                          buf_cstr(&url));
                rc = ERR_NET;
                break;
            }
            free(token);
            token = xstrdup(pg.token);
            buf_reset(&params);
            run_params(&params, from, o->until);
            buf_appendf(&params, "started=%s\n", started);
            rc = state_put(&h, "run", buf_cstr(&params));
            if (rc == 0)
                rc = state_put(&h, "token", token);
            if (rc)
                break;
            continue;
        }

        /* The list is complete. */
        char day[11];
        if (o->until && *o->until)
            snprintf(day, sizeof day, "%s", o->until);
        else
            response_day(started, day);
        rc = state_put(&h, "done", day);
        if (rc == 0)
            rc = state_put(&h, "token", NULL);
        if (rc == 0)
            rc = state_put(&h, "run", NULL);
        if (rc == 0)
            res->complete = 1;
        break;
    }

out:
    if (h.pl) {
        ingest_pipeline_stats(h.pl, &res->stats);
        ingest_pipeline_free(h.pl);
    }
    fetch_free(h.f);
    fetch_resp_cleanup(&h.resp);
    oai_page_cleanup(&pg);
    buf_cleanup(&url);
    buf_cleanup(&params);
    free(done);
    free(saved_token);
    free(saved_run);
    free(token);
    free(started);
    return rc;
}
