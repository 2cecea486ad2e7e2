/*
 * test_vectors_upkeep.c - search/vectors_upkeep (plan + run, shared by
 * `paperboy embed` and serve's queue) and search/vectors_queue (the
 * thread), on a small store in a temporary folder.
 *
 * Always: a missing model is ERR_NOT_FOUND with the path in the reason, and
 * a queue without a model starts, reports "off" and stops. With the model
 * installed ($PAPERBOY_MODELS or data/models): plans newest first, a run
 * stopped after one batch commits exactly that batch and carries on, a
 * second plan is empty, an incremental plan finds only a changed abstract,
 * rows another writer embedded meanwhile are skipped, a held writer lock is
 * ERR_BUSY, a stored vector is the encoder's vector of "title abstract",
 * and the queue embeds a new paper.
 */
#include "search/vectors_upkeep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fixtures/embed/fixture.h"
#include "embed/encoder.h"
#include "embed/vecstore.h"
#include "ok.h"
#include "search/search.h"
#include "search/vectors_queue.h"
#include "store/store.h"
#include "util/err.h"

#define N 5

static char tmpdir[256], dbpath[300], vdir[300], models[4096];

static int add_paper(struct store *st, int i, int version, const char *abstract)
{
    char id[32], title[64];
    snprintf(id, sizeof id, "2401.%05d", i + 1);
    snprintf(title, sizeof title, "Paper %d on %s", i,
             i % 2 ? "graph networks" : "protein folding");
    struct paper p;
    paper_init(&p);
    p.id = strdup(id);
    p.title = strdup(title);
    p.title_raw = strdup(title);
    p.abstract = strdup(abstract);
    p.abstract_raw = strdup(abstract);
    p.categories = strdup("cs.LG");
    p.created = strdup("2024-01-02");
    p.latest_version = version;
    for (int v = 1; v <= version; v++)
        paper_add_version(&p, v, "2024-01-02", NULL);
    enum store_change ch;
    int rc = store_paper_upsert(st, &p, &ch);
    paper_cleanup(&p);
    return rc;
}

/* Stops a run after its first batch. */
static int stop_after_one(void *ctx, const struct vectors_progress *p, size_t total)
{
    (void)total;
    return p->next > *(size_t *)ctx;
}

static size_t stored(void)
{
    struct vecstore *vs = NULL;
    char err[256];
    if (vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 1, &vs, err, sizeof err) != 0)
        return 0;
    size_t n = vecstore_count(vs);
    vecstore_close(vs);
    return n;
}

static void test_no_model(void)
{
    struct vectors_upkeep_opts o = {"/nonexistent-models", NULL, 1, 1, 4};
    struct vectors_upkeep *up = NULL;
    char why[512] = "";
    ok_eq_int(vectors_upkeep_open(dbpath, &o, &up, why, sizeof why), ERR_NOT_FOUND,
              "no model: ERR_NOT_FOUND");
    ok(strstr(why, "/nonexistent-models") != NULL, "the reason names the folder");
    ok(up == NULL, "nothing opened");

    struct vectors_queue_opts qo = {dbpath, "/nonexistent-models", NULL, 0.05, 0, 0};
    struct vectors_queue *q = NULL;
    ok_eq_int(vectors_queue_start(&qo, &q), 0, "a queue starts without a model");
    usleep(200000);
    struct vectors_queue_stats st;
    vectors_queue_stats(q, &st);
    ok(st.on == 0 && st.embedded == 0 && st.vectors == -1, "and reports off");
    vectors_queue_stop(q);
    struct vectors_queue_opts bad = {dbpath, NULL, NULL, 0, 0, 0};
    ok_eq_int(vectors_queue_start(&bad, &q), ERR_INVALID, "interval 0 is refused");
}

static void test_upkeep(void)
{
    struct store *st = NULL;
    int rc = store_open(dbpath, 0, &st);
    for (int i = 0; i < N && rc == 0; i++)
        rc = add_paper(st, i, 1, "We fold proteins with message passing and measure it.");
    ok_eq_int(rc, 0, "five papers stored");

    struct vectors_upkeep_opts o = {models, NULL, 1, 1, 2};
    struct vectors_upkeep *up = NULL, *other = NULL;
    char why[1200] = "";
    ok_eq_int(vectors_upkeep_open(dbpath, &o, &up, why, sizeof why), 0, "upkeep opens");
    ok_eq_str(vectors_upkeep_dir(up), vdir, "vectors beside the database");

    struct vectors_plan pl = {0};
    ok_eq_int(vectors_upkeep_plan(up, -1, NULL, NULL, &pl, why, sizeof why), 0, "full plan");
    ok(pl.n == N && pl.checked == N && pl.vectors == 0, "every paper planned, no vectors yet");
    int desc = pl.n == N;
    for (size_t i = 1; i < pl.n; i++)
        desc &= pl.rows[i - 1] > pl.rows[i];
    ok(desc, "newest (highest row) first");
    int64_t newest = pl.n ? pl.rows[0] : 0, second = pl.n > 1 ? pl.rows[1] : 0;

    struct vectors_progress pr = {0};
    size_t start = 0;
    ok_eq_int(vectors_upkeep_run(up, &pl, &pr, stop_after_one, &start, why, sizeof why), 0,
              "a run stopped by its step returns 0");
    ok(pr.next == 2 && pr.embedded == 2 && pr.vectors == 2, "one batch of two committed");
    ok_eq_int((int)stored(), 2, "two vectors on disk (checksum verified)");
    struct vecstore *vs = NULL;
    char err[256];
    uint64_t h;
    const float *v;
    if (vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &vs, err, sizeof err) == 0) {
        ok(vecstore_get(vs, newest, &h, &v) == 0 && vecstore_get(vs, second, &h, &v) == 0,
           "the two newest rows went first");
        vecstore_close(vs);
    }
    /* A searcher opened now sees two vectors; a refresh after the run
     * sees all five (search_semantic_refresh, as the web threads do). */
    struct search_semantic *sem = NULL;
    ok_eq_int(search_semantic_open(dbpath, models, NULL, &sem, why, sizeof why), 0,
              "semantic side opens on two vectors");
    struct search_result sr;
    memset(&sr, 0, sizeof sr);
    if (sem && search_similar(sem, newest, 10, &sr) == 0)
        ok_eq_int((int)sr.n, 1, "similar sees the one other vector");
    search_result_cleanup(&sr);
    ok_eq_int(vectors_upkeep_run(up, &pl, &pr, NULL, NULL, why, sizeof why), 0, "run carries on");
    ok(pr.next == N && pr.embedded == N && pr.vectors == N, "all five embedded");
    if (sem && search_similar(sem, newest, 10, &sr) == 0)
        ok_eq_int((int)sr.n, 1, "before a refresh: still the old vectors");
    search_result_cleanup(&sr);
    ok_eq_int(sem ? search_semantic_refresh(sem, why, sizeof why) : -1, 0, "refresh");
    if (sem && search_similar(sem, newest, 10, &sr) == 0)
        ok_eq_int((int)sr.n, N - 1, "after it: the four others");
    search_result_cleanup(&sr);
    search_semantic_close(sem);
    vectors_plan_cleanup(&pl);

    ok_eq_int(vectors_upkeep_plan(up, -1, NULL, NULL, &pl, why, sizeof why), 0, "plan again");
    ok(pl.n == 0 && pl.vectors == N, "nothing left to do");
    int64_t mark = pl.seq;
    vectors_plan_cleanup(&pl);
    ok_eq_int(vectors_upkeep_plan(up, mark, NULL, NULL, &pl, why, sizeof why), 0,
              "incremental plan");
    ok_eq_int((int)pl.n, 0, "nothing changed since the mark");
    vectors_plan_cleanup(&pl);

    /* The stored vector is the encoder's vector of "title abstract". */
    int64_t row0 = 0;
    store_paper_rowid(st, "2401.00001", &row0);
    const char *text = "Paper 0 on protein folding We fold proteins with message passing and "
                       "measure it.";
    size_t tl = strlen(text);
    float *want = malloc(ENCODER_DIM * sizeof(float));
    struct encoder *enc = NULL;
    char mdir[4200];
    snprintf(mdir, sizeof mdir, "%s/%s", models, ENCODER_MODEL_NAME);
    vs = NULL;
    if (encoder_open(mdir, NULL, &enc, err, sizeof err) == 0 &&
        encoder_embed(enc, &text, &tl, 1, want) == 0 &&
        vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 0, 0, &vs, err, sizeof err) == 0 &&
        vecstore_get(vs, row0, &h, &v) == 0) {
        double dot = 0;
        for (int i = 0; i < ENCODER_DIM; i++)
            dot += (double)want[i] * v[i];
        ok(fabs(dot - 1.0) < 1e-4, "stored vector = encoder(title + ' ' + abstract)");
        ok(h == vecstore_text_hash(text, tl), "with that text's hash");
    } else {
        ok(0, "stored vector readable");
    }
    vecstore_close(vs);
    encoder_close(enc);
    free(want);

    /* A changed abstract: only that paper, re-embedded in place. */
    ok_eq_int(add_paper(st, 2, 2, "An entirely different abstract about graph networks."), 0,
              "paper 2 gets a new version");
    ok_eq_int(vectors_upkeep_plan(up, mark, NULL, NULL, &pl, why, sizeof why), 0,
              "incremental plan after the change");
    int64_t row2 = 0;
    store_paper_rowid(st, "2401.00003", &row2);
    ok(pl.n == 1 && pl.rows[0] == row2, "only the changed paper");
    memset(&pr, 0, sizeof pr);
    ok_eq_int(vectors_upkeep_run(up, &pl, &pr, NULL, NULL, why, sizeof why), 0, "re-embed");
    ok(pr.embedded == 1 && pr.vectors == N, "one embedded, still five live vectors");
    vectors_plan_cleanup(&pl);

    /* Another writer embeds what was planned: the run skips it. */
    ok_eq_int(add_paper(st, N, 1, "A sixth paper on protein folding."), 0, "a sixth paper");
    ok_eq_int(vectors_upkeep_plan(up, -1, NULL, NULL, &pl, why, sizeof why), 0, "plan it");
    ok_eq_int((int)pl.n, 1, "one row planned");
    ok_eq_int(vectors_upkeep_open(dbpath, &o, &other, why, sizeof why), 0, "a second upkeep");
    struct vectors_plan pl2 = {0};
    struct vectors_progress pr2 = {0};
    if (other) {
        vectors_upkeep_plan(other, -1, NULL, NULL, &pl2, why, sizeof why);
        ok_eq_int(vectors_upkeep_run(other, &pl2, &pr2, NULL, NULL, why, sizeof why), 0,
                  "it embeds the sixth paper");
    }
    memset(&pr, 0, sizeof pr);
    ok_eq_int(vectors_upkeep_run(up, &pl, &pr, NULL, NULL, why, sizeof why), 0, "then the first");
    ok(pr.next == 1 && pr.embedded == 0 && pr.vectors == N + 1, "skips it: already current");
    vectors_plan_cleanup(&pl);
    vectors_plan_cleanup(&pl2);

    /* A held writer lock. */
    ok_eq_int(add_paper(st, N + 1, 1, "A seventh paper."), 0, "a seventh paper");
    ok_eq_int(vectors_upkeep_plan(up, -1, NULL, NULL, &pl, why, sizeof why), 0, "plan it");
    vs = NULL;
    ok_eq_int(vecstore_open(vdir, ENCODER_MODEL_NAME, ENCODER_DIM, 1, 0, &vs, err, sizeof err), 0,
              "another writer holds the vectors");
    memset(&pr, 0, sizeof pr);
    ok_eq_int(vectors_upkeep_run(up, &pl, &pr, NULL, NULL, why, sizeof why), ERR_BUSY,
              "the run is ERR_BUSY");
    ok(strstr(why, "another process") != NULL && pr.next == 0, "says why, did nothing");
    vecstore_close(vs);
    vectors_plan_cleanup(&pl);
    vectors_upkeep_close(other);
    vectors_upkeep_close(up);

    /* The queue thread picks the seventh paper up. */
    struct vectors_queue_opts qo = {dbpath, models, NULL, 0.05, 2, 5};
    struct vectors_queue *q = NULL;
    ok_eq_int(vectors_queue_start(&qo, &q), 0, "queue starts");
    struct vectors_queue_stats qs = {0};
    for (int i = 0; i < 6000; i++) {
        vectors_queue_stats(q, &qs);
        if (qs.vectors == N + 2 && qs.pending == 0)
            break;
        usleep(10000);
    }
    ok(qs.on == 1 && qs.vectors == N + 2 && qs.pending == 0 && qs.embedded == 1,
       "the queue embeds the seventh paper");
    ok(qs.commits >= 1, "and counts a commit");
    ok_eq_int(add_paper(st, N + 2, 1, "An eighth paper, stored while the queue runs."), 0,
              "an eighth paper while it runs");
    for (int i = 0; i < 6000; i++) {
        vectors_queue_stats(q, &qs);
        if (qs.vectors == N + 3)
            break;
        usleep(10000);
    }
    ok(qs.vectors == N + 3 && qs.embedded == 2, "picked up by the change counter");
    vectors_queue_stop(q);
    ok_eq_int((int)stored(), N + 3, "on disk after stop");
    store_close(st);
}

int main(void)
{
    const char *td = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test-vupkeep-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmpdir)) {
        ok(0, "mkdtemp");
        return ok_done();
    }
    snprintf(dbpath, sizeof dbpath, "%s/paperboy.db", tmpdir);
    snprintf(vdir, sizeof vdir, "%s/vectors", tmpdir);
    const char *m = getenv("PAPERBOY_MODELS");
    snprintf(models, sizeof models, "%s", m && *m ? m : "data/models");
    char mdir[4200], probe[4300];
    snprintf(probe, sizeof probe, "%s/model.safetensors", fixture_model_dir(mdir, sizeof mdir));

    test_no_model();
    if (access(probe, R_OK) == 0)
        test_upkeep();
    else
        ok_skip("plan, run and queue with the model", "model not installed (make model)");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", tmpdir);
    return ok_done();
}
