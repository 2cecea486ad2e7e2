/*
 * test_index_match.c - index_match_docs(): a query's constraints checked on
 * given documents agree with the set index_search_exhaustive() matches.
 *
 * A small random index (several segments, updates and deletions, unknown
 * dates, a vocabulary small enough that MUST clauses and phrases hit often)
 * and random queries of MUST / MUST_NOT / SHOULD clauses on every field,
 * phrases, date and category filters and an accept callback. The
 * reference for a query is the set of rowids index_search_exhaustive()
 * returns for the query without its SHOULD clauses (k = INDEX_MAX_K, more
 * than the index holds); index_match_docs() of the full query (SHOULD
 * clauses must be ignored) must agree on every rowid from 0 to past the
 * largest, deleted and never-added ones included, asked in ascending
 * order, in shuffled order with repeats, and in small batches.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index.h"
#include "ok.h"
#include "util/err.h"
#include "util/mem.h"

#define N_ROWIDS 1600 /* rowids 0..N_ROWIDS-1 are asked; docs use some */
#define VOCAB 40

static char dir[256];

static void cleanup_dir(void)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[600];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(uint32_t n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)(seed % n);
}

/* Word i: "q" + two letters + "z", left alone by the analyzer (no stemming change,
 * no stopword). Frequent words have small i. */
static void vword(uint32_t i, char *out)
{
    snprintf(out, 8, "q%c%cz", 'a' + (int)(i % 26), 'a' + (int)(i / 26));
}

static uint32_t skewed(void)
{
    uint32_t a = rnd(VOCAB), b = rnd(VOCAB);
    return a < b ? a : b;
}

static void text(char *out, size_t cap, uint32_t nwords)
{
    size_t o = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < nwords && o + 8 < cap; i++) {
        char w[8];
        vword(skewed(), w);
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", w);
    }
}

static const char *const cats[] = {"cs.LG", "cs.CL", "stat.ML", "hep-th", "math.OC", "cs.IR"};

static int add_doc(struct index_writer *w, int64_t rowid)
{
    char title[128], abs[512], au[64], cs[64];
    text(title, sizeof title, 2 + rnd(5));
    text(abs, sizeof abs, 5 + rnd(30));
    snprintf(au, sizeof au, "Ann %s, Bob %s", rnd(2) ? "qaaz" : "qbaz", rnd(3) ? "qcaz" : "qdaz");
    snprintf(cs, sizeof cs, "%s %s", cats[rnd(6)], cats[rnd(6)]);
    struct index_doc d = {rowid, title, abs, au, cs,
                          rnd(8) == 0 ? INDEX_NO_DATE : (int32_t)(19000 + rnd(1000))};
    return index_writer_add(w, &d);
}

/* ------------------------------------------------------------------ */
/* random constraint queries                                           */

struct rq {
    struct index_clause cl[10];
    char terms[10][8];
    struct index_phrase ph[2];
    char phterms[2][3][8];
    struct index_filter f;
    const char *fcats[2];
    struct index_query q;
};

static int accept_not_7_3(void *ctx, int64_t rowid)
{
    (void)ctx;
    return rowid % 7 != 3;
}

static void gen(struct rq *r)
{
    static const int fields[] = {INDEX_FIELD_BODY, INDEX_FIELD_BODY, INDEX_FIELD_TITLE,
                                 INDEX_FIELD_AUTHORS, INDEX_FIELD_CATEGORY};
    static const char *const lccats[] = {"cs.lg", "cs.cl", "stat.ml", "hep-th"};
    static const char *const fcat[] = {"cs.*", "hep-th", "stat.ML", "math.*", "CS.CL"};
    memset(r, 0, sizeof *r);
    index_query_init(&r->q);
    size_t n = rnd(6);
    for (size_t i = 0; i < n; i++) {
        int f = fields[rnd(5)];
        const char *t = r->terms[i];
        if (f == INDEX_FIELD_CATEGORY)
            t = lccats[rnd(4)];
        else if (f == INDEX_FIELD_AUTHORS)
            vword(rnd(4), r->terms[i]);
        else
            vword(rnd(3) ? skewed() : rnd(VOCAB + 5), r->terms[i]); /* some absent */
        uint32_t o = rnd(3);
        r->cl[i] = (struct index_clause){t, strlen(t), (enum index_field)f, 1.0f,
                                         o == 0 ? INDEX_SHOULD : o == 1 ? INDEX_MUST : INDEX_MUST_NOT};
    }
    r->q.clauses = r->cl;
    r->q.n_clauses = n;
    size_t np = rnd(4) == 0 ? 1 + rnd(2) : 0;
    for (size_t i = 0; i < np; i++) {
        struct index_phrase *p = &r->ph[i];
        p->field = rnd(3) ? INDEX_FIELD_BODY : INDEX_FIELD_TITLE;
        p->n = 2 + rnd(2);
        for (size_t j = 0; j < p->n; j++) {
            vword(rnd(8), r->phterms[i][j]);
            p->terms[j] = r->phterms[i][j];
            p->lens[j] = strlen(r->phterms[i][j]);
            p->pos[j] = (uint32_t)j + (j && rnd(5) == 0); /* a stopword gap now and then */
        }
    }
    r->q.phrases = r->ph;
    r->q.n_phrases = np;
    if (rnd(3) == 0) {
        index_filter_init(&r->f);
        if (rnd(2)) {
            r->f.date_from = rnd(2) ? (int32_t)(19000 + rnd(1000)) : INT32_MIN;
            r->f.date_to = rnd(2) ? (int32_t)(19500 + rnd(600)) : INT32_MAX;
        }
        if (rnd(2)) {
            r->fcats[0] = fcat[rnd(5)];
            r->fcats[1] = fcat[rnd(5)];
            r->f.categories = r->fcats;
            r->f.n_categories = 1 + rnd(2);
        }
        if (rnd(4) == 0)
            r->f.accept = accept_not_7_3;
        r->q.filter = &r->f;
    }
}

/* The reference: which rowids exhaustive search matches for q less its
 * SHOULD clauses. Returns the count, or -1 on error. */
static int reference(const struct index_snapshot *s, const struct index_query *q,
                     unsigned char *want)
{
    struct index_clause req[10];
    size_t n = 0;
    for (size_t i = 0; i < q->n_clauses; i++)
        if (q->clauses[i].occur != INDEX_SHOULD)
            req[n++] = q->clauses[i];
    struct index_query cq = *q;
    cq.clauses = req;
    cq.n_clauses = n;
    static struct index_hit hits[INDEX_MAX_K];
    size_t nh = 0;
    int64_t total = 0;
    if (index_search_exhaustive(s, &cq, INDEX_MAX_K, hits, &nh, &total) != 0 || total != (int64_t)nh)
        return -1;
    memset(want, 0, N_ROWIDS);
    for (size_t i = 0; i < nh; i++) {
        if (hits[i].rowid < 0 || hits[i].rowid >= N_ROWIDS)
            return -1;
        want[hits[i].rowid] = 1;
    }
    return (int)nh;
}

static int compare(const struct index_snapshot *s, int nq, const char *label)
{
    static int64_t all[N_ROWIDS], mixed[2 * N_ROWIDS];
    static unsigned char want[N_ROWIDS], got[2 * N_ROWIDS];
    for (int i = 0; i < N_ROWIDS; i++)
        all[i] = i;
    int bad = 0, some = 0, none = 0, every = 0;
    long matched = 0;
    for (int qi = 0; qi < nq; qi++) {
        struct rq r;
        gen(&r);
        int m = reference(s, &r.q, want);
        int rc = index_match_docs(s, &r.q, all, N_ROWIDS, got);
        int diff = m < 0 || rc != 0;
        for (int i = 0; !diff && i < N_ROWIDS; i++)
            diff = got[i] != want[i];
        /* the same in shuffled order with repeats */
        size_t nm = 0;
        for (int i = 0; i < N_ROWIDS; i++) {
            mixed[nm++] = i;
            if (rnd(4) == 0)
                mixed[nm++] = i;
        }
        for (size_t i = nm - 1; i > 0; i--) {
            size_t j = rnd((uint32_t)i + 1);
            int64_t t = mixed[i];
            mixed[i] = mixed[j];
            mixed[j] = t;
        }
        if (!diff && index_match_docs(s, &r.q, mixed, nm, got) != 0)
            diff = 1;
        for (size_t i = 0; !diff && i < nm; i++)
            diff = got[i] != want[mixed[i]];
        /* and a few at a time */
        for (size_t i = 0; !diff && i < 40; i += 8) {
            if (index_match_docs(s, &r.q, mixed + i, 8, got) != 0)
                diff = 1;
            for (size_t j = 0; !diff && j < 8; j++)
                diff = got[j] != want[mixed[i + j]];
        }
        if (diff) {
            if (bad < 3)
                printf("# mismatch query %d (%zu clauses, %zu phrases, filter %d): rc %d ref %d\n",
                       qi, r.q.n_clauses, r.q.n_phrases, r.q.filter != NULL, rc, m);
            bad++;
        }
        matched += m > 0 ? m : 0;
        some += m > 0;
        none += m == 0;
    }
    {
        /* a query that matches every live doc: nothing but SHOULD */
        struct index_clause c = {"qaaz", 4, INDEX_FIELD_BODY, 1.0f, INDEX_SHOULD};
        struct index_query q;
        index_query_init(&q);
        q.clauses = &c;
        q.n_clauses = 1;
        index_match_docs(s, &q, all, N_ROWIDS, got);
        for (int i = 0; i < N_ROWIDS; i++)
            every += got[i];
    }
    printf("# %s: %d queries, %d match some docs, %d none, %ld matches; %d live docs\n", label,
           nq, some, none, matched, every);
    char name[160];
    ok(bad == 0, label);
    snprintf(name, sizeof name, "%s: the queries are not vacuous", label);
    ok(some > nq / 4 && none > 0, name);
    return every;
}

int main(void)
{
    const char *td = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test-index-match-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return ok_done();
    }
    rmdir(dir); /* index_create makes it */
    struct index *ix = NULL;
    struct index_opts o;
    index_opts_default(&o);
    o.flush_docs = 300;
    o.max_segments = 16;
    int rc = index_create(dir, &o, &ix);
    ok_eq_int(rc, 0, "index created");
    if (rc != 0)
        return ok_done();
    /* rowids 0..1199 in steps that leave gaps, over four segments */
    struct index_writer *w = NULL;
    rc = index_writer_new(ix, &w);
    for (int64_t r = 0; rc == 0 && r < 1200; r++)
        if (r % 5 != 2)
            rc = add_doc(w, r);
    if (rc == 0)
        rc = index_writer_commit(w);
    ok_eq_int(rc, 0, "960 docs committed");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    struct index_stats st;
    index_snapshot_stats(s, &st);
    printf("# %d segments\n", st.n_segments);
    ok(st.n_segments >= 3, "several segments");
    compare(s, 400, "match_docs == exhaustive, several segments");
    index_snapshot_release(s);

    /* updates (the old copy deleted in an older segment), deletions, new docs */
    rc = index_writer_new(ix, &w);
    for (int i = 0; rc == 0 && i < 300; i++) {
        rc = add_doc(w, (int64_t)rnd(1200));
        if (rc == 0 && i % 3 == 0)
            rc = index_writer_delete(w, (int64_t)rnd(1200));
        if (rc == 0 && i % 4 == 0)
            rc = add_doc(w, 1200 + i);
    }
    if (rc == 0)
        rc = index_writer_commit(w);
    ok_eq_int(rc, 0, "updates and deletions committed");
    s = index_snapshot_acquire(ix);
    index_snapshot_stats(s, &st);
    printf("# %d segments, %lld of %lld docs live\n", st.n_segments, (long long)st.n_live,
           (long long)st.n_docs);
    ok(st.n_live < st.n_docs, "some docs deleted but not merged");
    int every = compare(s, 400, "match_docs == exhaustive with deletions and updates");
    ok_eq_int(every, (int)st.n_live, "a SHOULD-only query passes every live doc");

    /* errors and edge cases */
    unsigned char p[2] = {7, 7};
    int64_t two[2] = {1, 3};
    struct index_clause bad = {"qaaz", 4, INDEX_FIELD_BODY, 0.0f, INDEX_MUST};
    struct index_query q;
    index_query_init(&q);
    q.clauses = &bad;
    q.n_clauses = 1;
    ok_eq_int(index_match_docs(s, &q, two, 2, p), ERR_INVALID, "malformed query: ERR_INVALID");
    ok(p[0] == 7 && p[1] == 7, "pass untouched on error");
    q.n_clauses = 0;
    ok_eq_int(index_match_docs(s, &q, two, 0, p), 0, "no documents: fine");
    ok_eq_int(index_match_docs(s, &q, NULL, 0, NULL), 0, "no documents, NULL arrays: fine");
    index_snapshot_release(s);

    int merged = 0;
    ok_eq_int(index_merge(ix, 1, &merged), 0, "force merge");
    s = index_snapshot_acquire(ix);
    compare(s, 200, "match_docs == exhaustive after the merge");
    index_snapshot_release(s);
    index_close(ix);
    cleanup_dir();
    return ok_done();
}
