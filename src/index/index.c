/*
 * index.c - the index directory: opening, snapshots, the writer (analysis
 * into an in-memory inverted index, flushed as segments), commits, tiered
 * merges and refresh from disk. Formats: index_int.h (segments),
 * manifest.c (MANIFEST, deletion files). Ranking: search.c.
 *
 * Writer memory: a hash table from (field, term) to a term record whose
 * postings are a growing byte string of varints (doc gap, tf, position
 * gaps). Tokens of the document being added are chained per term, so a
 * document's postings are appended in one pass without sorting. At flush
 * the terms are sorted and streamed to a segment writer.
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
static int seg_create(struct index *ix, const struct seg_docvals *dv, char *name, size_t cap,
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

struct wterm {
    uint32_t str_off;
    uint16_t len;
    uint8_t field;
    uint32_t cur_doc; /* doc of the open chain, UINT32_MAX none */
    uint32_t last_doc; /* last doc written into p, UINT32_MAX none */
    uint32_t df;
    uint32_t cur_tf;
    uint32_t head, tail; /* token chain of the current doc */
    uint8_t *p;
    uint32_t n, cap;
};

struct wtok {
    uint32_t pos;
    uint32_t next;
};

/* A document's location within the batch: segment index (flushed ones
 * first, n_flushed for the in-memory one) and doc id. */
struct wloc {
    int64_t rowid; /* -1: empty slot */
    uint32_t seg;
    uint32_t doc;
};

struct wseg {
    char name[64];
    uint32_t n_docs;
    struct delset *del; /* self-deletions, created on demand */
};

struct index_writer {
    struct index *ix;
    struct text_analyzer *an;
    int title_repeat;
    size_t flush_docs;
    /* in-memory segment */
    struct wterm *terms;
    uint32_t n_terms, cap_terms;
    uint32_t *table; /* hash slots: term index + 1, 0 empty */
    uint32_t table_mask;
    char *str;
    size_t str_n, str_cap;
    uint32_t n_docs, cap_docs;
    int64_t *rowid;
    int32_t *date;
    uint32_t *len[SEG_N_LEN_FIELDS];
    uint32_t *cat_off;
    uint32_t *cat_ids; /* global category term indexes; remapped at flush */
    size_t n_cat_ids, cap_cat_ids;
    uint64_t total_len[INDEX_N_FIELDS];
    /* the current document */
    uint32_t doc;
    int field;
    uint32_t *touched;
    uint32_t n_touched, cap_touched;
    struct wtok *toks;
    uint32_t n_toks, cap_toks;
    uint32_t field_len;
    /* title tokens, analyzed once */
    struct { uint32_t str_off; uint16_t len; uint32_t pos; uint32_t flags; } *tt;
    uint32_t n_tt, cap_tt;
    char *tt_str;
    size_t tt_str_n, tt_str_cap;
    /* batch bookkeeping */
    struct wseg *segs; /* flushed segments */
    uint32_t n_segs, cap_segs;
    struct wloc *loc;  /* rowid -> latest location in the batch */
    size_t loc_mask, loc_n;
    int64_t *dels;     /* rowids to delete from the index's segments */
    size_t n_dels, cap_dels;
    struct { uint32_t seg, doc; } *self_del; /* replaced docs of this batch */
    size_t n_self, cap_self;
    int64_t sync_mark;
    char source[128];
    int has_sync;
    int rc; /* sticky error from a flush */
};

static uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, b, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        b += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, b, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

static void w_reset_mem(struct index_writer *w)
{
    for (uint32_t i = 0; i < w->n_terms; i++)
        free(w->terms[i].p);
    w->n_terms = 0;
    memset(w->table, 0, ((size_t)w->table_mask + 1) * sizeof *w->table);
    w->str_n = 0;
    w->n_docs = 0;
    w->n_cat_ids = 0;
    memset(w->total_len, 0, sizeof w->total_len);
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
    int rc = text_analyzer_new(&ix->opts.analyzer, &w->an);
    if (rc) {
        free(w);
        pthread_mutex_lock(&ix->mu);
        ix->writer_open = 0;
        pthread_mutex_unlock(&ix->mu);
        return rc;
    }
    w->ix = ix;
    w->title_repeat = ix->opts.title_repeat;
    w->flush_docs = ix->opts.flush_docs;
    w->table_mask = (1u << 16) - 1;
    w->table = xcalloc((size_t)w->table_mask + 1, sizeof *w->table);
    w->loc_mask = 1023;
    w->loc = xmalloc((w->loc_mask + 1) * sizeof *w->loc);
    for (size_t i = 0; i <= w->loc_mask; i++)
        w->loc[i].rowid = -1;
    w->cat_off = xmalloc(sizeof *w->cat_off);
    w->cat_off[0] = 0;
    *out = w;
    return 0;
}

static void w_free(struct index_writer *w)
{
    for (uint32_t i = 0; i < w->n_terms; i++)
        free(w->terms[i].p);
    free(w->terms);
    free(w->table);
    free(w->str);
    free(w->rowid);
    free(w->date);
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        free(w->len[f]);
    free(w->cat_off);
    free(w->cat_ids);
    free(w->touched);
    free(w->toks);
    free(w->tt);
    free(w->tt_str);
    for (uint32_t i = 0; i < w->n_segs; i++)
        index_delset_unref(w->segs[i].del);
    free(w->segs);
    free(w->loc);
    free(w->dels);
    free(w->self_del);
    text_analyzer_free(w->an);
    pthread_mutex_lock(&w->ix->mu);
    w->ix->writer_open = 0;
    pthread_mutex_unlock(&w->ix->mu);
    free(w);
}

static void table_grow(struct index_writer *w)
{
    uint32_t mask = w->table_mask * 2 + 1;
    uint32_t *t = xcalloc((size_t)mask + 1, sizeof *t);
    for (uint32_t i = 0; i < w->n_terms; i++) {
        struct wterm *x = &w->terms[i];
        uint32_t h = (uint32_t)hash64(w->str + x->str_off, x->len, x->field) & mask;
        while (t[h])
            h = (h + 1) & mask;
        t[h] = i + 1;
    }
    free(w->table);
    w->table = t;
    w->table_mask = mask;
}

static uint32_t term_id(struct index_writer *w, int field, const char *s, size_t len)
{
    uint32_t h = (uint32_t)hash64(s, len, (uint64_t)field) & w->table_mask;
    for (;;) {
        uint32_t v = w->table[h];
        if (!v)
            break;
        struct wterm *x = &w->terms[v - 1];
        if (x->len == len && x->field == field && memcmp(w->str + x->str_off, s, len) == 0)
            return v - 1;
        h = (h + 1) & w->table_mask;
    }
    if (w->n_terms == w->cap_terms) {
        w->cap_terms = w->cap_terms * 2 + 1024;
        w->terms = xrealloc(w->terms, (size_t)w->cap_terms * sizeof *w->terms);
    }
    if (w->str_n + len > w->str_cap) {
        w->str_cap = (w->str_n + len) * 2 + 65536;
        w->str = xrealloc(w->str, w->str_cap);
    }
    uint32_t id = w->n_terms++;
    struct wterm *x = &w->terms[id];
    memset(x, 0, sizeof *x);
    x->str_off = (uint32_t)w->str_n;
    x->len = (uint16_t)len;
    x->field = (uint8_t)field;
    x->cur_doc = UINT32_MAX;
    x->last_doc = UINT32_MAX;
    memcpy(w->str + w->str_n, s, len);
    w->str_n += len;
    w->table[h] = id + 1;
    if ((uint64_t)w->n_terms * 2 > w->table_mask)
        table_grow(w);
    return id;
}

/* Records one occurrence of (field, term) at pos in the current doc. */
static void add_occ(struct index_writer *w, int field, const char *s, size_t len, uint32_t pos)
{
    uint32_t id = term_id(w, field, s, len);
    struct wterm *x = &w->terms[id];
    if (w->n_toks == w->cap_toks) {
        w->cap_toks = w->cap_toks * 2 + 1024;
        w->toks = xrealloc(w->toks, (size_t)w->cap_toks * sizeof *w->toks);
    }
    uint32_t t = w->n_toks++;
    w->toks[t].pos = pos;
    w->toks[t].next = UINT32_MAX;
    if (x->cur_doc != w->doc) {
        x->cur_doc = w->doc;
        x->cur_tf = 0;
        x->head = t;
        if (w->n_touched == w->cap_touched) {
            w->cap_touched = w->cap_touched * 2 + 256;
            w->touched = xrealloc(w->touched, (size_t)w->cap_touched * sizeof *w->touched);
        }
        w->touched[w->n_touched++] = id;
    } else {
        w->toks[x->tail].next = t;
    }
    x->tail = t;
    x->cur_tf++;
}

static void bytes_put(struct wterm *x, const uint8_t *b, uint32_t n)
{
    if (x->n + n > x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        while (x->n + n > x->cap)
            x->cap *= 2;
        x->p = xrealloc(x->p, x->cap);
    }
    memcpy(x->p + x->n, b, n);
    x->n += n;
}

static uint32_t enc_varint(uint8_t *b, uint32_t v)
{
    uint32_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    return n;
}

/* Appends the current doc's postings to each touched term. */
static void end_doc(struct index_writer *w)
{
    uint8_t tmp[16];
    for (uint32_t i = 0; i < w->n_touched; i++) {
        struct wterm *x = &w->terms[w->touched[i]];
        uint32_t gap = x->last_doc == UINT32_MAX ? w->doc : w->doc - x->last_doc - 1;
        uint32_t n = enc_varint(tmp, gap);
        n += enc_varint(tmp + n, x->cur_tf);
        bytes_put(x, tmp, n);
        if (seg_field_has_pos(x->field)) {
            uint32_t prev = 0;
            for (uint32_t t = x->head; t != UINT32_MAX; t = w->toks[t].next) {
                n = enc_varint(tmp, w->toks[t].pos - prev);
                prev = w->toks[t].pos;
                bytes_put(x, tmp, n);
            }
        }
        x->last_doc = w->doc;
        x->df++;
    }
    w->n_touched = 0;
    w->n_toks = 0;
}

struct fctx {
    struct index_writer *w;
    int field;
    uint32_t len; /* non-joined tokens */
};

static int field_tok(void *ctx, const struct text_token *t)
{
    struct fctx *c = ctx;
    add_occ(c->w, c->field, t->term, t->len, t->pos);
    if (!(t->flags & TEXT_TOKEN_JOINED))
        c->len++;
    return 0;
}

static int title_tok(void *ctx, const struct text_token *t)
{
    struct index_writer *w = ctx;
    if (w->n_tt == w->cap_tt) {
        w->cap_tt = w->cap_tt * 2 + 64;
        w->tt = xrealloc(w->tt, (size_t)w->cap_tt * sizeof *w->tt);
    }
    if (w->tt_str_n + t->len > w->tt_str_cap) {
        w->tt_str_cap = (w->tt_str_n + t->len) * 2 + 1024;
        w->tt_str = xrealloc(w->tt_str, w->tt_str_cap);
    }
    w->tt[w->n_tt].str_off = (uint32_t)w->tt_str_n;
    w->tt[w->n_tt].len = (uint16_t)t->len;
    w->tt[w->n_tt].pos = t->pos;
    w->tt[w->n_tt].flags = t->flags;
    w->n_tt++;
    memcpy(w->tt_str + w->tt_str_n, t->term, t->len);
    w->tt_str_n += t->len;
    return 0;
}

static int wloc_find(const struct index_writer *w, int64_t rowid, size_t *slot)
{
    size_t h = (size_t)hash64(&rowid, 8, 7) & w->loc_mask;
    while (w->loc[h].rowid != -1) {
        if (w->loc[h].rowid == rowid) {
            *slot = h;
            return 1;
        }
        h = (h + 1) & w->loc_mask;
    }
    *slot = h;
    return 0;
}

static void wloc_grow(struct index_writer *w)
{
    size_t mask = w->loc_mask * 2 + 1;
    struct wloc *old = w->loc;
    size_t old_mask = w->loc_mask;
    w->loc = xmalloc((mask + 1) * sizeof *w->loc);
    for (size_t i = 0; i <= mask; i++)
        w->loc[i].rowid = -1;
    w->loc_mask = mask;
    for (size_t i = 0; i <= old_mask; i++)
        if (old[i].rowid != -1) {
            size_t s;
            wloc_find(w, old[i].rowid, &s);
            w->loc[s] = old[i];
        }
    free(old);
}

static void self_delete(struct index_writer *w, uint32_t seg, uint32_t doc)
{
    if (w->n_self == w->cap_self) {
        w->cap_self = w->cap_self * 2 + 64;
        w->self_del = xrealloc(w->self_del, w->cap_self * sizeof *w->self_del);
    }
    w->self_del[w->n_self].seg = seg;
    w->self_del[w->n_self].doc = doc;
    w->n_self++;
}

static void push_del(struct index_writer *w, int64_t rowid)
{
    if (w->n_dels == w->cap_dels) {
        w->cap_dels = w->cap_dels * 2 + 256;
        w->dels = xrealloc(w->dels, w->cap_dels * sizeof *w->dels);
    }
    w->dels[w->n_dels++] = rowid;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct sort_ctx {
    const struct wterm *terms;
    const char *str;
};

static int term_order(const struct wterm *a, const struct wterm *b, const char *str)
{
    if (a->field != b->field)
        return a->field < b->field ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(str + a->str_off, str + b->str_off, m);
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* In-place merge sort of term ids (qsort has no context argument in C11). */
static void sort_terms(uint32_t *ids, uint32_t n, const struct wterm *terms, const char *str)
{
    uint32_t *tmp = xmalloc((size_t)n * sizeof *tmp + 4);
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = term_order(&terms[ids[b]], &terms[ids[a]], str) < 0 ? ids[b++] : ids[a++];
            while (a < mid)
                tmp[k++] = ids[a++];
            while (b < hi)
                tmp[k++] = ids[b++];
        }
        memcpy(ids, tmp, (size_t)n * sizeof *ids);
    }
    free(tmp);
}

static int dec_varint(const uint8_t **pp, uint32_t *v)
{
    const uint8_t *p = *pp;
    uint32_t x = 0;
    int shift = 0;
    while (*p & 0x80) {
        x |= (uint32_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    x |= (uint32_t)*p++ << shift;
    *v = x;
    *pp = p;
    return 0;
}

/* Writes the in-memory documents as a new segment of the batch. */
static int w_flush(struct index_writer *w)
{
    if (w->n_docs == 0)
        return 0;
    uint32_t n = w->n_docs;
    /* Category dictionary: the category terms used, sorted. */
    uint32_t *cat_terms = xmalloc(((size_t)w->n_terms + 1) * sizeof *cat_terms);
    uint32_t nc = 0;
    for (uint32_t i = 0; i < w->n_terms; i++)
        if (w->terms[i].field == INDEX_FIELD_CATEGORY)
            cat_terms[nc++] = i;
    sort_terms(cat_terms, nc, w->terms, w->str);
    char **cats = xcalloc((size_t)nc + 1, sizeof *cats);
    uint32_t *remap = xcalloc((size_t)w->n_terms + 1, sizeof *remap);
    for (uint32_t i = 0; i < nc; i++) {
        const struct wterm *x = &w->terms[cat_terms[i]];
        cats[i] = xstrndup(w->str + x->str_off, x->len);
        remap[cat_terms[i]] = i;
    }
    uint16_t *cat_ids = xmalloc((w->n_cat_ids + 1) * sizeof *cat_ids);
    for (size_t i = 0; i < w->n_cat_ids; i++)
        cat_ids[i] = (uint16_t)remap[w->cat_ids[i]];
    struct seg_docvals dv;
    memset(&dv, 0, sizeof dv);
    dv.n_docs = n;
    dv.rowid = w->rowid;
    dv.date = w->date;
    for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
        dv.len[f] = w->len[f];
    dv.cat_off = w->cat_off;
    dv.cat_ids = cat_ids;
    dv.n_cats = nc;
    dv.cats = (const char *const *)cats;
    memcpy(dv.total_len, w->total_len, sizeof dv.total_len);
    dv.title_repeat = (uint32_t)w->title_repeat;
    dv.stem = (uint32_t)w->ix->opts.analyzer.stem;
    dv.stop = (uint32_t)w->ix->opts.analyzer.stop;
    char name[64];
    struct seg_out *o = NULL;
    int rc = nc > 65535 ? ERR_TOO_LARGE : seg_create(w->ix, &dv, name, sizeof name, &o);
    uint32_t *ids = NULL;
    uint32_t *pos = NULL;
    uint32_t pos_cap = 0;
    if (rc == 0) {
        ids = xmalloc(((size_t)w->n_terms + 1) * sizeof *ids);
        for (uint32_t i = 0; i < w->n_terms; i++)
            ids[i] = i;
        sort_terms(ids, w->n_terms, w->terms, w->str);
        for (uint32_t i = 0; i < w->n_terms && rc == 0; i++) {
            const struct wterm *x = &w->terms[ids[i]];
            rc = index_seg_out_term(o, x->field, w->str + x->str_off, x->len);
            const uint8_t *p = x->p, *e = x->p + x->n;
            uint32_t doc = 0;
            int first = 1;
            while (rc == 0 && p < e) {
                uint32_t gap, tf;
                dec_varint(&p, &gap);
                dec_varint(&p, &tf);
                doc = first ? gap : doc + gap + 1;
                first = 0;
                int hp = seg_field_has_pos(x->field);
                if (hp) {
                    if (tf > pos_cap) {
                        pos_cap = tf * 2;
                        pos = xrealloc(pos, (size_t)pos_cap * sizeof *pos);
                    }
                    uint32_t prev = 0;
                    for (uint32_t k = 0; k < tf; k++) {
                        uint32_t g;
                        dec_varint(&p, &g);
                        prev += g;
                        pos[k] = prev;
                    }
                }
                rc = index_seg_out_post(o, doc, tf, hp ? pos : NULL);
            }
        }
        if (rc == 0)
            rc = index_seg_out_finish(o);
        else
            index_seg_out_abort(o);
    }
    free(ids);
    free(pos);
    for (uint32_t i = 0; i < nc; i++)
        free(cats[i]);
    free(cats);
    free(cat_terms);
    free(remap);
    free(cat_ids);
    if (rc == 0) {
        if (w->n_segs == w->cap_segs) {
            w->cap_segs = w->cap_segs * 2 + 4;
            w->segs = xrealloc(w->segs, w->cap_segs * sizeof *w->segs);
        }
        struct wseg *s = &w->segs[w->n_segs++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s", name);
        s->n_docs = n;
    }
    w_reset_mem(w);
    return rc;
}

static void add_categories(struct index_writer *w, const char *cats)
{
    uint32_t start = (uint32_t)w->n_cat_ids;
    const char *p = cats;
    while (p && *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')
            p++;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != ',')
            p++;
        size_t len = (size_t)(p - s);
        if (len == 0 || len > SEG_MAX_CAT_LEN)
            continue;
        char lc[SEG_MAX_CAT_LEN + 1];
        for (size_t i = 0; i < len; i++)
            lc[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        uint32_t id = term_id(w, INDEX_FIELD_CATEGORY, lc, len);
        int dup = 0;
        for (size_t i = start; i < w->n_cat_ids; i++)
            if (w->cat_ids[i] == id)
                dup = 1;
        if (dup || w->n_cat_ids - start >= SEG_MAX_CATS_PER_DOC)
            continue;
        if (w->n_cat_ids == w->cap_cat_ids) {
            w->cap_cat_ids = w->cap_cat_ids * 2 + 1024;
            w->cat_ids = xrealloc(w->cat_ids, w->cap_cat_ids * sizeof *w->cat_ids);
        }
        w->cat_ids[w->n_cat_ids++] = id;
        add_occ(w, INDEX_FIELD_CATEGORY, lc, len, 0);
    }
}

int index_writer_add(struct index_writer *w, const struct index_doc *d)
{
    if (d->rowid < 0)
        return ERR_INVALID;
    if (w->rc)
        return w->rc;
    /* A previous version in this batch is replaced. */
    size_t slot;
    if (wloc_find(w, d->rowid, &slot)) {
        self_delete(w, w->loc[slot].seg, w->loc[slot].doc);
    } else {
        push_del(w, d->rowid); /* replaces any version in the index */
        w->loc[slot].rowid = d->rowid;
        w->loc_n++;
    }
    w->loc[slot].seg = w->n_segs;
    w->loc[slot].doc = w->n_docs;
    if (w->loc_n * 2 > w->loc_mask)
        wloc_grow(w);

    if (w->n_docs == w->cap_docs) {
        w->cap_docs = w->cap_docs * 2 + 1024;
        w->rowid = xrealloc(w->rowid, (size_t)w->cap_docs * sizeof *w->rowid);
        w->date = xrealloc(w->date, (size_t)w->cap_docs * sizeof *w->date);
        for (int f = 0; f < SEG_N_LEN_FIELDS; f++)
            w->len[f] = xrealloc(w->len[f], (size_t)w->cap_docs * sizeof *w->len[f]);
        w->cat_off = xrealloc(w->cat_off, ((size_t)w->cap_docs + 1) * sizeof *w->cat_off);
    }
    uint32_t doc = w->n_docs;
    w->doc = doc;
    w->rowid[doc] = d->rowid;
    w->date[doc] = d->date;

    /* Title: analyzed once, used for TITLE and (repeated) BODY. */
    w->n_tt = 0;
    w->tt_str_n = 0;
    uint32_t title_end = 0;
    if (d->title)
        text_analyze(w->an, d->title, strlen(d->title), 0, title_tok, w, &title_end);
    uint32_t title_len = 0;
    for (uint32_t i = 0; i < w->n_tt; i++) {
        add_occ(w, INDEX_FIELD_TITLE, w->tt_str + w->tt[i].str_off, w->tt[i].len, w->tt[i].pos);
        if (!(w->tt[i].flags & TEXT_TOKEN_JOINED))
            title_len++;
    }
    uint32_t base = 0, body_len = 0;
    for (int r = 0; r < w->title_repeat && d->title; r++) {
        for (uint32_t i = 0; i < w->n_tt; i++)
            add_occ(w, INDEX_FIELD_BODY, w->tt_str + w->tt[i].str_off, w->tt[i].len,
                    base + w->tt[i].pos);
        body_len += title_len;
        base += title_end + INDEX_POS_GAP;
    }
    struct fctx c = {w, INDEX_FIELD_BODY, 0};
    if (d->abstract)
        text_analyze(w->an, d->abstract, strlen(d->abstract), base, field_tok, &c, NULL);
    body_len += c.len;
    struct fctx ca = {w, INDEX_FIELD_AUTHORS, 0};
    if (d->authors)
        text_analyze(w->an, d->authors, strlen(d->authors), 0, field_tok, &ca, NULL);
    w->cat_off[doc] = (uint32_t)w->n_cat_ids;
    add_categories(w, d->categories);
    w->cat_off[doc + 1] = (uint32_t)w->n_cat_ids;
    w->len[INDEX_FIELD_BODY][doc] = body_len;
    w->len[INDEX_FIELD_TITLE][doc] = title_len;
    w->len[INDEX_FIELD_AUTHORS][doc] = ca.len;
    w->total_len[INDEX_FIELD_BODY] += body_len;
    w->total_len[INDEX_FIELD_TITLE] += title_len;
    w->total_len[INDEX_FIELD_AUTHORS] += ca.len;
    w->total_len[INDEX_FIELD_CATEGORY] += w->cat_off[doc + 1] - w->cat_off[doc];
    end_doc(w);
    w->n_docs++;
    if (w->n_docs >= w->flush_docs) {
        int rc = w_flush(w);
        if (rc)
            w->rc = rc;
        return rc;
    }
    return 0;
}

int index_writer_delete(struct index_writer *w, int64_t rowid)
{
    size_t slot;
    if (wloc_find(w, rowid, &slot)) {
        self_delete(w, w->loc[slot].seg, w->loc[slot].doc);
        /* Remove from the table (backward-shift deletion). */
        size_t i = slot;
        for (;;) {
            w->loc[i].rowid = -1;
            size_t j = i;
            for (;;) {
                j = (j + 1) & w->loc_mask;
                if (w->loc[j].rowid == -1)
                    goto done;
                size_t h = (size_t)hash64(&w->loc[j].rowid, 8, 7) & w->loc_mask;
                if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j)))
                    break;
            }
            w->loc[i] = w->loc[j];
            i = j;
        }
    done:
        w->loc_n--;
        return 0; /* its older versions were queued for deletion when it was added */
    }
    push_del(w, rowid);
    return 0;
}

void index_writer_set_sync(struct index_writer *w, int64_t mark, const char *source)
{
    w->sync_mark = mark;
    snprintf(w->source, sizeof w->source, "%s", source ? source : "");
    w->has_sync = 1;
}

static void w_remove_segs(struct index_writer *w)
{
    for (uint32_t i = 0; i < w->n_segs; i++)
        remove_file(w->ix->dir, w->segs[i].name);
}

void index_writer_abort(struct index_writer *w)
{
    if (!w)
        return;
    w_remove_segs(w);
    w_free(w);
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
    int rc = w->rc;
    if (rc == 0)
        rc = w_flush(w);
    if (rc) {
        index_writer_abort(w);
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
        for (size_t i = 0; i < w->n_self; i++) {
            uint32_t s = w->self_del[i].seg;
            cow_delete(&nd[(size_t)n_old + s], NULL, w->segs[s].n_docs, w->self_del[i].doc);
        }
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
    if (rc && !committed) {
        index_writer_abort(w);
    } else {
        w->n_segs = 0; /* the segment files now belong to the index */
        w_free(w);
    }
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
    qsort(cats, nc, sizeof *cats, cmp_str_ptr);
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
        rc = seg_create(ix, &dv, name, cap, &o);
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
