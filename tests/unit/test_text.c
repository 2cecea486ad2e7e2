/*
 * test_text.c - the analyzer: Unicode normalisation (NFKC, case folding,
 * ligatures, diacritics, Greek, CJK), hyphenated terms and model names,
 * apostrophes, numbers, stopwords, stemming, positions and offsets, limits.
 */
#include <stdlib.h>
#include <string.h>

#include "ok.h"
#include "text/analyzer.h"
#include "util/err.h"

static struct text_analyzer *def, *plain;

static const char *an(struct text_analyzer *a, const char *s)
{
    static char out[8192];
    text_analyze_str(a, s, out, sizeof out);
    return out;
}

#define A(in, want) ok_eq_str(an(def, in), want, in)
#define P(in, want) ok_eq_str(an(plain, in), want, "(no stem/stop) " in)

struct rec {
    struct text_token t[64];
    char terms[64][TEXT_MAX_TERM + 1];
    int n;
};

static int rec_fn(void *ctx, const struct text_token *t)
{
    struct rec *r = ctx;
    if (r->n >= 64)
        return 1;
    memcpy(r->terms[r->n], t->term, t->len + 1);
    r->t[r->n] = *t;
    r->t[r->n].term = r->terms[r->n];
    r->n++;
    return 0;
}

static void test_unicode(void)
{
    A("Hello WORLD", "hello world");
    P("ﬁnal ﬂow ﬀ", "final flow ff");
    P("Schrödinger Erdős naïve café", "schrodinger erdos naive cafe");
    P("ΑΒΓ δέλτα Ωμέγα", "αβγ δελτα ωμεγα");
    P("Straße", "strasse");
    P("Ｒｅｓ２ x² ①", "res2 x2 1");
    P("深度学习", "深 度 学 习");
    P("ひらがな カタカナ", "ひ ら が な カ タ カ ナ");
    P("ｶﾞｷﾞ", "ガ ギ");
    P("한국어", "한국어");
    P("soft\xc2\xadhyphen zero\xe2\x80\x8bwidth", "softhyphen zero width");
    P("bad \xff\xfe bytes \xc3", "bad bytes");
    ok_eq_str(an(plain, "tab\tnew\nline"), "tab new line", "tabs and newlines separate");
    P("", "");
    P("   ...   ", "");
}

static void test_hyphens_models(void)
{
    P("GPT-4", "gpt gpt4 4");
    P("GPT4", "gpt4");
    P("BERT4Rec", "bert4rec");
    P("ResNet-50", "resnet resnet50 50");
    P("x-ray", "x xray ray");
    P("state-of-the-art", "state stateoftheart of the art");
    A("state-of-the-art", "state stateoftheart art");
    P("COVID-19", "covid covid19 19");
    P("GPT‑4 GPT‐4", "gpt gpt4 4 gpt gpt4 4"); /* U+2011, U+2010 */
    P("1990–2000", "1990 2000");             /* en dash separates */
    P("pre- and post-training", "pre and post posttraining training");
    P("-x- --y", "x y");
    P("a-b-c-d-e-f-g-h-i-j", "a abcdefgh b c d e f g h i ij j");
    A("x-rays", "x xray ray");
    /* joined forms share the first part's position */
    struct rec r = {0};
    uint32_t next = 0;
    text_analyze(plain, "big GPT-4 model", 15, 10, rec_fn, &r, &next);
    ok_eq_int(r.n, 5, "tokens of 'big GPT-4 model'");
    ok(r.t[1].pos == 11 && r.t[2].pos == 11 && r.t[3].pos == 12 && r.t[4].pos == 13,
       "positions: gpt and gpt4 share one, then 4, model");
    ok(r.t[2].flags == TEXT_TOKEN_JOINED && r.t[1].flags == 0, "joined flag");
    ok(r.t[2].start == 4 && r.t[2].end == 9, "joined form spans the compound");
    ok(r.t[4].start == 10 && r.t[4].end == 15, "offsets of 'model'");
    ok_eq_int(next, 14, "next position");
}

static void test_words_numbers(void)
{
    P("Alzheimer's O'Neil don't it’s", "alzheimer oneil dont it");
    P("'quoted' rock'n'roll", "quoted rocknroll");
    P("p<0.05 v1.5 3.14. 1,000", "p 0.05 v1.5 3.14 1 000");
    P("e.g. U.S. cs.LG", "e g u s cs lg");
    P("C++ C# F1-score", "c c f1 f1score score");
    char longw[200];
    memset(longw, 'a', 100);
    strcpy(longw + 100, " ok");
    ok_eq_str(an(plain, longw), "ok", "over-long word dropped");
    struct rec r = {0};
    text_analyze(plain, longw, strlen(longw), 0, rec_fn, &r, NULL);
    ok(r.n == 1 && r.t[0].pos == 1, "an over-long word takes a position");
}

static void test_stop_stem(void)
{
    A("The running of the bulls", "run bull");
    A("studies studying studied", "studi studi studi");
    A("networks", "network");
    A("generously generalization", "generous general");
    ok(text_is_stopword(TEXT_STOP_LUCENE, "the", 3), "the is a stopword");
    ok(!text_is_stopword(TEXT_STOP_LUCENE, "about", 5), "about is not in Lucene's list");
    ok(text_is_stopword(TEXT_STOP_SNOWBALL, "about", 5), "about is in Snowball's list");
    ok(!text_is_stopword(TEXT_STOP_SNOWBALL, "well", 4), "well is kept");
    /* stopwords keep their positions */
    struct rec r = {0};
    text_analyze(def, "state of the art", 16, 0, rec_fn, &r, NULL);
    ok(r.n == 2 && r.t[0].pos == 0 && r.t[1].pos == 3, "stopword gaps kept");
    /* porter vs english */
    struct text_analyzer_opts o = {TEXT_STEM_PORTER, TEXT_STOP_NONE};
    struct text_analyzer *p;
    ok_eq_int(text_analyzer_new(&o, &p), 0, "porter analyzer");
    ok_eq_str(an(p, "generously"), "gener", "porter stems differently");
    text_analyzer_free(p);
    struct text_analyzer_opts bad = {(enum text_stem)9, TEXT_STOP_NONE};
    ok_eq_int(text_analyzer_new(&bad, &p), ERR_INVALID, "unknown stemmer: ERR_INVALID");
    enum text_stem st;
    enum text_stop sp;
    ok(text_stem_parse("porter", &st) == 0 && st == TEXT_STEM_PORTER, "stem names");
    ok(text_stop_parse("snowball", &sp) == 0 && sp == TEXT_STOP_SNOWBALL, "stop names");
    ok_eq_int(text_stop_parse("nope", &sp), ERR_INVALID, "unknown stop name");
    /* stemming is skipped for digits and non-ASCII */
    A("layers2 αλφας", "layers2 αλφασ"); /* final sigma case-folds to σ */
}

static void test_misc(void)
{
    char small[8];
    ok_eq_int(text_analyze_str(plain, "alpha beta gamma", small, sizeof small), ERR_TOO_LARGE,
              "small output buffer: ERR_TOO_LARGE");
    ok_eq_str(small, "alpha", "output cut at a term");
    struct rec r = {0};
    /* the callback can stop the analysis */
    const char *many = "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 a13 a14 a15 a16 a17 a18 a19 a20 "
                       "a21 a22 a23 a24 a25 a26 a27 a28 a29 a30 a31 a32 a33 a34 a35 a36 a37 a38 "
                       "a39 a40 a41 a42 a43 a44 a45 a46 a47 a48 a49 a50 a51 a52 a53 a54 a55 a56 "
                       "a57 a58 a59 a60 a61 a62 a63 a64 a65 a66";
    ok_eq_int(text_analyze(plain, many, strlen(many), 0, rec_fn, &r, NULL), 1,
              "callback's non-zero return stops and is returned");
    ok_eq_int(r.n, 64, "stopped after 64");
    /* the same analyzer gives the same result twice (cache) */
    ok_eq_str(an(def, "running runners"), "run runner", "first");
    ok_eq_str(an(def, "running runners"), "run runner", "second (cached stems)");
}

int main(void)
{
    struct text_analyzer_opts o = {TEXT_STEM_NONE, TEXT_STOP_NONE};
    if (text_analyzer_new(NULL, &def) || text_analyzer_new(&o, &plain))
        return 1;
    test_unicode();
    test_hyphens_models();
    test_words_numbers();
    test_stop_stem();
    test_misc();
    text_analyzer_free(def);
    text_analyzer_free(plain);
    text_analyzer_free(NULL);
    return ok_done();
}
