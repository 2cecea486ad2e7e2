/* test_util.c - buf, timeutil, err. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ok.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/hash.h"

static void test_buf(void)
{
    struct buf b;
    buf_init(&b, 10);
    ok_eq_int(buf_append_str(&b, "hello"), 0, "append within cap");
    ok_eq_int(buf_append_str(&b, "world!"), ERR_TOO_LARGE, "append past cap fails");
    ok_eq_str(buf_cstr(&b), "hello", "failed append leaves buffer unchanged");
    int rc = 0;
    buf_puts(&b, &rc, "12345");
    buf_puts(&b, &rc, "x");
    ok_eq_int(rc, ERR_TOO_LARGE, "sticky rc set once cap hit");
    buf_puts(&b, &rc, "");
    ok_eq_int(rc, ERR_TOO_LARGE, "sticky rc stays");
    ok_eq_str(buf_cstr(&b), "hello12345", "exactly at cap");
    buf_reset(&b);
    ok_eq_int(buf_appendf(&b, "%d-%s", 42, "x"), 0, "appendf");
    ok_eq_str(buf_cstr(&b), "42-x", "appendf content");
    char *s = buf_steal(&b);
    ok_eq_str(s, "42-x", "steal");
    free(s);
    ok_eq_int(b.len, 0, "steal empties");
    buf_cleanup(&b);
}

static void check_parse(const char *text, const char *want_iso)
{
    int64_t t = 0;
    int rc = time_parse(text, strlen(text), &t);
    char out[24] = "";
    if (rc == 0)
        time_format_iso(t, out);
    if (want_iso) {
        ok_eq_str(rc == 0 ? out : "(error)", want_iso, text);
    } else {
        ok(rc == ERR_PARSE, text);
    }
}

static void test_time(void)
{
    check_parse("Mon, 2 Apr 2007 19:18:42 GMT", "2007-04-02T19:18:42Z");
    check_parse("Tue, 10 Apr 2007 13:40:00 +0200", "2007-04-10T11:40:00Z");
    check_parse("2024-10-22T17:59:30.000Z", "2024-10-22T17:59:30Z");
    check_parse("2020-09-04T00:00:00-04:00", "2020-09-04T04:00:00Z");
    check_parse("  2016-01-13 ", "2016-01-13T00:00:00Z");
    check_parse("2016-02-30", NULL);
    check_parse("2016-13-01", NULL);
    check_parse("yesterday", NULL);
    check_parse("", NULL);
    check_parse("2016-01-13T25:00:00Z", NULL);
    check_parse("2016-01-13 junk", NULL);

    int64_t t;
    char w[12];
    ok_eq_int(time_parse_week("2024-W01", &t), 0, "parse week");
    char d[24];
    time_format_day(t, d);
    ok_eq_str(d, "2024-01-01", "2024-W01 starts Monday 2024-01-01");
    ok_eq_int(time_parse_week("2021-W01", &t), 0, "parse 2021-W01");
    time_format_day(t, d);
    ok_eq_str(d, "2021-01-04", "2021-W01 starts 2021-01-04");
    ok_eq_int(time_parse_week("2020-W53", &t), 0, "2020 has 53 weeks");
    ok_eq_int(time_parse_week("2021-W53", &t), ERR_PARSE, "2021 has 52 weeks");
    ok_eq_int(time_parse_week("2021-W00", &t), ERR_PARSE, "week 0 invalid");
    time_parse_day("2021-01-03", &t);
    time_format_week(t, w);
    ok_eq_str(w, "2020-W53", "2021-01-03 is in 2020-W53");
    time_parse_day("2024-12-30", &t);
    time_format_week(t, w);
    ok_eq_str(w, "2025-W01", "2024-12-30 is in 2025-W01");
    ok_eq_int(time_parse_month("2024-02", &t), 0, "parse month");
    time_format_day(t, d);
    ok_eq_str(d, "2024-02-01", "month start");
    ok_eq_int(time_parse_month("2024-2", &t), ERR_PARSE, "month needs two digits");
    ok_eq_int(time_parse_day("1969-12-31", &t), 0, "pre-epoch day");
    time_format_iso(t, d);
    ok_eq_str(d, "1969-12-31T00:00:00Z", "pre-epoch round trip");
}

/* text_fold_equals() agrees with text_fold() on every string over a small
 * alphabet of letters and whitespace (and a NUL), and on near misses. */
static void test_text_fold(void)
{
    char *f = text_fold(" \tA  b\r\n c \n", 12);
    ok_eq_str(f, "A b c", "text_fold folds runs and trims");
    free(f);
    static const char alpha[] = {'a', 'b', ' ', '\n', '\t', '\0'};
    unsigned seed = 12345;
    int bad = 0;
    for (int n = 0; n < 20000 && bad < 3; n++) {
        char in[12];
        size_t len = (size_t)(n % 12);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alpha[(seed >> 16) % (n % 7 == 0 ? 6 : 5)];
        }
        char *fold = text_fold(in, len);
        if (!text_fold_equals(in, len, fold)) {
            printf("# not equal to its own fold: %zu bytes\n", len);
            bad++;
        }
        char other[16];
        snprintf(other, sizeof other, "%sx", fold);
        if (text_fold_equals(in, len, other))
            bad++;
        if (fold[0]) {
            snprintf(other, sizeof other, "%.*s", (int)strlen(fold) - 1, fold);
            if (text_fold_equals(in, len, other))
                bad++;
            snprintf(other, sizeof other, "%s", fold);
            other[0] = other[0] == 'a' ? 'b' : 'a';
            if (text_fold_equals(in, len, other))
                bad++;
        }
        free(fold);
    }
    ok_eq_int(bad, 0, "text_fold_equals agrees with text_fold");
    ok(text_fold_equals("a\n b", 4, "a b"), "equals: folded");
    ok(!text_fold_equals("a\n b", 4, "a  b"), "equals: unfolded differs");
    ok(!text_fold_equals("a b ", 4, "a b "), "equals: trailing space differs");
    ok(text_fold_equals("", 0, ""), "equals: empty");
    ok(text_fold_equals("  ", 2, ""), "equals: blank");
}

static void test_utf8(void)
{
    uint32_t cp = 0;
    ok_eq_int(utf8_decode((const unsigned char *)"A", 1, &cp), 1, "ASCII is one byte");
    ok_eq_int(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2, "e-acute is two bytes");
    ok_eq_int(cp, 0xe9, "e-acute code point");
    ok_eq_int(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4, "emoji");
    ok_eq_int(cp, 0x1f600, "emoji code point");
    ok_eq_int(utf8_decode((const unsigned char *)"\xc0\xaf", 2, NULL), 0, "overlong refused");
    ok_eq_int(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, NULL), 0,
              "surrogate refused");
    ok_eq_int(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, NULL), 0,
              "above U+10FFFF refused");
    ok_eq_int(utf8_decode((const unsigned char *)"\xe2\x82", 2, NULL), 0, "cut sequence refused");
    ok_eq_int(utf8_valid_prefix("ab\xc3\xa9\xffz", 6), 4, "valid prefix stops at a bad byte");
}

static void test_hash(void)
{
    ok(hash64("abcdefghij", 10, 0) == hash64("abcdefghij", 10, 0), "hash64 is deterministic");
    ok(hash64("abcdefghij", 10, 0) != hash64("abcdefghij", 10, 1), "the seed changes the hash");
    ok(hash64("abcdefghij", 10, 0) != hash64("abcdefghik", 10, 0), "the last byte counts");
    ok(hash64("", 0, 0) != hash64("a", 1, 0), "the length counts");
}

int main(void)
{
    test_utf8();
    test_hash();
    test_buf();
    test_time();
    test_text_fold();
    ok_eq_str(err_str(ERR_TOO_LARGE), "too large", "err_str");
    return ok_done();
}
