/*
 * analyzer.c - text to terms (see analyzer.h for the rules).
 *
 * Design: one pass over the UTF-8 input. ASCII bytes take a fast path
 * (lower-casing is NFKC + case folding for ASCII); any other code point is
 * decomposed by utf8proc (NFKD + case fold + drop default-ignorables), its
 * Latin/Greek/Cyrillic diacritics are dropped, and each remaining code
 * point is classified (word character, CJK unigram, separator). Characters
 * of the current word collect in `cur`; a finished word becomes a "part" of
 * the current compound (words chained by single hyphens). When a compound
 * ends, its parts are emitted with consecutive positions, and after the
 * first part its joined form (if it has several parts).
 *
 * Words with non-ASCII code points are recomposed (NFC) when they end, so
 * scripts that keep their combining marks (Hangul, Indic) give the NFKC
 * form.
 *
 * Stemming goes through a cache (word -> stem) per analyzer, as the same
 * few thousand words make up most of any text: an open-addressing hash
 * of one-cache-line entries, grown as needed up to STEM_CACHE_MAX entries
 * and then emptied (memory stays bounded: about 64 MiB at most, a few KiB
 * for a query analyzer). The entry index doubles as the token's word_id. The stopword list is a small open-addressing hash
 * built at creation.
 */
#include "text/analyzer.h"

#include <libstemmer.h>
#include <string.h>
#include <utf8proc.h>

#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

/* ------------------------------------------------------------------ */
/* Stopword lists                                                      */

/* Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (also Anserini's default). */
static const char *const stop_lucene[] = {
    "a",    "an",   "and",   "are",   "as",    "at",   "be",   "but",  "by",
    "for",  "if",   "in",    "into",  "is",    "it",   "no",   "not",  "of",
    "on",   "or",   "such",  "that",  "the",   "their", "then", "there", "these",
    "they", "this", "to",    "was",   "will",  "with",
};

/* The Snowball English stopword list. Contractions appear as this
 * analyzer produces them (apostrophe dropped: "don't" -> "dont"; a final
 * "'s" removed); forms that collide with content words (ill, well, shell,
 * shed, wed, hell, id, wont, let) are left out. */
static const char *const stop_snowball[] = {
    "i",        "me",        "my",        "myself",   "we",       "our",       "ours",
    "ourselves", "you",      "your",      "yours",    "yourself", "yourselves", "he",
    "him",      "his",       "himself",   "she",      "her",      "hers",      "herself",
    "it",       "its",       "itself",    "they",     "them",     "their",     "theirs",
    "themselves", "what",    "which",     "who",      "whom",     "this",      "that",
    "these",    "those",     "am",        "is",       "are",      "was",       "were",
    "be",       "been",      "being",     "have",     "has",      "had",       "having",
    "do",       "does",      "did",       "doing",    "would",    "should",    "could",
    "ought",    "im",        "youre",     "theyre",   "ive",      "youve",     "weve",
    "theyve",   "youd",      "theyd",     "youll",    "theyll",   "isnt",      "arent",
    "wasnt",    "werent",    "hasnt",     "havent",   "hadnt",    "doesnt",    "dont",
    "didnt",    "wouldnt",   "shant",     "shouldnt", "cant",     "cannot",    "couldnt",
    "mustnt",   "a",         "an",        "the",      "and",      "but",       "if",
    "or",       "because",   "as",        "until",    "while",    "of",        "at",
    "by",       "for",       "with",      "about",    "against",  "between",   "into",
    "through",  "during",    "before",    "after",    "above",    "below",     "to",
    "from",     "up",        "down",      "in",       "out",      "on",        "off",
    "over",     "under",     "again",     "further",  "then",     "once",      "here",
    "there",    "when",      "where",     "why",      "how",      "all",       "any",
    "both",     "each",      "few",       "more",     "most",     "other",     "some",
    "such",     "no",        "nor",       "not",      "only",     "own",       "same",
    "so",       "than",      "too",       "very",
};

static void stop_list(enum text_stop s, const char *const **words, size_t *n)
{
    switch (s) {
    case TEXT_STOP_LUCENE:
        *words = stop_lucene;
        *n = sizeof stop_lucene / sizeof stop_lucene[0];
        return;
    case TEXT_STOP_SNOWBALL:
        *words = stop_snowball;
        *n = sizeof stop_snowball / sizeof stop_snowball[0];
        return;
    case TEXT_STOP_NONE:
        break;
    }
    *words = NULL;
    *n = 0;
}

int text_is_stopword(enum text_stop stop, const char *w, size_t len)
{
    const char *const *words;
    size_t n;
    stop_list(stop, &words, &n);
    for (size_t i = 0; i < n; i++)
        if (strlen(words[i]) == len && memcmp(words[i], w, len) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

const char *text_stem_name(enum text_stem s)
{
    switch (s) {
    case TEXT_STEM_NONE: return "none";
    case TEXT_STEM_ENGLISH: return "english";
    case TEXT_STEM_PORTER: return "porter";
    }
    return "?";
}

const char *text_stop_name(enum text_stop s)
{
    switch (s) {
    case TEXT_STOP_NONE: return "none";
    case TEXT_STOP_LUCENE: return "lucene";
    case TEXT_STOP_SNOWBALL: return "snowball";
    }
    return "?";
}

int text_stem_parse(const char *name, enum text_stem *out)
{
    for (int s = TEXT_STEM_NONE; s <= TEXT_STEM_PORTER; s++)
        if (name && strcmp(name, text_stem_name((enum text_stem)s)) == 0) {
            *out = (enum text_stem)s;
            return 0;
        }
    return ERR_INVALID;
}

int text_stop_parse(const char *name, enum text_stop *out)
{
    for (int s = TEXT_STOP_NONE; s <= TEXT_STOP_SNOWBALL; s++)
        if (name && strcmp(name, text_stop_name((enum text_stop)s)) == 0) {
            *out = (enum text_stop)s;
            return 0;
        }
    return ERR_INVALID;
}

void text_analyzer_opts_default(struct text_analyzer_opts *o)
{
    o->stem = TEXT_STEM_ENGLISH;
    o->stop = TEXT_STOP_SNOWBALL;
}

/* ------------------------------------------------------------------ */
/* The analyzer object                                                 */

#define STOP_SLOTS 512 /* power of two, > 2x the longest list */
#define STEM_CACHE_MAX (1u << 20) /* entries */
#define STEM_KV 46                 /* room for word + stem in an entry */

/* One cached stem, word bytes then stem bytes inline (one cache line). */
struct stem_ent {
    uint8_t klen, vlen;
    char kv[STEM_KV];
};

struct stem_cache {
    uint64_t *slots; /* hash << 32 | (entry index + 1); 0 empty */
    uint32_t mask;
    struct stem_ent *ent;
    uint32_t n, cap;
    uint32_t epoch; /* bumped when emptied */
};

/* One finished word of the current compound. */
struct part {
    char text[TEXT_MAX_TERM + 1];
    size_t len;
    int too_long;
    int ascii_alpha; /* only a-z: stemmable */
    size_t start, end;
};

struct text_analyzer {
    struct text_analyzer_opts o;
    struct sb_stemmer *sb;
    const char *stop[STOP_SLOTS];
    uint8_t stop_len[STOP_SLOTS];
    struct stem_cache cache;

    /* The word being read. */
    char cur[TEXT_MAX_TERM * 2 + 8];
    size_t cur_len;
    int cur_too_long, cur_nonascii, cur_nonalpha;
    int cur_last_digit; /* last char appended was a digit */
    int cur_cjk;        /* the word is one CJK character (marks may follow) */
    size_t cur_start, cur_end;

    /* The compound being read. */
    struct part parts[TEXT_MAX_PARTS];
    size_t n_parts;

    /* Emission state. */
    uint32_t pos;
    text_token_fn fn;
    void *ctx;
    int rc;
    char out[TEXT_MAX_TERM * 2 + 8];
};

int text_analyzer_new(const struct text_analyzer_opts *o, struct text_analyzer **out)
{
    struct text_analyzer_opts def;
    if (!o) {
        text_analyzer_opts_default(&def);
        o = &def;
    }
    if ((int)o->stem < TEXT_STEM_NONE || o->stem > TEXT_STEM_PORTER ||
        (int)o->stop < TEXT_STOP_NONE || o->stop > TEXT_STOP_SNOWBALL)
        return ERR_INVALID;
    struct text_analyzer *a = xcalloc(1, sizeof *a);
    a->o = *o;
    if (o->stem != TEXT_STEM_NONE) {
        a->sb = sb_stemmer_new(o->stem == TEXT_STEM_PORTER ? "porter" : "english", "UTF_8");
        if (!a->sb) {
            free(a);
            return ERR_UNSUPPORTED;
        }
        a->cache.mask = 1023;
        a->cache.slots = xcalloc(1024, sizeof *a->cache.slots);
    }
    const char *const *words;
    size_t n;
    stop_list(o->stop, &words, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(words[i]);
        uint32_t h = (uint32_t)hash64(words[i], len, 0) & (STOP_SLOTS - 1);
        while (a->stop[h])
            h = (h + 1) & (STOP_SLOTS - 1);
        a->stop[h] = words[i];
        a->stop_len[h] = (uint8_t)len;
    }
    *out = a;
    return 0;
}

void text_analyzer_free(struct text_analyzer *a)
{
    if (!a)
        return;
    if (a->sb)
        sb_stemmer_delete(a->sb);
    free(a->cache.slots);
    free(a->cache.ent);
    free(a);
}

void text_analyzer_opts_get(const struct text_analyzer *a, struct text_analyzer_opts *o)
{
    *o = a->o;
}

static int is_stop(const struct text_analyzer *a, const char *w, size_t len)
{
    if (a->o.stop == TEXT_STOP_NONE || len > 12)
        return 0;
    uint32_t h = (uint32_t)hash64(w, len, 0) & (STOP_SLOTS - 1);
    while (a->stop[h]) {
        if (a->stop_len[h] == len && memcmp(a->stop[h], w, len) == 0)
            return 1;
        h = (h + 1) & (STOP_SLOTS - 1);
    }
    return 0;
}

static void cache_clear(struct stem_cache *c)
{
    memset(c->slots, 0, ((size_t)c->mask + 1) * sizeof *c->slots);
    c->n = 0;
    c->epoch++;
}

/* Adds word w -> stem v; returns the entry id, or UINT32_MAX when it does
 * not fit an entry. */
static uint32_t cache_put(struct stem_cache *c, uint32_t h, const char *w, size_t len,
                          const char *v, size_t vlen)
{
    if (len + vlen > STEM_KV)
        return UINT32_MAX;
    if (c->n >= STEM_CACHE_MAX)
        cache_clear(c);
    if ((c->n + 1) * 2 > c->mask) {
        uint32_t mask = c->mask * 2 + 1;
        uint64_t *slots = xcalloc((size_t)mask + 1, sizeof *slots);
        for (uint32_t i = 0; i <= c->mask; i++) {
            uint64_t e = c->slots[i];
            if (!e)
                continue;
            uint32_t k = (uint32_t)(e >> 32) & mask;
            while (slots[k])
                k = (k + 1) & mask;
            slots[k] = e;
        }
        free(c->slots);
        c->slots = slots;
        c->mask = mask;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->ent = xrealloc(c->ent, (size_t)c->cap * sizeof *c->ent);
    }
    uint32_t id = c->n++;
    struct stem_ent *e = &c->ent[id];
    e->klen = (uint8_t)len;
    e->vlen = (uint8_t)vlen;
    memcpy(e->kv, w, len);
    memcpy(e->kv + len, v, vlen);
    uint32_t k = h & c->mask;
    while (c->slots[k])
        k = (k + 1) & c->mask;
    c->slots[k] = (uint64_t)h << 32 | (id + 1);
    return id;
}

/* Stems w (len bytes of a-z) into a->out; returns the stem's length and
 * writes the cache entry id to *id (UINT32_MAX when not cached). */
static size_t stem(struct text_analyzer *a, const char *w, size_t len, uint32_t *id)
{
    struct stem_cache *c = &a->cache;
    uint32_t h = (uint32_t)hash64(w, len, 0);
    for (uint32_t k = h & c->mask; c->slots[k]; k = (k + 1) & c->mask) {
        uint64_t sl = c->slots[k];
        if ((uint32_t)(sl >> 32) != h)
            continue;
        const struct stem_ent *e = &c->ent[(uint32_t)sl - 1];
        if (e->klen == len && memcmp(e->kv, w, len) == 0) {
            memcpy(a->out, e->kv + len, e->vlen);
            a->out[e->vlen] = '\0';
            *id = (uint32_t)sl - 1;
            return e->vlen;
        }
    }
    const sb_symbol *s = sb_stemmer_stem(a->sb, (const sb_symbol *)w, (int)len);
    size_t n = s ? (size_t)sb_stemmer_length(a->sb) : 0;
    if (!s || n == 0 || n > TEXT_MAX_TERM) { /* cannot happen for a-z input; keep the word */
        s = (const sb_symbol *)w;
        n = len;
    }
    memcpy(a->out, s, n);
    a->out[n] = '\0';
    *id = cache_put(c, h, w, len, a->out, n);
    return n;
}

uint32_t text_analyzer_epoch(const struct text_analyzer *a)
{
    return a->cache.epoch;
}

/* Emits one term (not a stopword check: the caller did it). */
static void emit(struct text_analyzer *a, const char *w, size_t len, int ascii_alpha, uint32_t pos,
                 uint32_t flags, size_t start, size_t end)
{
    if (a->rc)
        return;
    size_t n;
    uint32_t id = UINT32_MAX;
    if (ascii_alpha && a->sb) {
        n = stem(a, w, len, &id);
    } else {
        memcpy(a->out, w, len);
        a->out[len] = '\0';
        n = len;
    }
    struct text_token t = {a->out, n, pos, flags, start, end, id};
    a->rc = a->fn(a->ctx, &t);
}

/* Emits the parts of the current compound and its joined form. */
static void flush_compound(struct text_analyzer *a)
{
    size_t np = a->n_parts;
    if (np == 0)
        return;
    a->n_parts = 0;
    uint32_t first_pos = a->pos;
    for (size_t i = 0; i < np; i++) {
        struct part *p = &a->parts[i];
        uint32_t pos = a->pos++;
        if (!p->too_long && !is_stop(a, p->text, p->len))
            emit(a, p->text, p->len, p->ascii_alpha, pos, 0, p->start, p->end);
        if (i == 0 && np > 1) {
            char joined[TEXT_MAX_TERM + 1];
            size_t jl = 0;
            int ok = 1, alpha = 1;
            for (size_t j = 0; j < np && ok; j++) {
                struct part *q = &a->parts[j];
                if (q->too_long || jl + q->len > TEXT_MAX_TERM) {
                    ok = 0;
                    break;
                }
                memcpy(joined + jl, q->text, q->len);
                jl += q->len;
                alpha &= q->ascii_alpha;
            }
            if (ok)
                emit(a, joined, jl, alpha, first_pos, TEXT_TOKEN_JOINED, a->parts[0].start,
                     a->parts[np - 1].end);
        }
    }
}

/* Recomposes (NFC) the non-ASCII word in cur. */
static void recompose(struct text_analyzer *a)
{
    utf8proc_int32_t cps[TEXT_MAX_TERM + 1];
    utf8proc_ssize_t n = 0;
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)a->cur;
    utf8proc_ssize_t left = (utf8proc_ssize_t)a->cur_len;
    while (left > 0) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(s, left, &c);
        if (k <= 0)
            return; /* cannot happen: we wrote valid UTF-8 */
        cps[n++] = c;
        s += k;
        left -= k;
    }
    utf8proc_ssize_t m = utf8proc_normalize_utf32(cps, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
    if (m < 0)
        return;
    size_t len = 0;
    for (utf8proc_ssize_t i = 0; i < m; i++)
        len += (size_t)utf8proc_encode_char(cps[i], (utf8proc_uint8_t *)a->cur + len);
    a->cur_len = len;
}

/* Ends the word being read: it becomes a part of the current compound. */
static void end_word(struct text_analyzer *a)
{
    if (a->cur_len == 0 && !a->cur_too_long)
        return;
    if (a->n_parts == TEXT_MAX_PARTS)
        flush_compound(a);
    if (a->cur_nonascii && !a->cur_too_long)
        recompose(a);
    struct part *p = &a->parts[a->n_parts++];
    p->too_long = a->cur_too_long || a->cur_len > TEXT_MAX_TERM;
    p->len = p->too_long ? 0 : a->cur_len;
    memcpy(p->text, a->cur, p->len);
    p->text[p->len] = '\0';
    p->ascii_alpha = !a->cur_nonascii && !a->cur_nonalpha;
    p->start = a->cur_start;
    p->end = a->cur_end;
    a->cur_len = 0;
    a->cur_too_long = a->cur_nonascii = a->cur_nonalpha = a->cur_last_digit = 0;
    a->cur_cjk = 0;
}

/* Ends the word and the compound. A lone ASCII word (the common case) is
 * emitted straight from cur. */
static void end_all(struct text_analyzer *a)
{
    if (a->n_parts == 0 && a->cur_len && !a->cur_too_long && !a->cur_nonascii) {
        uint32_t pos = a->pos++;
        if (!is_stop(a, a->cur, a->cur_len))
            emit(a, a->cur, a->cur_len, !a->cur_nonalpha, pos, 0, a->cur_start, a->cur_end);
        a->cur_len = 0;
        a->cur_nonalpha = a->cur_last_digit = a->cur_cjk = 0;
        return;
    }
    end_word(a);
    flush_compound(a);
}

/* Appends n bytes of one normalised code point to the word. */
static void add_char(struct text_analyzer *a, const char *b, size_t n, int nonascii, int digit,
                     size_t start, size_t end)
{
    if (a->cur_len == 0 && !a->cur_too_long)
        a->cur_start = start;
    a->cur_end = end;
    if (a->cur_len + n > TEXT_MAX_TERM) {
        a->cur_too_long = 1;
    } else {
        memcpy(a->cur + a->cur_len, b, n);
        a->cur_len += n;
    }
    a->cur_nonascii |= nonascii;
    if (digit || (!nonascii && !(b[0] >= 'a' && b[0] <= 'z')))
        a->cur_nonalpha = 1;
    a->cur_last_digit = digit;
}

static int is_cjk(utf8proc_int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF);
}

enum cls { C_SEP, C_WORD, C_MARK, C_CJK, C_HYPHEN, C_APOS, C_DROP };

/* ASCII classes: 1 lower-case letter, 2 upper-case letter, 3 digit, 0 other. */
static const uint8_t ascii_cls[128] = {
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3,
    ['8'] = 3, ['9'] = 3,
    ['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2, ['G'] = 2, ['H'] = 2,
    ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2, ['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2,
    ['Q'] = 2, ['R'] = 2, ['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2,
    ['Y'] = 2, ['Z'] = 2,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static enum cls classify(utf8proc_int32_t c)
{
    if (c >= 0x300 && c <= 0x36F)
        return C_DROP; /* Latin/Greek/Cyrillic diacritic: folded away */
    if (c == 0x2010 || c == 0x2011 || c == '-')
        return C_HYPHEN;
    if (c == 0x2019 || c == '\'')
        return C_APOS;
    utf8proc_category_t cat = utf8proc_category(c);
    if (is_cjk(c) && cat != UTF8PROC_CATEGORY_MN)
        return C_CJK;
    switch (cat) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return C_WORD;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return C_MARK;
    default:
        return C_SEP;
    }
}

#define DECOMP_OPTS (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* Decomposes the code point at p (of the input ending at end): writes up
 * to 16 normalised code points to cps and returns their count (0 for an
 * ignorable); *k receives the bytes consumed (1 for an invalid byte, then
 * returns -1). */
static utf8proc_ssize_t decode(const char *p, const char *end, utf8proc_int32_t *cps,
                               utf8proc_ssize_t *k)
{
    unsigned char ch = (unsigned char)*p;
    if (ch < 0x80) {
        *k = 1;
        cps[0] = (ch >= 'A' && ch <= 'Z') ? ch + 32 : ch;
        return 1;
    }
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)p, end - p, &c);
    if (n <= 0) {
        *k = 1;
        return -1;
    }
    *k = n;
    if (c == 0x200B) { /* zero-width space: a word boundary, not an ignorable */
        cps[0] = ' ';
        return 1;
    }
    utf8proc_ssize_t m = utf8proc_decompose_char(c, cps, 16, DECOMP_OPTS, NULL);
    if (m < 0 || m > 16)
        return -1;
    return m;
}

/* Does a word character start at p? (For hyphens and apostrophes.) */
static int word_starts(const char *p, const char *end, int *is_s_end)
{
    if (p >= end)
        return 0;
    utf8proc_int32_t cps[16];
    utf8proc_ssize_t k;
    utf8proc_ssize_t m = decode(p, end, cps, &k);
    if (m <= 0)
        return 0;
    int w = classify(cps[0]) == C_WORD;
    if (w && is_s_end) {
        /* "'s" followed by a non-word character (or the end)? */
        *is_s_end = 0;
        if (cps[0] == 's' && m == 1) {
            const char *q = p + k;
            utf8proc_int32_t c2[16];
            utf8proc_ssize_t k2;
            utf8proc_ssize_t m2 = q < end ? decode(q, end, c2, &k2) : 0;
            enum cls c = m2 > 0 ? classify(c2[0]) : C_SEP;
            *is_s_end = !(c == C_WORD || c == C_MARK || c == C_DROP);
        }
    }
    return w;
}

int text_analyze(struct text_analyzer *a, const char *text, size_t len, uint32_t pos_base,
                 text_token_fn fn, void *ctx, uint32_t *next_pos)
{
    a->fn = fn;
    a->ctx = ctx;
    a->rc = 0;
    a->pos = pos_base;
    a->cur_len = 0;
    a->cur_too_long = a->cur_nonascii = a->cur_nonalpha = a->cur_last_digit = 0;
    a->cur_cjk = 0;
    a->n_parts = 0;
    const char *p = text, *end = text + len;
    while (p < end && !a->rc) {
        unsigned char ch = (unsigned char)*p;
        size_t off = (size_t)(p - text);
        /* ASCII fast path. */
        if (ch < 0x80) {
            if (a->cur_cjk) {
                end_all(a);
            }
            if (ascii_cls[ch]) {
                /* a run of ASCII letters and digits */
                if (a->cur_len == 0 && !a->cur_too_long)
                    a->cur_start = off;
                size_t wl = a->cur_len;
                int nonalpha = 0, last = 0, last_cls = 0;
                while (p < end && (unsigned char)*p < 0x80 &&
                       (last = ascii_cls[(unsigned char)*p]) != 0) {
                    if (wl < TEXT_MAX_TERM)
                        a->cur[wl] = (char)(*p | (last == 2 ? 0x20 : 0));
                    wl++;
                    nonalpha |= last == 3;
                    last_cls = last;
                    p++;
                }
                if (wl > TEXT_MAX_TERM) {
                    a->cur_too_long = 1;
                    wl = TEXT_MAX_TERM;
                }
                a->cur_len = wl;
                a->cur_nonalpha |= nonalpha;
                a->cur_last_digit = last_cls == 3;
                a->cur_end = (size_t)(p - text);
                continue;
            } else if (ch == '.' && a->cur_last_digit && p + 1 < end && p[1] >= '0' &&
                       p[1] <= '9') {
                add_char(a, ".", 1, 0, 0, off, off + 1);
                a->cur_nonalpha = 1;
            } else if (ch == '-' && (a->cur_len || a->cur_too_long) &&
                       word_starts(p + 1, end, NULL)) {
                end_word(a); /* the compound goes on */
            } else if (ch == '\'' && a->cur_len && !a->cur_last_digit) {
                int s_end = 0;
                if (word_starts(p + 1, end, &s_end)) {
                    if (s_end)
                        p++; /* drop "'s" */
                } else {
                    end_all(a);
                }
            } else {
                end_all(a);
            }
            p++;
            continue;
        }
        utf8proc_int32_t cps[16];
        utf8proc_ssize_t k;
        utf8proc_ssize_t m = decode(p, end, cps, &k);
        size_t cend = off + (size_t)k;
        if (m < 0) { /* invalid UTF-8: a separator */
            end_all(a);
            p += k;
            continue;
        }
        for (utf8proc_ssize_t i = 0; i < m && !a->rc; i++) {
            utf8proc_int32_t c = cps[i];
            enum cls cl = classify(c);
            if (cl == C_DROP)
                continue;
            if (a->cur_cjk && cl != C_MARK) {
                end_all(a);
            }
            if (cl == C_WORD || (cl == C_MARK && (a->cur_len || a->cur_too_long))) {
                utf8proc_uint8_t b[4];
                utf8proc_ssize_t n = utf8proc_encode_char(c, b);
                int digit = c < 0x80 ? (c >= '0' && c <= '9')
                                     : utf8proc_category(c) == UTF8PROC_CATEGORY_ND;
                add_char(a, (const char *)b, (size_t)n, c >= 0x80, digit, off, cend);
                if (c < 0x80 && !(c >= 'a' && c <= 'z'))
                    a->cur_nonalpha = 1;
            } else if (cl == C_HYPHEN && (a->cur_len || a->cur_too_long) && i == m - 1 &&
                       word_starts(p + k, end, NULL)) {
                end_word(a);
            } else if (cl == C_APOS && a->cur_len && !a->cur_last_digit && i == m - 1) {
                int s_end = 0;
                if (word_starts(p + k, end, &s_end)) {
                    if (s_end)
                        k += 1; /* drop "'s" ('s' is one ASCII byte) */
                } else {
                    end_all(a);
                }
            } else if (cl == C_CJK) {
                end_all(a);
                utf8proc_uint8_t b[4];
                utf8proc_ssize_t n = utf8proc_encode_char(c, b);
                add_char(a, (const char *)b, (size_t)n, 1, 0, off, cend);
                a->cur_cjk = 1; /* ends at the next character that is not a mark */
            } else {
                end_all(a);
            }
        }
        p += k;
    }
    if (!a->rc) {
        end_all(a);
    }
    if (next_pos)
        *next_pos = a->pos;
    return a->rc;
}

/* ------------------------------------------------------------------ */
/* text_analyze_str                                                    */

struct str_ctx {
    char *out;
    size_t cap, len;
    int full;
};

static int str_tok(void *ctx, const struct text_token *t)
{
    struct str_ctx *s = ctx;
    size_t need = t->len + (s->len ? 1 : 0);
    if (s->len + need + 1 > s->cap) {
        s->full = 1;
        return 1;
    }
    if (s->len)
        s->out[s->len++] = ' ';
    memcpy(s->out + s->len, t->term, t->len);
    s->len += t->len;
    s->out[s->len] = '\0';
    return 0;
}

int text_analyze_str(struct text_analyzer *a, const char *s, char *out, size_t cap)
{
    if (cap == 0)
        return ERR_TOO_LARGE;
    struct str_ctx c = {out, cap, 0, 0};
    out[0] = '\0';
    text_analyze(a, s, strlen(s), 0, str_tok, &c, NULL);
    return c.full ? ERR_TOO_LARGE : 0;
}
