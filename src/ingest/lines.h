/*
 * lines.h - a streaming line reader over an ingest_input, with a cap.
 *
 * Line-based formats (Kaggle JSON lines, Hugging Face JSON lines) pull one
 * line at a time. Bytes are read in large chunks; a line that lies wholly in
 * the current chunk is handed out in place (no copy), a line that spans
 * chunks is assembled in a struct buf capped at max_line bytes. A longer line
 * is skipped up to its newline and reported as ERR_TOO_LARGE, so memory stays
 * flat (chunk + max_line) whatever the input holds. The newline is not part
 * of the line; a "\r" before it is left for the caller (JSON treats it as
 * whitespace).
 */
#ifndef PAPERBOY_INGEST_LINES_H
#define PAPERBOY_INGEST_LINES_H

#include <stddef.h>

#include "ingest/input.h"
#include "util/buf.h"

struct line_reader {
    struct ingest_input *in; /* borrowed */
    char *chunk;             /* owned; chunk_cap bytes */
    size_t chunk_cap;
    size_t start, end; /* unread bytes are chunk[start, end) */
    struct buf line;   /* a line that spans chunks; capped */
    long lineno;       /* number of the last line returned (1-based) */
    int eof;           /* the input said end */
};

/* Initialises a caller-owned reader over in (borrowed; must outlive it);
 * lines longer than max_line bytes are refused. */
void line_reader_init(struct line_reader *lr, struct ingest_input *in, size_t max_line);
/* Frees the reader's buffers. */
void line_reader_cleanup(struct line_reader *lr);

/* Reads the next line. Returns 1 and points *p and *len at it (valid until the
 * next call; not NUL-terminated) and sets *newline to whether a newline
 * ended it (0 only for a last line at end of input); returns 0 at end of
 * input. ERR_TOO_LARGE: line lr->lineno was longer than max_line and has
 * been skipped (call again for the next). ERR_TRUNCATED or ERR_IO: the input
 * failed; a partial line read before it is dropped. */
int line_reader_next(struct line_reader *lr, const char **p /* OUT */, size_t *len /* OUT */,
                     int *newline /* OUT */);

#endif
