/*
 * wordpiece.h - the BERT uncased tokenizer (BasicTokenizer + WordPiece).
 *
 * Reproduces Hugging Face transformers' BertTokenizer (transformers 5.x,
 * where BertTokenizer is the `tokenizers` BertNormalizer + BertPreTokenizer +
 * WordPiece pipeline, the one sentence-transformers runs) with
 * do_lower_case=True, tokenize_chinese_chars=True and strip_accents unset
 * (so accents are stripped because of lower-casing), as all-MiniLM-L6-v2
 * ships it (tokenizer_config.json). The steps, in the reference's order:
 *
 *   1. the special tokens "[CLS]" "[SEP]" "[UNK]" "[PAD]" "[MASK]" written
 *      in the text are kept whole (the reference's added-token split);
 *   2. clean: drop U+0000, U+FFFD and every category C* code point except
 *      \t \n \r; whitespace (\t \n \r, Zs, U+2028, U+2029) separates words;
 *   3. each CJK ideograph (the reference's is_chinese_char ranges, which
 *      start the Extension E block at U+2B920) is a word of its own;
 *   4. NFD, drop Mn, lower-case each code point (simple mapping; utf8proc);
 *   5. split off punctuation: ASCII 33-47, 58-64, 91-96, 123-126 and every
 *      Unicode P* code point becomes a token of its own;
 *   6. WordPiece: greedy longest match from the left against vocab.txt,
 *      continuations prefixed "##"; a word that cannot be covered, or has
 *      more than 100 code points, becomes [UNK];
 *   7. [CLS] ... [SEP], keeping at most max_tokens ids in all (the
 *      reference truncates the word pieces from the right).
 *
 * The older pure-Python tokenizer (now BertTokenizerLegacy) differs in two
 * corners that we do not follow: it lower-cases Greek capital sigma to the
 * final form at word ends, and its CJK range starts at U+2B820.
 *
 * vocab.txt: one token per line, the line number (from 0) is its id; only
 * "\n" ends a line (as transformers' load_vocab). A repeated token keeps
 * its last id. Invalid UTF-8 in the text decodes to U+FFFD and is dropped.
 *
 * A struct wordpiece is immutable once loaded: wordpiece_encode() may run
 * on it from several threads at once.
 */
#ifndef PAPERBOY_EMBED_WORDPIECE_H
#define PAPERBOY_EMBED_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#define WORDPIECE_MAX_VOCAB_BYTES (16u * 1024u * 1024u)
#define WORDPIECE_MAX_WORD_CHARS 100

struct wordpiece;

/* Builds a tokenizer from the text of a vocab.txt (len bytes of p, copied).
 * ERR_TOO_LARGE past WORDPIECE_MAX_VOCAB_BYTES, ERR_PARSE when the
 * vocabulary lacks [CLS], [SEP] or [UNK]. Free with wordpiece_free(). */
int wordpiece_new(const char *p, size_t len, struct wordpiece **out /* OUT */);

/* Reads vocab.txt at path and calls wordpiece_new(). ERR_IO when it cannot
 * be read. */
int wordpiece_load(const char *path, struct wordpiece **out /* OUT */);

/* Frees the tokenizer; NULL does nothing. */
void wordpiece_free(struct wordpiece *wp);

/* Tokenizes len bytes of text into ids[0..*n): [CLS], pieces, [SEP], at
 * most max_tokens ids (max_tokens >= 2). Returns 0, or ERR_INVALID when
 * max_tokens < 2. Long texts stop being read once the cap is reached. */
int wordpiece_encode(const struct wordpiece *wp, const char *text, size_t len, size_t max_tokens,
                     int32_t *ids /* OUT */, size_t *n /* OUT */);

/* The vocabulary size, and the token text of id (NULL when out of range;
 * owned by wp). */
size_t wordpiece_vocab_size(const struct wordpiece *wp);
const char *wordpiece_token(const struct wordpiece *wp, int32_t id);

/* The id of a token string, or -1. */
int32_t wordpiece_lookup(const struct wordpiece *wp, const char *tok, size_t len);

#endif
