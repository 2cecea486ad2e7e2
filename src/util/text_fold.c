/* text_fold.c - whitespace folding for display text (see text_fold.h). */
#include "util/text_fold.h"

#include <string.h>

#include "util/mem.h"

/* The bytes text_fold() treats as whitespace. */
static const unsigned char fold_space[256] = {
    ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
};

char *text_fold(const char *p, size_t len)
{
    /* Branch-free: every byte is written (whitespace as ' '), and the
     * output position advances unless this byte and the one before are
     * both whitespace. prev starts at 1 so leading whitespace never
     * advances; a trailing space is dropped at the end. English text has a
     * space every few bytes, so a branch per space would mispredict. */
    char *out = xmalloc(len + 1);
    size_t o = 0;
    unsigned prev = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        unsigned sp = fold_space[c];
        out[o] = sp ? ' ' : (char)c;
        o += 1 - (sp & prev);
        prev = sp;
    }
    if (prev && o > 0)
        o--;
    out[o] = '\0';
    return out;
}

int text_fold_equals(const char *p, size_t len, const char *folded)
{
    /* Walks the input as text_fold() would emit it: a whitespace run is
     * one space, but only between two non-space bytes. */
    const unsigned char *f = (const unsigned char *)folded;
    size_t i = 0;
    while (i < len && fold_space[(unsigned char)p[i]])
        i++;
    while (i < len) {
        unsigned char c = (unsigned char)p[i];
        if (fold_space[c]) {
            size_t j = i;
            while (j < len && fold_space[(unsigned char)p[j]])
                j++;
            if (j == len)
                break; /* trailing whitespace is trimmed */
            if (*f++ != ' ')
                return 0;
            i = j;
            continue;
        }
        if (c == '\0')
            return *f == '\0'; /* as a C string, text_fold() ends here */
        if (*f++ != c)
            return 0;
        i++;
    }
    return *f == '\0';
}

char *text_fold_str(const char *s)
{
    return s ? text_fold(s, strlen(s)) : NULL;
}
