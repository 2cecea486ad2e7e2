/* utf8.c - strict UTF-8 decoding (see utf8.h). */
#include "util/utf8.h"

size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned c = p[0];
    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    size_t k;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, v = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, v = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, v = c & 0x07, min = 0x10000;
    else
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    if (cp)
        *cp = v;
    return k;
}

size_t utf8_valid_prefix(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_decode(s + i, n - i, NULL);
        if (!k)
            break;
        i += k;
    }
    return i;
}
