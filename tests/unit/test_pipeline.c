/* test_pipeline.c - the ingest pipeline's two threads (queue.c, pipeline.c):
 * messages, counts and commits identical to one thread; a reader error
 * mid-stream; the consumer stopping with the reader blocked on a full
 * queue (no deadlock, no leak under ASan); a store error mid-batch. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/pipeline.h"
#include "ingest/queue.h"
#include "ok.h"
#include "store/store_int.h" /* triggers that make the store fail, through s->db */
#include "util/err.h"
#include "util/mem.h"

static char tmpdir[256];

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* A Kaggle line; bad != 0 makes it malformed in one of a few ways. */
static void kaggle_line(FILE *f, long i, int bad)
{
    if (bad == 1) {
        fprintf(f, "{\"id\": \"2401.%05ld\", \"title\": \"Broken\n", i); /* cut JSON */
        return;
    }
    if (bad == 2) {
        fprintf(f, "{\"id\": \"not-an-id-%ld\", \"title\": \"Bad id\"}\n", i);
        return;
    }
    fprintf(f,
            "{\"id\": \"2401.%05ld\", \"submitter\": \"A. One\", \"authors\": \"A. One, B. Two"
            " and C. Three\", \"title\": \"Paper %ld on\\n  queues\", \"comments\": null,"
            " \"journal-ref\": null, \"doi\": null, \"report-no\": null, \"categories\":"
            " \"cs.DS cs.DC\", \"license\": null, \"abstract\": \"  An abstract\\nof paper %ld.\","
            " \"versions\": [{\"version\": \"v1\", \"created\": \"Mon, 1 Jan 2024 10:00:00 GMT\"}],"
            " \"update_date\": \"2024-01-02\", \"authors_parsed\": [[\"One\", \"A.\", \"\"],"
            " [\"Two\", \"B.\", \"\"], [\"Three\", \"C.\", \"\"]]}\n",
            i, i, i);
}

/* Writes n records, every bad_every-th one malformed (0: none). */
static void write_corpus(const char *path, long n, long bad_every)
{
    FILE *f = fopen(path, "w");
    for (long i = 1; i <= n; i++)
        kaggle_line(f, i, bad_every && i % bad_every == 0 ? (int)(1 + (i / bad_every) % 2) : 0);
    fclose(f);
}

/* Runs fn with stderr going to the file errpath. */
struct captured {
    int saved;
};
static void capture_begin(struct captured *c, const char *errpath)
{
    fflush(stderr);
    c->saved = dup(2);
    FILE *f = fopen(errpath, "w");
    dup2(fileno(f), 2);
    fclose(f);
}
static void capture_end(struct captured *c)
{
    fflush(stderr);
    dup2(c->saved, 2);
    close(c->saved);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return xstrdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = xmalloc((size_t)n + 1);
    size_t got = fread(p, 1, (size_t)n, f);
    p[got] = '\0';
    fclose(f);
    return p;
}

static struct store *open_db(const char *name)
{
    char path[512];
    path_in(path, sizeof path, name);
    unlink(path);
    struct store *s = NULL;
    if (store_open(path, 0, &s) != 0)
        printf("# cannot open %s\n", path);
    return s;
}

static int64_t count_papers(struct store *s)
{
    int64_t n = -1;
    store_count_papers(s, &n);
    return n;
}

/* One thread, as before the queue: the reader calls the pipeline's sink. */
static int ingest_single(struct ingest_pipeline *p, const char *path)
{
    struct ingest_input *in = NULL;
    int rc = ingest_input_open(path, &in);
    if (rc)
        return rc;
    ingest_pipeline_set_source(p, path);
    rc = ingest_read(ingest_detect(in), in, ingest_pipeline_sink(p));
    int frc = ingest_pipeline_flush(p);
    ingest_input_close(in);
    return rc ? rc : frc;
}

/* ------------------------------------------------------------------------ */

static void test_same_as_one_thread(void)
{
    char corpus[512], e1[512], e2[512];
    path_in(corpus, sizeof corpus, "mixed.jsonl");
    path_in(e1, sizeof e1, "one.err");
    path_in(e2, sizeof e2, "two.err");
    write_corpus(corpus, 3000, 97);

    struct store *s1 = open_db("one.db"), *s2 = open_db("two.db");
    struct ingest_pipeline *p1 = NULL, *p2 = NULL;
    ingest_pipeline_new(s1, 250, NULL, &p1);
    ingest_pipeline_new(s2, 250, NULL, &p2);
    struct captured c;
    capture_begin(&c, e1);
    int rc1 = ingest_single(p1, corpus);
    capture_end(&c);
    capture_begin(&c, e2);
    int rc2 = ingest_pipeline_file(p2, corpus);
    capture_end(&c);
    ok_eq_int(rc1, 0, "one thread: ok");
    ok_eq_int(rc2, 0, "two threads: ok");
    struct ingest_stats a, b;
    ingest_pipeline_stats(p1, &a);
    ingest_pipeline_stats(p2, &b);
    ok_eq_int(b.added, a.added, "same added");
    ok_eq_int(b.failed, a.failed, "same failed");
    ok_eq_int(b.failed, 30, "every malformed line counted");
    ok_eq_int(b.added, 2970, "every good line added");
    char *m1 = slurp(e1), *m2 = slurp(e2);
    ok_eq_str(m2, m1, "the same messages in the same order");
    ok(strstr(m2, ":97: ") != NULL, "messages name the line");
    free(m1);
    free(m2);
    ok_eq_int(count_papers(s2), 2970, "all stored");
    ingest_pipeline_free(p1);
    ingest_pipeline_free(p2);

    /* Again: everything unchanged. */
    ingest_pipeline_new(s2, 250, NULL, &p2);
    capture_begin(&c, e2);
    rc2 = ingest_pipeline_file(p2, corpus);
    capture_end(&c);
    ingest_pipeline_stats(p2, &b);
    ok(rc2 == 0 && b.added == 0 && b.unchanged == 2970 && b.failed == 30, "re-ingest: unchanged");
    ingest_pipeline_free(p2);
    store_close(s1);
    store_close(s2);
}

/* A gzip cut short: the records before the cut are stored, the file
 * fails with ERR_TRUNCATED and the message of the input as a whole. */
static void test_truncated_gzip(void)
{
    char corpus[512], gz[512], cmd[1700], e[512];
    path_in(corpus, sizeof corpus, "trunc.jsonl");
    path_in(gz, sizeof gz, "trunc.jsonl.gz");
    path_in(e, sizeof e, "trunc.err");
    write_corpus(corpus, 4000, 0);
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s'", corpus, gz);
    struct stat sb;
    if (system(cmd) != 0 || stat(gz, &sb) != 0) {
        ok_skip("truncated gzip", "gzip missing");
        return;
    }
    ok_eq_int(truncate(gz, sb.st_size / 2), 0, "cut the gzip file in half");
    struct store *s = open_db("trunc.db");
    struct ingest_pipeline *p = NULL;
    ingest_pipeline_new(s, 500, NULL, &p);
    struct captured c;
    capture_begin(&c, e);
    int rc = ingest_pipeline_file(p, gz);
    capture_end(&c);
    ok_eq_int(rc, ERR_TRUNCATED, "truncated gzip: ERR_TRUNCATED");
    struct ingest_stats st;
    ingest_pipeline_stats(p, &st);
    ok(st.added > 0 && st.added < 4000, "records before the cut stored");
    ok_eq_int(count_papers(s), st.added, "what was counted was committed");
    char *m = slurp(e);
    ok(strstr(m, "truncated") != NULL, "the cut is reported");
    free(m);
    ingest_pipeline_free(p);
    store_close(s);
}

/* The store fails on record `at` (a trigger), long after the reader has
 * filled the queue and blocked on it: the first error stops both threads,
 * the message names the line, the batch before it is committed as with
 * one thread, nothing of the failing record stays. */
static void test_store_error(const char *when, long at, int on_authors)
{
    char corpus[512], e[512], name[64];
    path_in(corpus, sizeof corpus, "big.jsonl");
    snprintf(name, sizeof name, "fail-%s.err", when);
    path_in(e, sizeof e, name);
    if (access(corpus, R_OK) != 0)
        write_corpus(corpus, 20000, 0);
    snprintf(name, sizeof name, "fail-%s.db", when);
    struct store *s = open_db(name);
    char sql[400];
    if (on_authors)
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER boom BEFORE INSERT ON paper_authors WHEN NEW.pos = 2 AND"
                 " (SELECT arxiv_id FROM papers WHERE id = NEW.paper) = '2401.%05ld'"
                 " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                 at);
    else
        snprintf(sql, sizeof sql,
                 "CREATE TRIGGER boom BEFORE INSERT ON papers WHEN NEW.arxiv_id = '2401.%05ld'"
                 " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                 at);
    ok_eq_int(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK, "install the trigger");
    struct ingest_pipeline *p = NULL;
    ingest_pipeline_new(s, 1000, NULL, &p);
    struct captured c;
    capture_begin(&c, e);
    int rc = ingest_pipeline_file(p, corpus);
    capture_end(&c);
    ok_eq_int(rc, ERR_DB, "store error: the file fails with it");
    struct ingest_stats st;
    ingest_pipeline_stats(p, &st);
    ok_eq_int(st.added, at - 1, "store error: records before it counted");
    ingest_pipeline_free(p);
    ok_eq_int(count_papers(s), at - 1, "store error: the open batch up to it is committed");
    int64_t rowid;
    char id[32];
    snprintf(id, sizeof id, "2401.%05ld", at);
    ok_eq_int(store_paper_rowid(s, id, &rowid), ERR_NOT_FOUND, "nothing of the failing record");
    ok_eq_int(store_check(s), 0, "store error: integrity");
    char *m = slurp(e);
    char want[128];
    snprintf(want, sizeof want, ":%ld: storing 2401.%05ld failed", at, at);
    ok(strstr(m, want) != NULL && strstr(m, "injected failure") != NULL,
       "store error: one message naming the line");
    ok(strchr(m, '\n') == strrchr(m, '\n'), "store error: nothing reported after it");
    free(m);
    store_close(s);
}

/* ------------------------------------------------------------------------ */
/* The queue alone */

struct producer {
    struct ingest_queue *q;
    long n, pushed;
    int last_rc;
};

static void *produce(void *arg)
{
    struct producer *pr = arg;
    for (long i = 0; i < pr->n; i++) {
        struct ingest_item it;
        memset(&it, 0, sizeof it);
        it.kind = i % 10 == 9 ? INGEST_ITEM_ERROR : INGEST_ITEM_RECORD;
        it.where = i + 1;
        if (it.kind == INGEST_ITEM_ERROR) {
            it.reason = xstrdup("bad");
        } else {
            paper_init(&it.paper);
            it.paper.id = xstrdup("2401.00001");
            it.paper.title = xstrdup("a title that is malloc'ed");
        }
        pr->last_rc = ingest_queue_push(pr->q, &it);
        if (pr->last_rc != 0)
            break;
        pr->pushed++;
    }
    ingest_queue_close(pr->q, pr->last_rc ? pr->last_rc : ERR_PARSE);
    return NULL;
}

static void test_queue(void)
{
    /* Everything arrives, in order, then the producer's result. */
    struct producer pr = {ingest_queue_new(8), 5000, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, produce, &pr);
    long next = 1, bad_order = 0;
    int rc = 0;
    struct ingest_item it;
    while (ingest_queue_pop(pr.q, &it, &rc)) {
        if (it.where != next++)
            bad_order++;
        ingest_item_cleanup(&it);
    }
    pthread_join(t, NULL);
    ok_eq_int(bad_order, 0, "queue: items in order");
    ok_eq_int(next - 1, 5000, "queue: every item");
    ok_eq_int(rc, ERR_PARSE, "queue: the producer's result after the last item");
    ingest_queue_free(pr.q);

    /* The consumer stops while the producer is blocked on a full queue:
     * the push fails, the producer ends, queued items are freed. */
    struct producer pr2 = {ingest_queue_new(16), 1000000, 0, 0};
    pthread_create(&t, NULL, produce, &pr2);
    for (int i = 0; i < 3 && ingest_queue_pop(pr2.q, &it, &rc); i++)
        ingest_item_cleanup(&it);
    usleep(20000); /* let the producer fill the queue and block */
    ingest_queue_stop(pr2.q);
    pthread_join(t, NULL);
    ok_eq_int(pr2.last_rc, ERR_INTERRUPTED, "queue: a push after stop fails");
    ok(pr2.pushed < 1000000, "queue: the producer stopped early");
    ingest_queue_free(pr2.q); /* ASan: the queued items are freed here */
}

static int rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_pipeline.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_queue();
    test_same_as_one_thread();
    test_truncated_gzip();
    test_store_error("row", 15500, 0);
    test_store_error("authors", 7777, 1);
    if (!ok_n_fail)
        rm_rf(tmpdir);
    else
        printf("# files kept in %s\n", tmpdir);
    return ok_done();
}
