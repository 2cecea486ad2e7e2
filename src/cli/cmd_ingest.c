/*
 * cmd_ingest.c - `paperboy ingest [--db FILE] [--batch N] [--quiet] PATH...`
 *
 * Each PATH's format is detected (ingest/detect.c); records go through the
 * ingest pipeline in batched transactions. A summary line ends the run:
 * added, updated, unchanged, failed. Exit status: 0 when every record of
 * every file was stored, 1 when any record or file failed, 2 on usage
 * errors.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ingest/pipeline.h"
#include "store/store.h"
#include "util/err.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"batch", "N", "records per transaction (default 2000)"},
    {"quiet", NULL, "no progress line"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--batch N] [--quiet] PATH...\n\n"
                            "Reads Kaggle arXiv JSON lines, Hugging Face daily_papers JSON, arXiv "
                            "OAI-PMH XML (arXiv,\narXivRaw) or arXiv API Atom; '-' is stdin; .gz "
                            "files are read directly.";

int cmd_ingest(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("ingest", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos == 0) {
        fprintf(stderr, "paperboy ingest: no input files (use '-' for stdin)\n");
        cli_usage(stderr, "ingest", usage, opts, N_OPTS);
        return 2;
    }
    long batch;
    if (cli_get_long(&a, opts, N_OPTS, "batch", 2000, 1, 1000000, &batch))
        return 2;
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    int quiet = cli_get(&a, opts, N_OPTS, "quiet", NULL) != NULL;

    struct store *s = NULL;
    struct ingest_pipeline *p = NULL;
    int status = 0;
    rc = store_open(db, 0, &s);
    if (rc) {
        fprintf(stderr, "paperboy ingest: cannot open database %s: %s\n", db, err_str(rc));
        return 1;
    }
    FILE *progress = !quiet && isatty(2) ? stderr : NULL;
    ingest_pipeline_new(s, (size_t)batch, progress, &p);
    double t0 = time_mono();
    int files_failed = 0;
    for (size_t i = 0; i < a.n_pos; i++) {
        rc = ingest_pipeline_file(p, a.pos[i]);
        if (rc) {
            files_failed++;
            /* The database itself failed: further files would fail the same
             * way. A bad input file (ERR_IO, ERR_PARSE, ...) only stops itself. */
            if (rc == ERR_DB || rc == ERR_CORRUPT)
                break;
        }
    }
    struct ingest_stats st;
    ingest_pipeline_stats(p, &st);
    double dt = time_mono() - t0;
    long total = st.added + st.updated + st.unchanged;
    fprintf(stderr,
            "ingest: %ld added, %ld updated, %ld unchanged, %ld failed; %ld daily entries; "
            "%.1f s (%.0f records/s)%s\n",
            st.added, st.updated, st.unchanged, st.failed, st.daily, dt,
            dt > 0 ? (double)total / dt : 0.0, files_failed ? "; some files failed" : "");
    if (st.failed || files_failed)
        status = 1;
    ingest_pipeline_free(p);
    p = NULL;
    /* Always, not only when this run changed something: an earlier run that
     * was killed after storing may have left the index behind. */
    if (cli_index_upkeep(s, db, progress, quiet) != 0)
        status = 1;
    store_close(s);
    return status;
}
