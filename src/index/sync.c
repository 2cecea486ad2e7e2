/*
 * sync.c - building and refreshing the lexical index from the store (see
 * sync.h).
 *
 * The store's change counter (papers.seq, store_seq_max and
 * store_paper_each_changed in store.h) says what changed: the manifest's
 * sync mark is the seq the index has seen. The source tag is the store's
 * identity, a random hex string kept in the store's state table under
 * SYNC_STATE_KEY (made on first use), so an index is never synced from
 * another database than the one it was built from.
 */
#include "index/sync.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define SYNC_STATE_KEY "index.store_id"
#define AUTHORS_MAX (64u << 10)

int32_t index_date_days(const char *s)
{
    if (!s || !*s)
        return INDEX_NO_DATE;
    int64_t t;
    if (time_parse(s, strlen(s), &t) != 0)
        return INDEX_NO_DATE;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    if (days <= INT32_MIN || days > INT32_MAX)
        return INDEX_NO_DATE;
    return (int32_t)days;
}

void index_doc_from_paper(struct index_doc *d, int64_t rowid, const struct paper *p, struct buf *b)
{
    memset(d, 0, sizeof *d);
    d->rowid = rowid;
    d->title = p->title ? p->title : p->title_raw;
    d->abstract = p->abstract ? p->abstract : p->abstract_raw;
    d->categories = p->categories ? p->categories : p->primary_category;
    d->date = index_date_days(p->created);
    buf_reset(b);
    if (p->n_authors) {
        int rc = 0;
        for (size_t i = 0; i < p->n_authors && rc == 0; i++) {
            if (!p->authors[i].name)
                continue;
            if (b->len)
                buf_put(b, &rc, ", ", 2);
            buf_puts(b, &rc, p->authors[i].name);
        }
        d->authors = buf_cstr(b); /* cut at the cap: still a prefix of names */
    } else {
        d->authors = p->authors_raw;
    }
}

/* The store's identity (made and saved on first use) into id. */
static int store_identity(struct store *st, char *id, size_t cap)
{
    char *v = NULL;
    int rc = store_state_get(st, SYNC_STATE_KEY, &v);
    if (rc == 0) {
        snprintf(id, cap, "%s", v);
        free(v);
        return 0;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    unsigned char r[12];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, r, sizeof r) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
        for (size_t i = 0; i < sizeof r; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
            r[i] = (unsigned char)(x >> 56);
    }
    char hex[sizeof r * 2 + 1];
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    rc = store_state_set(st, SYNC_STATE_KEY, hex);
    if (rc == 0)
        snprintf(id, cap, "%s", hex);
    return rc;
}

struct add_ctx {
    struct index_writer *w;
    struct buf authors;
    FILE *progress;
    int64_t n;
    double t0;
};

static void progress_line(struct add_ctx *c, int final)
{
    if (!c->progress)
        return;
    double dt = time_mono() - c->t0;
    fprintf(c->progress, "\rindex: %lld papers, %.0f/s%s", (long long)c->n,
            dt > 0 ? (double)c->n / dt : 0.0, final ? "\n" : "");
    fflush(c->progress);
}

static int add_paper(struct add_ctx *c, int64_t rowid, const struct paper *p)
{
    struct index_doc d;
    index_doc_from_paper(&d, rowid, p, &c->authors);
    int rc = index_writer_add(c->w, &d);
    c->n++;
    if (c->progress && c->n % 20000 == 0)
        progress_line(c, 0);
    return rc;
}

static int each_fn(void *ctx, int64_t rowid, const struct paper *p)
{
    return add_paper(ctx, rowid, p);
}

static int changed_fn(void *ctx, int64_t rowid, int64_t seq, const struct paper *p)
{
    (void)seq;
    return add_paper(ctx, rowid, p);
}

int index_reindex(struct store *st, const char *dir, const struct index_opts *o, FILE *progress,
                  struct index **out, int64_t *n_docs)
{
    char id[64];
    int64_t mark = 0;
    int rc = store_identity(st, id, sizeof id);
    if (rc == 0)
        rc = store_seq_max(st, &mark);
    if (rc)
        return rc;
    struct index *ix = NULL;
    rc = index_create(dir, o, &ix);
    if (rc)
        return rc;
    struct add_ctx c;
    memset(&c, 0, sizeof c);
    buf_init(&c.authors, AUTHORS_MAX);
    c.progress = progress;
    c.t0 = time_mono();
    rc = index_writer_new(ix, &c.w);
    if (rc == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        index_writer_set_threads(c.w, cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus);
        /* Papers changed while we read have seq > mark: the next sync
         * indexes them again. */
        rc = store_paper_each(st, 0, each_fn, &c);
        index_writer_set_sync(c.w, mark, id);
        if (rc == 0)
            rc = index_writer_commit(c.w);
        else
            index_writer_abort(c.w);
    }
    if (rc == 0)
        rc = index_merge(ix, 1, NULL);
    progress_line(&c, 1);
    buf_cleanup(&c.authors);
    if (rc) {
        index_close(ix);
        return rc;
    }
    if (n_docs)
        *n_docs = c.n;
    *out = ix;
    return 0;
}

int index_sync(struct index *ix, struct store *st, int64_t *n)
{
    char id[64], have[128];
    int64_t mark = 0, store_max = 0;
    int rc = store_identity(st, id, sizeof id);
    if (rc == 0)
        rc = store_seq_max(st, &store_max);
    if (rc == 0)
        rc = index_refresh(ix);
    if (rc)
        return rc;
    index_sync_mark(ix, &mark, have, sizeof have);
    if (strcmp(have, id) != 0 || mark > store_max)
        return ERR_CORRUPT; /* built from another store, or the store went back */
    if (mark == store_max) {
        if (n)
            *n = 0;
        return 0;
    }
    struct add_ctx c;
    memset(&c, 0, sizeof c);
    buf_init(&c.authors, AUTHORS_MAX);
    c.t0 = time_mono();
    rc = index_writer_new(ix, &c.w);
    if (rc == 0) {
        rc = store_paper_each_changed(st, mark, changed_fn, &c);
        index_writer_set_sync(c.w, store_max, id);
        if (rc == 0)
            rc = index_writer_commit(c.w);
        else
            index_writer_abort(c.w);
    }
    if (rc == 0)
        rc = index_merge(ix, 0, NULL);
    buf_cleanup(&c.authors);
    if (rc == 0 && n)
        *n = c.n;
    return rc;
}

int index_open_synced(struct store *st, const char *dir, const struct index_opts *o,
                      FILE *progress, struct index **out)
{
    struct index *ix = NULL;
    int rc = index_open(dir, &ix);
    if (rc == 0) {
        rc = index_sync(ix, st, NULL);
        if (rc == ERR_CORRUPT || rc == ERR_NOT_FOUND || rc == ERR_UNSUPPORTED) {
            index_close(ix);
            ix = NULL;
        } else if (rc) {
            index_close(ix);
            return rc;
        }
    }
    if (!ix) {
        rc = index_reindex(st, dir, o, progress, &ix, NULL);
        if (rc)
            return rc;
    }
    *out = ix;
    return 0;
}
