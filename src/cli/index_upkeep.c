/*
 * index_upkeep.c - keeping the lexical index current after a command wrote
 * to the store (ingest, harvest).
 *
 * The index is derived from the store (DESIGN.md): after new papers land,
 * the index beside the database is synced (only the papers changed since
 * the last sync are indexed), built when missing, rebuilt when corrupt or
 * stale, and its small segments merged when there are too many. A failure
 * here never undoes what was stored: it is reported and `paperboy reindex`
 * can finish the job.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "index/sync.h"
#include "search/search.h"
#include "util/err.h"
#include "util/timeutil.h"

int cli_index_upkeep(struct store *st, const char *db, FILE *progress, int quiet)
{
    char dir[4096];
    if (search_index_dir(db, dir, sizeof dir) != 0) {
        fprintf(stderr, "paperboy: index directory for %s: path too long\n", db);
        return ERR_TOO_LARGE;
    }
    double t0 = time_mono();
    struct index *ix = NULL;
    int rc = index_open_synced(st, dir, NULL, progress, &ix);
    if (rc == 0)
        rc = index_merge(ix, 0, NULL);
    if (rc) {
        fprintf(stderr,
                "paperboy: the papers are stored, but updating the search index %s failed: %s "
                "(run `paperboy reindex`)\n",
                dir, err_str(rc));
    } else if (!quiet) {
        fprintf(stderr, "index: %s up to date (%.1f s)\n", dir, time_mono() - t0);
    }
    index_close(ix);
    return rc;
}
