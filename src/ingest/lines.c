/* lines.c - streaming capped line reader (see lines.h). */
#include "ingest/lines.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

/* 128 KiB chunks: large enough that almost every line is handed out in place
 * and read() calls are few, small enough not to matter for memory. */
#define LINE_CHUNK (128u << 10)

void line_reader_init(struct line_reader *lr, struct ingest_input *in, size_t max_line)
{
    memset(lr, 0, sizeof *lr);
    lr->in = in;
    lr->chunk_cap = LINE_CHUNK;
    lr->chunk = xmalloc(lr->chunk_cap);
    buf_init(&lr->line, max_line);
}

void line_reader_cleanup(struct line_reader *lr)
{
    free(lr->chunk);
    lr->chunk = NULL;
    buf_cleanup(&lr->line);
}

int line_reader_next(struct line_reader *lr, const char **p, size_t *len, int *newline)
{
    int overflow = 0;
    buf_reset(&lr->line);
    for (;;) {
        if (lr->start < lr->end) {
            char *s = lr->chunk + lr->start;
            size_t avail = lr->end - lr->start;
            char *nl = memchr(s, '\n', avail);
            size_t n = nl ? (size_t)(nl - s) : avail;
            if (nl && lr->line.len == 0 && !overflow) {
                /* The common case: the whole line is in the chunk. */
                lr->start += n + 1;
                lr->lineno++;
                *p = s;
                *len = n;
                *newline = 1;
                return 1;
            }
            if (!overflow && buf_append(&lr->line, s, n) != 0)
                overflow = 1;
            lr->start += n;
            if (!nl)
                continue;
            lr->start++;
            lr->lineno++;
            if (overflow)
                return ERR_TOO_LARGE;
            *p = lr->line.p;
            *len = lr->line.len;
            *newline = 1;
            return 1;
        }
        if (lr->eof) {
            if (lr->line.len == 0 && !overflow)
                return 0;
            lr->lineno++;
            if (overflow)
                return ERR_TOO_LARGE;
            *p = lr->line.p;
            *len = lr->line.len;
            *newline = 0;
            return 1;
        }
        lr->start = lr->end = 0;
        ssize_t got = ingest_input_read(lr->in, lr->chunk, lr->chunk_cap);
        if (got < 0)
            return (int)got;
        if (got == 0)
            lr->eof = 1;
        else
            lr->end = (size_t)got;
    }
}
