/*
 * fuzz_wordpiece.c - libFuzzer target for the WordPiece tokenizer
 * (embed/wordpiece.c) on arbitrary bytes (invalid UTF-8 included).
 *
 * A small built-in vocabulary keeps the target self-contained. Checks:
 * the output starts with [CLS], ends with [SEP], never exceeds max_tokens,
 * and every id is in the vocabulary. The first input byte picks max_tokens
 * (2..257). Seeds: tests/fuzz/corpus/wordpiece/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "embed/wordpiece.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
                            "a\nb\nc\nab\n##a\n##b\n##c\n##ab\nthe\n##s\n,\n.\n-\n"
                            "\xe4\xb8\xad\n\xc3\xa9\n##\xc3\xa9\ne\n##e\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wordpiece *wp; /* built once: immutable after */
    if (!wp && wordpiece_new(vocab, sizeof vocab - 1, &wp) != 0)
        abort();
    if (size == 0)
        return 0;
    size_t max = 2 + data[0];
    int32_t ids[258];
    size_t n = 0;
    if (wordpiece_encode(wp, (const char *)data + 1, size - 1, max, ids, &n) != 0)
        abort();
    if (n < 2 || n > max || ids[0] != 2 || ids[n - 1] != 3)
        abort();
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= wordpiece_vocab_size(wp))
            abort();
    return 0;
}
