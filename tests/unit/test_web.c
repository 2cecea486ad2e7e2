/* test_web.c - the web module without HTTP: escaping, parsers, router,
 * OpenAPI agreement, arena, cache, BibTeX, and pages rendered from a real
 * store holding hostile text. */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ok.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/mem.h"
#include "web/web_int.h"

static void test_arena(void)
{
    char first[64];
    struct arena a;
    arena_init(&a, 256, first, sizeof first);
    char *p = arena_alloc(&a, 10);
    ok(p >= first && p < first + sizeof first, "first allocation from the caller's block");
    void *q = arena_alloc(&a, 7);
    ok(((uintptr_t)q % alignof(max_align_t)) == 0, "allocations are aligned");
    char *big = arena_alloc(&a, 10000);
    memset(big, 'x', 10000);
    ok(big != NULL, "a large allocation gets its own block");
    char *s = arena_sprintf(&a, "%s-%d", "ab", 42);
    ok_eq_str(s, "ab-42", "arena_sprintf");
    ok_eq_str(arena_strndup(&a, "hello", 3), "hel", "arena_strndup");
    ok(arena_strdup(&a, NULL) == NULL, "arena_strdup(NULL)");
    for (int i = 0; i < 1000; i++)
        arena_alloc(&a, 100);
    ok(a.used >= 100000, "many allocations counted");
    arena_cleanup(&a);
    ok(a.head == NULL, "cleanup frees every block");
    struct arena z;
    memset(&z, 0, sizeof z);
    arena_cleanup(&z);
    ok(1, "cleanup of a zeroed arena");
}

static char *render(void (*fn)(struct buf *, int *))
{
    struct buf b;
    buf_init(&b, 0);
    int rc = 0;
    fn(&b, &rc);
    return buf_steal(&b);
}

static void w_text(struct buf *b, int *rc)
{
    html_text(b, rc, "<a href=\"x\" onclick='y'>&amp;</a>");
}
static void w_bad_utf8(struct buf *b, int *rc)
{
    html_textn(b, rc,
               "a\xff"
               "b\x01"
               "c\xc3\xa9"
               "d\xe2\x80",
               10);
}
static void w_fmt(struct buf *b, int *rc)
{
    html_fmt(b, rc, "<p title=\"%s\">%d %zu %s%%</p>", "\"><script>", 7, (size_t)9, "<b>");
}
static void w_raw(struct buf *b, int *rc)
{
    html_raw(b, rc, "<br>");
}
static void w_url(struct buf *b, int *rc)
{
    html_url(b, rc, "a b&c/d\"<", 9, 0);
    html_raw(b, rc, " ");
    html_url(b, rc, "10.1/x y", 8, 1);
}
static void w_hl(struct buf *b, int *rc)
{
    const char *terms[] = {"memo", "loss"};
    const char *t = "Memory <b> barrier; contrastive loss, lossless memo";
    html_highlight(b, rc, t, strlen(t), terms, 2);
}

static void test_html(void)
{
    char *s = render(w_text);
    ok_eq_str(s, "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
              "html_text escapes & < > \" '");
    free(s);
    s = render(w_bad_utf8);
    ok_eq_str(s,
              "a\xef\xbf\xbd"
              "b\xef\xbf\xbd"
              "c\xc3\xa9"
              "d\xef\xbf\xbd\xef\xbf\xbd",
              "invalid UTF-8 and controls become U+FFFD");
    free(s);
    s = render(w_fmt);
    ok_eq_str(s, "<p title=\"&quot;&gt;&lt;script&gt;\">7 9 &lt;b&gt;%</p>",
              "html_fmt escapes its arguments, not the template");
    free(s);
    s = render(w_raw);
    ok_eq_str(s, "<br>", "html_raw writes a literal");
    free(s);
    s = render(w_url);
    ok_eq_str(s, "a%20b%26c%2Fd%22%3C 10.1/x%20y", "html_url percent-encodes");
    free(s);
    s = render(w_hl);
    ok_eq_str(s,
              "<mark>Memory</mark> &lt;b&gt; barrier; contrastive <mark>loss</mark>, "
              "<mark>lossless</mark> <mark>memo</mark>",
              "highlight marks word prefixes and escapes the rest");
    free(s);
    struct arena a;
    arena_init(&a, 0, NULL, 0);
    const char *terms[8];
    size_t n = web_query_terms(&a, "title:Memory \"barrier LOSS\" a OR memory x2", terms, 8);
    ok_eq_int(n, 4, "query terms: dedup, skip short words, field names, operators");
    ok_eq_str(terms[0], "memory", "field value kept, lower-cased");
    ok_eq_str(terms[3], "x2", "terms keep digits");
    arena_cleanup(&a);
}

static void test_target(void)
{
    struct arena a;
    arena_init(&a, 0, NULL, 0);
    const char *path, *query;
    size_t plen, qlen;
    ok_eq_int(
        web_target_split(&a, "/papers/hep-th%2F9901001?q=a+b", 30, &path, &plen, &query, &qlen), 0,
        "split a target");
    ok_eq_str(path, "/papers/hep-th/9901001", "path decoded");
    ok_eq_str(query, "q=a+b", "query kept raw");
    ok_eq_int(web_target_split(&a, "/a%zz", 5, &path, &plen, &query, &qlen), ERR_PARSE, "bad %");
    ok_eq_int(web_target_split(&a, "/a%0", 4, &path, &plen, &query, &qlen), ERR_PARSE,
              "truncated %");
    ok_eq_int(web_target_split(&a, "/a%00b", 6, &path, &plen, &query, &qlen), ERR_PARSE,
              "NUL refused");
    ok_eq_int(web_target_split(&a, "/a%ff", 5, &path, &plen, &query, &qlen), ERR_PARSE,
              "invalid UTF-8 refused");
    ok_eq_int(web_target_split(&a, "http://x/", 9, &path, &plen, &query, &qlen), ERR_PARSE,
              "absolute form refused");
    ok_eq_int(web_target_split(&a, "/caf%C3%A9", 10, &path, &plen, &query, &qlen), 0, "UTF-8 ok");
    ok_eq_str(path, "/caf\xc3\xa9", "UTF-8 decoded");

    struct web_param *ps;
    size_t n;
    const char *qs = "q=hello+world%21&cat=cs.CL&&empty&x=%E2%9C%93";
    ok_eq_int(web_query_parse(&a, qs, strlen(qs), 32, &ps, &n), 0, "parse query");
    ok_eq_int(n, 4, "four parameters");
    ok_eq_str(ps[0].value, "hello world!", "+ and %XX decoded");
    ok_eq_str(ps[2].name, "empty", "name without value");
    ok_eq_str(ps[2].value, "", "empty value");
    ok_eq_str(ps[3].value, "\xe2\x9c\x93", "UTF-8 value");
    ok_eq_int(web_query_parse(&a, "a=1&b=2&c=3", 11, 2, &ps, &n), ERR_TOO_LARGE,
              "too many parameters");
    ok_eq_int(web_query_parse(&a, "a=%ff", 5, 8, &ps, &n), ERR_PARSE, "invalid UTF-8 value");
    ok_eq_int(web_query_parse(&a, "a%00=1", 6, 8, &ps, &n), ERR_PARSE, "NUL in a name");
    ok_eq_int(web_query_parse(&a, "", 0, 8, &ps, &n), 0, "empty query");
    ok_eq_int(n, 0, "no parameters");
    arena_cleanup(&a);
}

static void test_headers(void)
{
#define AG(s) web_accepts_gzip((s), strlen(s))
    ok(AG("gzip, deflate, br"), "gzip accepted");
    ok(AG("br;q=1.0, gzip;q=0.8"), "gzip with q");
    ok(!AG("gzip;q=0"), "gzip q=0 refused");
    ok(!AG("gzip;q=0.000"), "gzip q=0.000 refused");
    ok(AG("*"), "star accepts gzip");
    ok(!AG("*, gzip;q=0"), "explicit gzip;q=0 beats star");
    ok(!AG("deflate"), "deflate only");
    ok(!AG("gzipx"), "token must match exactly");
    ok(AG("GZIP"), "case-insensitive");
    ok(!web_accepts_gzip(NULL, 0), "absent header");
#define EM(h, e) web_etag_match((h), strlen(h), (e))
    ok(EM("W/\"abc\"", "W/\"abc\""), "weak equals weak");
    ok(EM("\"abc\"", "W/\"abc\""), "strong vs weak (weak comparison)");
    ok(EM("\"x\", W/\"abc\"", "W/\"abc\""), "list");
    ok(EM("*", "W/\"abc\""), "star");
    ok(!EM("\"abd\"", "W/\"abc\""), "different tag");
    ok(!EM("\"abc", "W/\"abc\""), "unterminated");
    ok(!EM("abc", "W/\"abc\""), "unquoted");
}

static void test_ids(void)
{
    char id[64];
    int canon = -1;
#define ID(s) web_arxiv_id((s), strlen(s), id, sizeof id, &canon)
    ok(ID("2410.17243") && canon == 1, "new-style id");
    ok_eq_str(id, "2410.17243", "normal form");
    ok(ID("0704.0001") && canon == 1, "four-digit number");
    ok(ID("2410.17243v2") && canon == 0, "version is not canonical");
    ok_eq_str(id, "2410.17243", "version dropped");
    ok(ID("arXiv:2410.17243") && canon == 0, "arXiv: prefix");
    ok(ID("hep-th/9901001") && canon == 1, "old-style id");
    ok(ID("math.GT/0309136v1") && canon == 0, "old-style with subject class");
    ok_eq_str(id, "math/0309136", "subject class dropped");
    ok(!ID("2413.17243"), "month 13");
    ok(!ID("2410.172"), "too short");
    ok(!ID("2410.17243/x"), "trailing junk");
    ok(!ID("../etc/passwd"), "path junk");
    ok(!ID("hep-th/990100"), "six digits");
    ok(!ID(""), "empty");
    ok(!ID("date"), "a word");
}

static void test_router(void)
{
    const char *arg;
    size_t alen;
#define RT(p) web_route_match((p), strlen(p), &arg, &alen)
    ok(RT("/") && strcmp(RT("/")->name, "home") == 0, "home");
    ok(strcmp(RT("/papers/trending")->name, "trending") == 0, "trending before paper");
    const struct web_route *r = RT("/papers/date/2024-10-25");
    ok(r && strcmp(r->name, "day") == 0 && alen == 10, "day with its argument");
    r = RT("/papers/hep-th/9901001.bib");
    ok(r && strcmp(r->name, "bibtex") == 0 && alen == 14 && strncmp(arg, "hep-th/9901001", 14) == 0,
       "bibtex suffix route");
    r = RT("/papers/hep-th/9901001");
    ok(r && strcmp(r->name, "paper") == 0, "paper with a slash in its id");
    ok(strcmp(RT("/api/nothing")->name, "api_other") == 0, "unknown /api/ path is JSON");
    ok(RT("/nothing") == NULL, "no route");
    ok(RT("/papers/") == NULL, "empty prefix argument");
    ok(RT("/aboutx") == NULL, "exact routes are exact");
    ok_eq_int(web_route_index(NULL), web_n_routes, "unrouted index");
}

/* The OpenAPI paths (keys of "paths") equal the table's api patterns. */
static void test_openapi(void)
{
    const char *p = strstr(web_openapi_json, "\"paths\": {");
    const char *end = strstr(web_openapi_json, "\"components\"");
    ok(p && end && p < end, "document has paths and components");
    size_t found = 0, matched = 0;
    while (p && (p = strstr(p, "\n    \"/")) && p < end) {
        p += 6;
        const char *q = strchr(p, '"');
        found++;
        for (size_t i = 0; i < web_n_routes; i++)
            if (web_routes[i].api && strlen(web_routes[i].pattern) == (size_t)(q - p) &&
                strncmp(web_routes[i].pattern, p, (size_t)(q - p)) == 0)
                matched++;
    }
    size_t api = 0;
    for (size_t i = 0; i < web_n_routes; i++)
        api += web_routes[i].api;
    ok_eq_int(found, api, "as many documented paths as api routes");
    ok_eq_int(matched, api, "every documented path is an api route");
}

static void seen_fn(void *ctx, const struct web_cache_entry *e)
{
    *(const char **)ctx = e->resp_plain;
}

static struct web_cache_entry *entry(const char *key, const char *val, double expires)
{
    struct web_cache_entry *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->key_len = strlen(key);
    e->expires = expires;
    e->status = 200;
    e->resp_plain = xstrdup(val);
    return e;
}

static void test_cache(void)
{
    struct web_cache *c = web_cache_new(3, 0, free);
    const char *seen = NULL;
    web_cache_put(c, entry("/a", "A", 10.0), 0.0);
    ok_eq_int(web_cache_use(c, "/a", 2, 5.0, seen_fn, &seen), 1, "hit");
    ok_eq_str(seen, "A", "entry handed to the callback");
    ok_eq_int(web_cache_use(c, "/a", 2, 11.0, seen_fn, &seen), 0, "expired entry misses");
    ok_eq_int(web_cache_use(c, "/b", 2, 5.0, seen_fn, &seen), 0, "other key misses");
    web_cache_put(c, entry("/a", "A2", 20.0), 1.0);
    web_cache_use(c, "/a", 2, 5.0, seen_fn, &seen);
    ok_eq_str(seen, "A2", "put replaces the same key");
    web_cache_put(c, entry("/b", "B", 3.0), 1.0);
    web_cache_put(c, entry("/c", "C", 20.0), 1.0);
    web_cache_put(c, entry("/d", "D", 20.0), 4.0); /* full: /b expired and goes */
    ok_eq_int(web_cache_use(c, "/d", 2, 5.0, seen_fn, &seen), 1, "insert into a full cache");
    ok_eq_int(web_cache_use(c, "/a", 2, 5.0, seen_fn, &seen), 1, "live entries kept");
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof k, "/k%d", i);
        web_cache_put(c, entry(k, "K", 50.0), 5.0);
    }
    ok_eq_int(web_cache_use(c, "/k9", 3, 6.0, seen_fn, &seen), 1, "bounded: newest kept");
    web_cache_free(c);
    web_cache_free(NULL);
    /* The byte cap. */
    c = web_cache_new(100, 10, free);
    struct web_cache_entry *e = entry("/x", "X", 50.0);
    e->len_plain = 6;
    web_cache_put(c, e, 1.0);
    e = entry("/y", "Y", 50.0);
    e->len_plain = 6;
    web_cache_put(c, e, 1.0); /* 12 > 10: the table is emptied first */
    ok_eq_int(web_cache_use(c, "/x", 2, 2.0, seen_fn, &seen), 0, "byte cap evicts");
    ok_eq_int(web_cache_use(c, "/y", 2, 2.0, seen_fn, &seen), 1, "newest kept under the byte cap");
    web_cache_free(c);
    ok(web_hash("a", 1) != web_hash("b", 1), "hash differs");
}

static void test_text_helpers(void)
{
    struct arena a;
    arena_init(&a, 0, NULL, 0);
    const char *t = "alpha beta gamma delta epsilon";
    ok_eq_str(web_snippet(&a, t, 100), t, "short text kept");
    ok_eq_str(web_snippet(&a, t, 14), "alpha beta\xe2\x80\xa6", "cut at a word");
    const char *u = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    const char *cut = web_snippet(&a, u, 5);
    ok(web_utf8_ok(cut, strlen(cut)), "cut never splits UTF-8");
    ok_eq_str(web_day_human(&a, "2024-10-25", 0), "Oct 25, 2024", "short date");
    ok_eq_str(web_day_human(&a, "2024-10-25T17:00:00Z", 1), "Friday, October 25, 2024",
              "long date with weekday");
    ok_eq_str(web_day_human(&a, "junk", 0), "junk", "unparsable date kept");
    arena_cleanup(&a);

    struct paper p;
    paper_init(&p);
    p.id = xstrdup("2410.17243");
    p.title = xstrdup("Breaking {the} Memory} Barrier {x");
    p.created = xstrdup("2024-10-22T17:59:30Z");
    p.doi = xstrdup("10.1/abc");
    p.primary_category = xstrdup("cs.CV");
    paper_add_author(&p, "Zesen Cheng", "Cheng", "Zesen", NULL);
    paper_add_author(&p, "Hang Zhang", NULL, NULL, NULL);
    struct buf b;
    buf_init(&b, 0);
    int rc = 0;
    web_bibtex(&b, &rc, &p);
    ok_eq_int(rc, 0, "bibtex renders");
    ok(strstr(b.p, "@article{cheng2024breaking,") != NULL, "key: author, year, title word");
    ok(strstr(b.p, "title         = {Breaking {the} Memory Barrier x},") != NULL,
       "unbalanced braces dropped");
    ok(strstr(b.p, "author        = {Cheng, Zesen and Hang Zhang}") != NULL, "authors joined");
    ok(strstr(b.p, "eprint        = {2410.17243}") != NULL, "eprint");
    int depth = 0, bad = 0;
    for (const char *c = b.p; *c; c++) {
        depth += *c == '{';
        depth -= *c == '}';
        bad |= depth < 0;
    }
    ok(depth == 0 && !bad, "braces balance");
    buf_cleanup(&b);
    paper_cleanup(&p);
}

static void test_metrics(void)
{
    struct web_metrics *m = xcalloc(1, sizeof *m);
    web_metrics_count(m, 0, 200, 150, 1000);
    web_metrics_count(m, 0, 200, 3000000, 10);
    web_metrics_count(m, web_n_routes, 404, 50, 5);
    web_metrics_count(m, 1, 299, 50, 5);
    struct buf b;
    buf_init(&b, 0);
    int rc = 0;
    web_metrics_render(m, &b, &rc, 42, 1000, -1, 3.0);
    ok(strstr(b.p, "paperboy_http_requests_total{route=\"home\",status=\"200\"} 2\n") != NULL,
       "requests by route and status");
    ok(strstr(b.p, "route=\"unmatched\",status=\"404\"} 1") != NULL, "unmatched route");
    ok(strstr(b.p, "status=\"other\"} 1") != NULL, "other status");
    ok(strstr(b.p, "paperboy_http_request_duration_seconds_bucket{le=\"+Inf\"} 4\n") != NULL,
       "histogram +Inf counts all");
    ok(strstr(b.p, "paperboy_http_request_duration_seconds_bucket{le=\"0.00025\"} 3\n") != NULL,
       "cumulative buckets");
    ok(strstr(b.p, "paperboy_papers 42\n") != NULL, "paper gauge");
    buf_cleanup(&b);
    free(m);
}

/* ---- pages from a real store ---------------------------------------------------- */

static const char *EVIL_TITLE = "<script>alert(1)</script> \"><img src=x onerror=alert(2)>";

static int fill_store(const char *path)
{
    struct store *s;
    if (store_open(path, 0, &s))
        return -1;
    for (int i = 0; i < 3; i++) {
        struct paper p;
        paper_init(&p);
        char id[16];
        snprintf(id, sizeof id, "2410.1724%d", i);
        p.id = xstrdup(id);
        p.title = xstrdup(i == 0 ? EVIL_TITLE : "A plain title");
        p.abstract = xstrdup("Abstract with <b>tags</b> & 'quotes' and $x^2$.");
        p.categories = xstrdup("cs.CL cs.<i>");
        p.created = xstrdup("2024-10-22T17:59:30Z");
        p.doi = xstrdup("10.1/\"><script>");
        paper_add_author(&p, "Eve \"><script>alert(3)</script>", NULL, NULL, NULL);
        paper_add_version(&p, 1, "2024-10-22T17:59:30Z", "1kb");
        enum store_change ch;
        store_paper_upsert(s, &p, &ch);
        struct daily_entry e;
        daily_entry_init(&e);
        e.paper_id = xstrdup(id);
        e.day = xstrdup("2024-10-25");
        e.submitter = xstrdup("<u>mallory</u>");
        e.upvotes = 10 - i;
        e.num_comments = i;
        e.source = xstrdup("hf");
        store_daily_upsert(s, &e, &ch);
        daily_entry_cleanup(&e);
        paper_cleanup(&p);
    }
    store_close(s);
    return 0;
}

static void store_close_cb(void *p)
{
    store_close(p);
}

struct fake {
    struct web w;
    struct arena arena;
    struct web_req r;
};

static void req_reset(struct fake *f, const char *arg)
{
    buf_cleanup(&f->r.body);
    arena_cleanup(&f->arena);
    arena_init(&f->arena, 0, NULL, 0);
    memset(&f->r, 0, sizeof f->r);
    f->r.web = &f->w;
    f->r.arena = &f->arena;
    f->r.arg = arg;
    f->r.arg_len = strlen(arg);
    f->r.path = "/";
    buf_init(&f->r.body, WEB_BODY_MAX);
}

/* No raw markup from the data may appear: the payloads' tags only escaped. */
static int inert(const char *body)
{
    return !strstr(body, "<script>alert") && !strstr(body, "<img src=x") &&
           !strstr(body, "<b>tags") && !strstr(body, "<u>mallory") && !strstr(body, "cs.<i>");
}

static void test_pages(void)
{
    char path[] = "/tmp/paperboy-test-web-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        ok_skip("pages", "no temporary file");
        return;
    }
    close(fd);
    unlink(path);
    ok_eq_int(fill_store(path), 0, "store filled with hostile papers");
    struct fake *f = xcalloc(1, sizeof *f);
    f->w.cfg.db_path = path;
    f->w.cfg.base_url = "http://example.test";
    pthread_key_create(&f->w.store_key, store_close_cb);
    pthread_key_create(&f->w.search_key, NULL);
    web_assets_init(&f->w);
    atomic_store(&f->w.cached_papers, -1);

    struct {
        const char *name;
        web_handler_fn fn;
        const char *arg;
        const char *want;
    } cases[] = {
        {"home", page_home, "", "Daily Papers"},
        {"day", page_day, "2024-10-25", "3 papers"},
        {"week", page_week, "2024-W43", "Week 43"},
        {"month", page_month, "2024-10", "October 2024"},
        {"trending", page_trending, "", "most upvoted"},
        {"paper", page_paper, "2410.17240", "&lt;script&gt;alert(1)&lt;/script&gt;"},
        {"bibtex", page_bibtex, "2410.17240", "@article{"},
        {"about", page_about, "", "How trending works"},
        {"api daily", api_daily, "", "\"numComments\""},
        {"api paper", api_paper, "2410.17240", "\"abstract_raw\""},
        {"api trending", api_trending, "", "\"submittedBy\""},
        {"feed daily", feed_daily, "", "<feed xmlns=\"http://www.w3.org/2005/Atom\">"},
        {"feed trending", feed_trending, "", "urn:paperboy:feed:trending"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req_reset(f, cases[i].arg);
        int rc = cases[i].fn(&f->r);
        char name[96];
        snprintf(name, sizeof name, "%s renders", cases[i].name);
        ok(rc == 0 && f->r.wrc == 0 && (f->r.status == 0 || f->r.status == 200), name);
        const char *body = buf_cstr(&f->r.body);
        snprintf(name, sizeof name, "%s has its content", cases[i].name);
        ok(strstr(body, cases[i].want) != NULL, name);
        if (!strstr(body, cases[i].want))
            printf("#   body: %.300s\n", body);
        if (cases[i].fn != page_bibtex && cases[i].fn != api_paper && cases[i].fn != api_daily &&
            cases[i].fn != api_trending) {
            snprintf(name, sizeof name, "%s: hostile text is inert", cases[i].name);
            ok(inert(body), name);
        }
    }
    /* JSON escapes markup as well: no raw "</script>" can close a block. */
    req_reset(f, "2410.17240");
    api_paper(&f->r);
    ok(strstr(buf_cstr(&f->r.body), "</script>") == NULL, "JSON has no raw </script>");
    /* Not found, bad dates, redirects. */
    req_reset(f, "2410.99999");
    page_paper(&f->r);
    ok_eq_int(f->r.status, 404, "unknown paper is 404");
    req_reset(f, "2410.17240v3");
    page_paper(&f->r);
    ok_eq_int(f->r.status, 301, "versioned id redirects");
    ok_eq_str(f->r.location, "/papers/2410.17240", "to the canonical path");
    req_reset(f, "2024-13-01");
    page_day(&f->r);
    ok_eq_int(f->r.status, 404, "impossible date is 404");
    req_reset(f, "");
    page_error(&f->r, 500, "Broke <here>");
    ok(f->r.status == 500 && strstr(buf_cstr(&f->r.body), "Something went wrong") &&
           strstr(buf_cstr(&f->r.body), "Broke &lt;here&gt;"),
       "500 page says what happened, escaped");
    req_reset(f, "");
    web_redirect(&f->r, "//evil.example/", 0);
    ok_eq_str(f->r.location, "/", "no protocol-relative redirect");
    req_reset(f, "");
    web_redirect(&f->r, "https://evil.example/", 0);
    ok_eq_str(f->r.location, "/", "no absolute redirect");
    req_reset(f, "");
    web_redirect(&f->r, "/\\evil.example", 0);
    ok_eq_str(f->r.location, "/", "no backslash redirect");

    buf_cleanup(&f->r.body);
    arena_cleanup(&f->arena);
    struct store *s = pthread_getspecific(f->w.store_key);
    store_close(s);
    pthread_setspecific(f->w.store_key, NULL);
    pthread_key_delete(f->w.store_key);
    web_searcher_free(pthread_getspecific(f->w.search_key));
    pthread_setspecific(f->w.search_key, NULL);
    pthread_key_delete(f->w.search_key);
    free(f);
    char side[sizeof path + 8];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    test_arena();
    test_html();
    test_target();
    test_headers();
    test_ids();
    test_router();
    test_openapi();
    test_cache();
    test_text_helpers();
    test_metrics();
    test_pages();
    return ok_done();
}
