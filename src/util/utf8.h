/*
 * utf8.h - strict UTF-8 decoding, the one copy every module uses.
 *
 * "Valid" means RFC 3629: shortest form, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. Callers decide what to do with an invalid byte
 * (replace it with U+FFFD, reject the input, stop).
 */
#ifndef PAPERBOY_UTIL_UTF8_H
#define PAPERBOY_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at p (n >= 1 bytes available). Returns its length
 * (1 to 4) and writes the code point to *cp (may be NULL), or returns 0 when
 * the bytes do not start a valid sequence within n. */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp /* OUT */);

/* The length of the longest valid UTF-8 prefix of (p, n). */
size_t utf8_valid_prefix(const char *p, size_t n);

#endif
