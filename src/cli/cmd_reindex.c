/*
 * cmd_reindex.c - `paperboy reindex [--db FILE] [--index DIR] [--sync]
 *                 [--title-repeat N] [--stem NAME] [--stop NAME] [--quiet]`
 *
 * Rebuilds the lexical index from the store (every paper, then one merged
 * segment), or with --sync adds only what changed since the last build or
 * sync (rebuilding when the index is missing, corrupt or stale). The index
 * directory defaults to the database file's directory + "/index". Prints
 * one summary line: documents, time, rate, size. Exit status 0, or 1 on
 * failure, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "index/sync.h"
#include "search/search.h"
#include "store/store.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"index", "DIR", "index directory (default: the database's directory + /index)"},
    {"sync", NULL, "add only papers changed since the last run"},
    {"title-repeat", "N", "title copies in the body field, 0..8 (default 1)"},
    {"stem", "NAME", "stemmer: english (default), porter, none"},
    {"stop", "NAME", "stopwords: snowball (default), lucene, none"},
    {"quiet", NULL, "no progress line"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--index DIR] [--sync] [--title-repeat N] [--stem NAME] "
                            "[--stop NAME] [--quiet]\n\n"
                            "Rebuilds the search index from the database (or, with --sync, "
                            "updates it).";

int cmd_reindex(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("reindex", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy reindex: unexpected argument '%s'\n", a.pos[0]);
        cli_usage(stderr, "reindex", usage, opts, N_OPTS);
        return 2;
    }
    struct index_opts io;
    index_opts_default(&io);
    long tr;
    if (cli_get_long(&a, opts, N_OPTS, "title-repeat", 1, 0, 8, &tr))
        return 2;
    io.title_repeat = (int)tr;
    const char *stem = cli_get(&a, opts, N_OPTS, "stem", "english");
    const char *stop = cli_get(&a, opts, N_OPTS, "stop", "snowball");
    if (text_stem_parse(stem, &io.analyzer.stem) || text_stop_parse(stop, &io.analyzer.stop)) {
        fprintf(stderr, "paperboy reindex: unknown --stem '%s' or --stop '%s'\n", stem, stop);
        return 2;
    }
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    char dir_def[4096];
    if (search_index_dir(db, dir_def, sizeof dir_def) != 0) {
        fprintf(stderr, "paperboy reindex: database path too long\n");
        return 2;
    }
    const char *dir = cli_get(&a, opts, N_OPTS, "index", dir_def);
    int sync = cli_get(&a, opts, N_OPTS, "sync", NULL) != NULL;
    int quiet = cli_get(&a, opts, N_OPTS, "quiet", NULL) != NULL;
    FILE *progress = !quiet && isatty(2) ? stderr : NULL;

    struct store *st = NULL;
    rc = store_open(db, 0, &st);
    if (rc) {
        fprintf(stderr, "paperboy reindex: cannot open database %s: %s\n", db, err_str(rc));
        return 1;
    }
    double t0 = time_mono();
    struct index *ix = NULL;
    int64_t n = 0;
    const char *what = "rebuilt";
    if (sync) {
        rc = index_open(dir, &ix);
        if (rc == 0) {
            rc = index_sync(ix, st, &n);
            what = "synced";
            if (rc == ERR_CORRUPT) {
                fprintf(stderr, "paperboy reindex: index %s is stale for this database: "
                                "rebuilding\n", dir);
                index_close(ix);
                ix = NULL;
            }
        } else if (rc == ERR_NOT_FOUND || rc == ERR_CORRUPT || rc == ERR_UNSUPPORTED) {
            fprintf(stderr, "paperboy reindex: index %s: %s: rebuilding\n", dir, err_str(rc));
        }
        if (ix == NULL)
            rc = -1;
    }
    if (!ix && (rc == -1 || !sync)) {
        what = "rebuilt";
        rc = index_reindex(st, dir, &io, progress, &ix, &n);
    }
    int status = 0;
    if (rc) {
        fprintf(stderr, "paperboy reindex: %s: %s (%s)\n", dir, err_str(rc), store_errmsg(st));
        status = 1;
    } else {
        double dt = time_mono() - t0;
        struct index_snapshot *s = index_snapshot_acquire(ix);
        struct index_stats stt;
        index_snapshot_stats(s, &stt);
        index_snapshot_release(s);
        fprintf(stderr,
                "reindex: %s %s: %lld papers indexed in %.1f s (%.0f/s); %lld documents, "
                "%d segment(s), %.1f MiB\n",
                what, dir, (long long)n, dt, dt > 0 ? (double)n / dt : 0.0,
                (long long)stt.n_live, stt.n_segments, (double)stt.bytes / 1048576.0);
    }
    index_close(ix);
    store_close(st);
    return status;
}
