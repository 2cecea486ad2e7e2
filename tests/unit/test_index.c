/*
 * test_index.c - the lexical index: segment round trip, corruption and
 * truncation detection, atomic manifest replacement, deletions and
 * updates, merges, phrases, filters, and block-max search == exhaustive
 * search on thousands of random queries (synthetic corpus; SciFact too when
 * $SHARED/data/scifact exists).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "index/index.h"
#include "index/index_int.h"
#include "index/sync.h"
#include "store/store.h"
#include "util/buf.h"
#include "ok.h"
#include "util/err.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static char tmproot[256];

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void mkdirp(const char *d)
{
    mkdir(d, 0755);
}

static const char *tdir(const char *name)
{
    static char buf[8][512];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, 512, "%s/%s", tmproot, name);
    return b;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static uint32_t rndn(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}
/* Zipf-ish: skewed towards small numbers. */
static uint32_t zipf(uint32_t n)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    uint32_t v = (uint32_t)(pow((double)n + 1, u)) - 1;
    return v >= n ? n - 1 : v;
}

static const char *syl[] = {"ba", "ko", "ri", "tu", "me", "sa", "lo", "ni", "pe", "da",
                            "gu", "vi", "ze", "fo", "ha", "mu", "te", "ro", "ki", "wa"};

static void word(uint32_t i, char *out)
{
    /* 2-4 syllables + 'x' so stemming leaves them alone */
    size_t n = 0;
    uint32_t v = i;
    do {
        const char *s = syl[v % 20];
        out[n++] = s[0];
        out[n++] = s[1];
        v /= 20;
    } while (v);
    out[n++] = 'x';
    out[n] = '\0';
}

#define VOCAB 3000

static char *gen_text(uint32_t nwords)
{
    char *t = xmalloc((size_t)nwords * 12 + 1);
    size_t n = 0;
    for (uint32_t i = 0; i < nwords; i++) {
        char w[16];
        word(zipf(VOCAB), w);
        size_t l = strlen(w);
        memcpy(t + n, w, l);
        n += l;
        t[n++] = ' ';
    }
    t[n] = '\0';
    return t;
}

static const char *cats_all[] = {"cs.LG", "cs.AI", "cs.CL", "stat.ML", "hep-th", "math.OC", "cs.IR"};

static void gen_doc(struct index_doc *d, int64_t rowid, char **owned)
{
    memset(d, 0, sizeof *d);
    d->rowid = rowid;
    owned[0] = gen_text(3 + rndn(10));
    owned[1] = gen_text(20 + rndn(150));
    owned[2] = xmalloc(128);
    snprintf(owned[2], 128, "Ann %s, Bob %s", syl[rndn(20)], syl[rndn(20)]);
    owned[3] = xmalloc(64);
    snprintf(owned[3], 64, "%s %s", cats_all[rndn(7)], cats_all[rndn(7)]);
    d->title = owned[0];
    d->abstract = owned[1];
    d->authors = owned[2];
    d->categories = owned[3];
    d->date = rndn(10) == 0 ? INDEX_NO_DATE : (int32_t)(15000 + rndn(5000));
}

static void free4(char **o)
{
    for (int i = 0; i < 4; i++)
        free(o[i]);
}

static int add_text(struct index_writer *w, int64_t rowid, const char *title, const char *abs,
                    const char *authors, const char *cats, int32_t date)
{
    struct index_doc d = {rowid, title, abs, authors, cats, date};
    return index_writer_add(w, &d);
}

/* Runs a one-term (or more, space-separated, analyzed) BODY query. */
static size_t q_simple(struct index *ix, const char *text, struct index_hit *hits, size_t k)
{
    struct text_analyzer_opts ao;
    index_analyzer_opts(ix, &ao);
    struct text_analyzer *a;
    text_analyzer_new(&ao, &a);
    char buf[1024];
    text_analyze_str(a, text, buf, sizeof buf);
    struct index_clause cl[16];
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save))
        cl[n++] = (struct index_clause){t, strlen(t), INDEX_FIELD_BODY, 1.0f, INDEX_SHOULD};
    struct index_query q;
    index_query_init(&q);
    q.clauses = cl;
    q.n_clauses = n;
    struct index_snapshot *s = index_snapshot_acquire(ix);
    size_t nh = 0;
    int rc = index_search(s, &q, k, hits, &nh, NULL);
    index_snapshot_release(s);
    text_analyzer_free(a);
    return rc == 0 ? nh : (size_t)-1;
}

static int same_hits(const struct index_hit *a, size_t na, const struct index_hit *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].rowid != b[i].rowid || memcmp(&a[i].score, &b[i].score, sizeof(float)) != 0)
            return 0;
    return 1;
}

/* ------------------------------------------------------------------ */
/* random queries: block-max == exhaustive                             */

struct qgen {
    struct index_clause cl[8];
    char terms[8][32];
    struct index_phrase ph;
    struct index_filter f;
    const char *fcats[2];
    struct index_phrase nph;
    char nterms[2][32];
    const char *ncats[2];
};

/* An excluded phrase of two frequent words (so that some documents hold
 * it). */
static void gen_not_phrase(struct qgen *g)
{
    memset(&g->nph, 0, sizeof g->nph);
    g->nph.field = rndn(4) ? INDEX_FIELD_BODY : INDEX_FIELD_TITLE;
    g->nph.n = 2;
    for (int j = 0; j < 2; j++) {
        word(zipf(12), g->nterms[j]);
        g->nph.terms[j] = g->nterms[j];
        g->nph.lens[j] = strlen(g->nterms[j]);
    }
    g->nph.pos[1] = 1 + (rndn(4) == 0);
}

/* One or two excluded category patterns. */
static size_t gen_not_cats(struct qgen *g)
{
    static const char *const pats[] = {"cs.*", "hep-th", "STAT.ML", "math.*", "cs.lg", "q-bio.*"};
    g->ncats[0] = pats[rndn(6)];
    g->ncats[1] = pats[rndn(6)];
    return 1 + rndn(2);
}

static void gen_query(struct qgen *g, struct index_query *q, int flavour)
{
    index_query_init(q);
    size_t n = 1 + rndn(6);
    for (size_t i = 0; i < n; i++) {
        /* a mix of frequent and rare terms */
        word(rndn(3) == 0 ? rndn(VOCAB) : zipf(VOCAB), g->terms[i]);
        int field = INDEX_FIELD_BODY;
        float weight = 1.0f;
        int occur = INDEX_SHOULD;
        if (flavour >= 1) {
            uint32_t r = rndn(10);
            if (r == 0)
                field = INDEX_FIELD_TITLE;
            if (r == 1)
                weight = 0.25f + (float)rndn(8) / 4.0f;
            if (flavour >= 2 && r == 2)
                occur = INDEX_MUST;
            if (flavour >= 2 && r == 3 && n > 1)
                occur = INDEX_MUST_NOT;
        }
        g->cl[i] = (struct index_clause){g->terms[i], strlen(g->terms[i]), field, weight, occur};
    }
    if (flavour >= 2 && rndn(8) == 0) {
        g->cl[n] = (struct index_clause){"cs.lg", 5, INDEX_FIELD_CATEGORY, 1.0f,
                                         rndn(2) ? INDEX_MUST : INDEX_SHOULD};
        n++;
    }
    q->clauses = g->cl;
    q->n_clauses = n;
    if (flavour >= 2 && rndn(6) == 0) {
        index_filter_init(&g->f);
        if (rndn(2)) {
            g->f.date_from = (int32_t)(15000 + rndn(3000));
            g->f.date_to = g->f.date_from + (int32_t)rndn(3000);
        }
        if (rndn(2)) {
            g->fcats[0] = rndn(2) ? "cs.*" : "hep-th";
            g->fcats[1] = "stat.ML";
            g->f.categories = g->fcats;
            g->f.n_categories = 1 + rndn(2);
        }
        q->filter = &g->f;
    }
    if (flavour >= 2 && rndn(8) == 0) {
        if (!q->filter) {
            index_filter_init(&g->f);
            q->filter = &g->f;
        }
        g->f.not_categories = g->ncats;
        g->f.n_not_categories = gen_not_cats(g);
    }
    if (flavour >= 2 && rndn(8) == 0) {
        gen_not_phrase(g);
        q->not_phrases = &g->nph;
        q->n_not_phrases = 1;
    }
    if (flavour >= 2 && rndn(10) == 0 && n >= 2) {
        /* a phrase of the first two terms as adjacent words */
        memset(&g->ph, 0, sizeof g->ph);
        g->ph.field = INDEX_FIELD_BODY;
        g->ph.n = 2;
        g->ph.terms[0] = g->terms[0];
        g->ph.lens[0] = strlen(g->terms[0]);
        g->ph.terms[1] = g->terms[1];
        g->ph.lens[1] = strlen(g->terms[1]);
        g->ph.pos[1] = 1;
        q->phrases = &g->ph;
        q->n_phrases = 1;
    }
    if (rndn(5) == 0) {
        q->k1 = 0.5f + (float)rndn(10) / 10.0f;
        q->b = (float)rndn(11) / 10.0f;
    }
}

static int compare_random(struct index *ix, int nq, int flavour, const char *label)
{
    struct index_snapshot *s = index_snapshot_acquire(ix);
    static struct index_hit a[1000], b[1000];
    int bad = 0, nonempty = 0;
    uint64_t scored = 0, total_sum = 0;
    for (int i = 0; i < nq; i++) {
        struct qgen g;
        struct index_query q;
        gen_query(&g, &q, flavour);
        size_t k = rndn(4) == 0 ? 1 + rndn(1000) : (rndn(2) ? 10 : 100);
        size_t na = 0, nb = 0;
        struct index_search_info info;
        int64_t total = 0;
        int r1 = index_search(s, &q, k, a, &na, &info);
        int r2 = index_search_exhaustive(s, &q, k, b, &nb, &total);
        if (r1 || r2 || !same_hits(a, na, b, nb)) {
            if (bad < 3) {
                printf("# mismatch q%d: rc %d/%d n %zu/%zu k %zu nclauses %zu\n", i, r1, r2, na,
                       nb, k, q.n_clauses);
                for (size_t j = 0; j < na && j < nb && j < 20; j++)
                    if (a[j].rowid != b[j].rowid || a[j].score != b[j].score)
                        printf("#   %zu: %lld %.9g vs %lld %.9g\n", j, (long long)a[j].rowid,
                               a[j].score, (long long)b[j].rowid, b[j].score);
            }
            bad++;
        }
        nonempty += na > 0;
        scored += info.scored;
        total_sum += (uint64_t)total;
    }
    index_snapshot_release(s);
    printf("# %s: %d queries, %d with hits, scored %llu docs (exhaustive matched %llu)\n", label, nq,
           nonempty, (unsigned long long)scored, (unsigned long long)total_sum);
    ok(bad == 0, label);
    return bad;
}

/* Exclusions against their definition: the hits of a query with an
 * excluded phrase and/or excluded categories are the hits of the query
 * without them less the documents that hold the phrase (a phrase-only
 * query) or such a category (a category filter), cut at k - ids and
 * scores, by index_search and by index_search_exhaustive. */
#define EXCL_MAX_ROWID 65536
static int compare_exclusions(struct index *ix, int nq, const char *label)
{
    struct index_snapshot *s = index_snapshot_acquire(ix);
    static struct index_hit base[INDEX_MAX_K], want[1000], a[1000], b[1000];
    static int64_t ids[EXCL_MAX_ROWID];
    static unsigned char held_ph[EXCL_MAX_ROWID], held_cat[EXCL_MAX_ROWID];
    for (int64_t i = 0; i < EXCL_MAX_ROWID; i++)
        ids[i] = i;
    int bad = 0, checked = 0, refused_some = 0;
    for (int i = 0; i < nq; i++) {
        struct qgen g;
        struct index_query q;
        gen_query(&g, &q, 2);
        q.n_not_phrases = 0;
        struct index_filter f;
        if (q.filter)
            f = *q.filter;
        else
            index_filter_init(&f);
        f.n_not_categories = 0;
        q.filter = f.n_categories || f.date_from != INT32_MIN || f.date_to != INT32_MAX ? &f : NULL;
        size_t nb = 0;
        int64_t total = 0;
        if (index_search_exhaustive(s, &q, INDEX_MAX_K, base, &nb, &total) != 0 ||
            total > INDEX_MAX_K)
            continue; /* the whole match set is needed */
        int with_ph = rndn(3) != 0, with_cat = !with_ph || rndn(2);
        /* the holders, by the positive forms */
        memset(held_ph, 0, sizeof held_ph);
        memset(held_cat, 0, sizeof held_cat);
        struct index_query hq;
        index_query_init(&hq);
        if (with_ph) {
            gen_not_phrase(&g);
            hq.phrases = &g.nph;
            hq.n_phrases = 1;
            if (index_match_docs(s, &hq, ids, EXCL_MAX_ROWID, held_ph) != 0)
                bad++;
        }
        struct index_filter hf;
        index_filter_init(&hf);
        if (with_cat) {
            hf.categories = g.ncats;
            hf.n_categories = gen_not_cats(&g);
            index_query_init(&hq);
            hq.filter = &hf;
            if (index_match_docs(s, &hq, ids, EXCL_MAX_ROWID, held_cat) != 0)
                bad++;
        }
        size_t k = rndn(2) ? 10 : 1 + rndn(1000), nw = 0;
        int held = 0;
        for (size_t j = 0; j < nb; j++) {
            int64_t r = base[j].rowid;
            if (r < 0 || r >= EXCL_MAX_ROWID || held_ph[r] || held_cat[r])
                held = 1;
            else if (nw < k)
                want[nw++] = base[j];
        }
        refused_some += held;
        /* the same query with the exclusions */
        if (with_ph) {
            q.not_phrases = &g.nph;
            q.n_not_phrases = 1;
        }
        if (with_cat) {
            f.not_categories = g.ncats;
            f.n_not_categories = hf.n_categories;
            q.filter = &f;
        }
        size_t na = 0, nbx = 0;
        int r1 = index_search(s, &q, k, a, &na, NULL);
        int r2 = index_search_exhaustive(s, &q, k, b, &nbx, NULL);
        if (r1 || r2 || !same_hits(a, na, want, nw) || !same_hits(b, nbx, want, nw)) {
            if (bad < 3)
                printf("# exclusion mismatch q%d: rc %d/%d n %zu/%zu want %zu (k %zu, phrase %d, "
                       "cats %d)\n", i, r1, r2, na, nbx, nw, k, with_ph, with_cat);
            bad++;
        }
        checked++;
    }
    index_snapshot_release(s);
    printf("# %s: %d of %d queries checked, %d with a match refused\n", label, checked, nq,
           refused_some);
    ok(bad == 0 && checked > nq / 4 && refused_some > checked / 4, label);
    return bad;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

static void test_roundtrip(void)
{
    const char *dir = tdir("rt");
    struct index *ix = NULL;
    ok_eq_int(index_open(dir, &ix), ERR_NOT_FOUND, "open of a missing index: ERR_NOT_FOUND");
    ok_eq_int(index_create(dir, NULL, &ix), 0, "create");
    struct index_writer *w;
    ok_eq_int(index_writer_new(ix, &w), 0, "writer");
    struct index_writer *w2;
    ok_eq_int(index_writer_new(ix, &w2), ERR_BUSY, "second writer: busy");
    add_text(w, 10, "Deep residual learning", "We present ResNet-50, a residual network.",
             "Kaiming He, Xiangyu Zhang", "cs.CV cs.LG", 16000);
    add_text(w, 20, "Attention is all you need", "The Transformer uses attention only.",
             "Ashish Vaswani", "cs.CL", 17000);
    add_text(w, 30, "BERT4Rec: sequential recommendation", "BERT for recommendation with GPT-4.",
             "Fei Sun", "cs.IR", INDEX_NO_DATE);
    index_writer_set_sync(w, 42, "store-abc");
    ok_eq_int(index_writer_commit(w), 0, "commit");
    struct index_hit h[10];
    ok_eq_int(q_simple(ix, "residual", h, 10), 1, "search finds a word");
    ok_eq_int(h[0].rowid, 10, "right doc");
    ok_eq_int(q_simple(ix, "GPT4", h, 10), 1, "GPT4 meets GPT-4");
    ok_eq_int(h[0].rowid, 30, "right doc for gpt4");
    ok_eq_int(q_simple(ix, "resnet50", h, 10), 1, "resnet50 meets ResNet-50");
    struct index_hit before[10];
    size_t nb = q_simple(ix, "attention residual recommendation", before, 10);
    ok_eq_int(nb, 3, "three docs for three words");
    index_close(ix);

    ok_eq_int(index_open(dir, &ix), 0, "reopen");
    struct index_hit after[10];
    size_t na = q_simple(ix, "attention residual recommendation", after, 10);
    ok(same_hits(before, nb, after, na), "same results after reopen");
    int64_t mark;
    char src[64];
    index_sync_mark(ix, &mark, src, sizeof src);
    ok_eq_int(mark, 42, "sync mark kept");
    ok_eq_str(src, "store-abc", "source tag kept");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    struct index_stats st;
    index_snapshot_stats(s, &st);
    ok_eq_int(st.n_docs, 3, "3 docs");
    ok_eq_int(st.n_live, 3, "3 live");
    ok_eq_int(index_snapshot_df(s, INDEX_FIELD_CATEGORY, "cs.lg", 5), 1, "category df");
    ok_eq_int(index_snapshot_df(s, INDEX_FIELD_AUTHORS, "vaswani", 7), 1, "author df");
    int32_t date = 0;
    ok(index_snapshot_has(s, 20, &date) && date == 17000, "has rowid 20 with its date");
    ok(!index_snapshot_has(s, 21, NULL), "no rowid 21");
    index_snapshot_release(s);
    index_close(ix);
}

/* Builds a small committed index in dir; returns its segment file name. */
static void build_small(const char *dir, char *segname, size_t cap)
{
    struct index *ix;
    index_create(dir, NULL, &ix);
    struct index_writer *w;
    index_writer_new(ix, &w);
    for (int i = 0; i < 300; i++) {
        char *o[4];
        struct index_doc d;
        gen_doc(&d, i + 1, o);
        index_writer_add(w, &d);
        free4(o);
    }
    index_writer_commit(w);
    struct index_snapshot *s = index_snapshot_acquire(ix);
    snprintf(segname, cap, "%s", s->segs[0].seg->name);
    index_snapshot_release(s);
    index_close(ix);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = xmalloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static void test_corruption(void)
{
    const char *dir = tdir("corrupt");
    char seg[128], path[700];
    build_small(dir, seg, sizeof seg);
    snprintf(path, sizeof path, "%s/%s", dir, seg);
    size_t len;
    uint8_t *orig = slurp(path, &len);
    ok(orig && len > 1000, "segment file written");
    struct index *ix;

    /* a flipped byte in every region is detected */
    size_t offs[] = {3, 100, SEG_HEADER_SIZE + 5, len / 3, len / 2, len - 7, len - 1};
    int all = 1;
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        uint8_t *c = xmalloc(len);
        memcpy(c, orig, len);
        c[offs[i]] ^= 0x5a;
        spit(path, c, len);
        int rc = index_open(dir, &ix);
        if (rc == 0) {
            index_close(ix);
            all = 0;
            printf("# flip at %zu not detected\n", offs[i]);
        } else if (rc != ERR_CORRUPT && rc != ERR_UNSUPPORTED) {
            all = 0;
        }
        free(c);
    }
    ok(all, "flipped bytes: ERR_CORRUPT");
    /* truncation */
    spit(path, orig, len - 100);
    ok_eq_int(index_open(dir, &ix), ERR_CORRUPT, "truncated segment: ERR_CORRUPT");
    spit(path, orig, 10);
    ok_eq_int(index_open(dir, &ix), ERR_CORRUPT, "segment cut to 10 bytes: ERR_CORRUPT");
    /* another version */
    uint8_t *c = xmalloc(len);
    memcpy(c, orig, len);
    c[8] = 99;
    index_seg_fix_crcs(c, len);
    spit(path, c, len);
    ok_eq_int(index_open(dir, &ix), ERR_UNSUPPORTED, "other format version: ERR_UNSUPPORTED");
    free(c);
    /* bad magic */
    c = xmalloc(len);
    memcpy(c, orig, len);
    c[0] = 'X';
    spit(path, c, len);
    ok_eq_int(index_open(dir, &ix), ERR_CORRUPT, "bad magic: ERR_CORRUPT");
    free(c);
    /* missing segment */
    unlink(path);
    ok_eq_int(index_open(dir, &ix), ERR_NOT_FOUND, "missing segment: ERR_NOT_FOUND");
    spit(path, orig, len);
    ok_eq_int(index_open(dir, &ix), 0, "restored segment opens");
    index_close(ix);
    /* corrupt manifest */
    char mpath[700];
    snprintf(mpath, sizeof mpath, "%s/MANIFEST", dir);
    size_t mlen;
    uint8_t *m = slurp(mpath, &mlen);
    m[20] ^= 1;
    spit(mpath, m, mlen);
    ok_eq_int(index_open(dir, &ix), ERR_CORRUPT, "corrupt manifest: ERR_CORRUPT");
    m[20] ^= 1;
    spit(mpath, m, mlen - 3);
    ok_eq_int(index_open(dir, &ix), ERR_CORRUPT, "truncated manifest: ERR_CORRUPT");
    unlink(mpath);
    ok_eq_int(index_open(dir, &ix), ERR_NOT_FOUND, "missing manifest: ERR_NOT_FOUND");
    free(m);
    free(orig);
}

static void test_manifest_atomic(void)
{
    const char *dir = tdir("atomic");
    char seg[128];
    build_small(dir, seg, sizeof seg);
    struct manifest m;
    ok_eq_int(index_manifest_read(dir, &m), 0, "manifest reads");
    uint64_t gen = m.gen;
    int n = m.n;
    /* a crash after writing MANIFEST.tmp, before the rename */
    struct manifest m2 = m;
    m2.gen = gen + 5;
    m2.n = 0;
    ok_eq_int(index_manifest_write(dir, &m2, 1), 0, "tmp manifest written (crash before rename)");
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/MANIFEST.tmp", dir);
    ok(access(tmp, F_OK) == 0, "MANIFEST.tmp exists");
    struct manifest m3;
    ok_eq_int(index_manifest_read(dir, &m3), 0, "old manifest still valid");
    ok(m3.gen == gen && m3.n == n, "old manifest content");
    index_manifest_cleanup(&m3);
    struct index *ix;
    ok_eq_int(index_open(dir, &ix), 0, "index opens on the old manifest");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    ok_eq_int(s->n_docs, 300, "all docs there");
    index_snapshot_release(s);
    /* a commit replaces MANIFEST.tmp and the manifest */
    struct index_writer *w;
    index_writer_new(ix, &w);
    add_text(w, 1000, "new", "text", NULL, NULL, 1);
    ok_eq_int(index_writer_commit(w), 0, "commit after the crash");
    index_close(ix);
    ok_eq_int(index_manifest_read(dir, &m3), 0, "new manifest");
    ok(m3.gen == gen + 1 && m3.n == n + 1, "new manifest content");
    index_manifest_cleanup(&m3);
    index_manifest_cleanup(&m);
}

static void test_updates_deletes(void)
{
    const char *dir = tdir("upd");
    struct index *ix;
    struct index_opts o;
    index_opts_default(&o);
    o.max_segments = 3;
    index_create(dir, &o, &ix);
    struct index_writer *w;
    struct index_hit h[10];
    index_writer_new(ix, &w);
    add_text(w, 5, "apple pie", "an apple a day", NULL, "cs.AI", 100);
    add_text(w, 6, "cherry", "cherry tart", NULL, "cs.AI", 100);
    index_writer_commit(w);
    ok_eq_int(q_simple(ix, "apple", h, 10), 1, "apple before update");
    index_writer_new(ix, &w);
    add_text(w, 5, "banana bread", "a banana a day", NULL, "cs.AI", 100);
    index_writer_commit(w);
    ok_eq_int(q_simple(ix, "apple", h, 10), 0, "old version gone after update");
    ok_eq_int(q_simple(ix, "banana", h, 10), 1, "new version found");
    ok_eq_int(h[0].rowid, 5, "same rowid");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    ok(s->n_live == 2 && s->n_docs == 3, "N counts the deleted doc until a merge");
    index_snapshot_release(s);
    /* update twice within one batch, then delete another */
    index_writer_new(ix, &w);
    add_text(w, 7, "date one", "x", NULL, NULL, 1);
    add_text(w, 7, "date two", "y", NULL, NULL, 1);
    index_writer_delete(w, 6);
    add_text(w, 8, "elder", "z", NULL, NULL, 1);
    index_writer_delete(w, 8);
    index_writer_commit(w);
    ok_eq_int(q_simple(ix, "one", h, 10), 0, "first version within a batch replaced");
    ok_eq_int(q_simple(ix, "two", h, 10), 1, "second version within a batch");
    ok_eq_int(q_simple(ix, "cherry", h, 10), 0, "deleted doc gone");
    ok_eq_int(q_simple(ix, "elder", h, 10), 0, "doc added then deleted in a batch gone");
    s = index_snapshot_acquire(ix);
    ok_eq_int(s->n_live, 2, "live docs: 5 and 7");
    index_snapshot_release(s);
    index_close(ix);
    ok_eq_int(index_open(dir, &ix), 0, "reopen with deletion files");
    ok_eq_int(q_simple(ix, "cherry", h, 10), 0, "deletion persisted");
    ok_eq_int(q_simple(ix, "banana", h, 10), 1, "update persisted");
    int merged = 0;
    ok_eq_int(index_merge(ix, 1, &merged), 0, "force merge");
    ok(merged >= 2, "segments merged");
    s = index_snapshot_acquire(ix);
    ok(s->n == 1 && s->n_docs == 2 && s->n_live == 2, "one segment, deleted docs dropped");
    index_snapshot_release(s);
    ok_eq_int(q_simple(ix, "banana two", h, 10), 2, "both live docs found after merge");
    index_close(ix);
    /* nothing left behind but the live files */
    DIR *d = opendir(dir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            files++;
    closedir(d);
    ok_eq_int(files, 3, "directory holds MANIFEST, LOCK and one segment");
}

static void test_phrases_filters(void)
{
    const char *dir = tdir("phr");
    struct index *ix;
    index_create(dir, NULL, &ix);
    struct index_writer *w;
    index_writer_new(ix, &w);
    add_text(w, 1, "Neural network pruning", "We prune a neural network.", "Yann LeCun", "cs.LG",
             18000);
    add_text(w, 2, "Network of neural cells", "A network; neural activity.", "Someone Else",
             "q-bio.NC", 18500);
    add_text(w, 3, "State-of-the-art results", "state of the art art state", "Yann Other",
             "cs.CV stat.ML", 19000);
    add_text(w, 4, "Title mentions pruning", "body says nothing", NULL, "cs.LG", INDEX_NO_DATE);
    index_writer_commit(w);
    struct index_snapshot *s = index_snapshot_acquire(ix);
    struct index_hit h[10];
    size_t n = 0;
    struct index_query q;
    struct index_phrase p;
    memset(&p, 0, sizeof p);
    p.field = INDEX_FIELD_BODY;
    p.n = 2;
    p.terms[0] = "neural";
    p.lens[0] = 6;
    p.terms[1] = "network";
    p.lens[1] = 7;
    p.pos[1] = 1;
    struct index_clause cl[2] = {{"neural", 6, INDEX_FIELD_BODY, 1, INDEX_SHOULD},
                                 {"network", 7, INDEX_FIELD_BODY, 1, INDEX_SHOULD}};
    index_query_init(&q);
    q.clauses = cl;
    q.n_clauses = 2;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "both words: two docs");
    q.phrases = &p;
    q.n_phrases = 1;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 1, "phrase \"neural network\": doc 1 only");
    p.terms[0] = "network";
    p.lens[0] = 7;
    p.terms[1] = "neural";
    p.lens[1] = 6;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 2, "phrase \"network neural\" across ';': doc 2 only");
    /* stopword gaps: "state of the art" -> state@0 art@3 */
    p.terms[0] = "state";
    p.lens[0] = 5;
    p.terms[1] = "art";
    p.lens[1] = 3;
    p.pos[1] = 3;
    q.n_clauses = 0;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 3, "phrase with stopword gap, no scoring clause");
    ok(h[0].score == 0.0f, "constraint-only query scores 0");
    p.pos[1] = 1;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 0, "state art adjacent: no (title is 'state-of-the-art' with gaps)");
    /* field restriction */
    struct index_clause tc = {"prune", 5, INDEX_FIELD_TITLE, 1, INDEX_SHOULD};
    index_query_init(&q);
    q.clauses = &tc;
    q.n_clauses = 1;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "title field: 'pruning' in two titles");
    tc.field = INDEX_FIELD_BODY;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "body field has titles too");
    struct index_clause ac = {"yann", 4, INDEX_FIELD_AUTHORS, 1, INDEX_SHOULD};
    q.clauses = &ac;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "authors field");
    /* filters */
    struct index_filter f;
    index_filter_init(&f);
    const char *c1[] = {"CS.LG"};
    f.categories = c1;
    f.n_categories = 1;
    tc.field = INDEX_FIELD_BODY;
    q.clauses = &tc;
    q.filter = &f;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "category filter (case-insensitive)");
    const char *c2[] = {"stat.*", "q-bio.NC"};
    f.categories = c2;
    f.n_categories = 2;
    q.n_clauses = 0;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 2 && h[0].rowid == 2 && h[1].rowid == 3, "wildcard + exact categories, by rowid");
    index_filter_init(&f);
    f.date_from = 18400;
    f.date_to = 19000;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 2 && h[0].rowid == 2 && h[1].rowid == 3, "date range (unknown dates excluded)");
    struct index_clause cc = {"cs.lg", 5, INDEX_FIELD_CATEGORY, 1, INDEX_MUST};
    struct index_clause both[2] = {cc, {"neural", 6, INDEX_FIELD_BODY, 1, INDEX_SHOULD}};
    index_query_init(&q);
    q.clauses = both;
    q.n_clauses = 2;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 2 && h[0].rowid == 1 && h[1].rowid == 4, "MUST category + SHOULD word");
    ok(h[1].score == 0.0f && h[0].score > 0, "category clause adds 0");
    struct index_clause nots[2] = {{"neural", 6, INDEX_FIELD_BODY, 1, INDEX_SHOULD},
                                   {"prune", 5, INDEX_FIELD_BODY, 1, INDEX_MUST_NOT}};
    q.clauses = nots;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 2, "MUST_NOT");
    /* excluded phrases and categories */
    struct index_clause neu = {"neural", 6, INDEX_FIELD_BODY, 1, INDEX_SHOULD};
    struct index_phrase np;
    memset(&np, 0, sizeof np);
    np.field = INDEX_FIELD_BODY;
    np.n = 2;
    np.terms[0] = "neural";
    np.lens[0] = 6;
    np.terms[1] = "network";
    np.lens[1] = 7;
    np.pos[1] = 1;
    index_query_init(&q);
    q.clauses = &neu;
    q.n_clauses = 1;
    q.not_phrases = &np;
    q.n_not_phrases = 1;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 2, "not phrase \"neural network\": doc 2 (\"network; neural\") only");
    np.terms[0] = "network";
    np.lens[0] = 7;
    np.terms[1] = "neural";
    np.lens[1] = 6;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 1, "not phrase \"network neural\": doc 1 only");
    np.terms[1] = "zebra";
    np.lens[1] = 5;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 2, "not phrase with a term no document holds: nothing refused");
    np.terms[0] = "state";
    np.lens[0] = 5;
    np.terms[1] = "art";
    np.lens[1] = 3;
    np.pos[1] = 3;
    q.n_clauses = 0; /* constraints only: every document but the holder */
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 3 && h[0].rowid == 1 && h[1].rowid == 2 && h[2].rowid == 4,
       "not phrase alone: every document but its holder");
    struct index_phrase two[2] = {np, np};
    two[1].terms[0] = "prune";
    two[1].lens[0] = 5;
    two[1].terms[1] = "neural";
    two[1].lens[1] = 6;
    two[1].pos[1] = 2; /* "We prune a neural network" */
    q.not_phrases = two;
    q.n_not_phrases = 2;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 2 && h[0].rowid == 2 && h[1].rowid == 4, "two not phrases: holders of either refused");
    index_filter_init(&f);
    const char *nc1[] = {"CS.*"};
    f.not_categories = nc1;
    f.n_not_categories = 1;
    index_query_init(&q);
    q.clauses = &neu;
    q.n_clauses = 1;
    q.filter = &f;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 1 && h[0].rowid == 2, "not category cs.* (case-insensitive)");
    const char *nc2[] = {"q-bio.NC", "stat.*"};
    f.not_categories = nc2;
    f.n_not_categories = 2;
    q.n_clauses = 0;
    index_search(s, &q, 10, h, &n, NULL);
    ok(n == 2 && h[0].rowid == 1 && h[1].rowid == 4, "not categories alone (exact + wildcard)");
    f.categories = c1; /* cs.LG */
    f.n_categories = 1;
    f.not_categories = nc1;
    f.n_not_categories = 1;
    index_search(s, &q, 10, h, &n, NULL);
    ok_eq_int(n, 0, "a category both required and excluded: nothing");
    /* index_match_docs honours both */
    int64_t all4[4] = {1, 2, 3, 4};
    unsigned char pass4[4];
    index_filter_init(&f);
    f.not_categories = nc2;
    f.n_not_categories = 2;
    q.not_phrases = &np; /* state@0 art@3: doc 3 */
    q.n_not_phrases = 1;
    ok_eq_int(index_match_docs(s, &q, all4, 4, pass4), 0, "match_docs with exclusions");
    ok(pass4[0] && !pass4[1] && !pass4[2] && pass4[3], "match_docs: excluded docs fail");
    /* invalid queries */
    q.n_not_phrases = INDEX_MAX_NOT_PHRASES + 1;
    ok_eq_int(index_search(s, &q, 10, h, &n, NULL), ERR_INVALID, "too many not phrases");
    q.not_phrases = NULL;
    q.n_not_phrases = 1;
    ok_eq_int(index_search(s, &q, 10, h, &n, NULL), ERR_INVALID, "not phrases NULL");
    q.n_not_phrases = 0;
    f.not_categories = NULL;
    ok_eq_int(index_search(s, &q, 10, h, &n, NULL), ERR_INVALID, "not categories NULL");
    q.filter = NULL;
    q.not_phrases = &np;
    q.n_not_phrases = 1;
    np.n = 0;
    ok_eq_int(index_search(s, &q, 10, h, &n, NULL), ERR_INVALID, "empty not phrase");
    struct index_clause badw = {"x", 1, INDEX_FIELD_BODY, -1, INDEX_SHOULD};
    q.clauses = &badw;
    q.n_clauses = 1;
    ok_eq_int(index_search(s, &q, 10, h, &n, NULL), ERR_INVALID, "negative weight: ERR_INVALID");
    badw.weight = 1;
    ok_eq_int(index_search(s, &q, 0, h, &n, NULL), ERR_INVALID, "k = 0: ERR_INVALID");
    index_snapshot_release(s);
    index_close(ix);
}

static void test_random(void)
{
    const char *dir = tdir("rand");
    struct index *ix;
    struct index_opts o;
    index_opts_default(&o);
    o.flush_docs = 3000;
    o.max_segments = 4;
    index_create(dir, &o, &ix);
    struct index_writer *w;
    index_writer_new(ix, &w);
    int ndocs = 12000;
    for (int i = 0; i < ndocs; i++) {
        char *ow[4];
        struct index_doc d;
        gen_doc(&d, (int64_t)(i * 3 + 1), ow);
        index_writer_add(w, &d);
        free4(ow);
    }
    ok_eq_int(index_writer_commit(w), 0, "12000 synthetic docs committed");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    ok_eq_int(s->n, 4, "four segments (flush every 3000)");
    index_snapshot_release(s);
    compare_random(ix, 1500, 0, "block-max == exhaustive: plain BODY queries");
    compare_random(ix, 1000, 1, "block-max == exhaustive: title fields and weights");
    compare_random(ix, 1000, 2, "block-max == exhaustive: MUST/NOT/phrase/filters");
    compare_exclusions(ix, 300, "excluded phrases and categories == hits less their holders");

    /* merge without deletions keeps results bit for bit */
    static struct index_hit before[50][100], after[100];
    size_t nbefore[50];
    uint64_t saved = rng_state;
    struct qgen g;
    struct index_query q;
    s = index_snapshot_acquire(ix);
    for (int i = 0; i < 50; i++) {
        gen_query(&g, &q, 1);
        index_search(s, &q, 100, before[i], &nbefore[i], NULL);
    }
    index_snapshot_release(s);
    int merged = 0;
    ok_eq_int(index_merge(ix, 1, &merged), 0, "force merge");
    ok_eq_int(merged, 4, "4 segments merged");
    rng_state = saved;
    s = index_snapshot_acquire(ix);
    ok_eq_int(s->n, 1, "one segment");
    int same = 1;
    for (int i = 0; i < 50; i++) {
        size_t na;
        gen_query(&g, &q, 1);
        index_search(s, &q, 100, after, &na, NULL);
        same &= same_hits(before[i], nbefore[i], after, na);
    }
    index_snapshot_release(s);
    ok(same, "merge preserves results exactly");

    /* updates and deletes, then more segments */
    index_writer_new(ix, &w);
    for (int i = 0; i < 2500; i++) {
        char *ow[4];
        struct index_doc d;
        gen_doc(&d, (int64_t)(rndn(ndocs) * 3 + 1), ow); /* updates */
        index_writer_add(w, &d);
        free4(ow);
        if (i % 5 == 0)
            index_writer_delete(w, (int64_t)(rndn(ndocs) * 3 + 1));
        if (i % 7 == 0) {
            gen_doc(&d, (int64_t)(ndocs * 3 + i), ow); /* new */
            index_writer_add(w, &d);
            free4(ow);
        }
    }
    ok_eq_int(index_writer_commit(w), 0, "updates committed");
    s = index_snapshot_acquire(ix);
    printf("# after updates: %d segments, %lld docs, %lld live\n", s->n, (long long)s->n_docs,
           (long long)s->n_live);
    ok(s->n_live < s->n_docs, "some docs deleted");
    index_snapshot_release(s);
    compare_random(ix, 1000, 2, "block-max == exhaustive with deletions");
    compare_exclusions(ix, 200, "exclusions == hits less holders, with deletions");
    ok_eq_int(index_merge(ix, 0, &merged), 0, "tiered merge call");
    compare_random(ix, 500, 2, "block-max == exhaustive after tiered merge");
    ok_eq_int(index_merge(ix, 1, &merged), 0, "force merge with deletions");
    s = index_snapshot_acquire(ix);
    ok(s->n == 1 && s->n_docs == s->n_live, "merge dropped deleted docs");
    index_snapshot_release(s);
    compare_random(ix, 500, 2, "block-max == exhaustive after merge");
    index_close(ix);
}

/* Readers search while a writer commits and a merge runs. */
struct rctx {
    struct index *ix;
    atomic_int stop;
    int errors;
    long searches;
};

static void *reader(void *arg)
{
    struct rctx *r = arg;
    struct index_hit h[10];
    while (!atomic_load(&r->stop)) {
        struct index_snapshot *s = index_snapshot_acquire(r->ix);
        struct index_clause c = {"bakox", 5, INDEX_FIELD_BODY, 1, INDEX_SHOULD};
        struct index_query q;
        index_query_init(&q);
        q.clauses = &c;
        q.n_clauses = 1;
        size_t n;
        if (index_search(s, &q, 10, h, &n, NULL) != 0)
            r->errors++;
        index_snapshot_release(s);
        r->searches++;
    }
    return NULL;
}

static void test_concurrent(void)
{
    const char *dir = tdir("conc");
    struct index *ix;
    struct index_opts o;
    index_opts_default(&o);
    o.max_segments = 2;
    index_create(dir, &o, &ix);
    struct rctx r;
    r.ix = ix;
    atomic_init(&r.stop, 0);
    r.errors = 0;
    r.searches = 0;
    pthread_t t;
    pthread_create(&t, NULL, reader, &r);
    int rc = 0;
    for (int round = 0; round < 6; round++) {
        struct index_writer *w;
        index_writer_new(ix, &w);
        for (int i = 0; i < 300; i++) {
            char *ow[4];
            struct index_doc d;
            gen_doc(&d, rndn(1000), ow);
            index_writer_add(w, &d);
            free4(ow);
        }
        rc |= index_writer_commit(w);
        rc |= index_merge(ix, 0, NULL);
    }
    atomic_store(&r.stop, 1);
    pthread_join(t, NULL);
    ok(rc == 0 && r.errors == 0 && r.searches > 0, "concurrent readers, commits and merges");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    ok(s->n <= 2, "tiered merge keeps max_segments");
    int64_t live = s->n_live;
    index_snapshot_release(s);
    /* a second handle (as another process would) sees the same after refresh */
    struct index *ix2;
    ok_eq_int(index_open(dir, &ix2), 0, "second handle");
    struct index_writer *w;
    index_writer_new(ix2, &w);
    add_text(w, 5000, "fresh", "paper", NULL, NULL, 1);
    index_writer_commit(w);
    ok_eq_int(index_refresh(ix), 0, "refresh");
    s = index_snapshot_acquire(ix);
    ok_eq_int(s->n_live, live + 1, "the other handle's commit is visible");
    index_snapshot_release(s);
    index_close(ix2);
    index_close(ix);
}

/* ------------------------------------------------------------------ */
/* SciFact (optional)                                                  */

/* Extracts the JSON string value of key from a line (ad hoc: test only). */
static char *json_str(const char *line, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (!p) {
        snprintf(pat, sizeof pat, "\"%s\":\"", key);
        p = strstr(line, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    char *out = xmalloc(strlen(p) + 1);
    size_t n = 0;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            if (*p == 'u' && p[1] && p[2] && p[3] && p[4]) {
                char hex[5] = {p[1], p[2], p[3], p[4], 0};
                unsigned v = (unsigned)strtoul(hex, NULL, 16);
                if (v < 0x80) {
                    out[n++] = (char)v;
                } else if (v < 0x800) {
                    out[n++] = (char)(0xc0 | (v >> 6));
                    out[n++] = (char)(0x80 | (v & 0x3f));
                } else {
                    out[n++] = (char)(0xe0 | (v >> 12));
                    out[n++] = (char)(0x80 | ((v >> 6) & 0x3f));
                    out[n++] = (char)(0x80 | (v & 0x3f));
                }
                p += 5;
                continue;
            }
            out[n++] = *p == 'n' ? ' ' : *p == 't' ? ' ' : *p;
            p++;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

struct qtok {
    struct index_clause cl[64];
    char buf[64][TEXT_MAX_TERM + 1];
    size_t n;
};

static int qtok_fn(void *ctx, const struct text_token *t)
{
    struct qtok *q = ctx;
    if (q->n >= 64)
        return 0;
    memcpy(q->buf[q->n], t->term, t->len + 1);
    q->cl[q->n] = (struct index_clause){q->buf[q->n], t->len, INDEX_FIELD_BODY, 1, INDEX_SHOULD};
    q->n++;
    return 0;
}

static void test_scifact(void)
{
    const char *shared = getenv("SHARED");
    char path[512], qpath[512];
    snprintf(path, sizeof path, "%s/data/scifact/corpus.jsonl", shared ? shared : "../shared");
    snprintf(qpath, sizeof qpath, "%s/data/scifact/queries-train.jsonl",
             shared ? shared : "../shared");
    FILE *f = fopen(path, "r");
    FILE *fq = fopen(qpath, "r");
    if (!f || !fq) {
        ok_skip("scifact block-max == exhaustive", "no $SHARED/data/scifact");
        if (f)
            fclose(f);
        if (fq)
            fclose(fq);
        return;
    }
    const char *dir = tdir("scifact");
    struct index *ix;
    struct index_opts o;
    index_opts_default(&o);
    o.flush_docs = 2000;
    index_create(dir, &o, &ix);
    struct index_writer *w;
    index_writer_new(ix, &w);
    char *line = NULL;
    size_t cap = 0;
    int docs = 0;
    while (getline(&line, &cap, f) > 0) {
        char *id = json_str(line, "_id"), *title = json_str(line, "title"),
             *text = json_str(line, "text");
        if (id) {
            add_text(w, atoll(id), title, text, NULL, NULL, INDEX_NO_DATE);
            docs++;
        }
        free(id);
        free(title);
        free(text);
    }
    fclose(f);
    ok_eq_int(index_writer_commit(w), 0, "scifact indexed");
    printf("# scifact: %d docs\n", docs);
    struct text_analyzer *a;
    text_analyzer_new(NULL, &a);
    struct index_snapshot *s = index_snapshot_acquire(ix);
    int bad = 0, nq = 0;
    static struct index_hit h1[100], h2[100];
    while (getline(&line, &cap, fq) > 0) {
        char *text = json_str(line, "text");
        if (!text)
            continue;
        struct qtok qt;
        qt.n = 0;
        text_analyze(a, text, strlen(text), 0, qtok_fn, &qt, NULL);
        free(text);
        if (qt.n == 0)
            continue;
        struct index_query q;
        index_query_init(&q);
        q.clauses = qt.cl;
        q.n_clauses = qt.n;
        for (int k = 10; k <= 100; k += 90) {
            size_t n1, n2;
            int r1 = index_search(s, &q, (size_t)k, h1, &n1, NULL);
            int r2 = index_search_exhaustive(s, &q, (size_t)k, h2, &n2, NULL);
            if (r1 || r2 || !same_hits(h1, n1, h2, n2))
                bad++;
        }
        nq++;
    }
    fclose(fq);
    free(line);
    printf("# scifact: %d queries x k in {10, 100}\n", nq);
    ok(bad == 0 && nq > 100, "scifact: block-max == exhaustive on train queries");
    index_snapshot_release(s);
    text_analyzer_free(a);
    index_close(ix);
}


/* ------------------------------------------------------------------ */
/* store sync                                                          */

static void put_paper(struct store *st, const char *id, int version, const char *title,
                      const char *abstract, const char *cats)
{
    struct paper p;
    paper_init(&p);
    p.id = xstrdup(id);
    p.title = xstrdup(title);
    p.abstract = xstrdup(abstract);
    p.categories = xstrdup(cats);
    p.created = xstrdup("2023-05-04");
    paper_add_author(&p, "Ada Lovelace", "Lovelace", "Ada", NULL);
    char date[16];
    snprintf(date, sizeof date, "2023-05-%02d", 4 + version);
    paper_add_version(&p, version, date, NULL);
    enum store_change ch;
    store_paper_upsert(st, &p, &ch);
    paper_cleanup(&p);
}

static void test_sync(void)
{
    char dbp[600];
    snprintf(dbp, sizeof dbp, "%s/sync.db", tmproot);
    struct store *st = NULL;
    if (store_open(dbp, 0, &st) != 0) {
        ok(0, "store opens");
        return;
    }
    put_paper(st, "2301.00001", 1, "Quantum kittens", "We study quantum kittens.", "quant-ph");
    put_paper(st, "2301.00002", 1, "Classical dogs", "Dogs bark classically.", "cs.AI");
    const char *dir = tdir("sync-index");
    struct index *ix = NULL;
    int64_t n = 0;
    ok_eq_int(index_reindex(st, dir, NULL, NULL, &ix, &n), 0, "reindex from the store");
    ok_eq_int(n, 2, "two papers indexed");
    struct index_hit h[10];
    ok_eq_int(q_simple(ix, "kittens", h, 10), 1, "found after reindex");
    int64_t rowid = 0;
    store_paper_rowid(st, "2301.00001", &rowid);
    ok_eq_int(h[0].rowid, rowid, "hit is the store's rowid");
    struct index_snapshot *s = index_snapshot_acquire(ix);
    int32_t date = 0;
    ok(index_snapshot_has(s, rowid, &date) && date == index_date_days("2023-05-04"),
       "date from created");
    ok_eq_int(index_snapshot_df(s, INDEX_FIELD_AUTHORS, "lovelac", 7), 2, "authors indexed");
    index_snapshot_release(s);

    ok_eq_int(index_sync(ix, st, &n), 0, "sync with nothing new");
    ok_eq_int(n, 0, "nothing synced");
    put_paper(st, "2301.00001", 2, "Quantum puppies", "We study quantum puppies now.", "quant-ph");
    put_paper(st, "2301.00003", 1, "Graph kittens", "Kittens on graphs.", "cs.DM");
    ok_eq_int(index_sync(ix, st, &n), 0, "sync after an update and an addition");
    ok_eq_int(n, 2, "two papers synced");
    ok_eq_int(q_simple(ix, "puppies", h, 10), 1, "updated text found");
    ok_eq_int(h[0].rowid, rowid, "same rowid after the update");
    ok_eq_int(q_simple(ix, "kittens", h, 10), 1, "old text gone, new paper found");
    s = index_snapshot_acquire(ix);
    ok_eq_int(s->n_live, 3, "three live documents");
    index_snapshot_release(s);
    index_close(ix);

    /* another store: stale */
    char dbp2[600];
    snprintf(dbp2, sizeof dbp2, "%s/other.db", tmproot);
    struct store *st2 = NULL;
    store_open(dbp2, 0, &st2);
    put_paper(st2, "2301.00009", 1, "Other", "Another store entirely.", "cs.AI");
    ok_eq_int(index_open(dir, &ix), 0, "reopen");
    ok_eq_int(index_sync(ix, st2, &n), ERR_CORRUPT, "index of another store: stale");
    index_close(ix);
    ok_eq_int(index_open_synced(st2, dir, NULL, NULL, &ix), 0, "open_synced rebuilds");
    ok_eq_int(q_simple(ix, "another", h, 10), 1, "rebuilt from the other store");
    ok_eq_int(q_simple(ix, "kittens", h, 10), 0, "nothing of the first store");
    index_close(ix);
    store_close(st2);
    store_close(st);
    ok_eq_int(index_date_days("1970-01-02"), 1, "days since epoch");
    ok_eq_int(index_date_days("nonsense"), INDEX_NO_DATE, "bad date");
    ok_eq_int(index_date_days(NULL), INDEX_NO_DATE, "no date");
}

/* A writer with worker threads builds the same index (results equal). */
static void build_seq(struct index *ix, int threads, uint64_t seed)
{
    rng_state = seed;
    struct index_writer *w;
    index_writer_new(ix, &w);
    if (threads > 1)
        ok_eq_int(index_writer_set_threads(w, threads), 0, "set threads");
    for (int i = 0; i < 6000; i++) {
        char *ow[4];
        struct index_doc d;
        gen_doc(&d, (int64_t)rndn(4000), ow); /* many re-adds of a rowid */
        index_writer_add(w, &d);
        free4(ow);
        if (i % 11 == 0)
            index_writer_delete(w, (int64_t)rndn(4000));
    }
    ok_eq_int(index_writer_commit(w), 0, "threaded/plain commit");
}

static void test_threads(void)
{
    struct index *a, *b;
    struct index_opts o;
    index_opts_default(&o);
    o.flush_docs = 1500;
    index_create(tdir("thr-a"), &o, &a);
    index_create(tdir("thr-b"), &o, &b);
    build_seq(a, 1, 4242);
    build_seq(b, 3, 4242);
    struct index_snapshot *sa = index_snapshot_acquire(a), *sb = index_snapshot_acquire(b);
    ok(sa->n_live == sb->n_live && sa->n_docs == sb->n_docs, "same live and total docs");
    printf("# threads: %d vs %d segments, %lld live\n", sa->n, sb->n, (long long)sa->n_live);
    static struct index_hit ha[100], hb[100];
    int same = 1;
    for (int i = 0; i < 300; i++) {
        struct qgen g;
        struct index_query q;
        gen_query(&g, &q, 2);
        size_t na, nb;
        index_search_exhaustive(sa, &q, 100, ha, &na, NULL);
        index_search(sb, &q, 100, hb, &nb, NULL);
        same &= same_hits(ha, na, hb, nb);
    }
    ok(same, "3 worker threads: same results as one thread");
    index_snapshot_release(sa);
    index_snapshot_release(sb);
    compare_random(b, 300, 2, "block-max == exhaustive on the threaded build");
    index_close(a);
    index_close(b);
    /* set_threads after an add: refused */
    struct index *c;
    index_create(tdir("thr-c"), NULL, &c);
    struct index_writer *w;
    index_writer_new(c, &w);
    add_text(w, 1, "x", "y", NULL, NULL, 1);
    ok_eq_int(index_writer_set_threads(w, 2), ERR_INVALID, "threads after the first add: refused");
    index_writer_abort(w);
    struct index_snapshot *sc = index_snapshot_acquire(c);
    ok_eq_int(sc->n_docs, 0, "abort leaves nothing");
    index_snapshot_release(sc);
    index_close(c);
}

int main(void)
{
    snprintf(tmproot, sizeof tmproot, "/tmp/pb-test-index-%d", (int)getpid());
    rm_rf(tmproot);
    mkdirp(tmproot);
    test_roundtrip();
    test_corruption();
    test_manifest_atomic();
    test_updates_deletes();
    test_phrases_filters();
    test_random();
    test_concurrent();
    test_threads();
    test_scifact();
    test_sync();
    rm_rf(tmproot);
    return ok_done();
}
