/*
 * manifest.c - the MANIFEST file and the deletion bitmaps.
 *
 * MANIFEST is text, one record per line, ending with its own CRC:
 *
 *   paperboy-index 1
 *   gen 17
 *   analyzer english snowball
 *   title_repeat 1
 *   max_segments 8
 *   flush_docs 200000
 *   sync 12345 <source tag, hex-encoded, or ->
 *   seg seg-00000000000abc12.pbx 200000 del-00000000000abc12-3.pbd 12
 *   seg seg-...pbx 5000 - 0
 *   crc 1a2b3c4d           (CRC32 of every byte before this line)
 *
 * It is replaced atomically: MANIFEST.tmp is written and fsynced, renamed
 * over MANIFEST, and the directory fsynced. A crash at any point leaves a
 * complete MANIFEST (old or new); a leftover MANIFEST.tmp is ignored.
 *
 * Deletion file (del-<segment id>-<gen>.pbd): "PBXDEL\0\1" | u32 n_docs |
 * u32 n_deleted | ceil(n_docs/64) u64 words | u32 crc32 of all before.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "index/index_int.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define MANIFEST_MAX (16u << 20)
#define DEL_MAGIC "PBXDEL\0\1"

/* ------------------------------------------------------------------ */
/* Deletions                                                           */

struct delset *index_delset_new(uint32_t n_docs)
{
    struct delset *d = xcalloc(1, sizeof *d);
    atomic_init(&d->refs, 1);
    d->n_docs = n_docs;
    d->bits = xcalloc((size_t)n_docs / 64 + 1, 8);
    return d;
}

struct delset *index_delset_copy(const struct delset *s)
{
    struct delset *d = index_delset_new(s->n_docs);
    memcpy(d->bits, s->bits, ((size_t)s->n_docs / 64 + 1) * 8);
    d->n_del = s->n_del;
    return d;
}

void index_delset_unref(struct delset *d)
{
    if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
        return;
    free(d->bits);
    free(d->name);
    free(d);
}

static int read_file(const char *path, size_t max, struct buf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    int rc = 0;
    char tmp[65536];
    for (;;) {
        ssize_t k = read(fd, tmp, sizeof tmp);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = ERR_IO;
            break;
        }
        if (k == 0)
            break;
        if (b->len + (size_t)k > max) {
            rc = ERR_CORRUPT;
            break;
        }
        rc = buf_append(b, tmp, (size_t)k);
        if (rc)
            break;
    }
    close(fd);
    return rc;
}

/* Writes data to path.tmp, fsyncs, renames over path, fsyncs dir. */
static int write_atomic(const char *dir, const char *path, const void *data, size_t len,
                        int crash_before_rename)
{
    char *tmp = xmalloc(strlen(path) + 8);
    sprintf(tmp, "%s.tmp", path);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(tmp);
        return ERR_IO;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = ERR_IO;
            break;
        }
        p += k;
        left -= (size_t)k;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = ERR_IO;
    if (close(fd) != 0 && rc == 0)
        rc = ERR_IO;
    if (rc == 0 && crash_before_rename) {
        free(tmp);
        return 0;
    }
    if (rc == 0 && rename(tmp, path) != 0)
        rc = ERR_IO;
    if (rc != 0)
        unlink(tmp);
    if (rc == 0)
        rc = index_fsync_dir(dir);
    free(tmp);
    return rc;
}

int index_delset_read(const char *path, const char *name, uint32_t n_docs, struct delset **out)
{
    struct buf b;
    buf_init(&b, (size_t)n_docs / 8 + 64);
    int rc = read_file(path, (size_t)n_docs / 8 + 64, &b);
    size_t words = (size_t)n_docs / 64 + 1;
    if (rc == 0 && b.len != 16 + words * 8 + 4)
        rc = ERR_CORRUPT;
    const uint8_t *p = (const uint8_t *)b.p;
    uint32_t nd = 0, ndel = 0, crc = 0;
    if (rc == 0) {
        memcpy(&nd, p + 8, 4);
        memcpy(&ndel, p + 12, 4);
        memcpy(&crc, p + b.len - 4, 4);
        if (memcmp(p, DEL_MAGIC, 8) != 0 || nd != n_docs ||
            index_crc32(0, p, b.len - 4) != crc)
            rc = ERR_CORRUPT;
    }
    if (rc == 0) {
        struct delset *d = index_delset_new(n_docs);
        memcpy(d->bits, p + 16, words * 8);
        /* bits past n_docs must be clear; recount */
        uint32_t cnt = 0;
        for (size_t w = 0; w < words; w++)
            cnt += (uint32_t)__builtin_popcountll(d->bits[w]);
        uint64_t tail = n_docs % 64 ? ~0ull << (n_docs % 64) : ~0ull;
        if (cnt != ndel || (d->bits[words - 1] & tail)) {
            index_delset_unref(d);
            rc = ERR_CORRUPT;
        } else {
            d->n_del = cnt;
            d->name = xstrdup(name);
            *out = d;
        }
    }
    buf_cleanup(&b);
    return rc;
}

int index_delset_write(const char *path, const struct delset *d)
{
    size_t words = (size_t)d->n_docs / 64 + 1;
    size_t len = 16 + words * 8 + 4;
    uint8_t *p = xmalloc(len);
    memcpy(p, DEL_MAGIC, 8);
    memcpy(p + 8, &d->n_docs, 4);
    memcpy(p + 12, &d->n_del, 4);
    memcpy(p + 16, d->bits, words * 8);
    uint32_t crc = index_crc32(0, p, len - 4);
    memcpy(p + len - 4, &crc, 4);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = ERR_IO;
    size_t off = 0;
    while (rc == 0 && off < len) {
        ssize_t k = write(fd, p + off, len - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = ERR_IO;
        else
            off += (size_t)k;
    }
    if (fd >= 0) {
        if (rc == 0 && fsync(fd) != 0)
            rc = ERR_IO;
        close(fd);
        if (rc)
            unlink(path);
    }
    free(p);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The manifest                                                        */

void index_manifest_cleanup(struct manifest *m)
{
    free(m->segs);
    memset(m, 0, sizeof *m);
}

static int valid_name(const char *s, const char *prefix, const char *suffix)
{
    size_t n = strlen(s), pl = strlen(prefix), sl = strlen(suffix);
    if (n < pl + sl + 1 || n > 60 || strncmp(s, prefix, pl) != 0 || strcmp(s + n - sl, suffix) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '.'))
            return 0;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int index_manifest_read(const char *dir, struct manifest *out)
{
    char *path = index_path(dir, "MANIFEST");
    struct buf b;
    buf_init(&b, MANIFEST_MAX);
    int rc = read_file(path, MANIFEST_MAX, &b);
    free(path);
    struct manifest m;
    memset(&m, 0, sizeof m);
    index_opts_default(&m.opts);
    if (rc) {
        buf_cleanup(&b);
        return rc;
    }
    /* The crc line. */
    char *text = b.p ? b.p : (char *)"";
    char *crcl = NULL;
    for (size_t i = b.len; i > 0; i--)
        if (i >= 2 && text[i - 2] == '\n' && strncmp(text + i - 1, "crc ", 4) == 0) {
            crcl = text + i - 1;
            break;
        }
    if (!crcl) {
        rc = ERR_CORRUPT;
        goto out;
    }
    unsigned long crc_want = strtoul(crcl + 4, NULL, 16);
    if (index_crc32(0, text, (size_t)(crcl - text)) != (uint32_t)crc_want) {
        rc = ERR_CORRUPT;
        goto out;
    }
    *crcl = '\0';
    int line_no = 0, seen_magic = 0;
    size_t cap = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char k[32], a[128], c[128];
        unsigned long long x = 0, y = 0;
        if (line_no == 1) {
            int ver = 0;
            if (sscanf(line, "paperboy-index %d", &ver) != 1) {
                rc = ERR_CORRUPT;
                goto out;
            }
            if (ver != 1) {
                rc = ERR_UNSUPPORTED;
                goto out;
            }
            seen_magic = 1;
            continue;
        }
        if (sscanf(line, "%31s", k) != 1)
            continue;
        if (strcmp(k, "gen") == 0 && sscanf(line, "gen %llu", &x) == 1) {
            m.gen = x;
        } else if (strcmp(k, "analyzer") == 0 && sscanf(line, "analyzer %127s %127s", a, c) == 2) {
            if (text_stem_parse(a, &m.opts.analyzer.stem) || text_stop_parse(c, &m.opts.analyzer.stop)) {
                rc = ERR_UNSUPPORTED;
                goto out;
            }
        } else if (strcmp(k, "title_repeat") == 0 && sscanf(line, "title_repeat %llu", &x) == 1 &&
                   x <= 8) {
            m.opts.title_repeat = (int)x;
        } else if (strcmp(k, "max_segments") == 0 && sscanf(line, "max_segments %llu", &x) == 1 &&
                   x >= 1 && x <= 1000) {
            m.opts.max_segments = (int)x;
        } else if (strcmp(k, "flush_docs") == 0 && sscanf(line, "flush_docs %llu", &x) == 1 &&
                   x >= 1) {
            m.opts.flush_docs = (size_t)x;
        } else if (strcmp(k, "sync") == 0) {
            long long mark;
            if (sscanf(line, "sync %lld %127s", &mark, a) != 2) {
                rc = ERR_CORRUPT;
                goto out;
            }
            m.sync_mark = mark;
            m.source[0] = '\0';
            if (strcmp(a, "-") != 0) {
                size_t n = strlen(a);
                if (n % 2 || n / 2 >= sizeof m.source) {
                    rc = ERR_CORRUPT;
                    goto out;
                }
                for (size_t i = 0; i < n / 2; i++) {
                    int h = hexval(a[2 * i]), l = hexval(a[2 * i + 1]);
                    if (h < 0 || l < 0) {
                        rc = ERR_CORRUPT;
                        goto out;
                    }
                    m.source[i] = (char)(h * 16 + l);
                }
                m.source[n / 2] = '\0';
            }
        } else if (strcmp(k, "seg") == 0) {
            if (sscanf(line, "seg %127s %llu %127s %llu", a, &x, c, &y) != 4 ||
                !valid_name(a, "seg-", ".pbx") || x > UINT32_MAX || y > x ||
                (strcmp(c, "-") != 0 && !valid_name(c, "del-", ".pbd"))) {
                rc = ERR_CORRUPT;
                goto out;
            }
            if ((size_t)m.n == cap) {
                cap = cap * 2 + 8;
                m.segs = xrealloc(m.segs, cap * sizeof *m.segs);
            }
            struct manifest_seg *s = &m.segs[m.n++];
            memset(s, 0, sizeof *s);
            memcpy(s->name, a, strlen(a) + 1); /* valid_name: at most 60 bytes */
            s->n_docs = (uint32_t)x;
            if (strcmp(c, "-") != 0)
                memcpy(s->del, c, strlen(c) + 1);
            s->n_del = (uint32_t)y;
        } else {
            rc = ERR_CORRUPT;
            goto out;
        }
    }
    if (!seen_magic)
        rc = ERR_CORRUPT;
out:
    buf_cleanup(&b);
    if (rc) {
        index_manifest_cleanup(&m);
        return rc;
    }
    *out = m;
    return 0;
}

int index_manifest_write(const char *dir, const struct manifest *m, int crash_before_rename)
{
    struct buf b;
    buf_init(&b, MANIFEST_MAX);
    int rc = 0;
    buf_putf(&b, &rc, "paperboy-index 1\ngen %llu\nanalyzer %s %s\ntitle_repeat %d\n"
                      "max_segments %d\nflush_docs %zu\nsync %lld ",
             (unsigned long long)m->gen, text_stem_name(m->opts.analyzer.stem),
             text_stop_name(m->opts.analyzer.stop), m->opts.title_repeat, m->opts.max_segments,
             m->opts.flush_docs, (long long)m->sync_mark);
    if (m->source[0]) {
        for (const char *s = m->source; *s; s++)
            buf_putf(&b, &rc, "%02x", (unsigned char)*s);
        buf_puts(&b, &rc, "\n");
    } else {
        buf_puts(&b, &rc, "-\n");
    }
    for (int i = 0; i < m->n; i++)
        buf_putf(&b, &rc, "seg %s %u %s %u\n", m->segs[i].name, m->segs[i].n_docs,
                 m->segs[i].del[0] ? m->segs[i].del : "-", m->segs[i].n_del);
    if (rc == 0) {
        uint32_t crc = index_crc32(0, b.p, b.len);
        buf_putf(&b, &rc, "crc %08x\n", crc);
    }
    if (rc == 0) {
        char *path = index_path(dir, "MANIFEST");
        rc = write_atomic(dir, path, b.p, b.len, crash_before_rename);
        free(path);
    }
    buf_cleanup(&b);
    return rc;
}
