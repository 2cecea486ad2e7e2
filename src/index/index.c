/*
 * index.c - the index directory: opening, snapshots, the writer (batches,
 * worker threads, commits), tiered merges and refresh from disk. Formats:
 * index_int.h (segments), manifest.c (MANIFEST, deletion files). The
 * in-memory inversion: membuf.c. Ranking: search.c.
 *
 * Concurrency: ix->mu guards the published snapshot pointer (held only to
 * swap or take a reference); ix->commit_mu serialises commits and the end
 * of merges inside the process, and flock(LOCK) across processes. Merges
 * write their segment outside both locks (ix->merge_mu keeps one merge at a
 * time per process).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "index/index_int.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

struct index {
    char *dir;
    struct index_opts opts;
    int lock_fd;
    pthread_mutex_t mu;        /* guards snap */
    pthread_mutex_t commit_mu; /* one commit at a time */
    pthread_mutex_t merge_mu;  /* one merge at a time */
    struct index_snapshot *snap;
    struct manifest man; /* the manifest snap was built from */
    int writer_open;
    uint64_t id_counter;
};

void index_opts_default(struct index_opts *o)
{
    memset(o, 0, sizeof *o);
    text_analyzer_opts_default(&o->analyzer);
    o->title_repeat = 1;
    o->max_segments = 8;
    o->flush_docs = 200000;
}

static int opts_valid(const struct index_opts *o)
{
    return o->title_repeat >= 0 && o->title_repeat <= 8 && o->max_segments >= 1 &&
           o->max_segments <= 1000 && o->flush_docs >= 1 && (int)o->analyzer.stem >= 0 &&
           o->analyzer.stem <= TEXT_STEM_PORTER && (int)o->analyzer.stop >= 0 &&
           o->analyzer.stop <= TEXT_STOP_SNOWBALL;
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */

static void snap_free(struct index_snapshot *s)
{
    for (int i = 0; i < s->n; i++) {
        index_seg_unref(s->segs[i].seg);
        index_delset_unref(s->segs[i].del);
    }
    free(s->segs);
    free(s);
}

void index_snapshot_release(struct index_snapshot *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        snap_free(s);
}

struct index_snapshot *index_snapshot_acquire(struct index *ix)
{
    pthread_mutex_lock(&ix->mu);
    struct index_snapshot *s = ix->snap;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&ix->mu);
    return s;
}

static void snap_totals(struct index_snapshot *s)
{
    s->n_docs = s->n_live = 0;
    s->bytes = 0;
    memset(s->total_len, 0, sizeof s->total_len);
    for (int i = 0; i < s->n; i++) {
        const struct seg *g = s->segs[i].seg;
        s->n_docs += g->n_docs;
        s->n_live += g->n_docs - (s->segs[i].del ? s->segs[i].del->n_del : 0);
        s->bytes += g->size;
        for (int f = 0; f < INDEX_N_FIELDS; f++)
            s->total_len[f] += g->total_len[f];
    }
}

void index_snapshot_stats(const struct index_snapshot *s, struct index_stats *out)
{
    memset(out, 0, sizeof *out);
    out->n_docs = s->n_docs;
    out->n_live = s->n_live;
    out->n_segments = s->n;
    for (int f = 0; f < INDEX_N_FIELDS; f++)
        out->total_len[f] = (int64_t)s->total_len[f];
    out->bytes = s->bytes;
}

int64_t index_snapshot_df(const struct index_snapshot *s, enum index_field f, const char *term,
                          size_t len)
{
    int64_t df = 0;
    for (int i = 0; i < s->n; i++) {
        const struct seg_term *t = index_seg_term(s->segs[i].seg, (int)f, term, len);
        if (t)
            df += t->df;
    }
    return df;
}

int index_snapshot_has(const struct index_snapshot *s, int64_t rowid, int32_t *date)
{
    for (int i = 0; i < s->n; i++) {
        uint32_t d = index_seg_find(s->segs[i].seg, rowid, s->segs[i].del);
        if (d != DOC_END) {
            if (date)
                *date = s->segs[i].seg->date[d];
            return 1;
        }
    }
    return 0;
}

/* Builds a snapshot for manifest m, reusing segments and deletion sets of
 * old (may be NULL) by name. */
static int snap_build(const char *dir, const struct manifest *m, const struct index_snapshot *old,
                      struct index_snapshot **out)
{
    struct index_snapshot *s = xcalloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    s->gen = m->gen;
    s->segs = xcalloc((size_t)m->n + 1, sizeof *s->segs);
    int rc = 0;
    for (int i = 0; i < m->n && rc == 0; i++) {
        const struct manifest_seg *ms = &m->segs[i];
        struct snap_seg *ss = &s->segs[i];
        const struct snap_seg *prev = NULL;
        for (int j = 0; old && j < old->n; j++)
            if (strcmp(old->segs[j].seg->name, ms->name) == 0)
                prev = &old->segs[j];
        if (prev) {
            ss->seg = prev->seg;
            index_seg_ref(ss->seg);
        } else {
            char *path = index_path(dir, ms->name);
            rc = index_seg_open(path, ms->name, &ss->seg);
            free(path);
            if (rc)
                break;
        }
        s->n = i + 1;
        if (ss->seg->n_docs != ms->n_docs) {
            rc = ERR_CORRUPT;
            break;
        }
        if (ss->seg->stem != (uint32_t)m->opts.analyzer.stem ||
            ss->seg->stop != (uint32_t)m->opts.analyzer.stop ||
            ss->seg->title_repeat != (uint32_t)m->opts.title_repeat) {
            rc = ERR_CORRUPT;
            break;
        }
        if (ms->del[0]) {
            if (prev && prev->del && prev->del->name && strcmp(prev->del->name, ms->del) == 0) {
                ss->del = prev->del;
                atomic_fetch_add(&ss->del->refs, 1);
            } else {
                char *path = index_path(dir, ms->del);
                rc = index_delset_read(path, ms->del, ms->n_docs, &ss->del);
                free(path);
                if (rc)
                    break;
            }
            if (ss->del->n_del != ms->n_del)
                rc = ERR_CORRUPT;
        } else if (ms->n_del != 0) {
            rc = ERR_CORRUPT;
        }
    }
    if (rc) {
        snap_free(s);
        return rc;
    }
    snap_totals(s);
    *out = s;
    return 0;
}

/* Publishes snapshot s (takes ownership) built from manifest m (takes
 * ownership of its contents). */
static void publish(struct index *ix, struct index_snapshot *s, struct manifest *m)
{
    pthread_mutex_lock(&ix->mu);
    struct index_snapshot *old = ix->snap;
    ix->snap = s;
    pthread_mutex_unlock(&ix->mu);
    index_snapshot_release(old);
    index_manifest_cleanup(&ix->man);
    ix->man = *m;
    memset(m, 0, sizeof *m);
}

/* Re-reads the manifest if its generation changed (caller holds commit_mu).
 * Retries when a file vanished under a concurrent commit. */
static int refresh_locked(struct index *ix)
{
    int rc = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        struct manifest m;
        rc = index_manifest_read(ix->dir, &m);
        if (rc)
            return rc;
        if (m.gen == ix->man.gen) {
            index_manifest_cleanup(&m);
            return 0;
        }
        struct index_snapshot *cur = index_snapshot_acquire(ix);
        struct index_snapshot *s = NULL;
        rc = snap_build(ix->dir, &m, cur, &s);
        index_snapshot_release(cur);
        if (rc == 0) {
            publish(ix, s, &m);
            return 0;
        }
        index_manifest_cleanup(&m);
        if (rc != ERR_NOT_FOUND)
            return rc;
    }
    return rc;
}

int index_refresh(struct index *ix)
{
    pthread_mutex_lock(&ix->commit_mu);
    int rc = refresh_locked(ix);
    pthread_mutex_unlock(&ix->commit_mu);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Open, create, close                                                 */

static struct index *index_alloc(const char *dir)
{
    struct index *ix = xcalloc(1, sizeof *ix);
    ix->dir = xstrdup(dir);
    ix->lock_fd = -1;
    pthread_mutex_init(&ix->mu, NULL);
    pthread_mutex_init(&ix->commit_mu, NULL);
    pthread_mutex_init(&ix->merge_mu, NULL);
    ix->id_counter = ((uint64_t)getpid() << 20) ^ (uint64_t)time(NULL);
    return ix;
}

static void index_dealloc(struct index *ix)
{
    if (ix->snap)
        index_snapshot_release(ix->snap);
    index_manifest_cleanup(&ix->man);
    if (ix->lock_fd >= 0)
        close(ix->lock_fd);
    pthread_mutex_destroy(&ix->mu);
    pthread_mutex_destroy(&ix->commit_mu);
    pthread_mutex_destroy(&ix->merge_mu);
    free(ix->dir);
    free(ix);
}

static int open_lock(struct index *ix)
{
    char *path = index_path(ix->dir, "LOCK");
    ix->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(path);
    return ix->lock_fd >= 0 ? 0 : ERR_IO;
}

static int lock_dir(struct index *ix)
{
    while (flock(ix->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return ERR_BUSY;
    return 0;
}

static void unlock_dir(struct index *ix)
{
    flock(ix->lock_fd, LOCK_UN);
}

int index_open(const char *dir, struct index **out)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    struct index *ix = index_alloc(dir);
    int rc = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        struct manifest m;
        rc = index_manifest_read(dir, &m);
        if (rc)
            break;
        struct index_snapshot *s = NULL;
        rc = snap_build(dir, &m, NULL, &s);
        if (rc == 0) {
            ix->opts = m.opts;
            ix->snap = s;
            ix->man = m;
            break;
        }
        index_manifest_cleanup(&m);
        if (rc != ERR_NOT_FOUND)
            break;
    }
    if (rc == 0)
        rc = open_lock(ix);
    if (rc) {
        index_dealloc(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

static int mkdir_p(const char *dir)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *s = p + 1; *s && rc == 0; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                rc = ERR_IO;
            *s = '/';
        }
    if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = ERR_IO;
    free(p);
    return rc;
}

static int is_index_file(const char *n)
{
    return strncmp(n, "seg-", 4) == 0 || strncmp(n, "del-", 4) == 0 ||
           strncmp(n, "MANIFEST", 8) == 0;
}

int index_create(const char *dir, const struct index_opts *o, struct index **out)
{
    struct index_opts def;
    if (!o) {
        index_opts_default(&def);
        o = &def;
    }
    if (!opts_valid(o))
        return ERR_INVALID;
    int rc = mkdir_p(dir);
    if (rc)
        return rc;
    struct index *ix = index_alloc(dir);
    rc = open_lock(ix);
    if (rc == 0)
        rc = lock_dir(ix);
    if (rc) {
        index_dealloc(ix);
        return rc;
    }
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (is_index_file(e->d_name)) {
                char *path = index_path(dir, e->d_name);
                unlink(path);
                free(path);
            }
        closedir(d);
    }
    struct manifest m;
    memset(&m, 0, sizeof m);
    m.gen = 1;
    m.opts = *o;
    rc = index_manifest_write(dir, &m, 0);
    if (rc == 0)
        rc = snap_build(dir, &m, NULL, &ix->snap);
    unlock_dir(ix);
    if (rc) {
        index_dealloc(ix);
        return rc;
    }
    ix->opts = *o;
    ix->man = m;
    *out = ix;
    return 0;
}

void index_close(struct index *ix)
{
    if (!ix)
        return;
    index_dealloc(ix);
}

void index_opts_get(const struct index *ix, struct index_opts *o)
{
    *o = ix->opts;
}

void index_analyzer_opts(const struct index *ix, struct text_analyzer_opts *o)
{
    *o = ix->opts.analyzer;
}

void index_sync_mark(const struct index *ix, int64_t *mark, char *source, size_t cap)
{
    *mark = ix->man.sync_mark;
    if (source && cap)
        snprintf(source, cap, "%s", ix->man.source);
}

static void new_seg_name(struct index *ix, char *name, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t id = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                  (__atomic_add_fetch(&ix->id_counter, 0x9E3779B97F4A7C15ull, __ATOMIC_RELAXED));
    snprintf(name, cap, "seg-%016" PRIx64 ".pbx", id);
}

static void del_name(const char *seg_name, uint64_t gen, char *out, size_t cap)
{
    /* seg-XXXXXXXXXXXXXXXX.pbx -> del-XXXXXXXXXXXXXXXX-<gen>.pbd */
    snprintf(out, cap, "del-%.16s-%" PRIu64 ".pbd", seg_name + 4, gen);
}

/* Creates a new segment file; returns its writer and name. */
int index_seg_create(struct index *ix, const struct seg_docvals *dv, char *name, size_t cap,
                     struct seg_out **out)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        new_seg_name(ix, name, cap);
        char *path = index_path(ix->dir, name);
        int rc = index_seg_out_new(path, dv, out);
        free(path);
        if (rc != ERR_EXISTS)
            return rc;
    }
    return ERR_IO;
}

static void remove_file(const char *dir, const char *name)
{
    char *path = index_path(dir, name);
    unlink(path);
    free(path);
}

/* Removes files named by old but not by cur. */
static void gc_files(const char *dir, const struct manifest *old, const struct manifest *cur)
{
    for (int i = 0; i < old->n; i++) {
        int seg_live = 0, del_live = !old->segs[i].del[0];
        for (int j = 0; j < cur->n; j++) {
            if (strcmp(old->segs[i].name, cur->segs[j].name) == 0)
                seg_live = 1;
            if (old->segs[i].del[0] && strcmp(old->segs[i].del, cur->segs[j].del) == 0)
                del_live = 1;
        }
        if (!seg_live)
            remove_file(dir, old->segs[i].name);
        if (!del_live)
            remove_file(dir, old->segs[i].del);
    }
}

static void manifest_copy(struct manifest *dst, const struct manifest *src, int extra)
{
    *dst = *src;
    dst->segs = xcalloc((size_t)src->n + (size_t)extra + 1, sizeof *dst->segs);
    if (src->n)
        memcpy(dst->segs, src->segs, (size_t)src->n * sizeof *dst->segs);
}

/* ------------------------------------------------------------------ */
/* The writer                                                          */
/*
 * Documents are inverted by membufs (membuf.c): one, called directly, or
 * one per worker thread (index_writer_set_threads), fed batches of copied
 * documents round-robin. Every add gets a sequence number; the map below
 * keeps, per rowid touched by the batch, the number of its latest add (0
 * when deleted after it). At commit every written document that is not
 * the latest add of its rowid is deleted, and every touched rowid is
 * deleted from the index's older segments.
 */

#define WBATCH 64

struct wbatch {
    size_t n;
    struct index_doc docs[WBATCH];
    uint64_t seq[WBATCH];
    char *arena;
    size_t an, acap;
};

struct worker {
    struct index_writer *w;
    struct membuf *mb;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wbatch *q[2];
    int qn, stop;
};

struct wlatest {
    int64_t rowid; /* -1: empty slot */
    uint64_t seq;  /* latest add, 0: deleted */
};

struct index_writer {
    struct index *ix;
    int n_threads;
    struct membuf *mb;      /* single-threaded mode */
    struct worker *wk;      /* n_threads > 1, started at the first add */
    int started, next_wk;
    struct wbatch *cur;
    pthread_mutex_t mu;     /* guards segs and rc */
    struct membuf_seg *segs;
    size_t n_segs, cap_segs;
    int rc;
    uint64_t seq;
    struct wlatest *latest;
    size_t lat_mask, lat_n;
    int64_t *dels; /* rowids to delete from the index's older segments */
    size_t n_dels, cap_dels;
    int64_t sync_mark;
    char source[128];
    int has_sync;
};

static void w_set_rc(struct index_writer *w, int rc)
{
    pthread_mutex_lock(&w->mu);
    if (!w->rc)
        w->rc = rc;
    pthread_mutex_unlock(&w->mu);
}

static void w_keep(struct index_writer *w, struct membuf_seg *s)
{
    if (!s->name[0])
        return;
    pthread_mutex_lock(&w->mu);
    if (w->n_segs == w->cap_segs) {
        w->cap_segs = w->cap_segs * 2 + 8;
        w->segs = xrealloc(w->segs, w->cap_segs * sizeof *w->segs);
    }
    w->segs[w->n_segs++] = *s;
    pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
    struct worker *k = arg;
    for (;;) {
        pthread_mutex_lock(&k->mu);
        while (k->qn == 0 && !k->stop)
            pthread_cond_wait(&k->cv, &k->mu);
        if (k->qn == 0 && k->stop) {
            pthread_mutex_unlock(&k->mu);
            break;
        }
        struct wbatch *b = k->q[0];
        k->q[0] = k->q[1];
        k->qn--;
        pthread_cond_broadcast(&k->cv);
        pthread_mutex_unlock(&k->mu);
        for (size_t i = 0; i < b->n; i++) {
            struct membuf_seg fl;
            int rc = index_membuf_add(k->mb, &b->docs[i], b->seq[i], &fl);
            if (rc)
                w_set_rc(k->w, rc);
            w_keep(k->w, &fl);
        }
        free(b->arena);
        free(b);
    }
    struct membuf_seg fl;
    int rc = index_membuf_flush(k->mb, &fl);
    if (rc)
        w_set_rc(k->w, rc);
    w_keep(k->w, &fl);
    return NULL;
}

int index_writer_new(struct index *ix, struct index_writer **out)
{
    pthread_mutex_lock(&ix->mu);
    int busy = ix->writer_open;
    if (!busy)
        ix->writer_open = 1;
    pthread_mutex_unlock(&ix->mu);
    if (busy)
        return ERR_BUSY;
    struct index_writer *w = xcalloc(1, sizeof *w);
    w->ix = ix;
    w->n_threads = 1;
    pthread_mutex_init(&w->mu, NULL);
    w->lat_mask = 1023;
    w->latest = xmalloc((w->lat_mask + 1) * sizeof *w->latest);
    for (size_t i = 0; i <= w->lat_mask; i++)
        w->latest[i].rowid = -1;
    *out = w;
    return 0;
}

int index_writer_set_threads(struct index_writer *w, int n)
{
    if (n < 1 || n > 64 || w->started || w->mb)
        return ERR_INVALID;
    w->n_threads = n;
    return 0;
}

/* Creates the membufs (and threads) at the first add. */
static int w_start(struct index_writer *w)
{
    size_t flush = w->ix->opts.flush_docs;
    if (w->n_threads == 1) {
        w->mb = index_membuf_new(w->ix, &w->ix->opts, flush);
        return w->mb ? 0 : ERR_INVALID;
    }
    size_t per = flush / (size_t)w->n_threads;
    w->wk = xcalloc((size_t)w->n_threads, sizeof *w->wk);
    for (int i = 0; i < w->n_threads; i++) {
        struct worker *k = &w->wk[i];
        k->w = w;
        k->mb = index_membuf_new(w->ix, &w->ix->opts, per ? per : 1);
        pthread_mutex_init(&k->mu, NULL);
        pthread_cond_init(&k->cv, NULL);
        if (!k->mb || pthread_create(&k->th, NULL, worker_main, k) != 0) {
            index_membuf_free(k->mb);
            k->mb = NULL;
            return ERR_INVALID;
        }
    }
    w->started = 1;
    return 0;
}

/* Stops the workers after they flushed what they hold. */
static void w_stop(struct index_writer *w)
{
    if (!w->wk)
        return;
    for (int i = 0; i < w->n_threads; i++) {
        struct worker *k = &w->wk[i];
        if (!k->mb)
            continue;
        pthread_mutex_lock(&k->mu);
        k->stop = 1;
        pthread_cond_broadcast(&k->cv);
        pthread_mutex_unlock(&k->mu);
        pthread_join(k->th, NULL);
        index_membuf_free(k->mb);
        pthread_mutex_destroy(&k->mu);
        pthread_cond_destroy(&k->cv);
    }
    free(w->wk);
    w->wk = NULL;
}

static void w_dispatch(struct index_writer *w)
{
    struct wbatch *b = w->cur;
    w->cur = NULL;
    if (!b)
        return;
    struct worker *k = &w->wk[w->next_wk];
    w->next_wk = (w->next_wk + 1) % w->n_threads;
    pthread_mutex_lock(&k->mu);
    while (k->qn == 2)
        pthread_cond_wait(&k->cv, &k->mu);
    k->q[k->qn++] = b;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

static const char *b_copy(struct wbatch *b, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    if (b->an + n > b->acap) {
        /* grow: re-point the documents already copied */
        size_t cap = (b->an + n) * 2 + 4096;
        char *old = b->arena, *na = xmalloc(cap);
        if (b->an)
            memcpy(na, old, b->an);
        for (size_t i = 0; i < b->n; i++) {
            const char **f[4] = {&b->docs[i].title, &b->docs[i].abstract, &b->docs[i].authors,
                                 &b->docs[i].categories};
            for (int j = 0; j < 4; j++)
                if (*f[j])
                    *f[j] = na + (*f[j] - old);
        }
        free(old);
        b->arena = na;
        b->acap = cap;
    }
    char *d = b->arena + b->an;
    memcpy(d, s, n);
    b->an += n;
    return d;
}

static int lat_find(const struct index_writer *w, int64_t rowid, size_t *slot)
{
    size_t h = (size_t)hash64(&rowid, 8, 7) & w->lat_mask;
    while (w->latest[h].rowid != -1) {
        if (w->latest[h].rowid == rowid) {
            *slot = h;
            return 1;
        }
        h = (h + 1) & w->lat_mask;
    }
    *slot = h;
    return 0;
}

/* Records that rowid's latest change is seq (0: a delete). */
static void lat_set(struct index_writer *w, int64_t rowid, uint64_t seq)
{
    size_t slot;
    if (!lat_find(w, rowid, &slot)) {
        /* first touch: older versions in the index go */
        if (w->n_dels == w->cap_dels) {
            w->cap_dels = w->cap_dels * 2 + 256;
            w->dels = xrealloc(w->dels, w->cap_dels * sizeof *w->dels);
        }
        w->dels[w->n_dels++] = rowid;
        w->latest[slot].rowid = rowid;
        w->lat_n++;
        if (w->lat_n * 2 > w->lat_mask) {
            size_t mask = w->lat_mask * 2 + 1, old_mask = w->lat_mask;
            struct wlatest *old = w->latest;
            w->latest = xmalloc((mask + 1) * sizeof *w->latest);
            for (size_t i = 0; i <= mask; i++)
                w->latest[i].rowid = -1;
            w->lat_mask = mask;
            for (size_t i = 0; i <= old_mask; i++)
                if (old[i].rowid != -1) {
                    size_t s2;
                    lat_find(w, old[i].rowid, &s2);
                    w->latest[s2] = old[i];
                }
            free(old);
            lat_find(w, rowid, &slot);
        }
    }
    w->latest[slot].seq = seq;
}

static uint64_t lat_get(const struct index_writer *w, int64_t rowid)
{
    size_t slot;
    return lat_find(w, rowid, &slot) ? w->latest[slot].seq : 0;
}

int index_writer_add(struct index_writer *w, const struct index_doc *d)
{
    if (d->rowid < 0)
        return ERR_INVALID;
    pthread_mutex_lock(&w->mu);
    int rc = w->rc;
    pthread_mutex_unlock(&w->mu);
    if (rc)
        return rc;
    if (!w->mb && !w->wk) {
        rc = w_start(w);
        if (rc) {
            w->rc = rc;
            return rc;
        }
    }
    uint64_t seq = ++w->seq;
    lat_set(w, d->rowid, seq);
    if (w->mb) {
        struct membuf_seg fl;
        rc = index_membuf_add(w->mb, d, seq, &fl);
        w_keep(w, &fl);
        if (rc)
            w_set_rc(w, rc);
        return rc;
    }
    if (!w->cur)
        w->cur = xcalloc(1, sizeof *w->cur);
    struct wbatch *b = w->cur;
    struct index_doc *c = &b->docs[b->n];
    *c = *d;
    b->seq[b->n] = seq;
    b->n++;
    c->title = b_copy(b, d->title);
    c->abstract = b_copy(b, d->abstract);
    c->authors = b_copy(b, d->authors);
    c->categories = b_copy(b, d->categories);
    if (b->n == WBATCH)
        w_dispatch(w);
    return 0;
}

int index_writer_delete(struct index_writer *w, int64_t rowid)
{
    lat_set(w, rowid, 0);
    return 0;
}

void index_writer_set_sync(struct index_writer *w, int64_t mark, const char *source)
{
    w->sync_mark = mark;
    snprintf(w->source, sizeof w->source, "%s", source ? source : "");
    w->has_sync = 1;
}

/* Flushes everything the writer holds (ends the workers). */
static int w_finish(struct index_writer *w)
{
    if (w->wk) {
        w_dispatch(w);
        w_stop(w);
    }
    if (w->mb) {
        struct membuf_seg fl;
        int rc = index_membuf_flush(w->mb, &fl);
        w_keep(w, &fl);
        if (rc)
            w_set_rc(w, rc);
    }
    return w->rc;
}

static void w_free(struct index_writer *w, int remove_segs)
{
    if (w->cur) {
        free(w->cur->arena);
        free(w->cur);
    }
    w_stop(w);
    index_membuf_free(w->mb);
    for (size_t i = 0; i < w->n_segs; i++) {
        if (remove_segs)
            remove_file(w->ix->dir, w->segs[i].name);
        free(w->segs[i].rowid);
        free(w->segs[i].seq);
    }
    free(w->segs);
    free(w->latest);
    free(w->dels);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_lock(&w->ix->mu);
    w->ix->writer_open = 0;
    pthread_mutex_unlock(&w->ix->mu);
    free(w);
}

void index_writer_abort(struct index_writer *w)
{
    if (!w)
        return;
    w_finish(w); /* stop the workers; their files are removed below */
    w_free(w, 1);
}

/* Marks doc deleted in the copy-on-write delset *d (made from base). */
static void cow_delete(struct delset **d, const struct delset *base, uint32_t n_docs, uint32_t doc)
{
    if (!*d)
        *d = base ? index_delset_copy(base) : index_delset_new(n_docs);
    uint64_t bit = 1ull << (doc & 63);
    if (!((*d)->bits[doc >> 6] & bit)) {
        (*d)->bits[doc >> 6] |= bit;
        (*d)->n_del++;
    }
}

/* Writes the deletion sets in nd[] (for manifest entries) and finishes the
 * manifest entries; written files are listed in written[]. */
static int write_dels(struct index *ix, struct manifest *m, struct delset **nd, char (*written)[64],
                      int *n_written)
{
    int rc = 0;
    for (int i = 0; i < m->n && rc == 0; i++) {
        if (!nd[i])
            continue;
        char name[64];
        del_name(m->segs[i].name, m->gen, name, sizeof name);
        char *path = index_path(ix->dir, name);
        rc = index_delset_write(path, nd[i]);
        free(path);
        if (rc)
            break;
        snprintf(written[(*n_written)++], 64, "%s", name);
        snprintf(m->segs[i].del, sizeof m->segs[i].del, "%s", name);
        m->segs[i].n_del = nd[i]->n_del;
        free(nd[i]->name);
        nd[i]->name = xstrdup(name);
    }
    return rc;
}

/* Builds the snapshot for the new manifest m from the current one, using
 * nd[] (new delsets, may be NULL entries) for changed segments. */
static int snap_for(struct index *ix, const struct manifest *m, struct delset **nd,
                    struct index_snapshot **out)
{
    struct index_snapshot *cur = index_snapshot_acquire(ix);
    struct index_snapshot *s = NULL;
    int rc = snap_build(ix->dir, m, cur, &s);
    index_snapshot_release(cur);
    if (rc)
        return rc;
    for (int i = 0; i < s->n; i++)
        if (nd[i] && s->segs[i].del != nd[i]) {
            index_delset_unref(s->segs[i].del);
            s->segs[i].del = nd[i];
            atomic_fetch_add(&nd[i]->refs, 1);
        }
    *out = s;
    return 0;
}

int index_writer_commit(struct index_writer *w)
{
    struct index *ix = w->ix;
    int rc = w_finish(w);
    if (rc) {
        w_free(w, 1);
        return rc;
    }
    pthread_mutex_lock(&ix->commit_mu);
    rc = lock_dir(ix);
    int locked = rc == 0;
    if (rc == 0)
        rc = refresh_locked(ix);
    struct manifest m;
    memset(&m, 0, sizeof m);
    struct delset **nd = NULL;
    char (*written)[64] = NULL;
    int n_written = 0;
    size_t n_nd = 0;
    int committed = 0;
    struct index_snapshot *ns = NULL;
    if (rc == 0) {
        struct index_snapshot *cur = index_snapshot_acquire(ix);
        manifest_copy(&m, &ix->man, (int)w->n_segs);
        m.gen = ix->man.gen + 1;
        if (w->has_sync) {
            m.sync_mark = w->sync_mark;
            snprintf(m.source, sizeof m.source, "%s", w->source);
        }
        int n_old = m.n;
        n_nd = (size_t)n_old + w->n_segs;
        nd = xcalloc(n_nd + 1, sizeof *nd);
        written = xcalloc(n_nd + 1, sizeof *written);
        /* Deletions in the index's segments. */
        for (size_t i = 0; i < w->n_dels; i++)
            for (int s = 0; s < cur->n; s++) {
                const struct seg *g = cur->segs[s].seg;
                uint32_t doc = index_seg_find(g, w->dels[i], nd[s] ? nd[s] : cur->segs[s].del);
                if (doc != DOC_END)
                    cow_delete(&nd[s], cur->segs[s].del, g->n_docs, doc);
            }
        /* The batch's segments and their self-deletions. */
        for (uint32_t i = 0; i < w->n_segs; i++) {
            struct manifest_seg *ms = &m.segs[m.n++];
            memset(ms, 0, sizeof *ms);
            snprintf(ms->name, sizeof ms->name, "%s", w->segs[i].name);
            ms->n_docs = w->segs[i].n_docs;
        }
        /* Replaced or deleted within the batch: all but each rowid's latest add. */
        for (size_t s = 0; s < w->n_segs; s++)
            for (uint32_t d = 0; d < w->segs[s].n_docs; d++)
                if (lat_get(w, w->segs[s].rowid[d]) != w->segs[s].seq[d])
                    cow_delete(&nd[(size_t)n_old + s], NULL, w->segs[s].n_docs, d);
        index_snapshot_release(cur);
        rc = write_dels(ix, &m, nd, written, &n_written);
        if (rc == 0)
            rc = index_manifest_write(ix->dir, &m, 0);
        if (rc == 0) {
            committed = 1; /* on disk: from here on nothing is removed */
            rc = snap_for(ix, &m, nd, &ns);
        }
        if (rc && !committed) {
            for (int i = 0; i < n_written; i++)
                remove_file(ix->dir, written[i]);
        }
    }
    if (rc == 0) {
        struct manifest old;
        manifest_copy(&old, &ix->man, 0);
        publish(ix, ns, &m);
        gc_files(ix->dir, &old, &ix->man);
        index_manifest_cleanup(&old);
    } else {
        /* When the manifest was written but the snapshot could not be
         * built, the index on disk is ahead; a refresh picks it up. */
        index_manifest_cleanup(&m);
    }
    if (locked)
        unlock_dir(ix);
    pthread_mutex_unlock(&ix->commit_mu);
    /* Our references to the new delsets (snapshots hold their own). */
    for (size_t i = 0; i < n_nd; i++)
        index_delset_unref(nd[i]);
    free(written);
    free(nd);
    w_free(w, rc && !committed); /* else the segment files belong to the index */
    return rc;
}

/* ------------------------------------------------------------------ */
/* Merging                                                             */

static int cmp_live(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* {live, index} pairs */
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Writes the live documents of src[0..n) as one segment, in order. maps[s]
 * receives, per old doc id, the new doc id or DOC_END. *name is "" when no
 * document was live (nothing written). */
static int merge_write(struct index *ix, const struct snap_seg *src, int n, char *name, size_t cap,
                       uint32_t **maps, uint32_t *n_docs_out)
{
    name[0] = '\0';
    uint64_t total = 0;
    for (int s = 0; s < n; s++) {
        const struct seg *g = src[s].seg;
        maps[s] = xmalloc(((size_t)g->n_docs + 1) * sizeof **maps);
        for (uint32_t d = 0; d < g->n_docs; d++)
            maps[s][d] = delset_has(src[s].del, d) ? DOC_END : (uint32_t)total++;
    }
    if (total > UINT32_MAX - 1)
        return ERR_TOO_LARGE;
    *n_docs_out = (uint32_t)total;
    if (total == 0)
        return 0;
    uint32_t nd = (uint32_t)total;
    /* Category dictionary: the union, sorted. */
    size_t n_all = 0;
    for (int s = 0; s < n; s++)
        n_all += src[s].seg->n_cats;
    char **cats = xcalloc(n_all + 1, sizeof *cats);
    size_t nc = 0;
    for (int s = 0; s < n; s++) {
        const struct seg *g = src[s].seg;
        for (uint32_t c = 0; c < g->n_cats; c++)
            cats[nc++] = xstrndup(g->catdict_str + g->catdict_off[c],
                                  g->catdict_off[c + 1] - g->catdict_off[c]);
    }
    qsort(cats, nc, sizeof *cats, index_cmp_str_ptr);
    size_t u = 0;
    for (size_t i = 0; i < nc; i++) {
        if (u && strcmp(cats[u - 1], cats[i]) == 0) {
            free(cats[i]);
            continue;
        }
        cats[u++] = cats[i];
    }
    nc = u;
    int rc = nc > 65535 ? ERR_TOO_LARGE : 0;
    /* Doc values. */
    int64_t *rowid = xmalloc((size_t)nd * sizeof *rowid);
    int32_t *date = xmalloc((size_t)nd * sizeof *date);
    uint32_t *len[SEG_N_LEN_FIELDS];
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        len[f] = xmalloc((size_t)nd * sizeof *len[f]);
    uint32_t *cat_off = xmalloc(((size_t)nd + 1) * sizeof *cat_off);
    size_t n_ids = 0;
    for (int s = 0; s < n; s++)
        n_ids += src[s].seg->cat_off[src[s].seg->n_docs];
    uint16_t *cat_ids = xmalloc((n_ids + 1) * sizeof *cat_ids);
    struct seg_docvals dv;
    memset(&dv, 0, sizeof dv);
    size_t k = 0;
    uint32_t nd2 = 0;
    for (int s = 0; s < n && rc == 0; s++) {
        const struct seg *g = src[s].seg;
        uint16_t *cmap = xmalloc(((size_t)g->n_cats + 1) * sizeof *cmap);
        for (uint32_t c = 0; c < g->n_cats; c++) {
            size_t l = g->catdict_off[c + 1] - g->catdict_off[c];
            const char *cs = g->catdict_str + g->catdict_off[c];
            size_t lo = 0, hi = nc;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int cmp = strncmp(cats[mid], cs, l);
                if (cmp == 0 && cats[mid][l] != '\0')
                    cmp = 1;
                if (cmp < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            cmap[c] = (uint16_t)lo;
        }
        for (uint32_t d = 0; d < g->n_docs; d++) {
            if (maps[s][d] == DOC_END)
                continue;
            uint32_t x = nd2++;
            rowid[x] = g->rowid[d];
            date[x] = g->date[d];
            for (int f = 0; f < SEG_N_LEN_FIELDS; f++) {
                len[f][x] = g->len[f][d];
                dv.total_len[f] += g->len[f][d];
            }
            cat_off[x] = (uint32_t)k;
            for (uint32_t c = g->cat_off[d]; c < g->cat_off[d + 1]; c++)
                cat_ids[k++] = cmap[g->cat_ids[c]];
            dv.total_len[INDEX_FIELD_CATEGORY] += g->cat_off[d + 1] - g->cat_off[d];
        }
        free(cmap);
    }
    cat_off[nd] = (uint32_t)k;
    dv.n_docs = nd;
    dv.rowid = rowid;
    dv.date = date;
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        dv.len[f] = len[f];
    dv.cat_off = cat_off;
    dv.cat_ids = cat_ids;
    dv.n_cats = (uint32_t)nc;
    dv.cats = (const char *const *)cats;
    dv.title_repeat = (uint32_t)ix->opts.title_repeat;
    dv.stem = (uint32_t)ix->opts.analyzer.stem;
    dv.stop = (uint32_t)ix->opts.analyzer.stop;
    struct seg_out *o = NULL;
    if (rc == 0)
        rc = index_seg_create(ix, &dv, name, cap, &o);
    /* Terms: a k-way merge of the sorted dictionaries. */
    uint32_t *ti = xcalloc((size_t)n + 1, sizeof *ti);
    struct pcur *cur = xmalloc(sizeof *cur);
    uint32_t *pos = NULL;
    uint32_t pos_cap = 0;
    while (rc == 0) {
        int best = -1;
        const struct seg_term *bt = NULL;
        for (int s = 0; s < n; s++) {
            const struct seg *g = src[s].seg;
            if (ti[s] >= g->n_terms)
                continue;
            const struct seg_term *t = &g->terms[ti[s]];
            if (best < 0) {
                best = s;
                bt = t;
                continue;
            }
            const struct seg *bg = src[best].seg;
            int c = t->field != bt->field ? (t->field < bt->field ? -1 : 1) : 0;
            if (c == 0) {
                size_t m = t->len < bt->len ? t->len : bt->len;
                c = memcmp(g->termstr + t->str_off, bg->termstr + bt->str_off, m);
                if (c == 0)
                    c = t->len < bt->len ? -1 : t->len > bt->len;
            }
            if (c < 0) {
                best = s;
                bt = t;
            }
        }
        if (best < 0)
            break;
        const struct seg *bg = src[best].seg;
        char term[256];
        size_t tl = bt->len;
        int field = bt->field;
        memcpy(term, bg->termstr + bt->str_off, tl);
        rc = index_seg_out_term(o, field, term, tl);
        for (int s = 0; s < n && rc == 0; s++) {
            const struct seg *g = src[s].seg;
            if (ti[s] >= g->n_terms)
                continue;
            const struct seg_term *t = &g->terms[ti[s]];
            if (t->field != field || t->len != tl || memcmp(g->termstr + t->str_off, term, tl) != 0)
                continue;
            ti[s]++;
            pcur_init(cur, g, t);
            for (uint32_t d = pcur_next(cur); d != DOC_END && rc == 0; d = pcur_next(cur)) {
                if (maps[s][d] == DOC_END)
                    continue;
                uint32_t tf = pcur_tf(cur);
                const uint32_t *pp = NULL;
                if (seg_field_has_pos(field)) {
                    if (tf > pos_cap) {
                        pos_cap = tf * 2;
                        pos = xrealloc(pos, (size_t)pos_cap * sizeof *pos);
                    }
                    if (pcur_positions(cur, pos, tf) != (int)tf)
                        rc = ERR_CORRUPT;
                    pp = pos;
                }
                if (rc == 0)
                    rc = index_seg_out_post(o, maps[s][d], tf, pp);
            }
            if (rc == 0 && cur->corrupt)
                rc = ERR_CORRUPT;
        }
    }
    if (o) {
        if (rc == 0)
            rc = index_seg_out_finish(o);
        else
            index_seg_out_abort(o);
    }
    if (rc)
        name[0] = '\0';
    free(ti);
    free(cur);
    free(pos);
    for (size_t i = 0; i < nc; i++)
        free(cats[i]);
    free(cats);
    free(rowid);
    free(date);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        free(len[f]);
    free(cat_off);
    free(cat_ids);
    return rc;
}

int index_merge(struct index *ix, int force, int *merged)
{
    pthread_mutex_lock(&ix->merge_mu);
    struct index_snapshot *snap = index_snapshot_acquire(ix);
    int max = ix->opts.max_segments;
    int *pick = xcalloc((size_t)snap->n + 1, sizeof *pick);
    int n_pick = 0;
    if (force) {
        if (snap->n > 1 || (snap->n == 1 && snap->segs[0].del && snap->segs[0].del->n_del))
            for (int i = 0; i < snap->n; i++)
                pick[n_pick++] = i;
    } else if (snap->n > max) {
        int64_t(*order)[2] = xmalloc((size_t)snap->n * sizeof *order);
        for (int i = 0; i < snap->n; i++) {
            order[i][0] = (int64_t)snap->segs[i].seg->n_docs -
                          (snap->segs[i].del ? snap->segs[i].del->n_del : 0);
            order[i][1] = i;
        }
        qsort(order, (size_t)snap->n, sizeof *order, cmp_live);
        int take = snap->n - max + 1;
        for (int i = 0; i < take; i++)
            pick[n_pick++] = (int)order[i][1];
        free(order);
        /* keep the snapshot's order among the picked */
        for (int i = 1; i < n_pick; i++)
            for (int j = i; j > 0 && pick[j - 1] > pick[j]; j--) {
                int t = pick[j];
                pick[j] = pick[j - 1];
                pick[j - 1] = t;
            }
    }
    int rc = 0;
    if (n_pick == 0) {
        free(pick);
        index_snapshot_release(snap);
        pthread_mutex_unlock(&ix->merge_mu);
        if (merged)
            *merged = 0;
        return 0;
    }
    struct snap_seg *src = xcalloc((size_t)n_pick, sizeof *src);
    for (int i = 0; i < n_pick; i++)
        src[i] = snap->segs[pick[i]];
    uint32_t **maps = xcalloc((size_t)n_pick, sizeof *maps);
    char name[64];
    uint32_t n_docs = 0;
    rc = merge_write(ix, src, n_pick, name, sizeof name, maps, &n_docs);

    /* Publish: replace the sources by the merged segment. */
    int locked = 0, mu_held = 0, committed = 0;
    struct manifest m;
    memset(&m, 0, sizeof m);
    struct delset *del = NULL;
    struct index_snapshot *ns = NULL;
    if (rc == 0) {
        pthread_mutex_lock(&ix->commit_mu);
        mu_held = 1;
        rc = lock_dir(ix);
        locked = rc == 0;
        if (rc == 0)
            rc = refresh_locked(ix);
        struct index_snapshot *cur = rc == 0 ? index_snapshot_acquire(ix) : NULL;
        int *where = xcalloc((size_t)n_pick, sizeof *where);
        for (int i = 0; i < n_pick && rc == 0; i++) {
            where[i] = -1;
            for (int j = 0; j < cur->n; j++)
                if (cur->segs[j].seg == src[i].seg ||
                    strcmp(cur->segs[j].seg->name, src[i].seg->name) == 0)
                    where[i] = j;
            if (where[i] < 0)
                rc = ERR_BUSY; /* merged away by another process meanwhile */
        }
        if (rc == 0) {
            /* Deletions that arrived during the merge. */
            for (int i = 0; i < n_pick && n_docs; i++) {
                const struct delset *now = cur->segs[where[i]].del;
                for (uint32_t d = 0; now && d < src[i].seg->n_docs; d++)
                    if (delset_has(now, d) && !delset_has(src[i].del, d) && maps[i][d] != DOC_END)
                        cow_delete(&del, NULL, n_docs, maps[i][d]);
            }
            manifest_copy(&m, &ix->man, 1);
            m.gen = ix->man.gen + 1;
            m.n = 0;
            int placed = 0;
            for (int j = 0; j < ix->man.n; j++) {
                int is_src = 0;
                for (int i = 0; i < n_pick; i++)
                    if (where[i] == j)
                        is_src = 1;
                if (is_src) {
                    if (!placed && name[0]) {
                        struct manifest_seg *ms = &m.segs[m.n++];
                        memset(ms, 0, sizeof *ms);
                        snprintf(ms->name, sizeof ms->name, "%s", name);
                        ms->n_docs = n_docs;
                    }
                    placed = 1;
                    continue;
                }
                m.segs[m.n++] = ix->man.segs[j];
            }
            struct delset **nd = xcalloc((size_t)m.n + 1, sizeof *nd);
            for (int j = 0; j < m.n; j++)
                if (del && strcmp(m.segs[j].name, name) == 0)
                    nd[j] = del;
            char(*written)[64] = xcalloc((size_t)m.n + 1, sizeof *written);
            int n_written = 0;
            rc = write_dels(ix, &m, nd, written, &n_written);
            if (rc == 0)
                rc = index_manifest_write(ix->dir, &m, 0);
            if (rc == 0) {
                committed = 1;
                rc = snap_for(ix, &m, nd, &ns);
            }
            if (rc && !committed)
                for (int i = 0; i < n_written; i++)
                    remove_file(ix->dir, written[i]);
            free(written);
            free(nd);
        }
        free(where);
        index_snapshot_release(cur);
    }
    if (rc == 0) {
        struct manifest old;
        manifest_copy(&old, &ix->man, 0);
        publish(ix, ns, &m);
        gc_files(ix->dir, &old, &ix->man);
        index_manifest_cleanup(&old);
    } else {
        index_manifest_cleanup(&m);
        if (name[0] && !committed)
            remove_file(ix->dir, name);
    }
    if (locked)
        unlock_dir(ix);
    if (mu_held)
        pthread_mutex_unlock(&ix->commit_mu);
    index_delset_unref(del);
    for (int i = 0; i < n_pick; i++)
        free(maps[i]);
    free(maps);
    free(src);
    free(pick);
    index_snapshot_release(snap);
    pthread_mutex_unlock(&ix->merge_mu);
    if (rc == 0 && merged)
        *merged = n_pick;
    return rc;
}
