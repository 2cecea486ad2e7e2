/*
 * harvest.h - harvesting an OAI-PMH endpoint (arXiv's) into the store.
 *
 * The protocol (OAI-PMH 2.0, http://www.openarchives.org/OAI/openarchivesprotocol.html):
 *   GET URL?verb=ListRecords&metadataPrefix=P[&set=S][&from=D][&until=D]
 * answers the first page and a <resumptionToken>; each next page is
 *   GET URL?verb=ListRecords&resumptionToken=T   (T percent-encoded)
 * until the token is empty or absent. Errors come inside a 200 response as
 * <error code="..."/>: noRecordsMatch (an empty list: done), and
 * badResumptionToken (the server forgot the token: start the list again
 * from the same datestamp). arXivRaw is the default format because it
 * gives every version with its date.
 *
 * Each page is downloaded (fetch.h: capped body, timeouts, redirects),
 * checked (parsed once without storing), then parsed into the ingest
 * pipeline (pipeline.h, the same path as `paperboy ingest`) and committed
 * as one transaction; only then is the page's resumption token saved.
 * A kill at any moment therefore loses at most the page in flight, and a
 * rerun asks for that page again (upserts are idempotent).
 *
 * Politeness and failures: requests are spaced by delay seconds (arXiv
 * asks for 3). HTTP 503/429 with Retry-After waits what the server says
 * (at most max_wait); transient failures (connection refused or dropped,
 * timeout, other 5xx, a body that is not an OAI-PMH document) wait
 * fetch_backoff(attempt, base = delay or 1 s, max = backoff_max). Each
 * request may be retried max_retries times; then the harvest stops with
 * an error naming the URL, keeping everything already committed.
 *
 * Saved state (store_state_*), keys "harvest|URL|SET|PREFIX|WHAT":
 *   WHAT=token  the resumption token of the next page to fetch
 *   WHAT=run    "from=F\nuntil=U\nstarted=R\n": the parameters of the
 *               harvest the token belongs to, and the responseDate of its
 *               first page
 *   WHAT=done   "YYYY-MM-DD": where the next incremental harvest starts.
 *               After a complete list it is the until day when one was
 *               given, else the day of the first page's responseDate
 *               (records changed during the harvest are then fetched
 *               again next time rather than missed).
 * A harvest with no from starts at done. A saved token is used only when
 * the saved run has the same from and until; otherwise it is dropped.
 */
#ifndef PAPERBOY_INGEST_HARVEST_H
#define PAPERBOY_INGEST_HARVEST_H

#include <stdio.h>

#include "ingest/pipeline.h"
#include "store/store.h"
#include "util/buf.h"

#define HARVEST_DEFAULT_URL "https://oaipmh.arxiv.org/oai"
#define HARVEST_DEFAULT_PREFIX "arXivRaw"

struct harvest_opts {
    const char *url;    /* the OAI-PMH base URL (may carry its own ?query) */
    const char *prefix; /* metadataPrefix */
    const char *set;    /* setSpec, or NULL for all */
    const char *from;   /* "YYYY-MM-DD", or NULL: the saved done day, if any */
    const char *until;  /* "YYYY-MM-DD", or NULL */
    double delay;       /* seconds between requests */
    int max_retries;    /* retries per request before giving up */
    double max_wait;    /* cap on a Retry-After wait, seconds */
    double backoff_max; /* cap on a backoff wait, seconds */
    FILE *progress;     /* one line per page, or NULL */
};

/* Fills o with the defaults: arXiv's URL, arXivRaw, no set/from/until,
 * delay 3 s, 5 retries, Retry-After capped at 600 s, backoff at 300 s,
 * no progress output. */
void harvest_opts_init(struct harvest_opts *o);

/* What a harvest did. */
struct harvest_result {
    struct ingest_stats stats; /* the pipeline's counts */
    long pages;                /* pages committed */
    long records;              /* records sent to the store */
    long deleted;              /* deleted records skipped */
    long list_size;            /* the server's completeListSize, -1 if never said */
    long retries;              /* requests retried */
    int resumed;               /* 1 when it went on from a saved token */
    int restarted;             /* 1 when a badResumptionToken made it start again */
    int no_records;            /* 1 when the server answered noRecordsMatch */
    int complete;              /* 1 when the list was read to its end */
    char from[11];             /* the from day used, "" for none */
};

/* Harvests o's list into s (borrowed) as described above. Returns 0 when
 * the list was read to its end (also for noRecordsMatch); otherwise the
 * code of what stopped it, after logging why on stderr: ERR_INVALID (bad
 * options, or a URL curl refuses), ERR_NET (the server kept failing, or
 * answered an OAI-PMH error), ERR_TIMEOUT, ERR_PARSE (pages kept coming
 * malformed), ERR_TOO_LARGE (a page over 256 MiB), ERR_DB. *res is written
 * in every case: it says how far the harvest got. */
int harvest_run(struct store *s, const struct harvest_opts *o, struct harvest_result *res);

/* Appends to b the ListRecords request URL for base: with token (not NULL
 * and not "") only verb and the encoded resumptionToken; else verb,
 * metadataPrefix and the set/from/until given (NULL or "" are left out).
 * Values are percent-encoded. Returns 0 or buf_append's code. */
int harvest_url(struct buf *b, const char *base, const char *prefix, const char *set,
                const char *from, const char *until, const char *token);

/* Appends the state key "harvest|URL|SET|PREFIX|WHAT" to b (SET "" for
 * none). Returns 0 or buf_append's code. */
int harvest_state_key(struct buf *b, const char *url, const char *set, const char *prefix,
                      const char *what);

#endif
