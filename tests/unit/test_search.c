/* test_search.c - the search facade over a real store and index built from fixtures. */
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/index.h"
#include "ok.h"
#include "search/query.h"
#include "search/search.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

struct fixture {
    const char *id, *title, *abstract, *authors, *cats, *created;
};

static const struct fixture papers[] = {
    {"1706.03762", "Attention Is All You Need",
     "The dominant sequence transduction models are based on complex recurrent or convolutional "
     "neural networks. We propose a new simple network architecture, the Transformer, based "
     "solely on attention mechanisms, dispensing with recurrence and convolutions entirely.",
     "Ashish Vaswani|Noam Shazeer|Niki Parmar|Jakob Uszkoreit", "cs.CL cs.LG", "2017-06-12"},
    {"1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
     "We introduce a new language representation model called BERT, which stands for "
     "Bidirectional Encoder Representations from Transformers.",
     "Jacob Devlin|Ming-Wei Chang|Kenton Lee|Kristina Toutanova", "cs.CL", "2018-10-11"},
    {"1512.03385", "Deep Residual Learning for Image Recognition",
     "Deeper neural networks are more difficult to train. We present a residual learning "
     "framework to ease the training of networks that are substantially deeper.",
     "Kaiming He|Xiangyu Zhang|Shaoqing Ren|Jian Sun", "cs.CV", "2015-12-10"},
    {"2005.14165", "Language Models are Few-Shot Learners",
     "Recent work has demonstrated substantial gains on many NLP tasks and benchmarks by "
     "pre-training on a large corpus of text followed by fine-tuning on a specific task.",
     "Tom B. Brown|Benjamin Mann|Nick Ryder", "cs.CL", "2020-05-28"},
    {"hep-th/9711200", "The Large N Limit of Superconformal Field Theories and Supergravity",
     "We show that the large N limit of certain conformal field theories in various dimensions "
     "include in their Hilbert space a sector describing supergravity.",
     "Juan M. Maldacena", "hep-th", "1997-11-27"},
    {"2401.00001", "Attention",
     "A short note on how people allocate focus when reading papers.", "Ann Other", "q-bio.NC",
     "2024-01-02"},
    {"1901.00002", "A toy model of attention in recurrent networks",
     "We study a toy model in which attention emerges in recurrent networks trained on copying.",
     "Sam Toy", "cs.LG", "2019-01-05"},
    /* For the constraint checks (search_constraints_check). */
    {"2303.08774", "GPT-4 Technical Report",
     "We report the development of GPT-4, a large multimodal transformer model that accepts "
     "image and text inputs.",
     "OpenAI Team", "cs.CL cs.AI", "2023-03-15"},
    {"2402.00003", "A Survey of Transformers",
     "This survey reviews transformer models for text and speech tasks.",
     "Lin Tianyang|Wang Yuxin", "cs.CL", "2024-02-10"},
    {"2403.00004", "Efficient Transformers for Long Documents",
     "We propose efficient transformer variants for long text inputs; unlike GPT 4 they are small.",
     "Kim Park", "cs.CL stat.ML", "2024-03-05"},
    {"math/0001001", "Transformers of Quadratic Forms",
     "We study transformers of quadratic forms over finite fields.", "Ann Nodate", "math.NT",
     "" /* unknown date */},
    {"2404.00006", "Transformer Models in Particle Physics",
     "Transformer models applied to jet tagging: a survey of results.", "Pat Physicist", "hep-ex",
     "2024-04-01"},
};
#define N_PAPERS (sizeof papers / sizeof papers[0])

static char tmpdir[256];
static char dbpath[300];
static char ixpath[300];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(path);
    return 0;
}

static int32_t days(const char *d)
{
    int64_t t;
    return time_parse_day(d, &t) == 0 ? (int32_t)(t / 86400) : INDEX_NO_DATE;
}

static int build(void)
{
    struct store *st = NULL;
    struct index *ix = NULL;
    struct index_writer *w = NULL;
    int rc = store_open(dbpath, 0, &st);
    for (size_t i = 0; rc == 0 && i < N_PAPERS; i++) {
        const struct fixture *f = &papers[i];
        struct paper p;
        paper_init(&p);
        p.id = strdup(f->id);
        p.title = strdup(f->title);
        p.title_raw = strdup(f->title);
        p.abstract = strdup(f->abstract);
        p.abstract_raw = strdup(f->abstract);
        p.categories = strdup(f->cats);
        p.created = *f->created ? strdup(f->created) : NULL;
        char names[256];
        snprintf(names, sizeof names, "%s", f->authors);
        for (char *s = strtok(names, "|"); s; s = strtok(NULL, "|"))
            paper_add_author(&p, s, NULL, NULL, NULL);
        if (*f->created)
            paper_add_version(&p, 1, f->created, NULL);
        enum store_change ch;
        rc = store_paper_upsert(st, &p, &ch);
        paper_cleanup(&p);
    }
    if (rc == 0)
        rc = index_create(ixpath, NULL, &ix);
    if (rc == 0)
        rc = index_writer_new(ix, &w);
    for (size_t i = 0; rc == 0 && i < N_PAPERS; i++) {
        const struct fixture *f = &papers[i];
        int64_t rowid;
        rc = store_paper_rowid(st, f->id, &rowid);
        char authors[256];
        snprintf(authors, sizeof authors, "%s", f->authors);
        for (char *c = authors; *c; c++)
            if (*c == '|')
                *c = ',';
        struct index_doc d = {rowid, f->title, f->abstract, authors, f->cats, days(f->created)};
        if (rc == 0)
            rc = index_writer_add(w, &d);
    }
    if (rc == 0)
        rc = index_writer_commit(w);
    else
        index_writer_abort(w);
    index_close(ix);
    store_close(st);
    return rc;
}

/* Runs query text and returns the ids in order, space-separated, each
 * followed by "!" when pinned by id or "=" when by title. */
static const char *ids_of(struct search *s, const char *text, size_t k)
{
    static char out[2048];
    out[0] = '\0';
    struct search_query q;
    query_parse(text, strlen(text), &q);
    struct search_result r;
    int rc = search_run(s, &q, k, &r);
    query_cleanup(&q);
    if (rc != 0) {
        snprintf(out, sizeof out, "error %d", rc);
        return out;
    }
    size_t o = 0;
    for (size_t i = 0; i < r.n; i++) {
        const char *mark = r.hits[i].why == SEARCH_WHY_ID ? "!" : r.hits[i].why == SEARCH_WHY_TITLE ? "=" : "";
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%s%s", i ? " " : "", r.hits[i].paper.id, mark);
    }
    search_result_cleanup(&r);
    return out;
}

static int has(const char *list, const char *id)
{
    return strstr(list, id) != NULL;
}

static const char *explain(struct search *s, const char *text)
{
    static char out[2048];
    struct search_query q;
    query_parse(text, strlen(text), &q);
    struct buf b;
    buf_init(&b, 0);
    search_explain(s, &q, &b);
    snprintf(out, sizeof out, "%s", buf_cstr(&b));
    buf_cleanup(&b);
    query_cleanup(&q);
    return out;
}

static void test_plans(struct search *s)
{
    ok_eq_str(explain(s, "Deep learning"), "body:deep body:learn", "free words: SHOULD on body");
    ok_eq_str(explain(s, "deep deep"), "body:deep^2", "a repeated word weighs twice");
    ok_eq_str(explain(s, "\"residual learning\""),
              "body:residu body:learn phrase(body:residu@0,learn@1)", "phrase: constraint + words");
    ok_eq_str(explain(s, "\"state of the art\""),
              "body:state body:art phrase(body:state@0,art@3)", "stopword gaps kept in phrases");
    ok_eq_str(explain(s, "ti:language"), "+title:languag", "field word: MUST");
    ok_eq_str(explain(s, "ti:GPT-4"), "+title:gpt4 title:gpt title:4", "field compound: joined form");
    ok_eq_str(explain(s, "-recurrent x"), "-body:recurr body:x", "exclusion: MUST_NOT");
    ok_eq_str(explain(s, "au:Maldacena"), "+authors:maldacena", "author: MUST");
    ok_eq_str(explain(s, "cat:cs.LG cat:cs x"), "body:x cat:[cs.lg,cs,cs.*]", "categories OR-ed");
    ok_eq_str(explain(s, "year:1970 x"), "body:x date:[0,364]", "year: date range in days");
    ok_eq_str(explain(s, "x -\"toy model\""), "body:x -phrase(body:toy@0,model@1)",
              "excluded phrase: the index's not_phrases");
    ok_eq_str(explain(s, "x -cat:cs -cat:cs.CL"), "-cat:cs -cat:cs.cl body:x -cat:[cs.*]",
              "excluded archive: MUST_NOT plus the filter's not_categories");
    ok_eq_str(explain(s, "the of"), "", "stopwords only: nothing");

    /* Title clauses: at the default weight, for free words only. */
    struct text_analyzer *an = NULL;
    text_analyzer_new(NULL, &an);
    struct search_opts o;
    search_opts_default(&o);
    o.title_weight = 0.25f;
    struct search_plan *pl;
    search_plan_text(an, "deep deep nets", 14, &o, &pl);
    struct buf b;
    buf_init(&b, 0);
    search_plan_format(pl, &b);
    ok_eq_str(buf_cstr(&b), "body:deep^2 body:net title:deep^0.5 title:net^0.25",
              "bag of words with title clauses");
    ok(search_plan_selects(pl), "a text plan selects");
    search_plan_free(pl);
    search_plan_text(an, "of the", 6, &o, &pl);
    ok(!search_plan_selects(pl), "an empty text plan selects nothing");
    search_plan_free(pl);
    buf_cleanup(&b);
    text_analyzer_free(an);
}

static void test_ranking(struct search *s)
{
    const char *r;
    r = ids_of(s, "residual image recognition", 10);
    ok(strncmp(r, "1512.03385", 10) == 0, "ranking: best match first");

    r = ids_of(s, "1810.04805", 10);
    ok_eq_str(r, "1810.04805!", "id alone: that paper only");
    r = ids_of(s, "https://arxiv.org/abs/1810.04805v2", 10);
    ok_eq_str(r, "1810.04805!", "arXiv URL pins");
    r = ids_of(s, "residual 1810.04805", 10);
    ok(strncmp(r, "1810.04805! 1512.03385", 22) == 0, "pin first, then the text ranking");
    r = ids_of(s, "hep-th/9711200 attention", 2);
    ok(strncmp(r, "hep-th/9711200! ", 16) == 0, "old-style id pinned");
    r = ids_of(s, "2412.99999", 10);
    ok_eq_str(r, "", "unknown id: nothing, no error");

    r = ids_of(s, "attention", 10);
    ok(strncmp(r, "2401.00001=", 11) == 0, "exact title match first");
    ok(has(r, "1706.03762") && has(r, "1901.00002"), "other attention papers follow");
    r = ids_of(s, "deep residual learning for image recognition", 10);
    ok(strncmp(r, "1512.03385=", 11) == 0, "exact title, lower case, stopwords");
    r = ids_of(s, "Attention is all you need!", 10);
    ok(strncmp(r, "1706.03762=", 11) == 0, "exact title with punctuation");
    r = ids_of(s, "attention -\"people\"", 10);
    ok(!has(r, "2401.00001"), "an excluded title match is not promoted");

    r = ids_of(s, "\"toy model\"", 10);
    ok_eq_str(r, "1901.00002", "phrase: only the paper holding it");
    r = ids_of(s, "\"model toy\"", 10);
    ok_eq_str(r, "", "phrase order matters");
    r = ids_of(s, "attention -\"toy model\"", 10);
    ok(has(r, "1706.03762") && !has(r, "1901.00002"), "excluded phrase");
    r = ids_of(s, "attention -recurrent", 10);
    ok(!has(r, "1706.03762") && !has(r, "1901.00002") && has(r, "2401.00001"),
       "excluded word (stemmed: recurrent/recurrence)");

    r = ids_of(s, "ti:language", 10);
    ok(has(r, "1810.04805") && has(r, "2005.14165") && strlen(r) == 21, "title field");
    r = ids_of(s, "abs:residual", 10);
    ok_eq_str(r, "1512.03385", "abstract field");
    r = ids_of(s, "au:maldacena", 10);
    ok_eq_str(r, "hep-th/9711200", "author field");
    r = ids_of(s, "-au:devlin language", 10);
    ok(!has(r, "1810.04805") && has(r, "2005.14165"), "excluded author");

    r = ids_of(s, "cat:cs.CV deep", 10);
    ok_eq_str(r, "1512.03385", "category filter");
    r = ids_of(s, "cat:cs networks", 10);
    ok(has(r, "1706.03762") && has(r, "1512.03385") && !has(r, "2401.00001"), "archive filter");
    r = ids_of(s, "cat:hep-th limit", 10);
    ok_eq_str(r, "hep-th/9711200", "category without a dot");
    r = ids_of(s, "-cat:cs.CL language", 10);
    ok(!has(r, "1810.04805") && !has(r, "2005.14165"), "excluded category");
    r = ids_of(s, "-cat:cs attention", 10);
    ok_eq_str(r, "2401.00001=", "excluded archive");

    r = ids_of(s, "year:2018 language", 10);
    ok_eq_str(r, "1810.04805", "year filter");
    r = ids_of(s, "since:2019 language", 10);
    ok_eq_str(r, "2005.14165", "since filter");
    r = ids_of(s, "until:2016-01 deep", 10);
    ok_eq_str(r, "1512.03385", "until filter (month)");
    r = ids_of(s, "cat:cs.CL", 10);
    ok(has(r, "1810.04805") && has(r, "2005.14165") && has(r, "1706.03762"), "filter only");

    r = ids_of(s, "\"unclosed residual", 10);
    ok(strncmp(r, "1512.03385", 10) == 0, "broken syntax still searches");
    r = ids_of(s, "-", 10);
    ok_eq_str(r, "", "nothing to search");
    r = ids_of(s, "-attention", 10);
    ok_eq_str(r, "", "exclusions alone select nothing");
    r = ids_of(s, "networks", 2);
    ok(strlen(r) > 0 && strchr(r, ' ') && !strchr(strchr(r, ' ') + 1, ' '), "k caps the hits");
}

/* ------------------------------------------------------------------ */
/* search_constraints_check                                            */

static int64_t rowids[N_PAPERS];
static int check_disagree;

/* A word paper i holds: the first all-letter title word of 4+ letters. */
static void word_of(size_t i, char *w, size_t cap)
{
    const char *t = papers[i].title;
    for (;;) {
        size_t n = strcspn(t, " ");
        size_t k = 0;
        while (k < n && ((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z')))
            k++;
        if (k == n && n >= 4 && n < cap) {
            memcpy(w, t, n);
            w[n] = '\0';
            return;
        }
        if (!t[n])
            break;
        t += n + 1;
    }
    snprintf(w, cap, "%s", "nothing");
}

/* The fixture papers passing text's constraints, in fixture order, then
 * "+new" when a rowid the index lacks passed. Each paper's verdict is also
 * compared with search_run(text + a word the paper holds), which must
 * return the paper exactly when it passes (check_disagree counts
 * differences). Asked in reverse order, with a repeat and an unknown
 * rowid. */
static const char *passing(struct search *s, const char *text)
{
    static char out[1024];
    int64_t ask[N_PAPERS + 2];
    unsigned char pass[N_PAPERS + 2];
    for (size_t i = 0; i < N_PAPERS; i++)
        ask[i] = rowids[N_PAPERS - 1 - i];
    ask[N_PAPERS] = 1000000; /* not indexed */
    ask[N_PAPERS + 1] = rowids[0];
    struct search_query q;
    query_parse(text, strlen(text), &q);
    memset(pass, 7, sizeof pass);
    int rc = search_constraints_check(s, &q, ask, N_PAPERS + 2, pass);
    query_cleanup(&q);
    if (rc != 0) {
        snprintf(out, sizeof out, "error %d", rc);
        return out;
    }
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_PAPERS; i++) {
        unsigned char p = pass[N_PAPERS - 1 - i];
        if (p > 1 || (i == 0 && pass[N_PAPERS + 1] != p)) {
            snprintf(out, sizeof out, "bad pass value");
            return out;
        }
        if (p)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? " " : "", papers[i].id);
        char w[64], t2[512];
        word_of(i, w, sizeof w);
        snprintf(t2, sizeof t2, "%s %s", text, w);
        const char *got = ids_of(s, t2, 50);
        char id[64];
        snprintf(id, sizeof id, "%s", papers[i].id);
        int returned = 0;
        for (const char *g = got; (g = strstr(g, id)) != NULL; g += strlen(id)) {
            char after = g[strlen(id)];
            if ((g == got || g[-1] == ' ') && (after == '\0' || after == ' ' || after == '=' ||
                                               after == '!'))
                returned = 1;
        }
        if (returned != p) {
            printf("# disagree: \"%s\": %s passes %d, search_run(\"%s\") gives \"%s\"\n", text,
                   id, p, t2, got);
            check_disagree++;
        }
    }
    if (pass[N_PAPERS])
        snprintf(out + o, sizeof out - o, "%s+new", o ? " " : "");
    return out;
}

static int has_constraints(const char *text)
{
    struct search_query q;
    query_parse(text, strlen(text), &q);
    int r = search_query_has_constraints(&q);
    query_cleanup(&q);
    return r;
}

#define ALL_IDS                                                                                    \
    "1706.03762 1810.04805 1512.03385 2005.14165 hep-th/9711200 2401.00001 1901.00002 "           \
    "2303.08774 2402.00003 2403.00004 math/0001001 2404.00006"

static void test_constraints(struct search *s)
{
    ok_eq_str(passing(s, "transformers attention"), ALL_IDS " +new",
              "check: free words constrain nothing (not indexed passes too)");
    ok(!has_constraints("transformers attention 1810.04805"), "free words and pins: no constraints");
    ok(has_constraints("ti:x") && has_constraints("\"a b\"") && has_constraints("-x") &&
           has_constraints("cat:cs") && has_constraints("since:2020") &&
           has_constraints("until:2020") && has_constraints("au:x") && has_constraints("abs:x"),
       "each kind of syntax is a constraint");
    ok_eq_str(passing(s, "cat:cs"),
              "1706.03762 1810.04805 1512.03385 2005.14165 1901.00002 2303.08774 2402.00003 "
              "2403.00004",
              "check: cat:cs admits cs.*");
    ok_eq_str(passing(s, "cat:cs.CL"),
              "1706.03762 1810.04805 2005.14165 2303.08774 2402.00003 2403.00004",
              "check: cat:cs.CL");
    ok_eq_str(passing(s, "cat:hep-ex cat:q-bio.NC"), "2401.00001 2404.00006",
              "check: several cat: OR-ed");
    ok_eq_str(passing(s, "-cat:cs"), "hep-th/9711200 2401.00001 math/0001001 2404.00006",
              "check: -cat:cs excludes cs.*");
    ok_eq_str(passing(s, "cat:cs -cat:cs.CL"), "1512.03385 1901.00002", "check: cat: and -cat:");
    ok_eq_str(passing(s, "since:2024-01-01"), "2401.00001 2402.00003 2403.00004 2404.00006",
              "check: since: (the unknown date fails)");
    ok_eq_str(passing(s, "until:2000"), "hep-th/9711200", "check: until: (the unknown date fails)");
    ok_eq_str(passing(s, "since:2019 until:2023"), "2005.14165 1901.00002 2303.08774",
              "check: a date range");
    ok_eq_str(passing(s, "ti:transformers"),
              "1810.04805 2402.00003 2403.00004 math/0001001 2404.00006", "check: ti: (stemmed)");
    ok_eq_str(passing(s, "au:vaswani"), "1706.03762", "check: au:");
    ok_eq_str(passing(s, "-au:devlin cat:cs.CL"),
              "1706.03762 2005.14165 2303.08774 2402.00003 2403.00004", "check: -au:");
    ok_eq_str(passing(s, "abs:GPT-4"), "2303.08774", "check: abs:GPT-4 needs the compound");
    ok_eq_str(passing(s, "ti:GPT-4"), "2303.08774", "check: ti:GPT-4");
    ok_eq_str(passing(s, "-GPT-4 cat:cs.CL"),
              "1706.03762 1810.04805 2005.14165 2402.00003 2403.00004", "check: -GPT-4");
    ok_eq_str(passing(s, "\"transformer models\""), "2303.08774 2402.00003 2404.00006",
              "check: a phrase is required");
    ok_eq_str(passing(s, "\"models transformer\""), "", "check: phrase order matters");
    ok_eq_str(passing(s, "ti:\"survey of transformers\""), "2402.00003", "check: ti:\"phrase\"");
    ok_eq_str(passing(s, "-survey"),
              "1706.03762 1810.04805 1512.03385 2005.14165 hep-th/9711200 2401.00001 1901.00002 "
              "2303.08774 2403.00004 math/0001001",
              "check: -word (a paper not indexed fails)");
    ok_eq_str(passing(s, "-\"quadratic forms\""),
              "1706.03762 1810.04805 1512.03385 2005.14165 hep-th/9711200 2401.00001 1901.00002 "
              "2303.08774 2402.00003 2403.00004 2404.00006",
              "check: -\"phrase\"");
    ok_eq_str(passing(s, "cat:cs.CL since:2024-01-01 -survey transformers"), "2403.00004",
              "check: category, date, exclusion, free word");
    ok_eq_str(passing(s, "year:2024 -cat:hep-ex -\"survey of\""), "2401.00001 2403.00004",
              "check: year:, -cat:, -\"phrase\" with a stopword");
    ok_eq_str(passing(s, "ti:the -of"), ALL_IDS " +new", "check: only stopwords: nothing to check");
    ok_eq_str(passing(s, "-\"no such phrase\" -nosuchword"),
              ALL_IDS, "check: exclusions that match nothing (not indexed fails)");
    ok_eq_str(passing(s, "ti:nosuchword"), "", "check: a field word no paper holds");
    ok_eq_int(check_disagree, 0, "check == search_run(query + a word the paper holds), every paper");

    unsigned char p[2] = {7, 7};
    struct search_query q;
    query_parse("cat:cs", 6, &q);
    ok_eq_int(search_constraints_check(s, &q, rowids, INDEX_MAX_K + 1, p), ERR_INVALID,
              "check: n > INDEX_MAX_K refused");
    ok(p[0] == 7, "check: pass untouched on error");
    ok_eq_int(search_constraints_check(s, &q, rowids, 0, p), 0, "check: n = 0");
    query_cleanup(&q);
}

/* ------------------------------------------------------------------ */
/* Exclusions with more holders than INDEX_MAX_K                       */

/* BIG_CS cs.LG papers hold "neural network" and rank first for "zorbic";
 * BIG_OTHER math.NT papers hold "network neural" (not the phrase) and
 * rank below them. Exclusions were once rowid sets cut at INDEX_MAX_K
 * (the lowest rowids): the cs papers past the cut leaked, first. */
#define BIG_CS (INDEX_MAX_K + 1500)
#define BIG_OTHER 300

static int build_big(const char *db, const char *ixdir)
{
    struct store *st = NULL;
    struct index *ix = NULL;
    struct index_writer *w = NULL;
    int rc = store_open(db, 0, &st);
    if (rc == 0)
        rc = store_begin(st);
    if (rc == 0)
        rc = index_create(ixdir, NULL, &ix);
    if (rc == 0)
        rc = index_writer_new(ix, &w);
    for (int i = 0; rc == 0 && i < BIG_CS + BIG_OTHER; i++) {
        int cs = i < BIG_CS;
        char id[32], title[64];
        snprintf(id, sizeof id, "%s.%05d", cs ? "2101" : "2102", cs ? i + 1 : i - BIG_CS + 1);
        snprintf(title, sizeof title, "%s %d", cs ? "Zorbic zorbic nets" : "Zorbic forms", i);
        const char *abs = cs ? "A neural network for zorbic data."
                             : "Quadratic forms over a network; neural zorbic ideas of forms.";
        const char *cats = cs ? "cs.LG stat.ML" : "math.NT";
        struct paper p;
        paper_init(&p);
        p.id = strdup(id);
        p.title = strdup(title);
        p.title_raw = strdup(title);
        p.abstract = strdup(abs);
        p.abstract_raw = strdup(abs);
        p.categories = strdup(cats);
        enum store_change ch;
        int64_t rowid = 0;
        rc = store_paper_upsert(st, &p, &ch);
        if (rc == 0)
            rc = store_paper_rowid(st, id, &rowid);
        struct index_doc d = {rowid, title, abs, NULL, cats, INDEX_NO_DATE};
        if (rc == 0)
            rc = index_writer_add(w, &d);
        paper_cleanup(&p);
    }
    if (rc == 0)
        rc = store_commit(st);
    if (rc == 0)
        rc = index_writer_commit(w);
    else
        index_writer_abort(w);
    index_close(ix);
    store_close(st);
    return rc;
}

/* Runs text with k hits; returns how many, and how many of them are cs
 * papers (ids 2101.*) in *cs. -1 on error. */
static long big_run(struct search *s, const char *text, size_t k, long *cs)
{
    struct search_query q;
    query_parse(text, strlen(text), &q);
    struct search_result r;
    int rc = search_run(s, &q, k, &r);
    query_cleanup(&q);
    if (rc != 0)
        return -1;
    *cs = 0;
    for (size_t i = 0; i < r.n; i++)
        *cs += strncmp(r.hits[i].paper.id, "2101.", 5) == 0;
    long n = (long)r.n;
    search_result_cleanup(&r);
    return n;
}

static void test_big_exclusions(void)
{
    char dir[320], db[340], ixdir[340];
    snprintf(dir, sizeof dir, "%s/big", tmpdir);
    snprintf(db, sizeof db, "%s/paperboy.db", dir);
    snprintf(ixdir, sizeof ixdir, "%s/index", dir);
    mkdir(dir, 0755);
    int rc = build_big(db, ixdir);
    ok_eq_int(rc, 0, "big fixture: " "11,800 papers stored and indexed");
    struct search *s = NULL;
    char why[256];
    if (rc == 0)
        rc = search_open(db, ixdir, NULL, &s, why, sizeof why);
    if (rc != 0) {
        ok(0, "big fixture opened");
        return;
    }
    long cs = -1, n;
    n = big_run(s, "zorbic", 50, &cs);
    ok(n == 50 && cs == 50, "big: the cs papers rank first");
    n = big_run(s, "zorbic -cat:cs", 50, &cs);
    ok(n == 50 && cs == 0, "big: -cat:cs refuses all cs.* papers (more than INDEX_MAX_K)");
    n = big_run(s, "zorbic -cat:cs", INDEX_MAX_K, &cs);
    ok(n == BIG_OTHER && cs == 0, "big: -cat:cs, k = INDEX_MAX_K: exactly the others");
    n = big_run(s, "zorbic -\"neural network\"", 50, &cs);
    ok(n == 50 && cs == 0, "big: -\"neural network\" refuses all its holders");
    n = big_run(s, "zorbic -\"neural network\"", INDEX_MAX_K, &cs);
    ok(n == BIG_OTHER && cs == 0, "big: -\"phrase\", k = INDEX_MAX_K: exactly the others");
    n = big_run(s, "zorbic -cat:cs.LG", INDEX_MAX_K, &cs);
    ok(n == BIG_OTHER && cs == 0, "big: -cat:cs.LG (a MUST_NOT clause) is exact too");
    n = big_run(s, "zorbic -cat:stat", 50, &cs);
    ok(n == 50 && cs == 0, "big: a second category of the paper excludes it as well");
    n = big_run(s, "\"zorbic forms\" -cat:math", 50, &cs);
    ok_eq_int(n, 0, "big: -cat:math refuses every math.* paper");
    n = big_run(s, "Zorbic zorbic nets 10500", 10, &cs);
    ok(n >= 1 && cs >= 1, "big: a late cs paper is found without the exclusion");
    n = big_run(s, "Zorbic zorbic nets 10500 -cat:cs", 10, &cs);
    ok(n >= 0 && cs == 0, "big: ... and not with it, not even by its exact title");
    search_close(s);
}

/* search_run_ranked: the same hits in the same order as search_run, with
 * the text-ranked ones unloaded and the pinned / title ones loaded. */
static void test_ranked(struct search *s)
{
    const char *texts[] = {"1512.03385 transformers language", "Attention Is All You Need",
                           "neural networks", "cat:cs.CL models"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        struct search_query q;
        query_parse(texts[t], strlen(texts[t]), &q);
        struct search_result a, b;
        int ra = search_run(s, &q, 10, &a), rb = search_run_ranked(s, &q, 10, &b);
        query_cleanup(&q);
        int same = ra == 0 && rb == 0 && a.n == b.n && a.n > 0;
        int loaded_ok = same, text_hits = 0;
        for (size_t i = 0; same && i < a.n; i++) {
            same = a.hits[i].rowid == b.hits[i].rowid && a.hits[i].why == b.hits[i].why &&
                   a.hits[i].score == b.hits[i].score;
            if (b.hits[i].why == SEARCH_WHY_TEXT) {
                text_hits++;
                loaded_ok = loaded_ok && b.hits[i].paper.id == NULL;
            } else {
                loaded_ok = loaded_ok && b.hits[i].paper.id &&
                            strcmp(b.hits[i].paper.id, a.hits[i].paper.id) == 0;
            }
        }
        ok(same, texts[t]);
        ok(loaded_ok && (t == 1 || text_hits > 0), "ranked: text hits unloaded, pins loaded");
        if (ra == 0)
            search_result_cleanup(&a);
        if (rb == 0)
            search_result_cleanup(&b);
    }
}

int main(void)
{
    const char *td = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test-search-XXXXXX", td && *td ? td : "/tmp");
    if (!mkdtemp(tmpdir)) {
        ok(0, "mkdtemp");
        return ok_done();
    }
    snprintf(dbpath, sizeof dbpath, "%s/paperboy.db", tmpdir);
    snprintf(ixpath, sizeof ixpath, "%s/index", tmpdir);
    ok_eq_int(build(), 0, "fixture store and index built");
    char dir[300];
    ok_eq_int(search_index_dir(dbpath, dir, sizeof dir), 0, "index dir");
    ok_eq_str(dir, ixpath, "index beside the database");
    search_index_dir("paperboy.db", dir, sizeof dir);
    ok_eq_str(dir, "index", "bare file name");
    ok_eq_int(search_index_dir("/x.db", dir, 4), ERR_TOO_LARGE, "index dir too long");

    struct search *s = NULL;
    char why[256];
    ok_eq_int(search_open("/nonexistent/x.db", ixpath, NULL, &s, why, sizeof why) < 0, 1,
              "missing database fails");
    ok_eq_int(search_open(dbpath, "/nonexistent/index", NULL, &s, why, sizeof why) < 0, 1,
              "missing index fails");
    ok(strstr(why, "reindex") != NULL, "the reason names reindex");
    /* Plans are spelled out below without title clauses; the default
     * title weight is tested on its own. */
    struct search_opts so;
    search_opts_default(&so);
    so.title_weight = 0;
    int rc = search_open(dbpath, ixpath, &so, &s, why, sizeof why);
    ok_eq_int(rc, 0, "search opened");
    if (rc == 0) {
        test_plans(s);
        test_ranking(s);
        test_ranked(s);
        struct store *st = NULL;
        int src = store_open(dbpath, 1, &st);
        for (size_t i = 0; src == 0 && i < N_PAPERS; i++)
            src = store_paper_rowid(st, papers[i].id, &rowids[i]);
        store_close(st);
        ok_eq_int(src, 0, "fixture rowids");
        test_constraints(s);
        test_big_exclusions();
        struct search_query q;
        struct search_result r;
        query_parse("x", 1, &q);
        ok_eq_int(search_run(s, &q, 0, &r), ERR_INVALID, "k = 0 refused");
        query_cleanup(&q);
    }
    search_close(s);
    search_close(NULL);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok_done();
}
