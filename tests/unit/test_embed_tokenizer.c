/*
 * test_embed_tokenizer.c - the WordPiece tokenizer against a toy vocabulary
 * (always) and against the reference BertTokenizer's ids for the fixture
 * strings and for every Unicode code point (when the model's vocab.txt is
 * installed; skipped otherwise).
 *
 *   test_embed_tokenizer --dump-cps   prints, for every code point c, the
 *   line "c ids" for the text "x" + c + "y" (make_reference.py --cp-dump
 *   writes the reference's version of the same file).
 */
#include "embed/wordpiece.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "../fixtures/embed/fixture.h"
#include "ok.h"
#include "util/err.h"

static const char toy_vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
                                "un\n##aff\n##able\nhello\nworld\n,\n!\n##s\na\n##b\n"
                                "cafe\nnaive\n中\n文\n.\n-\nx\n##y\n";

/* Tokens of text joined by spaces, without [CLS]/[SEP]. */
static const char *toks(const struct wordpiece *wp, const char *text, size_t max, char *out,
                        size_t outlen)
{
    int32_t ids[600];
    size_t n = 0;
    out[0] = '\0';
    if (wordpiece_encode(wp, text, strlen(text), max, ids, &n) != 0)
        return "(error)";
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i > 1 ? " " : "",
                              wordpiece_token(wp, ids[i]));
    return out;
}

static void toy_tests(void)
{
    struct wordpiece *wp = NULL;
    char b[2048];
    ok_eq_int(wordpiece_new(toy_vocab, sizeof toy_vocab - 1, &wp), 0, "toy vocab loads");
    if (!wp)
        return;
    ok_eq_int(wordpiece_vocab_size(wp), 23, "toy vocab size");
    ok_eq_str(toks(wp, "unaffable", 64, b, sizeof b), "un ##aff ##able", "greedy longest match");
    ok_eq_str(toks(wp, "Hello, WORLD!", 64, b, sizeof b), "hello , world !", "lower + punct");
    ok_eq_str(toks(wp, "unaffablex", 64, b, sizeof b), "[UNK]", "uncoverable word is one [UNK]");
    ok_eq_str(toks(wp, "Café naïve", 64, b, sizeof b), "cafe naive", "accents stripped");
    ok_eq_str(toks(wp, "ab中文", 64, b, sizeof b), "a ##b 中 文", "CJK split");
    ok_eq_str(toks(wp,
                   "a\x01\xe2\x80\x8b"
                   "b",
                   64, b, sizeof b),
              "a ##b", "controls and format chars dropped");
    ok_eq_str(toks(wp, "a\xe2\x80\xa8x", 64, b, sizeof b), "a x", "U+2028 separates");
    ok_eq_str(toks(wp, "hello[MASK]world", 64, b, sizeof b), "hello [MASK] world",
              "special token kept whole");
    ok_eq_str(toks(wp,
                   "a\xff"
                   "b",
                   64, b, sizeof b),
              "a ##b", "invalid UTF-8 dropped");
    char longw[300];
    memset(longw, 'a', 101);
    longw[101] = '\0';
    ok_eq_str(toks(wp, longw, 64, b, sizeof b), "[UNK]", "101 chars is [UNK]");
    longw[100] = '\0';
    ok_eq_str(toks(wp, longw, 64, b, sizeof b), "[UNK]", "100 a's: not coverable");
    ok_eq_str(toks(wp, "a-b", 64, b, sizeof b), "a - [UNK]", "hyphen splits");
    int32_t ids[8];
    size_t n = 0;
    wordpiece_encode(wp, "a a a a a a a a a a", 19, 5, ids, &n);
    ok_eq_int(n, 5, "truncated to max_tokens");
    ok_eq_int(ids[0], 2, "[CLS] first");
    ok_eq_int(ids[4], 3, "[SEP] last after truncation");
    ok_eq_int(wordpiece_encode(wp, "", 0, 2, ids, &n), 0, "empty text");
    ok_eq_int(n, 2, "empty text gives [CLS] [SEP]");
    ok_eq_int(wordpiece_encode(wp, "x", 1, 1, ids, &n), ERR_INVALID, "max_tokens < 2 refused");
    wordpiece_free(wp);
    struct wordpiece *bad = NULL;
    ok_eq_int(wordpiece_new("a\nb\n", 4, &bad), ERR_PARSE, "vocab without specials refused");
    ok(bad == NULL, "no tokenizer on error");
}

static uint64_t fnv(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* Writes (or hashes) the per-code-point dump. */
static uint64_t cp_dump(const struct wordpiece *wp, FILE *out)
{
    uint64_t h = 1469598103934665603ull;
    char s[16], line[256];
    int32_t ids[64];
    size_t n;
    for (int32_t c = 1; c < 0x110000; c++) {
        if (c >= 0xD800 && c <= 0xDFFF)
            continue;
        s[0] = 'x';
        size_t k = 1 + (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)s + 1);
        s[k++] = 'y';
        wordpiece_encode(wp, s, k, 64, ids, &n);
        size_t o = (size_t)snprintf(line, sizeof line, "%d ", (int)c);
        for (size_t i = 1; i + 1 < n && o < sizeof line - 16; i++)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%d", i > 1 ? " " : "", ids[i]);
        line[o++] = '\n';
        if (out)
            fwrite(line, 1, o, out);
        h = fnv(h, line, o);
    }
    return h;
}

int main(int argc, char **argv)
{
    char dir[1024], path[1100];
    fixture_model_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    struct wordpiece *wp = NULL;
    int have = wordpiece_load(path, &wp) == 0;
    if (argc > 1 && strcmp(argv[1], "--dump-cps") == 0) {
        if (!have) {
            fprintf(stderr, "no vocabulary at %s\n", path);
            return 1;
        }
        cp_dump(wp, stdout);
        wordpiece_free(wp);
        return 0;
    }

    toy_tests();

    struct fixture fx;
    if (!have) {
        ok_skip("reference token ids", "model not installed (make model)");
        return ok_done();
    }
    if (fixture_load(&fx) != 0) {
        ok(0, "fixture " FIXTURE_TXT " readable");
        wordpiece_free(wp);
        return ok_done();
    }
    size_t bad = 0, legacy_same = 0;
    for (size_t i = 0; i < fx.n; i++) {
        struct fixture_item *it = &fx.items[i];
        int32_t ids[600];
        size_t n = 0;
        wordpiece_encode(wp, it->text, it->len, 256, ids, &n);
        int same = n == it->n_ids && memcmp(ids, it->ids, n * sizeof *ids) == 0;
        char name[96];
        snprintf(name, sizeof name, "ids of fixture string %zu (%zu tokens)", i, it->n_ids);
        if (!ok(same, name)) {
            bad++;
            size_t k = 0;
            while (k < n && k < it->n_ids && ids[k] == it->ids[k])
                k++;
            printf("#   first difference at %zu: got %d want %d (got %zu ids, want %zu)\n", k,
                   k < n ? ids[k] : -1, k < it->n_ids ? it->ids[k] : -1, n, it->n_ids);
        }
        legacy_same += it->n_legacy == 0 ||
                       (it->n_legacy == n && memcmp(ids, it->legacy, n * sizeof *ids) == 0);
    }
    printf("# %zu strings, %zu mismatches vs BertTokenizer; %zu agree with "
           "BertTokenizerLegacy too\n",
           fx.n, bad, legacy_same);
    ok(fx.n >= 200, "at least 200 reference strings");

    /* Every code point in "x_y" context, hashed against the reference. */
    const char *hp = strstr(fx.header, "cp_dump_fnv1a64=");
    if (!hp) {
        ok(0, "fixture header has cp_dump_fnv1a64");
    } else {
        unsigned long long want = strtoull(hp + 16, NULL, 16);
        uint64_t got = cp_dump(wp, NULL);
        if (!ok(got == want, "all 1112063 code points tokenize as the reference"))
            printf("#   hash %016llx want %016llx: compare --dump-cps with "
                   "make_reference.py --cp-dump\n",
                   (unsigned long long)got, want);
    }
    fixture_free(&fx);
    wordpiece_free(wp);
    return ok_done();
}
