/*
 * analyzer.h - turns text into index terms: one analyzer for documents and
 * queries (the same options must be used for both; the index stores the
 * options it was built with, see index_analyzer_opts()).
 *
 * Pipeline, per input text (UTF-8; invalid bytes count as separators):
 *
 *   1. Normalisation: each code point is mapped to NFKC with Unicode case
 *      folding (utf8proc), default-ignorable code points (soft hyphen,
 *      zero-width joiner, ...) are dropped, and Latin/Greek/Cyrillic
 *      diacritics (combining marks U+0300..U+036F after decomposition) are
 *      stripped, so "ﬁnal" -> "final", "Schrödinger" -> "schrodinger",
 *      "Erdős" -> "erdos", "ΑΒΓ" -> "αβγ", "ß" -> "ss", "Ｒｅｓ" -> "res",
 *      "x²" -> "x2". Other combining marks (Indic vowel signs, ...) stay
 *      part of their word and the term is recomposed (NFC).
 *   2. Tokenising: a word is a maximal run of letters (L*), digits (N*) and
 *      the marks kept above. Further rules:
 *      - Han, Hiragana and Katakana characters are one token each
 *        (unigrams, as Lucene's StandardTokenizer does).
 *      - '.' between two digits stays inside the word: "0.05", "v1.5".
 *      - An apostrophe (' or U+2019) between letters: a final "'s" is
 *        dropped ("Alzheimer's" -> "alzheimer"), otherwise the apostrophe is
 *        removed and the parts joined ("O'Neil" -> "oneil").
 *      - Hyphens ('-', U+2010, U+2011) with a word on both sides chain words
 *        into a compound. Each part is emitted as its own token at its own
 *        position AND the joined form (parts concatenated, each part after
 *        its own normalisation, stopwords included) is emitted as an extra
 *        token at the position of the first part, flagged TEXT_TOKEN_JOINED.
 *        So "GPT-4" -> gpt@0, gpt4@0 (joined), 4@1, and "GPT4" -> gpt4@0:
 *        both spellings meet on "gpt4". "ResNet-50" -> resnet, resnet50, 50;
 *        "x-rays" -> x, xray, ray (the joined form is stemmed too);
 *        "state-of-the-art" -> state, stateoftheart, art (of/the are
 *        stopwords: skipped, their positions kept). Letter-digit words stay
 *        whole: "BERT4Rec" -> bert4rec. A compound has at most
 *        TEXT_MAX_PARTS parts joined; further parts start a new compound.
 *      - En dash, slash, comma, other punctuation: separators.
 *   3. Stopwords: a word equal to a stopword of the chosen list (compared
 *      after normalisation, before stemming) is not emitted but still takes
 *      its position, so phrase queries keep their gaps (as Lucene's
 *      StopFilter). Joined compound forms are never stopwords.
 *   4. Stemming: words of only ASCII letters (a-z) are stemmed with the
 *      chosen Snowball stemmer (libstemmer); words with digits or non-ASCII
 *      letters are kept as they are ("bert4rec", "αβγ", "résumé" was folded
 *      to "resume" in step 1 and is then stemmed).
 *   5. Length: a term longer than TEXT_MAX_TERM bytes is dropped (its
 *      position is still taken).
 *
 * Positions: each emitted part/word takes the next position (starting at
 * the pos_base given); stopwords and over-long words take one too; the
 * joined form of a compound shares the first part's position. Joined tokens
 * are overlapping tokens: the index does not count them in document length
 * (Lucene's discountOverlaps).
 *
 * Threads: a struct text_analyzer is NOT shared between threads (its
 * Snowball stemmer and caches are mutable): make one per thread. Different
 * analyzers may run concurrently. The stopword tables are constant.
 */
#ifndef PAPERBOY_TEXT_ANALYZER_H
#define PAPERBOY_TEXT_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

/* Longest term kept, in bytes (UTF-8 after normalisation). */
#define TEXT_MAX_TERM 64
/* Most parts joined into one compound's joined form. */
#define TEXT_MAX_PARTS 8

enum text_stem {
    TEXT_STEM_NONE = 0,
    TEXT_STEM_ENGLISH = 1, /* Snowball "english" (Porter2); the default */
    TEXT_STEM_PORTER = 2   /* Snowball "porter" (the original Porter, as Lucene/Anserini) */
};

/* Stopword lists. The default, Snowball's, was picked by measurement:
 * BM25 (k1 0.9, b 0.4, title + abstract) nDCG@10 on the 809 SciFact train
 * queries: snowball 0.6953, lucene 0.6942, none 0.6929 (english stemmer;
 * porter: 0.6952 / 0.6944 / 0.6920). The margin is small; the larger list
 * also makes queries cheaper (fewer very common terms). */
enum text_stop {
    TEXT_STOP_NONE = 0,
    TEXT_STOP_LUCENE = 1,  /* Lucene's/Anserini's 33 English stopwords */
    TEXT_STOP_SNOWBALL = 2 /* the Snowball English list (151 words); the default */
};

/* Analyzer options; zeroed fields mean TEXT_STEM_NONE / TEXT_STOP_NONE, so
 * start from text_analyzer_opts_default(). */
struct text_analyzer_opts {
    enum text_stem stem;
    enum text_stop stop;
};

/* Token flags. */
#define TEXT_TOKEN_JOINED 1u /* the joined form of a hyphen compound (overlaps its first part) */

/* One emitted token. term is NUL-terminated and owned by the analyzer: valid
 * only during the callback. start/end are byte offsets into the input text
 * of the source span (for highlighting; the joined form spans the whole
 * compound). */
struct text_token {
    const char *term;
    size_t len;     /* bytes in term, 1..TEXT_MAX_TERM */
    uint32_t pos;   /* position (see above) */
    uint32_t flags; /* TEXT_TOKEN_* */
    size_t start, end;
    /* A speed hint for indexers: a small id (< 2^20) of the word this
     * stemmed term came from, in this analyzer's stem cache, or UINT32_MAX.
     * Tokens with equal word_id have equal terms as long as
     * text_analyzer_epoch() returns the same value. Ignore it freely. */
    uint32_t word_id;
};

/* Called once per token in text order (a joined form comes right after the
 * compound's first part). A non-zero return stops the analysis and is
 * returned by text_analyze(). */
typedef int (*text_token_fn)(void *ctx, const struct text_token *tok);

struct text_analyzer;

/* Writes the defaults (TEXT_STEM_ENGLISH, TEXT_STOP_SNOWBALL) into *o. */
void text_analyzer_opts_default(struct text_analyzer_opts *o /* OUT */);

/* Creates an analyzer with options o (NULL means the defaults).
 * ERR_INVALID for an unknown stemmer or stopword list. The caller frees it
 * with text_analyzer_free(). */
int text_analyzer_new(const struct text_analyzer_opts *o, struct text_analyzer **out /* OUT */);
/* Frees the analyzer; NULL does nothing. */
void text_analyzer_free(struct text_analyzer *a);
/* The options the analyzer was made with. */
void text_analyzer_opts_get(const struct text_analyzer *a, struct text_analyzer_opts *o /* OUT */);

/* Analyzes len bytes of p (need not be NUL-terminated), calling fn for
 * every token. Positions start at pos_base. Writes to *next_pos (may be
 * NULL) the position after the last one taken, so that a caller can
 * analyze several values into one field (adding a gap). Returns 0, or
 * fn's non-zero return. */
int text_analyze(struct text_analyzer *a, const char *p, size_t len, uint32_t pos_base,
                 text_token_fn fn, void *ctx, uint32_t *next_pos /* OUT */);

/* The stem cache's generation: changes when the cache is emptied, which
 * invalidates every word_id handed out before. */
uint32_t text_analyzer_epoch(const struct text_analyzer *a);

/* Convenience for tests and tools: analyzes the NUL-terminated s and writes
 * the terms, space-separated, into out (capacity cap, always
 * NUL-terminated; joined forms appear in their place). Returns 0 or
 * ERR_TOO_LARGE when out was too small (the output is then cut). */
int text_analyze_str(struct text_analyzer *a, const char *s, char *out, size_t cap);

/* Is the normalised word w (len bytes) a stopword of list `stop`? */
int text_is_stopword(enum text_stop stop, const char *w, size_t len);

/* Names for options, as stored in index manifests and given on command
 * lines: "none", "english", "porter"; "none", "lucene", "snowball".
 * The parsers return ERR_INVALID for an unknown name. */
const char *text_stem_name(enum text_stem s);
const char *text_stop_name(enum text_stop s);
int text_stem_parse(const char *name, enum text_stem *out /* OUT */);
int text_stop_parse(const char *name, enum text_stop *out /* OUT */);

#endif
