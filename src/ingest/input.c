/*
 * input.c - gzip-or-plain byte stream with a peek buffer (see input.h).
 *
 * Layout: the first read fills peekbuf (up to PEEK_MAX bytes); reads serve
 * from it until it is drained, then go straight to zlib. gzdopen() on
 * stdin's fd makes "-" behave like any file, compressed or not.
 */
#include "ingest/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/err.h"
#include "util/mem.h"

#define PEEK_MAX 4096

struct ingest_input {
    gzFile gz;            /* NULL for memory inputs */
    const char *mem;      /* memory input, borrowed */
    size_t mem_len, mem_pos;
    char *name;
    char peekbuf[PEEK_MAX];
    size_t peek_len, peek_pos;
    int peeked;
    int peek_rc;          /* the first peek's error, repeated to later peeks */
    size_t offset;
};

int ingest_input_open(const char *path, struct ingest_input **out)
{
    int fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ERR_IO;
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        return ERR_IO;
    }
    gzbuffer(gz, 1 << 17);
    struct ingest_input *in = xcalloc(1, sizeof *in);
    in->gz = gz;
    in->name = xstrdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
    *out = in;
    return 0;
}

int ingest_input_mem(const char *name, const void *p, size_t len, struct ingest_input **out)
{
    struct ingest_input *in = xcalloc(1, sizeof *in);
    in->mem = p;
    in->mem_len = len;
    in->name = xstrdup(name);
    *out = in;
    return 0;
}

/* Reads from the underlying source, bypassing the peek buffer. */
static ssize_t raw_read(struct ingest_input *in, void *dst, size_t n)
{
    if (!in->gz) {
        size_t left = in->mem_len - in->mem_pos;
        if (n > left)
            n = left;
        memcpy(dst, in->mem + in->mem_pos, n);
        in->mem_pos += n;
        return (ssize_t)n;
    }
    if (n > (1u << 30))
        n = 1u << 30;
    int got = gzread(in->gz, dst, (unsigned)n);
    if (got < 0) {
        int zerr;
        gzerror(in->gz, &zerr);
        return zerr == Z_BUF_ERROR ? ERR_TRUNCATED : ERR_IO;
    }
    if (got == 0) {
        /* gzread reports a gzip stream cut short as Z_BUF_ERROR at EOF. */
        int zerr;
        gzerror(in->gz, &zerr);
        if (zerr == Z_BUF_ERROR)
            return ERR_TRUNCATED;
        if (zerr != Z_OK && zerr != Z_STREAM_END)
            return ERR_IO;
    }
    return got;
}

int ingest_input_peek(struct ingest_input *in, const char **p, size_t *len)
{
    if (!in->peeked) {
        if (in->offset > 0)
            return ERR_INVALID; /* peeking is for the first bytes only */
        in->peeked = 1;
        while (in->peek_len < PEEK_MAX) {
            ssize_t got = raw_read(in, in->peekbuf + in->peek_len, PEEK_MAX - in->peek_len);
            if (got < 0) {
                in->peek_rc = (int)got;
                return in->peek_rc;
            }
            if (got == 0)
                break;
            in->peek_len += (size_t)got;
        }
    }
    if (in->peek_rc)
        return in->peek_rc;
    *p = in->peekbuf + in->peek_pos;
    *len = in->peek_len - in->peek_pos;
    return 0;
}

ssize_t ingest_input_read(struct ingest_input *in, void *dst, size_t n)
{
    if (in->peek_pos < in->peek_len) {
        size_t left = in->peek_len - in->peek_pos;
        if (n > left)
            n = left;
        memcpy(dst, in->peekbuf + in->peek_pos, n);
        in->peek_pos += n;
        in->offset += n;
        return (ssize_t)n;
    }
    ssize_t got = raw_read(in, dst, n);
    if (got > 0)
        in->offset += (size_t)got;
    return got;
}

const char *ingest_input_name(const struct ingest_input *in)
{
    return in->name;
}

size_t ingest_input_offset(const struct ingest_input *in)
{
    return in->offset;
}

void ingest_input_close(struct ingest_input *in)
{
    if (!in)
        return;
    if (in->gz)
        gzclose(in->gz);
    free(in->name);
    free(in);
}
