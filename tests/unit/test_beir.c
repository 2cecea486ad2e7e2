/* test_beir.c - the BEIR corpus/queries/qrels readers on in-memory inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/beir.h"
#include "ingest/input.h"
#include "ok.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

/* Each record is appended to a text log "id|title|text;" for comparison. */
struct seen {
    struct buf log;
    int stop_after;
    int n;
};

static int on_doc(void *ctx, const struct beir_doc *d)
{
    struct seen *s = ctx;
    buf_appendf(&s->log, "%s|%s|%s@%ld;", d->id, d->title, d->text, d->line);
    return ++s->n == s->stop_after ? 42 : 0;
}

static int on_query(void *ctx, const struct beir_query *q)
{
    struct seen *s = ctx;
    buf_appendf(&s->log, "%s|%s;", q->id, q->text);
    return 0;
}

static int on_qrel(void *ctx, const struct beir_qrel *r)
{
    struct seen *s = ctx;
    buf_appendf(&s->log, "%s>%s=%d;", r->query_id, r->doc_id, r->grade);
    return 0;
}

static int run_corpus(const char *text, size_t len, struct seen *s, long *bad)
{
    struct ingest_input *in;
    ingest_input_mem("corpus.jsonl", text, len, &in);
    int rc = beir_corpus_read(in, on_doc, s, bad);
    ingest_input_close(in);
    return rc;
}

static void test_corpus(void)
{
    const char *t = "{\"_id\": \"4983\", \"title\": \"Micro\", \"text\": \"Alpha beta.\", \"metadata\": {}}\n"
                    "\n"
                    "{\"_id\": 17, \"text\": \"no title\"}\r\n"
                    "not json\n"
                    "{\"title\": \"no id\"}\n"
                    "{\"_id\": \"\", \"text\": \"empty id\"}\n"
                    "[1,2]\n"
                    "{\"_id\": \"u\", \"title\": \"\\u00e9t\\u00e9\", \"text\": \"x\"}";
    struct seen s = {.stop_after = -1};
    buf_init(&s.log, 0);
    long bad = -1;
    int rc = run_corpus(t, strlen(t), &s, &bad);
    ok_eq_int(rc, 0, "corpus read to the end");
    ok_eq_str(buf_cstr(&s.log), "4983|Micro|Alpha beta.@1;17||no title@3;u|\xc3\xa9t\xc3\xa9|x@8;",
              "corpus records, numeric id, missing title, CRLF, last line without newline");
    ok_eq_int(bad, 4, "four malformed lines counted");
    buf_cleanup(&s.log);

    /* A callback's non-zero return stops the reader and is returned. */
    struct seen s2 = {.stop_after = 1};
    buf_init(&s2.log, 0);
    rc = run_corpus(t, strlen(t), &s2, NULL);
    ok_eq_int(rc, 42, "callback stop returned");
    ok_eq_int(s2.n, 1, "stopped after the first");
    buf_cleanup(&s2.log);

    /* Empty input. */
    struct seen s3 = {.stop_after = -1};
    buf_init(&s3.log, 0);
    ok_eq_int(run_corpus("", 0, &s3, &bad), 0, "empty input");
    ok_eq_int(bad, 0, "empty: nothing bad");
    buf_cleanup(&s3.log);

    /* A NUL inside a line is not JSON; lines across chunk borders work. */
    struct buf big;
    buf_init(&big, 0);
    buf_append(&big, "{\"_id\":\"a\",\"text\":\"x\0y\"}\n", 25);
    buf_append_str(&big, "{\"_id\":\"long\",\"text\":\"");
    for (int i = 0; i < 100000; i++)
        buf_append_str(&big, "word ");
    buf_append_str(&big, "\"}\n{\"_id\":\"after\"}\n");
    struct seen s4 = {.stop_after = -1};
    buf_init(&s4.log, 0);
    rc = run_corpus(big.p, big.len, &s4, &bad);
    ok_eq_int(rc, 0, "big input read");
    ok_eq_int(s4.n, 2, "long line and the one after it");
    ok_eq_int(bad, 1, "NUL line is malformed");
    ok(strstr(buf_cstr(&s4.log), "after||@3;") != NULL, "line numbers stay right");
    buf_cleanup(&s4.log);
    buf_cleanup(&big);

    /* A line over the cap is skipped, the next one is read. */
    size_t n = BEIR_MAX_LINE + 100;
    char *huge = xmalloc(n + 64);
    memset(huge, 'x', n);
    huge[0] = '{';
    huge[n - 1] = '\n';
    strcpy(huge + n, "{\"_id\":\"ok\"}\n");
    struct seen s5 = {.stop_after = -1};
    buf_init(&s5.log, 0);
    rc = run_corpus(huge, strlen(huge), &s5, &bad);
    ok(rc == 0 && bad == 1 && s5.n == 1, "over-long line skipped, next read");
    ok_eq_str(buf_cstr(&s5.log), "ok||@2;", "record after the long line");
    buf_cleanup(&s5.log);
    free(huge);
}

static void test_queries(void)
{
    const char *t = "{\"_id\": \"0\", \"text\": \"0-dimensional biomaterials.\", \"metadata\": {}}\n"
                    "{\"_id\": \"2\", \"text\": \"1 in 5 million\", \"metadata\": {\"1\": [1]}}\n"
                    "{\"_id\": \"3\"}\n";
    struct ingest_input *in;
    ingest_input_mem("q.jsonl", t, strlen(t), &in);
    struct seen s = {.stop_after = -1};
    buf_init(&s.log, 0);
    long bad = -1;
    ok_eq_int(beir_queries_read(in, on_query, &s, &bad), 0, "queries read");
    ok_eq_str(buf_cstr(&s.log), "0|0-dimensional biomaterials.;2|1 in 5 million;3|;", "queries");
    ok_eq_int(bad, 0, "no bad query line");
    buf_cleanup(&s.log);
    ingest_input_close(in);
}

static void test_qrels(void)
{
    const char *t = "query-id\tcorpus-id\tscore\n"
                    "0\t31715818\t1\n"
                    "2\t13734012\t2\r\n"
                    "7 Q0 d7 1\n"   /* TREC qrels form */
                    "8\td8\t1.0\n"  /* grade written as a float */
                    "9\td9\tx\n"    /* bad grade (not line 1) */
                    "10\td10\n"     /* two fields */
                    "11\td11\t1\textra\tmore\n"
                    "12\td12\t0";
    struct ingest_input *in;
    ingest_input_mem("train.tsv", t, strlen(t), &in);
    struct seen s = {.stop_after = -1};
    buf_init(&s.log, 0);
    long bad = -1;
    ok_eq_int(beir_qrels_read(in, on_qrel, &s, &bad), 0, "qrels read");
    ok_eq_str(buf_cstr(&s.log), "0>31715818=1;2>13734012=2;7>d7=1;8>d8=1;12>d12=0;",
              "qrels: header skipped, TREC form, float grade");
    ok_eq_int(bad, 3, "three bad qrels lines");
    buf_cleanup(&s.log);
    ingest_input_close(in);
}

static void test_files(void)
{
    long bad;
    struct seen s = {.stop_after = -1};
    buf_init(&s.log, 0);
    ok_eq_int(beir_corpus_read_file("/nonexistent/corpus.jsonl", on_doc, &s, &bad), ERR_IO,
              "missing file: ERR_IO");
    const char *shared = getenv("SHARED");
    char path[512];
    snprintf(path, sizeof path, "%s/data/scifact/qrels/train.tsv", shared ? shared : "../shared");
    FILE *f = fopen(path, "r");
    if (!f) {
        ok_skip("SciFact train qrels", "no $SHARED data");
    } else {
        fclose(f);
        ok_eq_int(beir_qrels_read_file(path, on_qrel, &s, &bad), 0, "SciFact train qrels read");
        ok_eq_int(bad, 0, "SciFact qrels: nothing malformed");
        ok(strncmp(buf_cstr(&s.log), "0>31715818=1;", 13) == 0, "SciFact first judgment");
    }
    buf_cleanup(&s.log);
}

int main(void)
{
    test_corpus();
    test_queries();
    test_qrels();
    test_files();
    return ok_done();
}
