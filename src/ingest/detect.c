/*
 * detect.c - which reader an input needs, from its first bytes (see
 * reader.h), and the dispatch to it.
 *
 * The peek (up to 4096 bytes, after gzip decompression) is checked for
 * binary data first: a NUL byte or invalid UTF-8 (a sequence cut by the end
 * of the peek is fine) means UNKNOWN. Then, after a UTF-8 byte order mark
 * and whitespace:
 *   '['  Hugging Face daily papers (a JSON array of items);
 *   '{'  Kaggle JSON lines, unless the first object has a top-level key
 *        "paper" within the peek: then Hugging Face items as JSON lines;
 *   '<'  XML: "<OAI-PMH" means OAI-PMH, "<feed" (or a prefixed ":feed")
 *        an Atom feed, whichever comes first;
 *   anything else is UNKNOWN.
 *
 * ingest_read() lives in dispatch.c: it is the only function that needs
 * every reader linked, and keeping it apart lets a program (or a unit test)
 * detect formats without pulling in the XML readers.
 */
#include <stdint.h>
#include <string.h>

#include "ingest/reader.h"

/* Is (p, n) valid UTF-8 with no NUL, allowing a sequence cut at the end? */
static int looks_like_text(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF)
            need = 2, cp = c & 0x1F, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 3, cp = c & 0x0F, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        size_t k = 1;
        for (; k < need && i + k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (k < need)
            return 1; /* cut by the end of the peek */
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need;
    }
    return 1;
}

/* Does the object starting at p[0] == '{' have a top-level key "paper"
 * within the n bytes seen? */
static int has_paper_key(const char *p, size_t n)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '"') {
            size_t s = i + 1, e = s;
            while (e < n && p[e] != '"') {
                if (p[e] == '\\')
                    e++;
                e++;
            }
            if (e >= n)
                return 0;
            size_t k = e + 1;
            while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n'))
                k++;
            if (depth == 1 && k < n && p[k] == ':' && e - s == 5 && memcmp(p + s, "paper", 5) == 0)
                return 1;
            i = e;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            if (depth <= 0)
                return 0; /* the first object ended */
        }
    }
    return 0;
}

static const char *find(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle));
}

enum ingest_format ingest_detect(struct ingest_input *in)
{
    const char *p;
    size_t n;
    if (ingest_input_peek(in, &p, &n) != 0)
        return INGEST_FORMAT_UNKNOWN;
    if (!looks_like_text((const unsigned char *)p, n))
        return INGEST_FORMAT_UNKNOWN;
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n)
        return INGEST_FORMAT_UNKNOWN;
    switch (p[i]) {
    case '[':
        return INGEST_FORMAT_HF;
    case '{':
        return has_paper_key(p + i, n - i) ? INGEST_FORMAT_HF : INGEST_FORMAT_KAGGLE;
    case '<': {
        const char *oai = find(p + i, n - i, "<OAI-PMH");
        const char *feed = find(p + i, n - i, "<feed");
        if (!feed)
            feed = find(p + i, n - i, ":feed");
        if (oai && (!feed || oai < feed))
            return INGEST_FORMAT_OAI;
        if (feed)
            return INGEST_FORMAT_ATOM;
        return INGEST_FORMAT_UNKNOWN;
    }
    default:
        return INGEST_FORMAT_UNKNOWN;
    }
}

const char *ingest_format_name(enum ingest_format f)
{
    switch (f) {
    case INGEST_FORMAT_KAGGLE:
        return "kaggle";
    case INGEST_FORMAT_HF:
        return "hf";
    case INGEST_FORMAT_OAI:
        return "oai";
    case INGEST_FORMAT_ATOM:
        return "atom";
    case INGEST_FORMAT_UNKNOWN:
    default:
        return "unknown";
    }
}
