/*
 * bench/search - paperboy's lexical index against SQLite FTS5, same texts,
 * same queries, same run.
 *
 *   build/bench/search --corpus FILE [--queries FILE] [--n-queries N]
 *                      [--seed S] [--work DIR] [--k 10] [--repeat 3]
 *                      [--title-weight X] [--also-title-weight Y] [--no-fts]
 *
 * FILE is a BEIR corpus (JSON lines {"_id","title","text"}; SciFact's
 * corpus.jsonl, or bench/gen/gen_corpus.py --format beir). Both engines
 * index title + " " + text as one field:
 *   paperboy  index_create + index_writer_add per doc + commit + merge to
 *             one segment (the `paperboy reindex` path), default options
 *   FTS5      a contentless table fts5(body, content='', tokenize='porter
 *             unicode61'), one transaction of INSERTs, then 'optimize'
 *             (merge to one b-tree); journal off, synchronous off
 * Build time counts only the engines' calls (JSON reading is excluded for
 * both); rate = docs / build time. Size: paperboy's segment bytes vs the
 * FTS5 database file.
 *
 * Queries: a mix of 1..6-term bag-of-words queries, term count = 1 + i % 6.
 * With --queries (BEIR queries JSONL), the first n content words of each
 * query in file order; otherwise words drawn (seeded) from random corpus
 * documents (title + text). Content words: letters only, 3+ long, not an
 * English function word. Each engine answers top-k by BM25 over the OR of
 * the words: paperboy via search_plan_text + index_search (block-max
 * WAND), FTS5 via "SELECT rowid FROM fts WHERE fts MATCH '"w1" OR ...'
 * ORDER BY bm25(fts) LIMIT k" (prepared once, bound per query). Every
 * query runs once untimed (warm-up), then --repeat times timed (passes
 * over the whole list); a query's latency is the fastest of its timed runs
 * (the machine is shared: this filters out preemption), one thread. Reported: p50, p99, mean, and FTS5/paperboy ratios.
 * Results are informational-only compared (overlap of top-k sets; the two
 * BM25s differ: FTS5 uses k1=1.2, b=0.75 and its own idf).
 *
 * bench/ is not product code: it includes sqlite3.h directly.
 */
#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index.h"
#include "ingest/beir.h"
#include "search/search.h"
#include "text/analyzer.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define MAX_QTERMS 6

struct query {
    char *words[MAX_QTERMS];
    int n;
};

struct bench {
    const char *corpus, *queries_path, *work;
    size_t n_queries, k;
    int repeat; /* timed passes; a query's latency is its fastest */
    const char *title_weight; /* overrides search_opts_default() */
    const char *also_weight;  /* a second title weight timed (paperboy only) */
    uint64_t seed;
    int no_fts;
    /* sampling queries from documents */
    size_t *pick;   /* sorted doc ordinals to draw from */
    size_t n_pick, next_pick;
    struct query *q;
    size_t nq;
    uint64_t rng;
    /* engines */
    struct index_writer *w;
    sqlite3 *db;
    sqlite3_stmt *ins;
    size_t n_docs;
    double t_ours, t_fts;
    struct buf body;
    int rc;
};

static uint64_t rnd(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const char *const function_words[] = {
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
    "one", "our", "out", "has", "have", "from", "that", "this", "with", "they", "been", "were",
    "which", "their", "there", "these", "those", "then", "than", "into", "such", "its", "also",
    "may", "use", "used", "using", "via", "while", "where", "when", "what", "who", "whom", "how",
    "does", "did", "doing", "will", "would", "should", "could", "between", "both", "each", "more",
    "most", "other", "some", "only", "over", "under", "about", "after", "before", "here", "very",
    "well", "however", "thus", "show", "shows", "shown", "paper", "propose", "proposed", "present",
};

static int is_function_word(const char *w)
{
    for (size_t i = 0; i < sizeof function_words / sizeof function_words[0]; i++)
        if (strcmp(function_words[i], w) == 0)
            return 1;
    return 0;
}

/* Appends to *ws up to max content words of text (lower-cased copies). */
static size_t content_words(const char *text, char **ws, size_t max)
{
    size_t n = 0;
    const char *p = text;
    while (*p && n < max) {
        while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            p++;
        const char *s = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            p++;
        size_t len = (size_t)(p - s);
        if (len >= 3 && len < 40) {
            char w[40];
            for (size_t i = 0; i < len; i++)
                w[i] = (char)(s[i] | 0x20);
            w[len] = '\0';
            /* not followed by a digit or hyphen-part (keeps tokens simple) */
            if (!is_function_word(w) && !(*p >= '0' && *p <= '9'))
                ws[n++] = xstrdup(w);
        }
    }
    return n;
}

static int size_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

static int on_doc(void *ctx, const struct beir_doc *d)
{
    struct bench *b = ctx;
    size_t ord = b->n_docs++;
    buf_reset(&b->body);
    buf_append_str(&b->body, d->title);
    buf_append(&b->body, " ", 1);
    buf_append_str(&b->body, d->text);

    /* paperboy */
    struct index_doc doc;
    memset(&doc, 0, sizeof doc);
    doc.rowid = (int64_t)ord;
    doc.title = d->title;
    doc.abstract = d->text;
    doc.date = INDEX_NO_DATE;
    double t0 = time_mono();
    int rc = index_writer_add(b->w, &doc);
    double t1 = time_mono();
    b->t_ours += t1 - t0;
    if (rc != 0)
        return rc;

    /* FTS5 */
    if (b->db) {
        sqlite3_bind_int64(b->ins, 1, (sqlite3_int64)ord);
        sqlite3_bind_text(b->ins, 2, buf_cstr(&b->body), (int)b->body.len, SQLITE_STATIC);
        int s = sqlite3_step(b->ins);
        sqlite3_reset(b->ins);
        b->t_fts += time_mono() - t1;
        if (s != SQLITE_DONE) {
            fprintf(stderr, "bench: FTS5 insert: %s\n", sqlite3_errmsg(b->db));
            return ERR_DB;
        }
    }

    /* queries drawn from sampled documents */
    while (b->next_pick < b->n_pick && b->pick[b->next_pick] == ord) {
        char *ws[256];
        size_t n = content_words(b->body.p, ws, 256);
        struct query *q = &b->q[b->nq];
        int want = 1 + (int)(b->nq % MAX_QTERMS);
        q->n = 0;
        /* draw distinct words */
        for (int tries = 0; q->n < want && n > 0 && tries < 64; tries++) {
            size_t i = rnd(&b->rng) % n;
            int dup = 0;
            for (int j = 0; j < q->n; j++)
                dup |= strcmp(q->words[j], ws[i]) == 0;
            if (!dup)
                q->words[q->n++] = xstrdup(ws[i]);
        }
        for (size_t i = 0; i < n; i++)
            free(ws[i]);
        if (q->n > 0)
            b->nq++;
        b->next_pick++;
    }
    return 0;
}

static int on_query(void *ctx, const struct beir_query *bq)
{
    struct bench *b = ctx;
    if (b->nq >= b->n_queries)
        return 0;
    struct query *q = &b->q[b->nq];
    int want = 1 + (int)(b->nq % MAX_QTERMS);
    char *ws[MAX_QTERMS];
    size_t n = content_words(bq->text, ws, (size_t)want);
    q->n = (int)n;
    for (size_t i = 0; i < n; i++)
        q->words[i] = ws[i];
    if (q->n > 0)
        b->nq++;
    return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void stats(double *t, size_t n, double *p50, double *p99, double *mean)
{
    qsort(t, n, sizeof *t, dbl_cmp);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += t[i];
    *mean = n ? s / (double)n : 0;
    *p50 = n ? t[(n - 1) / 2] : 0;
    *p99 = n ? t[(size_t)((double)(n - 1) * 0.99)] : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench/search --corpus FILE [--queries FILE] [--n-queries N] "
                    "[--seed S] [--work DIR] [--k 10] [--repeat 3] [--title-weight X] "
                    "[--also-title-weight Y] [--no-fts]\n");
}

int main(int argc, char **argv)
{
    struct bench b;
    memset(&b, 0, sizeof b);
    b.n_queries = 1000;
    b.k = 10;
    b.seed = 42;
    b.repeat = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-fts") == 0) {
            b.no_fts = 1;
            continue;
        }
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--corpus") == 0)
            b.corpus = v;
        else if (strcmp(a, "--queries") == 0)
            b.queries_path = v;
        else if (strcmp(a, "--n-queries") == 0)
            b.n_queries = (size_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            b.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--work") == 0)
            b.work = v;
        else if (strcmp(a, "--k") == 0)
            b.k = (size_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--repeat") == 0)
            b.repeat = atoi(v);
        else if (strcmp(a, "--title-weight") == 0)
            b.title_weight = v;
        else if (strcmp(a, "--also-title-weight") == 0)
            b.also_weight = v;
        else {
            usage();
            return 2;
        }
    }
    if (!b.corpus || b.n_queries == 0 || b.k == 0 || b.k > 1000 || b.repeat < 1) {
        usage();
        return 2;
    }
    char work[4096];
    const char *td = getenv("TMPDIR");
    snprintf(work, sizeof work, "%s/bench-search-XXXXXX", b.work ? b.work : td && *td ? td : "/tmp");
    if (!mkdtemp(work)) {
        fprintf(stderr, "bench: mkdtemp %s: %s\n", work, strerror(errno));
        return 1;
    }
    b.rng = b.seed;
    b.q = xcalloc(b.n_queries, sizeof *b.q);
    buf_init(&b.body, 0);

    /* Which documents queries are drawn from: count the corpus first (a
     * cheap line count), then pick n distinct ordinals. */
    if (!b.queries_path) {
        FILE *f = fopen(b.corpus, "r");
        if (!f) {
            fprintf(stderr, "bench: %s: %s\n", b.corpus, strerror(errno));
            return 1;
        }
        size_t lines = 0;
        char chunk[1 << 16];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            for (size_t i = 0; i < got; i++)
                lines += chunk[i] == '\n';
        fclose(f);
        b.pick = xmalloc(b.n_queries * sizeof *b.pick);
        for (size_t i = 0; i < b.n_queries; i++)
            b.pick[i] = lines ? rnd(&b.rng) % lines : 0;
        qsort(b.pick, b.n_queries, sizeof *b.pick, size_cmp);
        b.n_pick = b.n_queries;
    }

    /* Engines. */
    char ixdir[4200], dbfile[4200];
    snprintf(ixdir, sizeof ixdir, "%s/index", work);
    snprintf(dbfile, sizeof dbfile, "%s/fts.db", work);
    struct index *ix = NULL;
    int rc = index_create(ixdir, NULL, &ix);
    if (rc == 0)
        rc = index_writer_new(ix, &b.w);
    if (rc != 0) {
        fprintf(stderr, "bench: index: %s\n", err_str(rc));
        return 1;
    }
    if (!b.no_fts) {
        if (sqlite3_open(dbfile, &b.db) != SQLITE_OK ||
            sqlite3_exec(b.db,
                         "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                         "PRAGMA cache_size=-262144;"
                         "CREATE VIRTUAL TABLE fts USING fts5(body, content='', "
                         "tokenize='porter unicode61'); BEGIN;",
                         NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(b.db, "INSERT INTO fts(rowid, body) VALUES (?, ?)", -1, &b.ins,
                               NULL) != SQLITE_OK) {
            fprintf(stderr, "bench: FTS5: %s\n", sqlite3_errmsg(b.db));
            return 1;
        }
    }
    long bad = 0;
    rc = beir_corpus_read_file(b.corpus, on_doc, &b, &bad);
    if (rc != 0) {
        fprintf(stderr, "bench: reading %s: %s\n", b.corpus, err_str(rc));
        return 1;
    }
    double t0 = time_mono();
    rc = index_writer_commit(b.w);
    if (rc == 0)
        rc = index_merge(ix, 1, NULL);
    double t1 = time_mono();
    b.t_ours += t1 - t0;
    if (rc != 0) {
        fprintf(stderr, "bench: commit/merge: %s\n", err_str(rc));
        return 1;
    }
    if (b.db) {
        sqlite3_finalize(b.ins);
        if (sqlite3_exec(b.db, "COMMIT; INSERT INTO fts(fts) VALUES('optimize');", NULL, NULL,
                         NULL) != SQLITE_OK) {
            fprintf(stderr, "bench: FTS5 commit: %s\n", sqlite3_errmsg(b.db));
            return 1;
        }
        b.t_fts += time_mono() - t1;
    }
    if (b.queries_path) {
        rc = beir_queries_read_file(b.queries_path, on_query, &b, &bad);
        if (rc != 0)
            return 1;
    }

    struct index_snapshot *snap = index_snapshot_acquire(ix);
    struct index_stats st;
    index_snapshot_stats(snap, &st);
    struct stat fst;
    uint64_t fts_bytes = b.db && stat(dbfile, &fst) == 0 ? (uint64_t)fst.st_size : 0;

    /* Queries. */
    struct text_analyzer_opts ao;
    index_analyzer_opts(ix, &ao);
    struct text_analyzer *an = NULL;
    text_analyzer_new(&ao, &an);
    struct search_opts so;
    search_opts_default(&so);
    if (b.title_weight)
        so.title_weight = (float)atof(b.title_weight);
    struct index_hit *hits = xmalloc(b.k * sizeof *hits);
    double *lat_ours = xmalloc(b.nq * sizeof *lat_ours);
    double *lat_fts = xmalloc(b.nq * sizeof *lat_fts);
    int64_t **top_ours = xcalloc(b.nq, sizeof *top_ours);
    sqlite3_stmt *sel = NULL;
    if (b.db &&
        sqlite3_prepare_v2(b.db, "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT ?",
                           -1, &sel, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: FTS5 select: %s\n", sqlite3_errmsg(b.db));
        return 1;
    }
    struct buf text, match;
    buf_init(&text, 0);
    buf_init(&match, 0);
    double overlap = 0;
    uint64_t scored = 0, postings = 0;
    for (int pass = 0; pass <= b.repeat; pass++) {
        for (size_t i = 0; i < b.nq; i++) {
            const struct query *q = &b.q[i];
            buf_reset(&text);
            buf_reset(&match);
            for (int j = 0; j < q->n; j++) {
                buf_appendf(&text, "%s%s", j ? " " : "", q->words[j]);
                buf_appendf(&match, "%s\"%s\"", j ? " OR " : "", q->words[j]);
            }
            double a0 = time_mono();
            struct search_plan *pl;
            search_plan_text(an, text.p, text.len, &so, &pl);
            size_t n = 0;
            struct index_search_info info = {0, 0};
            if (search_plan_selects(pl))
                index_search(snap, search_plan_query(pl), b.k, hits, &n, &info);
            search_plan_free(pl);
            double a1 = time_mono();
            if (pass >= 1 && (pass == 1 || a1 - a0 < lat_ours[i]))
                lat_ours[i] = a1 - a0;
            if (pass == 1) {
                scored += info.scored;
                postings += info.postings;
                top_ours[i] = xcalloc(b.k + 1, sizeof **top_ours);
                top_ours[i][0] = (int64_t)n;
                for (size_t h = 0; h < n; h++)
                    top_ours[i][h + 1] = hits[h].rowid;
            }
            if (!sel)
                continue;
            double f0 = time_mono();
            sqlite3_bind_text(sel, 1, match.p, (int)match.len, SQLITE_STATIC);
            sqlite3_bind_int(sel, 2, (int)b.k);
            size_t same = 0, nf = 0;
            int s;
            while ((s = sqlite3_step(sel)) == SQLITE_ROW) {
                int64_t r = sqlite3_column_int64(sel, 0);
                nf++;
                if (pass == 1)
                    for (int64_t h = 0; h < top_ours[i][0]; h++)
                        same += top_ours[i][h + 1] == r;
            }
            sqlite3_reset(sel);
            double f1 = time_mono();
            if (s != SQLITE_DONE) {
                fprintf(stderr, "bench: FTS5 query '%s': %s\n", match.p, sqlite3_errmsg(b.db));
                return 1;
            }
            if (pass >= 1 && (pass == 1 || f1 - f0 < lat_fts[i]))
                lat_fts[i] = f1 - f0;
            if (pass == 1) {
                size_t denom = nf > (size_t)top_ours[i][0] ? nf : (size_t)top_ours[i][0];
                overlap += denom ? (double)same / (double)denom : 1.0;
            }
        }
    }

    /* p50 by query length, before the arrays are sorted. */
    double by_ours[MAX_QTERMS + 1][2], by_fts[MAX_QTERMS + 1][2];
    size_t by_n[MAX_QTERMS + 1];
    for (int t = 1; t <= MAX_QTERMS; t++) {
        double *xo = xmalloc((b.nq + 1) * sizeof *xo), *xf = xmalloc((b.nq + 1) * sizeof *xf);
        size_t m = 0;
        for (size_t i = 0; i < b.nq; i++)
            if (b.q[i].n == t) {
                xo[m] = lat_ours[i];
                xf[m] = sel ? lat_fts[i] : 0;
                m++;
            }
        double mean;
        stats(xo, m, &by_ours[t][0], &by_ours[t][1], &mean);
        stats(xf, m, &by_fts[t][0], &by_fts[t][1], &mean);
        by_n[t] = m;
        free(xo);
        free(xf);
    }
    double o50, o99, omean, f50 = 0, f99 = 0, fmean = 0;
    stats(lat_ours, b.nq, &o50, &o99, &omean);
    if (sel)
        stats(lat_fts, b.nq, &f50, &f99, &fmean);
    printf("corpus: %s\n", b.corpus);
    printf("documents: %zu, queries: %zu (%s; 1-6 terms), k=%zu, title weight %g\n", b.n_docs,
           b.nq, b.queries_path ? b.queries_path : "drawn from documents", b.k,
           (double)so.title_weight);
    /* The last column: how many times better paperboy is (> 1: better). */
    printf("%-22s %14s %14s %12s\n", "", "paperboy", "FTS5", "x vs FTS5");
    printf("%-22s %14.0f %14.0f %12.2f\n", "build (docs/s)", (double)b.n_docs / b.t_ours,
           b.t_fts > 0 ? (double)b.n_docs / b.t_fts : 0.0, b.t_ours > 0 ? b.t_fts / b.t_ours : 0.0);
    printf("%-22s %14.1f %14.1f %12.2f\n", "index size (MiB)", (double)st.bytes / 1048576.0,
           (double)fts_bytes / 1048576.0, st.bytes ? (double)fts_bytes / (double)st.bytes : 0.0);
    printf("%-22s %14.3f %14.3f %12.1f\n", "p50 latency (ms)", o50 * 1e3, f50 * 1e3,
           o50 > 0 ? f50 / o50 : 0.0);
    printf("%-22s %14.3f %14.3f %12.1f\n", "p99 latency (ms)", o99 * 1e3, f99 * 1e3,
           o99 > 0 ? f99 / o99 : 0.0);
    printf("%-22s %14.3f %14.3f %12.1f\n", "mean latency (ms)", omean * 1e3, fmean * 1e3,
           omean > 0 ? fmean / omean : 0.0);
    printf("by query length: terms, queries, p50 ms paperboy / FTS5, p99 ms paperboy / FTS5\n");
    for (int t = 1; t <= MAX_QTERMS; t++)
        printf("  %d  %5zu  %8.3f / %8.3f  %8.3f / %8.3f\n", t, by_n[t], by_ours[t][0] * 1e3,
               by_fts[t][0] * 1e3, by_ours[t][1] * 1e3, by_fts[t][1] * 1e3);
    printf("docs fully scored per query (paperboy): %.0f; postings decoded: %.0f\n",
           b.nq ? (double)scored / (double)b.nq : 0.0,
           b.nq ? (double)postings / (double)b.nq : 0.0);
    if (sel)
        printf("top-%zu overlap with FTS5 (informational; different BM25 variants): %.2f\n", b.k,
               b.nq ? overlap / (double)b.nq : 0.0);

    if (b.also_weight) {
        /* The same queries with another title weight, paperboy only. */
        struct search_opts so2 = so;
        so2.title_weight = (float)atof(b.also_weight);
        for (int pass = 0; pass <= b.repeat; pass++)
            for (size_t i = 0; i < b.nq; i++) {
                const struct query *q = &b.q[i];
                buf_reset(&text);
                for (int j = 0; j < q->n; j++)
                    buf_appendf(&text, "%s%s", j ? " " : "", q->words[j]);
                double a0 = time_mono();
                struct search_plan *pl;
                search_plan_text(an, text.p, text.len, &so2, &pl);
                size_t n = 0;
                if (search_plan_selects(pl))
                    index_search(snap, search_plan_query(pl), b.k, hits, &n, NULL);
                search_plan_free(pl);
                double a1 = time_mono();
                if (pass >= 1 && (pass == 1 || a1 - a0 < lat_ours[i]))
                    lat_ours[i] = a1 - a0;
            }
        stats(lat_ours, b.nq, &o50, &o99, &omean);
        printf("paperboy with title weight %g: p50 %.3f ms (x%.1f vs FTS5), p99 %.3f ms (x%.1f), "
               "mean %.3f ms\n",
               (double)so2.title_weight, o50 * 1e3, o50 > 0 ? f50 / o50 : 0.0, o99 * 1e3,
               o99 > 0 ? f99 / o99 : 0.0, omean * 1e3);
    }
    sqlite3_finalize(sel);
    sqlite3_close(b.db);
    for (size_t i = 0; i < b.nq; i++) {
        free(top_ours[i]);
        for (int j = 0; j < b.q[i].n; j++)
            free(b.q[i].words[j]);
    }
    free(top_ours);
    free(b.q);
    free(b.pick);
    free(hits);
    free(lat_ours);
    free(lat_fts);
    buf_cleanup(&text);
    buf_cleanup(&match);
    buf_cleanup(&b.body);
    text_analyzer_free(an);
    index_snapshot_release(snap);
    index_close(ix);
    nftw(work, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
