/*
 * cmd_harvest.c - `paperboy harvest`: fetch arXiv's OAI-PMH list into the
 * store (ingest/harvest.h does the work; this file parses options and
 * prints the summary).
 *
 * Progress (one line per page), errors and the summary go to stderr, as
 * for `paperboy ingest`:
 *   harvest: 4 pages, 8 records, 2 deleted: 8 added, 0 updated,
 *   0 unchanged, 0 failed; 3 retries; 2.1 s        (one line)
 * Exit status: 0 when the list was read to its end with no failed record,
 * 1 when the harvest stopped or some records failed, 2 on a usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "ingest/harvest.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "the database (default " CLI_DEFAULT_DB ")"},
    {"url", "URL", "the OAI-PMH endpoint (default " HARVEST_DEFAULT_URL ")"},
    {"set", "SPEC", "harvest only this set, e.g. cs or physics:hep-th"},
    {"from", "YYYY-MM-DD",
     "records changed on or after this day (default: where the last "
     "complete harvest ended)"},
    {"until", "YYYY-MM-DD", "records changed on or before this day"},
    {"prefix", "FORMAT", "metadataPrefix: arXivRaw (default) or arXiv"},
    {"delay", "SECONDS", "wait between requests (default 3, as arXiv asks)"},
    {"max-retries", "N", "retries of one request before giving up (default 5)"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[options]";

/* Reads a day option; 2 (after a message) when it is not YYYY-MM-DD. */
static int get_day(const struct cli_args *a, const char *name, const char **out)
{
    const char *v = cli_get(a, opts, N_OPTS, name, NULL);
    int64_t t;
    if (v && time_parse_day(v, &t) != 0) {
        fprintf(stderr, "paperboy harvest: --%s must be a day YYYY-MM-DD, not '%s'\n", name, v);
        return 2;
    }
    *out = v;
    return 0;
}

/* Leaves the outcome where the web app's empty page can tell a newcomer why
 * there are no papers (STORE_STATE_HARVEST_FAILURE in store.h): set when a
 * harvest stops, cleared when one completes. Best effort: a store that
 * cannot take the note has bigger problems, reported elsewhere. */
static void note_outcome(struct store *s, const struct harvest_opts *o, int rc)
{
    if (rc == 0) {
        store_state_del(s, STORE_STATE_HARVEST_FAILURE);
        return;
    }
    char now[24];
    time_format_iso(time_now(), now);
    struct buf b;
    buf_init(&b, 4096);
    buf_appendf(&b, "%s|%s: %s", now, o->url ? o->url : "", err_str(rc));
    store_state_set(s, STORE_STATE_HARVEST_FAILURE, buf_cstr(&b));
    buf_cleanup(&b);
}

int cmd_harvest(int argc, char **argv)
{
    struct cli_args a;
    struct harvest_opts o;
    struct harvest_result res;
    struct store *s = NULL;
    long retries;

    int rc = cli_args_parse("harvest", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : 2;
    if (a.n_pos) {
        fprintf(stderr, "paperboy harvest: unexpected argument '%s'\n", a.pos[0]);
        cli_usage(stderr, "harvest", usage, opts, N_OPTS);
        return 2;
    }
    harvest_opts_init(&o);
    o.url = cli_get(&a, opts, N_OPTS, "url", HARVEST_DEFAULT_URL);
    o.set = cli_get(&a, opts, N_OPTS, "set", NULL);
    o.prefix = cli_get(&a, opts, N_OPTS, "prefix", HARVEST_DEFAULT_PREFIX);
    if (get_day(&a, "from", &o.from) || get_day(&a, "until", &o.until))
        return 2;
    if (o.from && o.until && strcmp(o.from, o.until) > 0) {
        fprintf(stderr, "paperboy harvest: --from %s is after --until %s\n", o.from, o.until);
        return 2;
    }
    const char *delay = cli_get(&a, opts, N_OPTS, "delay", NULL);
    if (delay) {
        char *end;
        errno = 0;
        double d = strtod(delay, &end);
        if (errno || end == delay || *end || !isfinite(d) || d < 0 || d > 3600) {
            fprintf(stderr, "paperboy harvest: --delay must be seconds from 0 to 3600, not '%s'\n",
                    delay);
            return 2;
        }
        o.delay = d;
    }
    if (cli_get_long(&a, opts, N_OPTS, "max-retries", 5, 0, 1000, &retries))
        return 2;
    o.max_retries = (int)retries;
    o.progress = stderr;

    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    rc = store_open(db, 0, &s);
    if (rc) {
        fprintf(stderr, "paperboy harvest: cannot open %s: %s\n", db, err_str(rc));
        return 1;
    }
    double t0 = time_mono();
    rc = harvest_run(s, &o, &res);
    note_outcome(s, &o, rc);
    /* Pages stored before a stop are searchable too. */
    int irc = res.pages > 0 ? cli_index_upkeep(s, db, NULL, 0) : 0;
    store_close(s);

    double dt = time_mono() - t0;
    if (res.no_records)
        fprintf(stderr, "harvest: no records match (from %s%s%s)\n",
                res.from[0] ? res.from : "the beginning", o.until ? " until " : "",
                o.until ? o.until : "");
    fprintf(stderr,
            "harvest: %ld pages, %ld records, %ld deleted: %ld added, %ld updated, "
            "%ld unchanged, %ld failed; %ld retries; %.1f s\n",
            res.pages, res.records, res.deleted, res.stats.added, res.stats.updated,
            res.stats.unchanged, res.stats.failed, res.retries, dt);
    if (rc) {
        fprintf(stderr, "paperboy harvest: stopped: %s; %ld pages stored%s\n", err_str(rc),
                res.pages, res.pages ? ", and running again resumes where it stopped" : "");
        return 1;
    }
    return res.stats.failed || irc ? 1 : 0;
}
