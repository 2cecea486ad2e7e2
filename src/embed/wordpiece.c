/*
 * wordpiece.c - BERT uncased tokenizer (see wordpiece.h for the steps).
 *
 * Data structures: the vocabulary is one copied text block; tok[] points at
 * each NUL-terminated token (id = index) and an open-addressing hash table
 * (FNV-1a, power-of-two size, at most half full) maps token bytes to ids.
 *
 * Encoding streams over the text once. Steps 2-5 run per code point; the
 * current sub-word (between whitespace and punctuation) collects its
 * normalised UTF-8 bytes in a small buffer together with the byte offset of
 * each code point, and is handed to the WordPiece matcher when a boundary
 * arrives. A sub-word longer than 100 code points only counts further code
 * points (it becomes [UNK] anyway), so the buffer is fixed-size. The
 * matcher tries end positions from the longest down, but never a piece
 * longer than the longest vocabulary entry, which gives the reference's
 * answer at a fraction of the lookups.
 */
#include "embed/wordpiece.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/err.h"
#include "util/mem.h"

struct wordpiece {
    char *text; /* the vocabulary, lines NUL-terminated */
    char **tok; /* n entries */
    size_t n;
    int32_t *slots; /* hash table of ids, -1 = empty */
    size_t n_slots; /* power of two */
    size_t max_len; /* longest token in bytes */
    int32_t cls, sep, unk, pad, mask;
};

int32_t wordpiece_lookup(const struct wordpiece *wp, const char *tok, size_t len)
{
    size_t mask = wp->n_slots - 1;
    for (size_t i = (size_t)hash64(tok, len, 0) & mask;; i = (i + 1) & mask) {
        int32_t id = wp->slots[i];
        if (id < 0)
            return -1;
        const char *t = wp->tok[id];
        if (strncmp(t, tok, len) == 0 && t[len] == '\0')
            return id;
    }
}

int wordpiece_new(const char *p, size_t len, struct wordpiece **out)
{
    if (len > WORDPIECE_MAX_VOCAB_BYTES)
        return ERR_TOO_LARGE;
    struct wordpiece *wp = xcalloc(1, sizeof *wp);
    wp->text = xmalloc(len + 1);
    memcpy(wp->text, p, len);
    wp->text[len] = '\0';
    /* Lines: a final line without "\n" still counts; an empty text has none. */
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += p[i] == '\n';
    if (len && p[len - 1] != '\n')
        lines++;
    wp->tok = xmalloc((lines ? lines : 1) * sizeof *wp->tok);
    char *s = wp->text;
    for (size_t k = 0; k < lines; k++) {
        char *nl = memchr(s, '\n', (size_t)(wp->text + len - s));
        wp->tok[k] = s;
        if (nl) {
            *nl = '\0';
            s = nl + 1;
        }
        size_t tl = strlen(wp->tok[k]);
        if (tl > wp->max_len)
            wp->max_len = tl;
    }
    wp->n = lines;
    wp->n_slots = 16;
    while (wp->n_slots < 2 * lines)
        wp->n_slots *= 2;
    wp->slots = xmalloc(wp->n_slots * sizeof *wp->slots);
    memset(wp->slots, 0xff, wp->n_slots * sizeof *wp->slots);
    size_t mask = wp->n_slots - 1;
    for (size_t k = 0; k < lines; k++) {
        size_t tl = strlen(wp->tok[k]);
        size_t i = (size_t)hash64(wp->tok[k], tl, 0) & mask;
        while (wp->slots[i] >= 0 && strcmp(wp->tok[wp->slots[i]], wp->tok[k]) != 0)
            i = (i + 1) & mask;
        wp->slots[i] = (int32_t)k; /* a repeat keeps its last id */
    }
    wp->cls = wordpiece_lookup(wp, "[CLS]", 5);
    wp->sep = wordpiece_lookup(wp, "[SEP]", 5);
    wp->unk = wordpiece_lookup(wp, "[UNK]", 5);
    wp->pad = wordpiece_lookup(wp, "[PAD]", 5);
    wp->mask = wordpiece_lookup(wp, "[MASK]", 6);
    if (wp->cls < 0 || wp->sep < 0 || wp->unk < 0) {
        wordpiece_free(wp);
        return ERR_PARSE;
    }
    *out = wp;
    return 0;
}

int wordpiece_load(const char *path, struct wordpiece **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ERR_IO;
    struct buf b;
    buf_init(&b, WORDPIECE_MAX_VOCAB_BYTES);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&b, chunk, got);
    if (rc == 0 && ferror(f))
        rc = ERR_IO;
    fclose(f);
    if (rc == 0)
        rc = wordpiece_new(b.p ? b.p : "", b.len, out);
    buf_cleanup(&b);
    return rc;
}

void wordpiece_free(struct wordpiece *wp)
{
    if (!wp)
        return;
    free(wp->text);
    free(wp->tok);
    free(wp->slots);
    free(wp);
}

size_t wordpiece_vocab_size(const struct wordpiece *wp)
{
    return wp->n;
}

const char *wordpiece_token(const struct wordpiece *wp, int32_t id)
{
    return id >= 0 && (size_t)id < wp->n ? wp->tok[id] : NULL;
}

/* ---------------------------------------------------------------------
 * Character classes, as transformers' tokenization_bert.py defines them
 * ------------------------------------------------------------------- */

/* Where the reference's Unicode tables (the `tokenizers` crate's, older than
 * utf8proc's) classify a code point differently, in the only three ways
 * that change tokens: CP_LETTER (neither control, mark nor punctuation: the
 * reference does not know the newer category), CP_PUNCT, CP_MARK (dropped).
 * Derived by tokenizing "x" + c + "y" for every code point with the
 * reference and with this file without the table, and keeping the ranges
 * that disagreed (tests/fixtures/embed/make_reference.py --cp-dump and
 * test_embed_tokenizer --dump-cps; the unit test checks a hash of the whole
 * dump against the reference's). */
enum cp_class { CP_NONE = 0, CP_LETTER, CP_PUNCT, CP_MARK };

static const struct {
    int32_t lo, hi;
    enum cp_class cls;
} cp_overrides[] = {
    {0x61D, 0x61D, CP_LETTER},     {0x7FD, 0x7FD, CP_LETTER},     {0x890, 0x891, CP_LETTER},
    {0x898, 0x89F, CP_LETTER},     {0x8CA, 0x8E2, CP_LETTER},     {0x9FD, 0x9FE, CP_LETTER},
    {0xA76, 0xA76, CP_LETTER},     {0xAFA, 0xAFF, CP_LETTER},     {0xB55, 0xB55, CP_LETTER},
    {0xC04, 0xC04, CP_LETTER},     {0xC3C, 0xC3C, CP_LETTER},     {0xC77, 0xC77, CP_LETTER},
    {0xC84, 0xC84, CP_LETTER},     {0xD00, 0xD00, CP_LETTER},     {0xD3B, 0xD3C, CP_LETTER},
    {0xD81, 0xD81, CP_LETTER},     {0xEBA, 0xEBA, CP_LETTER},     {0xECE, 0xECE, CP_LETTER},
    {0x166D, 0x166D, CP_PUNCT},    {0x1734, 0x1734, CP_MARK},     {0x180F, 0x180F, CP_LETTER},
    {0x1885, 0x1886, CP_LETTER},   {0x1ABF, 0x1ACE, CP_LETTER},   {0x1B7D, 0x1B7E, CP_LETTER},
    {0x1DF6, 0x1DFB, CP_LETTER},   {0x2E43, 0x2E4F, CP_LETTER},   {0x2E52, 0x2E5D, CP_LETTER},
    {0xA82C, 0xA82C, CP_LETTER},   {0xA8C5, 0xA8C5, CP_LETTER},   {0xA8FF, 0xA8FF, CP_LETTER},
    {0xA9BD, 0xA9BD, CP_LETTER},   {0x10D24, 0x10D27, CP_LETTER}, {0x10EAB, 0x10EAD, CP_LETTER},
    {0x10EFD, 0x10EFF, CP_LETTER}, {0x10F46, 0x10F50, CP_LETTER}, {0x10F55, 0x10F59, CP_LETTER},
    {0x10F82, 0x10F89, CP_LETTER}, {0x11070, 0x11070, CP_LETTER}, {0x11073, 0x11074, CP_LETTER},
    {0x110C2, 0x110C2, CP_LETTER}, {0x110CD, 0x110CD, CP_LETTER}, {0x111C9, 0x111C9, CP_PUNCT},
    {0x111CF, 0x111CF, CP_LETTER}, {0x1123E, 0x1123E, CP_LETTER}, {0x11241, 0x11241, CP_LETTER},
    {0x1133B, 0x1133B, CP_LETTER}, {0x11438, 0x1143F, CP_LETTER}, {0x11442, 0x11444, CP_LETTER},
    {0x11446, 0x11446, CP_LETTER}, {0x1144B, 0x1144F, CP_LETTER}, {0x1145A, 0x1145B, CP_LETTER},
    {0x1145D, 0x1145E, CP_LETTER}, {0x11660, 0x1166C, CP_LETTER}, {0x116B9, 0x116B9, CP_LETTER},
    {0x1182F, 0x11837, CP_LETTER}, {0x11839, 0x1183B, CP_LETTER}, {0x1193B, 0x1193C, CP_LETTER},
    {0x1193E, 0x1193E, CP_LETTER}, {0x11943, 0x11946, CP_LETTER}, {0x119D4, 0x119D7, CP_LETTER},
    {0x119DA, 0x119DB, CP_LETTER}, {0x119E0, 0x119E0, CP_LETTER}, {0x119E2, 0x119E2, CP_LETTER},
    {0x11A01, 0x11A0A, CP_LETTER}, {0x11A33, 0x11A38, CP_LETTER}, {0x11A3B, 0x11A47, CP_LETTER},
    {0x11A51, 0x11A56, CP_LETTER}, {0x11A59, 0x11A5B, CP_LETTER}, {0x11A8A, 0x11A96, CP_LETTER},
    {0x11A98, 0x11A9C, CP_LETTER}, {0x11A9E, 0x11AA2, CP_LETTER}, {0x11B00, 0x11B09, CP_LETTER},
    {0x11C30, 0x11C36, CP_LETTER}, {0x11C38, 0x11C3D, CP_LETTER}, {0x11C3F, 0x11C3F, CP_LETTER},
    {0x11C41, 0x11C45, CP_LETTER}, {0x11C70, 0x11C71, CP_LETTER}, {0x11C92, 0x11CA7, CP_LETTER},
    {0x11CAA, 0x11CB0, CP_LETTER}, {0x11CB2, 0x11CB3, CP_LETTER}, {0x11CB5, 0x11CB6, CP_LETTER},
    {0x11D31, 0x11D36, CP_LETTER}, {0x11D3A, 0x11D3A, CP_LETTER}, {0x11D3C, 0x11D3D, CP_LETTER},
    {0x11D3F, 0x11D45, CP_LETTER}, {0x11D47, 0x11D47, CP_LETTER}, {0x11D90, 0x11D91, CP_LETTER},
    {0x11D95, 0x11D95, CP_LETTER}, {0x11D97, 0x11D97, CP_LETTER}, {0x11EF3, 0x11EF4, CP_LETTER},
    {0x11EF7, 0x11EF8, CP_LETTER}, {0x11F00, 0x11F01, CP_LETTER}, {0x11F36, 0x11F3A, CP_LETTER},
    {0x11F40, 0x11F40, CP_LETTER}, {0x11F42, 0x11F4F, CP_LETTER}, {0x11FFF, 0x11FFF, CP_LETTER},
    {0x12FF1, 0x12FF2, CP_LETTER}, {0x13430, 0x13440, CP_LETTER}, {0x13447, 0x13455, CP_LETTER},
    {0x16E97, 0x16E9A, CP_LETTER}, {0x16F4F, 0x16F4F, CP_LETTER}, {0x16FE2, 0x16FE2, CP_LETTER},
    {0x16FE4, 0x16FE4, CP_LETTER}, {0x1CF00, 0x1CF2D, CP_LETTER}, {0x1CF30, 0x1CF46, CP_LETTER},
    {0x1E000, 0x1E006, CP_LETTER}, {0x1E008, 0x1E018, CP_LETTER}, {0x1E01B, 0x1E021, CP_LETTER},
    {0x1E023, 0x1E024, CP_LETTER}, {0x1E026, 0x1E02A, CP_LETTER}, {0x1E08F, 0x1E08F, CP_LETTER},
    {0x1E130, 0x1E136, CP_LETTER}, {0x1E2AE, 0x1E2AE, CP_LETTER}, {0x1E2EC, 0x1E2EF, CP_LETTER},
    {0x1E4EC, 0x1E4EF, CP_LETTER}, {0x1E944, 0x1E94A, CP_LETTER}, {0x1E95E, 0x1E95F, CP_LETTER},
};

static enum cp_class cp_override(int32_t c)
{
    size_t lo = 0, hi = sizeof cp_overrides / sizeof cp_overrides[0];
    if (c < cp_overrides[0].lo)
        return CP_NONE;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < cp_overrides[mid].lo)
            hi = mid;
        else if (c > cp_overrides[mid].hi)
            lo = mid + 1;
        else
            return cp_overrides[mid].cls;
    }
    return CP_NONE;
}

static int is_control(int32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r')
        return 0;
    enum cp_class o = cp_override(c);
    if (o != CP_NONE)
        return o == CP_MARK;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
        return 1;
    default:
        return 0;
    }
}

static int is_space(int32_t c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        return 1;
    /* Python's str.split() also splits at the line/paragraph separators,
     * which the reference's clean step leaves in place. */
    if (c == 0x2028 || c == 0x2029)
        return 1;
    return utf8proc_category(c) == UTF8PROC_CATEGORY_ZS;
}

static int is_cjk(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punct(int32_t c)
{
    enum cp_class o = cp_override(c);
    if (o != CP_NONE)
        return o == CP_PUNCT;
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
        (c >= 123 && c <= 126))
        return 1;
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------- */

/* Bytes kept for one sub-word: 100 code points of at most 4 bytes each. */
#define WORD_BYTES (WORDPIECE_MAX_WORD_CHARS * 4)

struct enc {
    const struct wordpiece *wp;
    int32_t *ids;
    size_t n, cap; /* cap: room for word pieces (max_tokens - 1) */
    char word[WORD_BYTES + 8];
    size_t wlen;                                /* bytes in word */
    size_t wchars;                              /* code points seen (may exceed 100) */
    uint16_t off[WORDPIECE_MAX_WORD_CHARS + 1]; /* byte offset of each code point */
    char piece[WORD_BYTES + 8];
};

static void push(struct enc *e, int32_t id)
{
    if (e->n < e->cap)
        e->ids[e->n++] = id;
}

/* Runs WordPiece over the collected sub-word and empties it. */
static void flush_word(struct enc *e)
{
    if (e->wchars == 0)
        return;
    const struct wordpiece *wp = e->wp;
    size_t nchars = e->wchars;
    if (nchars > WORDPIECE_MAX_WORD_CHARS) {
        push(e, wp->unk);
        e->wlen = e->wchars = 0;
        return;
    }
    e->off[nchars] = (uint16_t)e->wlen;
    size_t first = e->n;
    size_t start = 0;
    while (start < nchars) {
        int32_t found = -1;
        size_t end = nchars;
        for (; end > start; end--) {
            size_t pre = start > 0 ? 2 : 0;
            size_t bytes = (size_t)(e->off[end] - e->off[start]);
            if (bytes + pre > wp->max_len)
                continue;
            if (pre)
                memcpy(e->piece, "##", 2);
            memcpy(e->piece + pre, e->word + e->off[start], bytes);
            found = wordpiece_lookup(wp, e->piece, bytes + pre);
            if (found >= 0)
                break;
        }
        if (found < 0) {
            /* The whole word becomes one [UNK]: drop its pieces. */
            e->n = first;
            push(e, wp->unk);
            break;
        }
        push(e, found);
        start = end;
    }
    e->wlen = e->wchars = 0;
}

/* Appends one normalised code point to the sub-word. */
static void add_char(struct enc *e, int32_t c)
{
    if (e->wchars < WORDPIECE_MAX_WORD_CHARS) {
        e->off[e->wchars] = (uint16_t)e->wlen;
        e->wlen += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)e->word + e->wlen);
    }
    e->wchars++;
}

/* Decodes the code point at text[i]; invalid UTF-8 gives U+FFFD over one
 * byte. Returns the byte count. */
static size_t next_cp(const char *text, size_t len, size_t i, int32_t *c)
{
    utf8proc_ssize_t k =
        utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), c);
    if (k <= 0) {
        *c = 0xFFFD;
        return 1;
    }
    return (size_t)k;
}

/* Normalises c as the reference's BertNormalizer does (NFD, drop Mn, then
 * lower-case each code point) and feeds the result to the pre-tokenizer
 * step: punctuation becomes a sub-word of its own. */
static void add_normalised(struct enc *e, int32_t c)
{
    int32_t d[32];
    utf8proc_ssize_t nd = utf8proc_decompose_char(c, d, 32, UTF8PROC_DECOMPOSE, NULL);
    if (nd < 0 || nd > 32) {
        d[0] = c;
        nd = 1;
    }
    for (utf8proc_ssize_t k = 0; k < nd; k++) {
        enum cp_class o = cp_override(d[k]);
        if (o == CP_MARK || (o == CP_NONE && utf8proc_category(d[k]) == UTF8PROC_CATEGORY_MN))
            continue;
        int32_t lc = utf8proc_tolower(d[k]);
        if (is_punct(lc)) {
            flush_word(e);
            add_char(e, lc);
            flush_word(e);
        } else {
            add_char(e, lc);
        }
    }
}

static const char *const specials[] = {"[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]"};

int wordpiece_encode(const struct wordpiece *wp, const char *text, size_t len, size_t max_tokens,
                     int32_t *ids, size_t *n)
{
    if (max_tokens < 2)
        return ERR_INVALID;
    struct enc *e = xmalloc(sizeof *e);
    e->wp = wp;
    e->ids = ids;
    e->n = 0;
    e->cap = max_tokens - 1;
    e->wlen = e->wchars = 0;
    push(e, wp->cls);
    size_t i = 0;
    while (i < len && e->n < e->cap) {
        if (text[i] == '[') {
            size_t k;
            for (k = 0; k < sizeof specials / sizeof specials[0]; k++) {
                size_t sl = strlen(specials[k]);
                if (sl <= len - i && memcmp(text + i, specials[k], sl) == 0)
                    break;
            }
            if (k < sizeof specials / sizeof specials[0]) {
                int32_t id = wordpiece_lookup(wp, specials[k], strlen(specials[k]));
                if (id >= 0) {
                    flush_word(e);
                    push(e, id);
                    i += strlen(specials[k]);
                    continue;
                }
            }
        }
        int32_t c;
        i += next_cp(text, len, i, &c);
        if (c == 0 || c == 0xFFFD || is_control(c))
            continue;
        if (is_space(c)) {
            flush_word(e);
            continue;
        }
        if (is_cjk(c)) {
            flush_word(e);
            add_normalised(e, c);
            flush_word(e);
            continue;
        }
        add_normalised(e, c);
    }
    flush_word(e);
    e->cap = max_tokens;
    push(e, wp->sep);
    *n = e->n;
    free(e);
    return 0;
}
