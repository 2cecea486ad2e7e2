/*
 * hash.h - a fast non-cryptographic hash for in-memory tables.
 *
 * 8 bytes at a time mixed by multiply-xorshift, then murmur3's 64-bit
 * finaliser so every input bit reaches the low bits (tables mask them).
 * Not stable across versions: never store its values on disk.
 */
#ifndef PAPERBOY_UTIL_HASH_H
#define PAPERBOY_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes n bytes at p with seed. */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

#endif
