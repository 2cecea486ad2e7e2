/*
 * cmd_embed.c - `paperboy embed [--db FILE] [--batch 32]`: embed every paper
 * that lacks an up-to-date vector.
 *
 * The work is search/vectors_upkeep.h, shared with serve's embedding
 * queue: a plan pass compares every paper's text hash with the stored
 * vectors, then the planned papers (newest first) are embedded in batches,
 * committing after every batch, so an interrupted run loses at most one
 * batch and the next run carries on (resumable, idempotent). A progress
 * line is drawn on stderr when it is a terminal.
 *
 * Files: the model from --models DIR (or $PAPERBOY_MODELS, else
 * <dir of db>/models)/all-MiniLM-L6-v2, the vectors in <dir of db>/vectors
 * (or --vectors DIR). Without the model, semantic features are off: the
 * command says so and exits 1; nothing else changes. While another process
 * (a running `paperboy serve`) writes the vectors, the command says so and
 * exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "search/vectors_upkeep.h"
#include "util/err.h"
#include "util/timeutil.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"batch", "N", "texts per forward pass (default 32)"},
    {"models", "DIR", "models folder (default: models/ beside the database)"},
    {"vectors", "DIR", "vectors folder (default: vectors/ beside the database)"},
    {"threads", "N", "encoder threads (default: all CPUs)"},
    {"quiet", NULL, "no progress line"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--batch N] [--models DIR] [--vectors DIR]";

struct bar {
    int progress;
    double t0, last_draw;
};

static void draw(struct bar *b, size_t done, size_t total, int final)
{
    if (!b->progress)
        return;
    double now = time_mono();
    if (!final && now - b->last_draw < 0.2)
        return;
    b->last_draw = now;
    double el = now - b->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\rembed [%s] %zu/%zu %5.1f papers/s ETA %02d:%02d%s", bar, done, total, rate,
            (int)(eta / 60), (int)eta % 60, final ? "\n" : "");
    fflush(stderr);
}

static int step_fn(void *ctx, const struct vectors_progress *p, size_t total)
{
    draw(ctx, p->next, total, 0);
    return 0;
}

int cmd_embed(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("embed", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos) {
        fprintf(stderr, "paperboy embed: unexpected argument '%s'\n", a.pos[0]);
        return 2;
    }
    long batch = 32, threads = 0;
    if (cli_get_long(&a, opts, N_OPTS, "batch", 32, 1, 1024, &batch) ||
        cli_get_long(&a, opts, N_OPTS, "threads", 0, 0, 64, &threads))
        return 2;
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    struct vectors_upkeep_opts uo = {cli_get(&a, opts, N_OPTS, "models", NULL),
                                     cli_get(&a, opts, N_OPTS, "vectors", NULL), (int)threads, 0,
                                     (size_t)batch};
    struct vectors_upkeep *up = NULL;
    struct vectors_plan pl = {0};
    struct vectors_progress pr = {0};
    char why[1200];
    int status = 1;

    rc = vectors_upkeep_open(db, &uo, &up, why, sizeof why);
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr,
                "paperboy embed: semantic features are off: %s\n"
                "  (install the model with `make model`; lexical search works without it)\n",
                why);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "paperboy embed: cannot load the model: %s\n", why);
        goto out;
    }
    rc = vectors_upkeep_plan(up, -1, NULL, NULL, &pl, why, sizeof why);
    if (rc) {
        fprintf(stderr, "paperboy embed: %s\n", why);
        goto out;
    }
    if (pl.n == 0) {
        printf("embed: all %zu papers have up-to-date vectors\n", pl.checked);
        status = 0;
        goto out;
    }
    struct bar b = {isatty(2) && !cli_get(&a, opts, N_OPTS, "quiet", NULL), time_mono(), 0};
    rc = vectors_upkeep_run(up, &pl, &pr, step_fn, &b, why, sizeof why);
    if (rc) {
        fprintf(stderr, "%spaperboy embed: %s\n", b.progress ? "\n" : "", why);
        if (rc == ERR_BUSY)
            fprintf(stderr, "  (a running `paperboy serve` embeds new papers itself; "
                            "stop it or let it finish)\n");
        goto out;
    }
    draw(&b, pr.next, pl.n, 1);
    double el = time_mono() - b.t0;
    printf("embed: %zu of %zu papers embedded in %.1f s (%.1f papers/s); vectors in %s\n",
           pr.embedded, pl.checked, el, el > 0 ? (double)pr.embedded / el : 0.0,
           vectors_upkeep_dir(up));
    status = 0;
out:
    vectors_plan_cleanup(&pl);
    vectors_upkeep_close(up);
    return status;
}
