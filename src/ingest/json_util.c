/* json_util.c - cJSON helpers for the JSON readers (see json_util.h). */
#include "ingest/json_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/normalize.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"
#include "util/utf8.h"


void json_hooks_init(void)
{
    cJSON_Hooks hooks = {xmalloc, free};
    cJSON_InitHooks(&hooks);
}

static int is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int json_parse_object(const char *p, size_t len, cJSON **out, char *why, size_t why_len)
{
    const char *end = NULL;
    /* require_null_terminated is not used: cJSON 1.7.15 refuses every
     * length-limited input with it set; the tail is checked below. */
    cJSON *root = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (!root) {
        size_t at = end && end >= p && end <= p + len ? (size_t)(end - p) : 0;
        snprintf(why, why_len, "invalid JSON near byte %zu", at + 1);
        return ERR_PARSE;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(why, why_len, "not a JSON object");
        return ERR_PARSE;
    }
    size_t at = end && end >= p && end <= p + len ? (size_t)(end - p) : len;
    while (at < len && is_json_space(p[at]))
        at++;
    if (at < len) {
        cJSON_Delete(root);
        snprintf(why, why_len, "unexpected data after the object at byte %zu", at + 1);
        return ERR_PARSE;
    }
    *out = root;
    return 0;
}

const char *json_item_str(const cJSON *it)
{
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

const char *json_str(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return json_item_str(cJSON_GetObjectItemCaseSensitive(obj, key));
}

char *json_dup(const cJSON *obj, const char *key)
{
    const char *s = json_str(obj, key);
    return s ? json_utf8_dup(s, strlen(s)) : NULL;
}

char *json_dup_folded(const cJSON *obj, const char *key)
{
    return json_item_dup_folded(cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key)
                                                    : NULL);
}

char *json_item_dup_folded(const cJSON *it)
{
    const char *s = json_item_str(it);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *f;
    if (utf8_valid_prefix(s, n) == n) {
        f = text_fold(s, n);
    } else {
        char *u = json_utf8_dup(s, n);
        f = text_fold(u, strlen(u));
        free(u);
    }
    if (!f[0]) {
        free(f);
        return NULL;
    }
    return f;
}

int json_arxiv_id(const cJSON *v, const char *label, char **id, char *why, size_t why_len)
{
    if (!v || cJSON_IsNull(v)) {
        snprintf(why, why_len, "missing \"%s\"", label);
        return ERR_PARSE;
    }
    if (!cJSON_IsString(v)) {
        snprintf(why, why_len, "\"%s\" is not a string", label);
        return ERR_PARSE;
    }
    if (arxiv_id_parse(v->valuestring, strlen(v->valuestring), id, NULL) != 0) {
        char ex[64];
        json_excerpt(ex, sizeof ex, v->valuestring);
        snprintf(why, why_len, "bad arXiv id \"%s\"", ex);
        return ERR_PARSE;
    }
    return 0;
}

int json_int(const cJSON *obj, const char *key, int dflt)
{
    if (!cJSON_IsObject(obj))
        return dflt;
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it))
        return dflt;
    double d = it->valuedouble;
    if (d != d)
        return dflt;
    if (d >= (double)INT_MAX)
        return INT_MAX;
    if (d <= (double)INT_MIN)
        return INT_MIN;
    return (int)d;
}

char *json_utf8_dup(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    /* Fast path: scan until the first bad sequence; most text is valid. */
    size_t i = utf8_valid_prefix(p, len);
    if (i == len)
        return xstrndup(p, len);
    char *out = xmalloc(len * 3 + 1);
    memcpy(out, p, i);
    size_t o = i;
    while (i < len) {
        size_t n = utf8_decode(s + i, len - i, NULL);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

void json_excerpt(char *out, size_t out_len, const char *s)
{
    if (out_len == 0)
        return;
    size_t o = 0, i = 0, slen = strlen(s);
    while (i < slen && i < 40 && o + 1 < out_len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out[o++] = (c < 0x20 || c == 0x7F || c == '"') ? '?' : (char)c;
            i++;
            continue;
        }
        size_t n = utf8_decode((const unsigned char *)s + i, slen - i, NULL);
        if (n == 0) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (i + n > 40 || o + n + 1 > out_len)
            break; /* never cut a character in two */
        memcpy(out + o, s + i, n);
        o += n;
        i += n;
    }
    if (i < slen && o + 4 <= out_len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
