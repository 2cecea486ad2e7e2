/*
 * json_util.h - the small cJSON helpers the JSON readers (kaggle.c, hf.c)
 * share. Internal to ingest/: only ingest/ parses JSON (STYLE rule 15), so
 * only ingest/ includes this header and cJSON.h.
 *
 * Strings copied out of a document are made valid UTF-8 on the way (an
 * invalid byte becomes U+FFFD), because every string in a struct paper is
 * promised to be UTF-8 and cJSON passes raw bytes through.
 */
#ifndef PAPERBOY_INGEST_JSON_UTIL_H
#define PAPERBOY_INGEST_JSON_UTIL_H

#include <cJSON.h>
#include <stddef.h>

/* Points cJSON's allocator at xmalloc/free so that running out of memory
 * aborts (STYLE rule 9) instead of looking like a parse error. Idempotent;
 * every reader calls it before parsing. */
void json_hooks_init(void);

/* Parses (p, len) as one JSON value that must be an object, with nothing
 * but whitespace after it. On success writes the tree to *out (free with
 * cJSON_Delete()). On failure returns ERR_PARSE and writes a short reason
 * ("invalid JSON near byte 17", "not a JSON object", "unexpected data after
 * the object at byte 40") to why (why_len bytes, NUL-terminated); bytes are
 * 1-based. */
int json_parse_object(const char *p, size_t len, cJSON **out /* OUT */, char *why, size_t why_len);

/* The string value of obj[key], or NULL when obj is not an object, the key
 * is absent, null, or not a string. Borrowed from the tree. */
const char *json_str(const cJSON *obj, const char *key);
/* The string value of the item it (any may be NULL), or NULL. */
const char *json_item_str(const cJSON *it);
/* A valid-UTF-8 copy (malloc'ed) of json_str(obj, key), or NULL. */
char *json_dup(const cJSON *obj, const char *key);
/* Like json_dup() with whitespace folded and the ends trimmed (see
 * text_fold()); NULL also when the result would be empty. */
char *json_dup_folded(const cJSON *obj, const char *key);
/* The same for an item already in hand. */
char *json_item_dup_folded(const cJSON *it);
/* The integer value of obj[key] (a number, clamped to int), or dflt. */
int json_int(const cJSON *obj, const char *key, int dflt);

/* Reads the arXiv id in the item v (NULL when absent) and writes its
 * normal form (malloc'ed) to *id. ERR_PARSE with a reason in why
 * ("missing \"id\"", "\"id\" is not a string", "bad arXiv id \"foo\"")
 * otherwise; label names the field in those reasons. */
int json_arxiv_id(const cJSON *v, const char *label, char **id /* OUT */, char *why,
                  size_t why_len);

/* Returns a malloc'ed copy of (p, len) in which every byte that does not
 * start a valid UTF-8 sequence (overlong, surrogate, past U+10FFFF,
 * truncated) is replaced by U+FFFD. */
char *json_utf8_dup(const char *p, size_t len);

/* Writes a printable excerpt of s (at most 40 bytes, control bytes and '"'
 * shown as '?', "..." when cut) to out (out_len bytes), for error messages. */
void json_excerpt(char *out, size_t out_len, const char *s);

#endif
