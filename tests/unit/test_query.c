/* test_query.c - the search box parser: every construct, every way to break it. */
#include <stdlib.h>
#include <string.h>

#include "ok.h"
#include "search/query.h"
#include "util/buf.h"

/* Parses s and returns its canonical rendering (static buffer). */
static const char *fmt_of_len(const char *s, size_t len)
{
    static char out[4096];
    struct search_query q;
    struct buf b;
    buf_init(&b, 0);
    query_parse(s, len, &q);
    query_format(&q, &b);
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    buf_cleanup(&b);
    query_cleanup(&q);
    return out;
}

static const char *fmt_of(const char *s)
{
    return fmt_of_len(s, strlen(s));
}

#define T(in, want) ok_eq_str(fmt_of(in), want, "parse: " in)

static void test_plain(void)
{
    T("", "");
    T("   \t\n ", "");
    T("deep learning", "deep learning");
    T("  deep   learning  ", "deep learning");
    T("Transformers", "Transformers");
    T("état de l'art", "état de l'art");
    T("a\x01" "b\x7f" "c", "a b c");
}

static void test_phrase(void)
{
    T("\"graph neural network\"", "\"graph neural network\"");
    T("x \"a b\" y", "x \"a b\" y");
    T("\"  a b  \"", "\"a b\"");
    T("\"one\"", "\"one\"");
    T("\"a  \t b\"", "\"a b\"");
    T("\"a b\"\"c d\"", "\"a b\" \"c d\"");
    T("mid\"word", "mid\"word");
    /* Broken: unclosed quote is a space, the words are free. */
    T("\"deep learning", "deep learning #degraded");
    T("x \"", "x #degraded");
    T("\"\"", "#degraded");
    T("\" \"", "#degraded");
    T("\"a\" \"b", "\"a\" b #degraded");
}

static void test_exclude(void)
{
    T("-quantum", "-quantum");
    T("neural -quantum", "neural -quantum");
    T("-\"toy model\" x", "-\"toy model\" x");
    T("--foo", "--foo");
    T("a - b", "a b #degraded");
    T("a -", "a #degraded");
    T("-", "#degraded");
    T("non-linear", "non-linear");
    T("-\"open", "open #degraded");
}

static void test_fields(void)
{
    T("ti:attention", "ti:attention");
    T("title:attention", "ti:attention");
    T("TI:attention", "ti:attention");
    T("abs:sparse abstract:coding", "abs:sparse abs:coding");
    T("au:hinton author:lecun", "au:hinton au:lecun");
    T("cat:cs.LG category:stat.ML", "cat:cs.LG cat:stat.ML");
    T("ti:\"sparse coding\" x", "ti:\"sparse coding\" x");
    T("-au:smith", "-au:smith");
    T("-cat:hep-th", "-cat:hep-th");
    T("ti:\"a b\"c", "ti:\"a b\" c");
    /* Broken fields degrade to free text as typed. */
    T("ti:", "ti: #degraded");
    T("ti: attention", "ti: attention #degraded");
    T("foo:bar", "foo:bar #degraded");
    T("ti:\"unclosed words", "ti: unclosed words #degraded");
    T("ti:\"\"", "ti: #degraded");
    T("ti:\" \" x", "ti: x #degraded");
    T("a:b:c", "a:b:c #degraded");
    T(":x", ":x #degraded");
    T("ti:x:y", "ti:x:y");
}

static void test_dates(void)
{
    T("since:2024-01-01", "since:2024-01-01");
    T("until:2024-12-31", "until:2024-12-31");
    T("year:2024", "since:2024-01-01 until:2024-12-31");
    T("since:2024", "since:2024-01-01");
    T("until:2024", "until:2024-12-31");
    T("since:2024-02", "since:2024-02-01");
    T("until:2024-02", "until:2024-02-29");
    T("until:2023-02", "until:2023-02-28");
    T("until:1900-02", "until:1900-02-28");
    T("until:2000-02", "until:2000-02-29");
    T("x since:2020-01-01 since:2021-06-01", "x since:2021-06-01");
    T("until:2021-01-01 until:2020-01-01", "until:2020-01-01");
    T("year:2023 since:2023-06-01", "since:2023-06-01 until:2023-12-31");
    /* Broken dates stay text. */
    T("since:soon", "since:soon #degraded");
    T("since:2024-13-01", "since:2024-13-01 #degraded");
    T("since:2023-02-29", "since:2023-02-29 #degraded");
    T("since:2024-1-1", "since:2024-1-1 #degraded");
    T("year:24", "year:24 #degraded");
    T("year:2024-01", "year:2024-01 #degraded");
    T("-since:2024", "-since:2024 #degraded");
    T("since:\"2024\"", "since: 2024\" #degraded");
}

static void test_ids(void)
{
    T("2401.12345", "id:2401.12345");
    T("arXiv:2401.12345v2", "id:2401.12345");
    T("https://arxiv.org/abs/2401.12345", "id:2401.12345");
    T("http://export.arxiv.org/pdf/2401.12345v3.pdf", "id:2401.12345");
    T("arxiv.org/abs/hep-th/9901001", "id:hep-th/9901001");
    T("math.GT/0309136", "id:math/0309136");
    T("id:0704.0001", "id:0704.0001");
    T("id:nope", "id:nope #degraded");
    T("attention 1706.03762 transformer", "attention transformer id:1706.03762");
    T("1706.03762 1706.03762", "id:1706.03762");
    T("-1706.03762", "-1706.03762");
    T("1234.5678", "1234.5678");     /* month 34: not an id */
    T("\"1706.03762\"", "\"1706.03762\""); /* quoted: text */
    T("0101.0001 0102.0001 0103.0001 0104.0001 0105.0001 0106.0001 0107.0001 "
      "0108.0001 0109.0001",
      "id:0101.0001 id:0102.0001 id:0103.0001 id:0104.0001 id:0105.0001 id:0106.0001 "
      "id:0107.0001 id:0108.0001 #pins");
}

static void test_mixed(void)
{
    T("ti:transformer \"self attention\" -rnn cat:cs.CL year:2017 1706.03762",
      "ti:transformer \"self attention\" -rnn cat:cs.CL id:1706.03762 since:2017-01-01 "
      "until:2017-12-31");
}

static void test_caps(void)
{
    /* 64 terms kept, the 65th dropped and flagged. */
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 70; i++)
        buf_appendf(&b, "w%d ", i);
    struct search_query q;
    query_parse(b.p, b.len, &q);
    ok_eq_int(q.n_terms, QUERY_MAX_TERMS, "term cap");
    ok(q.flags & QUERY_TRUNC_TERMS, "term cap flagged");
    ok_eq_str(q.terms[63].text, "w63", "last kept term");
    query_cleanup(&q);
    buf_cleanup(&b);

    /* 2000 bytes: cut at 1024. */
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        buf_append(&b, "ab", 2);
    query_parse(b.p, b.len, &q);
    ok(q.flags & QUERY_TRUNC_BYTES, "byte cap flagged");
    ok_eq_int(q.n_terms, 1, "one long word");
    ok_eq_int(strlen(q.terms[0].text), QUERY_MAX_BYTES, "cut at the cap");
    query_cleanup(&q);
    buf_cleanup(&b);

    /* A cut inside a UTF-8 character backs up to its start. */
    buf_init(&b, 0);
    for (int i = 0; i < 1023; i++)
        buf_append(&b, "a", 1);
    buf_append(&b, "\xc3\xa9xyz", 5); /* é straddles byte 1024 */
    query_parse(b.p, b.len, &q);
    ok_eq_int(strlen(q.terms[0].text), 1023, "utf-8 boundary kept");
    query_cleanup(&q);
    buf_cleanup(&b);

    /* Exactly at the cap: no flag. */
    buf_init(&b, 0);
    for (int i = 0; i < QUERY_MAX_BYTES; i++)
        buf_append(&b, "z", 1);
    query_parse(b.p, b.len, &q);
    ok(!(q.flags & QUERY_TRUNC_BYTES), "exactly the cap is not cut");
    query_cleanup(&q);
    buf_cleanup(&b);

    /* Embedded NULs are spaces; the input need not be NUL-terminated. */
    ok_eq_str(fmt_of_len("a\0b", 3), "a b", "NUL is a space");
    ok_eq_str(fmt_of_len("abcdef", 3), "abc", "length is the truth");
}

static void test_struct(void)
{
    struct search_query q;
    const char *s = "-ti:\"x y\" au:z cat:cs.LG foo \"bar baz\"";
    query_parse(s, strlen(s), &q);
    ok_eq_int(q.n_terms, 5, "five terms");
    ok(q.terms[0].exclude && q.terms[0].phrase && q.terms[0].field == QUERY_FIELD_TITLE,
       "excluded title phrase");
    ok_eq_str(q.terms[0].text, "x y", "phrase text without quotes");
    ok(q.terms[1].field == QUERY_FIELD_AUTHOR && !q.terms[1].exclude, "author term");
    ok(q.terms[2].field == QUERY_FIELD_CATEGORY, "category term");
    ok(q.terms[3].field == QUERY_FIELD_ANY && !q.terms[3].phrase, "free word");
    ok(q.terms[4].phrase, "free phrase");
    ok(query_has_text(&q), "has text");
    struct buf b;
    buf_init(&b, 0);
    query_free_text(&q, &b);
    ok_eq_str(buf_cstr(&b), "foo bar baz", "free text");
    buf_cleanup(&b);
    query_cleanup(&q);
    query_cleanup(&q); /* twice is fine */

    query_parse("cat:cs.LG -x", 12, &q);
    ok(!query_has_text(&q), "category and exclusion only: no text");
    query_cleanup(&q);
    query_parse("2401.12345", 10, &q);
    ok(!query_has_text(&q) && q.n_pins == 1, "id only: a pin, no text");
    query_cleanup(&q);
}

/* format(parse(x)) is a fixed point once flags are removed. */
static void test_idempotent(void)
{
    static const char *const inputs[] = {
        "ti:\"a b\" -c au:d cat:cs.LG since:2020 until:2021-03 1706.03762",
        "\"unclosed x", "foo:bar ti: -", "a\"b c\"", "--x -\"y z\"",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char once[4096];
        snprintf(once, sizeof once, "%s", fmt_of(inputs[i]));
        char *hash = strstr(once, " #");
        if (hash)
            *hash = '\0';
        char twice[4096];
        snprintf(twice, sizeof twice, "%s", fmt_of(once));
        hash = strstr(twice, " #");
        if (hash)
            *hash = '\0';
        ok_eq_str(twice, once, inputs[i]);
    }
}

int main(void)
{
    test_plain();
    test_phrase();
    test_exclude();
    test_fields();
    test_dates();
    test_ids();
    test_mixed();
    test_caps();
    test_struct();
    test_idempotent();
    return ok_done();
}
