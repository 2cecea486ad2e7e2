/*
 * beir.c - BEIR corpus/queries/qrels readers (see beir.h).
 *
 * Structure: one line splitter (struct lines) pulls 64 KiB chunks from the
 * ingest_input and hands complete lines, without their "\n" (and "\r"), to a
 * per-format line handler. A line longer than BEIR_MAX_LINE is consumed to
 * its end and reported once. JSON lines are parsed with
 * cJSON_ParseWithLength (the line is not trusted to be NUL-free); the
 * strings given to callbacks point into the cJSON tree, which is freed
 * after the callback.
 */
#include "ingest/beir.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#define CHUNK (64u * 1024)

/* ------------------------------------------------------------------------ */
/* Lines                                                                     */
/* ------------------------------------------------------------------------ */

/* Called per line (p, len; p[len] is NUL). Non-zero stops the reading. */
typedef int (*line_fn)(void *ctx, const char *p, size_t len, long lineno);

static void report(struct ingest_input *in, long line, const char *why)
{
    log_warn(NULL, "%s:%ld: %s", ingest_input_name(in), line, why);
}

/* Splits in into lines and calls fn for each non-blank one that fits the
 * cap; counts over-long lines in *bad. */
static int lines_each(struct ingest_input *in, line_fn fn, void *ctx, long *bad)
{
    struct buf line;
    buf_init(&line, BEIR_MAX_LINE);
    char *chunk = xmalloc(CHUNK);
    long lineno = 1;
    int too_long = 0;
    int rc = 0;
    for (;;) {
        ssize_t got = ingest_input_read(in, chunk, CHUNK);
        if (got < 0) {
            rc = (int)got;
            report(in, lineno, err_str(rc));
            break;
        }
        size_t n = (size_t)got;
        size_t at = 0;
        int eof = n == 0;
        while (rc == 0 && (at < n || eof)) {
            const char *nl = at < n ? memchr(chunk + at, '\n', n - at) : NULL;
            size_t take = nl ? (size_t)(nl - (chunk + at)) : n - at;
            if (!too_long && buf_append(&line, chunk + at, take) != 0)
                too_long = 1;
            at += take;
            if (!nl && !eof)
                break; /* the line goes on in the next chunk */
            if (nl)
                at++;
            if (too_long) {
                report(in, lineno, "line too long");
                (*bad)++;
            } else {
                size_t len = line.len;
                if (len && line.p[len - 1] == '\r')
                    len--;
                size_t k = 0;
                while (k < len && (line.p[k] == ' ' || line.p[k] == '\t'))
                    k++;
                if (k < len) {
                    line.p[len] = '\0';
                    rc = fn(ctx, line.p, len, lineno);
                }
            }
            buf_reset(&line);
            too_long = 0;
            lineno++;
            if (eof)
                break;
        }
        if (rc != 0 || eof)
            break;
    }
    free(chunk);
    buf_cleanup(&line);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* JSON records                                                              */
/* ------------------------------------------------------------------------ */

struct json_ctx {
    struct ingest_input *in;
    int kind; /* 0 corpus, 1 queries */
    beir_doc_fn doc_fn;
    beir_query_fn query_fn;
    void *ctx;
    long bad;
};

/* The string value of key in obj: a string as it is, a number as an
 * integer when it is one (else %.17g) into num; NULL when absent or
 * another type. */
static const char *json_str(const cJSON *obj, const char *key, char num[32])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsString(v) && v->valuestring)
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d > -1e18 && d < 1e18)
            snprintf(num, 32, "%lld", (long long)d);
        else
            snprintf(num, 32, "%.17g", d);
        return num;
    }
    return NULL;
}

static int json_line(void *vctx, const char *p, size_t len, long lineno)
{
    struct json_ctx *c = vctx;
    if (memchr(p, '\0', len)) {
        report(c->in, lineno, "NUL byte in line");
        c->bad++;
        return 0;
    }
    cJSON *root = cJSON_ParseWithLength(p, len);
    if (!root || !cJSON_IsObject(root)) {
        report(c->in, lineno, "not a JSON object");
        c->bad++;
        cJSON_Delete(root);
        return 0;
    }
    char idnum[32], tnum[32], xnum[32];
    const char *id = json_str(root, "_id", idnum);
    int rc = 0;
    if (!id || !id[0] || strchr(id, '\n') || strchr(id, '\t') || strchr(id, ' ')) {
        report(c->in, lineno, "missing or bad \"_id\"");
        c->bad++;
    } else if (c->kind == 0) {
        const char *title = json_str(root, "title", tnum);
        const char *text = json_str(root, "text", xnum);
        struct beir_doc d = {id, title ? title : "", text ? text : "", lineno};
        rc = c->doc_fn(c->ctx, &d);
    } else {
        const char *text = json_str(root, "text", xnum);
        struct beir_query q = {id, text ? text : "", lineno};
        rc = c->query_fn(c->ctx, &q);
    }
    cJSON_Delete(root);
    return rc;
}

int beir_corpus_read(struct ingest_input *in, beir_doc_fn fn, void *ctx, long *bad)
{
    struct json_ctx c = {in, 0, fn, NULL, ctx, 0};
    int rc = lines_each(in, json_line, &c, &c.bad);
    if (bad)
        *bad = c.bad;
    return rc;
}

int beir_queries_read(struct ingest_input *in, beir_query_fn fn, void *ctx, long *bad)
{
    struct json_ctx c = {in, 1, NULL, fn, ctx, 0};
    int rc = lines_each(in, json_line, &c, &c.bad);
    if (bad)
        *bad = c.bad;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Qrels                                                                     */
/* ------------------------------------------------------------------------ */

struct qrels_ctx {
    struct ingest_input *in;
    beir_qrel_fn fn;
    void *ctx;
    long bad;
};

/* Splits (p, len) at tabs and spaces into at most max fields (NUL-
 * terminating them in place); returns the number of fields (max + 1 when
 * there were more). */
static size_t split_fields(char *p, size_t len, char **f, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len) {
        while (i < len && (p[i] == '\t' || p[i] == ' '))
            i++;
        if (i >= len)
            break;
        if (n == max)
            return max + 1;
        f[n++] = p + i;
        while (i < len && p[i] != '\t' && p[i] != ' ')
            i++;
        if (i < len)
            p[i++] = '\0';
    }
    return n;
}

static int parse_grade(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    /* Some copies write grades as "1.0". */
    if (*end == '.') {
        const char *z = end + 1;
        while (*z == '0')
            z++;
        if (*z == '\0' && end > s)
            end = (char *)z;
    }
    if (errno || end == s || *end || v < -1000000 || v > 1000000)
        return ERR_PARSE;
    *out = (int)v;
    return 0;
}

static int qrels_line(void *vctx, const char *p, size_t len, long lineno)
{
    struct qrels_ctx *c = vctx;
    char *copy = xstrndup(p, len);
    char *f[4];
    size_t n = split_fields(copy, len, f, 4);
    int rc = 0;
    struct beir_qrel r;
    r.line = lineno;
    if (n == 3 || n == 4) {
        r.query_id = f[0];
        r.doc_id = n == 3 ? f[1] : f[2];
        const char *g = n == 3 ? f[2] : f[3];
        if (strlen(p) != len) {
            report(c->in, lineno, "NUL byte in line");
            c->bad++;
        } else if (parse_grade(g, &r.grade) != 0) {
            if (lineno != 1) {
                report(c->in, lineno, "relevance grade is not an integer");
                c->bad++;
            }
        } else {
            rc = c->fn(c->ctx, &r);
        }
    } else {
        report(c->in, lineno, "expected \"query-id corpus-id score\"");
        c->bad++;
    }
    free(copy);
    return rc;
}

int beir_qrels_read(struct ingest_input *in, beir_qrel_fn fn, void *ctx, long *bad)
{
    struct qrels_ctx c = {in, fn, ctx, 0};
    int rc = lines_each(in, qrels_line, &c, &c.bad);
    if (bad)
        *bad = c.bad;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

static int open_logged(const char *path, struct ingest_input **in)
{
    int rc = ingest_input_open(path, in);
    if (rc != 0)
        log_error(NULL, "%s: %s", path, strerror(errno));
    return rc;
}

int beir_corpus_read_file(const char *path, beir_doc_fn fn, void *ctx, long *bad)
{
    struct ingest_input *in = NULL;
    int rc = open_logged(path, &in);
    if (rc == 0)
        rc = beir_corpus_read(in, fn, ctx, bad);
    ingest_input_close(in);
    return rc;
}

int beir_queries_read_file(const char *path, beir_query_fn fn, void *ctx, long *bad)
{
    struct ingest_input *in = NULL;
    int rc = open_logged(path, &in);
    if (rc == 0)
        rc = beir_queries_read(in, fn, ctx, bad);
    ingest_input_close(in);
    return rc;
}

int beir_qrels_read_file(const char *path, beir_qrel_fn fn, void *ctx, long *bad)
{
    struct ingest_input *in = NULL;
    int rc = open_logged(path, &in);
    if (rc == 0)
        rc = beir_qrels_read(in, fn, ctx, bad);
    ingest_input_close(in);
    return rc;
}
