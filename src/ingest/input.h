/*
 * input.h - one input file as a byte stream, gzip or plain, with a peek.
 *
 * Readers never see FILE* or zlib: they pull bytes with ingest_input_read().
 * zlib's gz* functions read plain files as they are and gzip files
 * decompressed, so ".gz" needs no special path; a truncated gzip stream is
 * reported as ERR_TRUNCATED rather than a silent short file. "-" is stdin.
 * The first bytes can be peeked (without consuming them) for format
 * detection.
 */
#ifndef PAPERBOY_INGEST_INPUT_H
#define PAPERBOY_INGEST_INPUT_H

#include <stddef.h>
#include <sys/types.h>

struct ingest_input;

/* Opens path ("-" for stdin). ERR_IO (with errno text in the log) when it
 * cannot be opened. Free with ingest_input_close(). */
int ingest_input_open(const char *path, struct ingest_input **out /* OUT */);
/* Wraps an in-memory buffer (borrowed; must outlive the input). For tests
 * and fuzzing. */
int ingest_input_mem(const char *name, const void *p, size_t len, struct ingest_input **out /* OUT */);
/* Reads up to n bytes into dst. Returns the count (0 at end of input), or a
 * negative code: ERR_IO, ERR_TRUNCATED (gzip stream ended early). */
ssize_t ingest_input_read(struct ingest_input *in, void *dst, size_t n);
/* Points *p at up to the first 4096 bytes (fewer if the input is shorter)
 * without consuming them. Valid until the next read. */
int ingest_input_peek(struct ingest_input *in, const char **p /* OUT */, size_t *len /* OUT */);
/* The name given at open ("-" shows as "<stdin>"). */
const char *ingest_input_name(const struct ingest_input *in);
/* Bytes consumed so far (uncompressed). */
size_t ingest_input_offset(const struct ingest_input *in);
void ingest_input_close(struct ingest_input *in);

#endif
