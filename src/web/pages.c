/*
 * pages.c - the HTML pages (see web_int.h).
 *
 * Every page is layout_begin() + main content + layout_end(): a header with
 * the brand, the main navigation and a search box, a skip link to <main>,
 * and a footer. Markup is written with html_raw() (string literals only)
 * and every dynamic value with html_fmt()/html_text() (escaped), so no
 * text from the store or the request can become markup.
 *
 * List pages (day, week, month, trending) share render_list(): heading,
 * previous/next navigation, day/week/month switch, cards, pager. A card is
 * the paper's upvotes, title (link), the first few authors, a snippet of
 * the abstract, categories, date, comment count and submitter.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "search/search.h"
#include "web/web_int.h"

#define CARD_AUTHORS 4    /* authors shown before "et al." */
#define SNIPPET_BYTES 320 /* abstract snippet on cards */

enum nav { NAV_NONE, NAV_DAILY, NAV_TRENDING, NAV_SEARCH, NAV_ABOUT };

/* ---- layout ---------------------------------------------------------------- */

static void layout_begin(struct web_req *r, const char *title, enum nav cur, const char *desc,
                         const char *q)
{
    struct buf *o = &r->body;
    int rc = 0;
    struct web *w = r->web;
    r->content_type = "text/html; charset=utf-8";
    html_raw(o, &rc,
             "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             "<title>");
    html_text(o, &rc, title);
    html_raw(o, &rc, " \xc2\xb7 paperboy</title>\n");
    if (desc)
        html_fmt(o, &rc, "<meta name=\"description\" content=\"%s\">\n", desc);
    html_fmt(o, &rc, "<link rel=\"stylesheet\" href=\"%s\">\n", w->assets[WEB_ASSET_CSS].url);
    html_fmt(o, &rc, "<link rel=\"icon\" href=\"%s\" type=\"image/svg+xml\">\n",
             w->assets[WEB_ASSET_ICON].url);
    html_raw(o, &rc,
             "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Daily papers\" "
             "href=\"/feeds/daily.atom\">\n"
             "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Trending "
             "papers\" href=\"/feeds/trending.atom\">\n");
    html_fmt(o, &rc, "<script src=\"%s\" defer></script>\n", w->assets[WEB_ASSET_JS].url);
    html_raw(o, &rc,
             "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
             "<header class=\"site\"><div class=\"wrap\">\n");
    html_fmt(o, &rc,
             "<a class=\"brand\" href=\"/\"><img src=\"%s\" alt=\"\" width=\"28\" "
             "height=\"28\">paperboy</a>\n",
             w->assets[WEB_ASSET_ICON].url);
    html_raw(o, &rc, "<nav class=\"main\" aria-label=\"Main\"><ul>\n");
    static const struct {
        enum nav id;
        const char *href, *label;
    } items[] = {{NAV_DAILY, "/", "Daily"},
                 {NAV_TRENDING, "/papers/trending", "Trending"},
                 {NAV_SEARCH, "/search", "Search"},
                 {NAV_ABOUT, "/about", "About"}};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (items[i].id == cur)
            html_fmt(o, &rc, "<li><a href=\"%s\" aria-current=\"page\">%s</a></li>\n",
                     items[i].href, items[i].label);
        else
            html_fmt(o, &rc, "<li><a href=\"%s\">%s</a></li>\n", items[i].href, items[i].label);
    }
    html_raw(o, &rc, "</ul></nav>\n");
    if (cur != NAV_SEARCH) {
        html_raw(o, &rc,
                 "<form class=\"hsearch\" role=\"search\" action=\"/search\" "
                 "method=\"get\"><label class=\"sr\" for=\"q\">Search papers</label>"
                 "<input id=\"q\" name=\"q\" type=\"search\" "
                 "placeholder=\"Search papers\xe2\x80\xa6  ( / )\" autocomplete=\"off\"");
        if (q && *q)
            html_fmt(o, &rc, " value=\"%s\"", q);
        html_raw(o, &rc, "></form>\n");
    }
    html_raw(o, &rc, "</div></header>\n<main id=\"main\" tabindex=\"-1\"><div class=\"wrap\">\n");
    if (rc && !r->wrc)
        r->wrc = rc;
}

static int layout_end(struct web_req *r)
{
    struct buf *o = &r->body;
    int rc = 0;
    html_raw(o, &rc,
             "</div></main>\n<footer class=\"site\"><div class=\"wrap\">\n"
             "<p>paperboy \xe2\x80\x94 a self-hosted paper feed. Metadata from "
             "<a href=\"https://arxiv.org/\">arXiv</a>; daily lists in the spirit of Hugging "
             "Face Daily Papers. <a href=\"/about\">About &amp; ranking</a> \xc2\xb7 "
             "<a href=\"/feeds/daily.atom\">Atom feed</a> \xc2\xb7 "
             "<a href=\"/api/openapi.json\">API</a></p>\n"
             "<p>Keys: <kbd>/</kbd> search, <kbd>j</kbd>/<kbd>k</kbd> next/previous paper, "
             "<kbd>[</kbd>/<kbd>]</kbd> previous/next period.</p>\n"
             "</div></footer>\n</body>\n</html>\n");
    return rc;
}

/* ---- pieces ---------------------------------------------------------------- */

/* Writes up to max author names ("A, B, C et al."). */
static void authors_line(struct buf *o, int *rc, const struct paper *p, size_t max)
{
    if (p->n_authors == 0) {
        if (p->authors_raw)
            html_text(o, rc, p->authors_raw);
        return;
    }
    size_t shown = p->n_authors <= max + 1 ? p->n_authors : max;
    for (size_t i = 0; i < shown; i++) {
        if (i)
            html_raw(o, rc, ", ");
        html_text(o, rc, p->authors[i].name);
    }
    if (shown < p->n_authors)
        html_raw(o, rc, " et al.");
}

/* Writes the category chips (each a link to a category search). */
static void category_chips(struct buf *o, int *rc, const char *cats, size_t max)
{
    if (!cats)
        return;
    html_raw(o, rc, "<span class=\"cats\">");
    const char *p = cats;
    size_t n = 0;
    while (*p && n < max) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p == s)
            break;
        html_raw(o, rc, "<a class=\"chip\" href=\"/search?cat=");
        html_url(o, rc, s, (size_t)(p - s), 0);
        html_raw(o, rc, "\">");
        html_textn(o, rc, s, (size_t)(p - s));
        html_raw(o, rc, "</a>");
        n++;
    }
    html_raw(o, rc, "</span>");
}

/* One card; terms (may be empty) are highlighted in title and snippet. */
static void render_card(struct web_req *r, const struct store_listing *l, const char *const *terms,
                        size_t n_terms)
{
    struct buf *o = &r->body;
    int rc = 0;
    const struct paper *p = &l->paper;
    int votes = l->daily.paper_id ? l->daily.upvotes : 0;
    const char *title = p->title ? p->title : (l->daily.title ? l->daily.title : p->id);
    html_raw(o, &rc, "<li><article class=\"card\">");
    html_fmt(o, &rc,
             "<div class=\"votes\" aria-label=\"%d upvote%s\"><span class=\"arrow\" "
             "aria-hidden=\"true\">\xe2\x96\xb2</span><span class=\"n\">%d</span></div>",
             votes, votes == 1 ? "" : "s", votes);
    html_raw(o, &rc, "<div>");
    html_fmt(o, &rc, "<h2><a href=\"/papers/%s\">", p->id);
    html_highlight(o, &rc, title, strlen(title), terms, n_terms);
    html_raw(o, &rc, "</a></h2>");
    if (p->n_authors || p->authors_raw) {
        html_raw(o, &rc, "<p class=\"authors\">");
        authors_line(o, &rc, p, CARD_AUTHORS);
        html_raw(o, &rc, "</p>");
    }
    const char *snip = web_snippet(r->arena, p->abstract, SNIPPET_BYTES);
    if (snip) {
        html_raw(o, &rc, "<p class=\"snippet\">");
        html_highlight(o, &rc, snip, strlen(snip), terms, n_terms);
        html_raw(o, &rc, "</p>");
    }
    html_raw(o, &rc, "<p class=\"meta\">");
    category_chips(o, &rc, p->categories, 4);
    const char *day = web_listing_day(l);
    if (day)
        html_fmt(o, &rc, "<time datetime=\"%.10s\">%s</time>", day,
                 web_day_human(r->arena, day, 0));
    if (l->daily.paper_id && l->daily.num_comments > 0)
        html_fmt(o, &rc, "<span>%d comment%s</span>", l->daily.num_comments,
                 l->daily.num_comments == 1 ? "" : "s");
    if (l->daily.paper_id && (l->daily.submitter_name || l->daily.submitter))
        html_fmt(o, &rc, "<span>Submitted by %s</span>",
                 l->daily.submitter_name ? l->daily.submitter_name : l->daily.submitter);
    html_raw(o, &rc, "</p></div></article></li>\n");
    if (rc && !r->wrc)
        r->wrc = rc;
}

static void render_pager(struct web_req *r, const struct web_list *l, const char *base,
                         const char *extra)
{
    if (l->pages <= 1)
        return;
    struct buf *o = &r->body;
    int rc = 0;
    char sep = strchr(base, '?') ? '&' : '?';
    html_raw(o, &rc, "<nav class=\"pager\" aria-label=\"Pages\">");
    if (l->page > 1)
        html_fmt(o, &rc, "<a rel=\"prev\" href=\"%s%cpage=%zu%s\">\xe2\x86\x90 Newer</a>", base,
                 sep, l->page - 1, extra ? extra : "");
    html_fmt(o, &rc, "<span>Page %zu of %zu</span>", l->page, l->pages);
    if (l->page < l->pages)
        html_fmt(o, &rc, "<a rel=\"next\" href=\"%s%cpage=%zu%s\">More \xe2\x86\x92</a>", base, sep,
                 l->page + 1, extra ? extra : "");
    html_raw(o, &rc, "</nav>\n");
    if (rc && !r->wrc)
        r->wrc = rc;
}

/* The "no papers at all" box: how to get some. */
static void render_empty_store(struct web_req *r)
{
    int rc = 0;
    html_raw(&r->body, &rc,
             "<div class=\"empty\"><h2>No papers yet</h2>\n"
             "<p>The store is empty. Fill it with one of these, then reload:</p>\n<ul>\n"
             "<li><code>paperboy harvest</code> \xe2\x80\x94 fetch new papers from arXiv "
             "(OAI-PMH).</li>\n"
             "<li><code>paperboy ingest FILE</code> \xe2\x80\x94 load a file you have. Accepted "
             "formats (plain or <code>.gz</code>, detected from the content): the Kaggle "
             "arXiv metadata snapshot (JSON lines), Hugging Face <code>/api/daily_papers</code> "
             "JSON (this fills the daily lists and upvotes), OAI-PMH XML (<code>arXiv</code> or "
             "<code>arXivRaw</code> metadata) and arXiv API Atom feeds.</li>\n"
             "</ul>\n<p>For example: <code>paperboy ingest "
             "arxiv-metadata-oai-snapshot.json</code> then <code>paperboy ingest "
             "daily_papers.json</code>.</p>\n");
    /* Why the store is empty, when a harvest tried and failed (e.g. `make
     * run` on a machine without network): cmd_harvest leaves the reason. */
    struct store *s = NULL;
    char *note = NULL;
    if (web_store(r, &s) == 0 && store_state_get(s, STORE_STATE_HARVEST_FAILURE, &note) == 0) {
        const char *bar = strchr(note, '|');
        html_raw(&r->body, &rc, "<p class=\"notice\" role=\"status\">The last attempt to "
                                "harvest arXiv");
        if (bar) {
            html_raw(&r->body, &rc, " (");
            html_textn(&r->body, &rc, note, (size_t)(bar - note));
            html_raw(&r->body, &rc, ")");
        }
        html_raw(&r->body, &rc, " failed: <code>");
        html_text(&r->body, &rc, bar ? bar + 1 : note);
        html_raw(&r->body, &rc, "</code>. This machine may have no network access to arXiv; "
                                "ingesting a file works offline.</p>\n");
        free(note);
    }
    html_raw(&r->body, &rc, "</div>\n");
    if (rc && !r->wrc)
        r->wrc = rc;
}

/* ---- list pages ------------------------------------------------------------- */

enum view { VIEW_DAY, VIEW_WEEK, VIEW_MONTH, VIEW_TRENDING };

struct listpage {
    enum view view;
    const char *title;     /* <title> and h1 */
    const char *period;    /* shown between prev and next */
    const char *period_dt; /* datetime attribute of period, or NULL */
    const char *prev_href, *prev_label;
    const char *next_href, *next_label;
    const char *day_href, *week_href, *month_href;
    const char *base;  /* this page's path, for the pager */
    const char *note;  /* a line under the heading, or NULL */
    const char *empty; /* shown when the list is empty */
};

static int render_list(struct web_req *r, const struct listpage *lp, const struct web_list *l,
                       int store_empty)
{
    struct buf *o = &r->body;
    int rc = 0;
    layout_begin(r, lp->title, lp->view == VIEW_TRENDING ? NAV_TRENDING : NAV_DAILY,
                 "Research papers, day by day, ranked by the community.", NULL);
    html_raw(o, &rc, "<div class=\"listhead\"><div>");
    html_fmt(o, &rc, "<h1>%s<span class=\"by\">",
             lp->view == VIEW_TRENDING ? "Trending papers" : "Daily Papers");
    html_text(o, &rc, lp->note ? lp->note : "by the research community");
    html_raw(o, &rc, "</span></h1></div>\n");
    if (lp->view != VIEW_TRENDING && !store_empty) {
        html_raw(o, &rc, "<ul class=\"views\" aria-label=\"Period\">");
        static const char *const names[] = {"Day", "Week", "Month"};
        const char *hrefs[] = {lp->day_href, lp->week_href, lp->month_href};
        for (int i = 0; i < 3; i++) {
            if (!hrefs[i])
                continue;
            if ((int)lp->view == i)
                html_fmt(o, &rc, "<li><a href=\"%s\" aria-current=\"page\">%s</a></li>", hrefs[i],
                         names[i]);
            else
                html_fmt(o, &rc, "<li><a href=\"%s\">%s</a></li>", hrefs[i], names[i]);
        }
        html_raw(o, &rc, "</ul>\n");
    }
    html_raw(o, &rc, "</div>\n");
    if (lp->period && !store_empty) {
        html_raw(o, &rc, "<nav class=\"period\" aria-label=\"Previous and next\">");
        if (lp->prev_href)
            html_fmt(o, &rc, "<a rel=\"prev\" href=\"%s\">\xe2\x86\x90 %s</a>", lp->prev_href,
                     lp->prev_label);
        else
            html_raw(o, &rc, "<span class=\"off\">\xe2\x86\x90 Earlier</span>");
        if (lp->period_dt)
            html_fmt(o, &rc, "<span class=\"current\"><time datetime=\"%s\">%s</time></span>",
                     lp->period_dt, lp->period);
        else
            html_fmt(o, &rc, "<span class=\"current\">%s</span>", lp->period);
        if (lp->next_href)
            html_fmt(o, &rc, "<a rel=\"next\" href=\"%s\">%s \xe2\x86\x92</a>", lp->next_href,
                     lp->next_label);
        else
            html_raw(o, &rc, "<span class=\"off\">Later \xe2\x86\x92</span>");
        html_raw(o, &rc, "</nav>\n");
    }
    if (store_empty) {
        render_empty_store(r);
    } else if (l->total == 0) {
        html_raw(o, &rc, "<div class=\"empty\"><h2>Nothing here</h2><p>");
        html_text(o, &rc, lp->empty);
        html_raw(o, &rc, " <a href=\"/\">Go to the latest papers</a>.</p></div>\n");
    } else {
        html_fmt(o, &rc, "<p class=\"count\">%zu paper%s</p>\n<ol class=\"cards\">\n", l->total,
                 l->total == 1 ? "" : "s");
        for (size_t i = 0; i < l->n; i++)
            render_card(r, &l->items[i], NULL, 0);
        html_raw(o, &rc, "</ol>\n");
        render_pager(r, l, lp->base, NULL);
    }
    if (rc == 0)
        rc = layout_end(r);
    return rc;
}

/* ?page=N for list pages: 400 on junk. Returns 0 or writes the error. */
static int get_page(struct web_req *r, size_t *page)
{
    long v;
    if (web_param_int(r, "page", 1, 1, WEB_PAGE_MAX, &v)) {
        web_fail(r, 400, "The page number must be a whole number from 1 to 10000.");
        return ERR_INVALID;
    }
    *page = (size_t)v;
    return 0;
}

/* Renders the list of one day. */
static int render_day(struct web_req *r, const char *day, int is_home)
{
    size_t page;
    if (get_page(r, &page))
        return 0;
    int64_t t;
    if (time_parse_day(day, &t))
        return web_fail(r, 404, "That is not a date: days look like 2024-10-25.");
    struct web_list l;
    int rc = web_list_range(r, day, day, page, WEB_PAGE_SIZE, &l);
    if (rc)
        return rc;
    char prev[11], next[11];
    rc = web_day_neighbors(r, day, prev, next);
    if (rc) {
        web_list_free(&l);
        return rc;
    }
    char week[12], month[8];
    time_format_week(t, week);
    snprintf(month, sizeof month, "%.7s", day);
    struct listpage lp = {
        .view = VIEW_DAY,
        .title = arena_sprintf(r->arena, "Daily papers, %s", web_day_human(r->arena, day, 0)),
        .period = web_day_human(r->arena, day, 1),
        .period_dt = day,
        .prev_href = prev[0] ? arena_sprintf(r->arena, "/papers/date/%s", prev) : NULL,
        .prev_label = prev[0] ? web_day_human(r->arena, prev, 0) : NULL,
        .next_href = next[0] ? arena_sprintf(r->arena, "/papers/date/%s", next) : NULL,
        .next_label = next[0] ? web_day_human(r->arena, next, 0) : NULL,
        .day_href = arena_sprintf(r->arena, "/papers/date/%s", day),
        .week_href = arena_sprintf(r->arena, "/papers/week/%s", week),
        .month_href = arena_sprintf(r->arena, "/papers/month/%s", month),
        .base = is_home ? "/" : arena_sprintf(r->arena, "/papers/date/%s", day),
        .empty = "No papers are listed on this day.",
    };
    rc = render_list(r, &lp, &l, 0);
    web_list_free(&l);
    return rc;
}

int page_home(struct web_req *r)
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    char day[11];
    rc = store_latest_day(s, day);
    if (rc == ERR_NOT_FOUND) {
        struct web_list l = {.page = 1, .pages = 1};
        struct listpage lp = {.view = VIEW_DAY, .title = "Daily papers", .base = "/"};
        return render_list(r, &lp, &l, 1);
    }
    if (rc)
        return rc;
    return render_day(r, day, 1);
}

int page_day(struct web_req *r)
{
    char day[11];
    if (r->arg_len != 10)
        return web_fail(r, 404, "That is not a date: days look like 2024-10-25.");
    memcpy(day, r->arg, 10);
    day[10] = '\0';
    return render_day(r, day, 0);
}

/* Week and month pages: a range of days. */
static int render_range(struct web_req *r, enum view view, int64_t start, int64_t end_excl)
{
    size_t page;
    if (get_page(r, &page))
        return 0;
    char from[11], to[11];
    time_format_day(start, from);
    time_format_day(end_excl - 86400, to);
    struct web_list l;
    int rc = web_list_range(r, from, to, page, WEB_PAGE_SIZE, &l);
    if (rc)
        return rc;
    struct store *s;
    char latest[11] = "";
    if (web_store(r, &s) == 0 && store_latest_day(s, latest) != 0)
        latest[0] = '\0';
    char week[12], month[8], pw[12], nw[12], pm[32], nm[32];
    time_format_week(start, week);
    snprintf(month, sizeof month, "%.7s", from);
    struct listpage lp = {.view = view, .empty = "No papers are listed in this period."};
    lp.day_href = arena_sprintf(r->arena, "/papers/date/%s", from);
    lp.week_href = arena_sprintf(r->arena, "/papers/week/%s", week);
    lp.month_href = arena_sprintf(r->arena, "/papers/month/%s", month);
    int later = latest[0] && strcmp(latest, to) > 0;
    if (view == VIEW_WEEK) {
        time_format_week(start - 7 * 86400, pw);
        time_format_week(start + 7 * 86400, nw);
        lp.title = arena_sprintf(r->arena, "Papers of week %s", week);
        lp.period = arena_sprintf(r->arena, "Week %s (%s \xe2\x80\x93 %s)", week + 6,
                                  web_day_human(r->arena, from, 0), web_day_human(r->arena, to, 0));
        lp.prev_href = arena_sprintf(r->arena, "/papers/week/%s", pw);
        lp.prev_label = arena_sprintf(r->arena, "Week %s", pw + 6);
        lp.next_href = later ? arena_sprintf(r->arena, "/papers/week/%s", nw) : NULL;
        lp.next_label = arena_sprintf(r->arena, "Week %s", nw + 6);
        lp.base = lp.week_href;
    } else {
        int y, m;
        time_to_civil(start, &y, &m, NULL, NULL, NULL, NULL);
        snprintf(pm, sizeof pm, "%04d-%02d", m == 1 ? y - 1 : y, m == 1 ? 12 : m - 1);
        snprintf(nm, sizeof nm, "%04d-%02d", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
        static const char *const mn[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
        lp.title = arena_sprintf(r->arena, "Papers of %s %d", mn[m - 1], y);
        lp.period = arena_sprintf(r->arena, "%s %d", mn[m - 1], y);
        lp.period_dt = arena_strdup(r->arena, month);
        lp.prev_href = arena_sprintf(r->arena, "/papers/month/%s", pm);
        lp.prev_label = arena_sprintf(r->arena, "%s", mn[(m + 10) % 12]);
        lp.next_href = later ? arena_sprintf(r->arena, "/papers/month/%s", nm) : NULL;
        lp.next_label = arena_sprintf(r->arena, "%s", mn[m % 12]);
        lp.base = lp.month_href;
    }
    rc = render_list(r, &lp, &l, 0);
    web_list_free(&l);
    return rc;
}

int page_week(struct web_req *r)
{
    char w[12];
    int64_t monday;
    if (r->arg_len != 8 || (memcpy(w, r->arg, 8), w[8] = '\0', time_parse_week(w, &monday)))
        return web_fail(r, 404, "That is not a week: weeks look like 2024-W43 (ISO 8601).");
    return render_range(r, VIEW_WEEK, monday, monday + 7 * 86400);
}

int page_month(struct web_req *r)
{
    char m[8];
    int64_t first;
    if (r->arg_len != 7 || (memcpy(m, r->arg, 7), m[7] = '\0', time_parse_month(m, &first)))
        return web_fail(r, 404, "That is not a month: months look like 2024-10.");
    int y, mo;
    time_to_civil(first, &y, &mo, NULL, NULL, NULL, NULL);
    int64_t next = time_from_civil(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1, 0, 0, 0);
    return render_range(r, VIEW_MONTH, first, next);
}

int page_trending(struct web_req *r)
{
    size_t page;
    if (get_page(r, &page))
        return 0;
    struct web_list l;
    char latest[11];
    int rc = web_list_trending(r, page, WEB_PAGE_SIZE, &l, latest);
    if (rc)
        return rc;
    struct listpage lp = {
        .view = VIEW_TRENDING,
        .title = "Trending papers",
        .base = "/papers/trending",
        .empty = "No papers were on the daily lists in the last seven days.",
    };
    if (latest[0])
        lp.note = arena_sprintf(r->arena,
                                "The most upvoted papers of the daily lists in the %d days up to "
                                "%s. (A time-decayed community score replaces this once voting "
                                "arrives.)",
                                WEB_TRENDING_DAYS, web_day_human(r->arena, latest, 0));
    rc = render_list(r, &lp, &l, latest[0] == '\0');
    web_list_free(&l);
    return rc;
}

/* ---- the paper page ------------------------------------------------------------ */

/* Looks up r->arg as a paper id; redirects non-canonical forms. Returns 1
 * when *p was loaded, 0 when r already holds a response (redirect/404), or
 * a negative code. */
static int load_paper(struct web_req *r, const char *prefix, const char *suffix, struct paper *p)
{
    char id[64];
    int canonical = 0;
    if (!web_arxiv_id(r->arg, r->arg_len, id, sizeof id, &canonical)) {
        web_fail(r, 404,
                 "There is no paper with that id. arXiv ids look like 2410.17243 or "
                 "hep-th/9901001.");
        return 0;
    }
    if (!canonical) {
        web_redirect(r, arena_sprintf(r->arena, "%s%s%s", prefix, id, suffix), 1);
        return 0;
    }
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    rc = store_paper_get(s, id, p);
    if (rc == ERR_NOT_FOUND) {
        web_fail(r, 404, "This paper is not in the store. It may not have been harvested yet.");
        return 0;
    }
    return rc ? rc : 1;
}

/* Links out: arXiv abstract page, PDF, DOI. */
static void paper_links(struct buf *o, int *rc, const struct paper *p)
{
    html_raw(o, rc, "<ul class=\"links\">");
    html_fmt(o, rc, "<li><a class=\"button\" href=\"https://arxiv.org/abs/%s\">arXiv page</a></li>",
             p->id);
    html_fmt(o, rc, "<li><a class=\"button\" href=\"https://arxiv.org/pdf/%s\">PDF</a></li>",
             p->id);
    if (p->doi) {
        html_raw(o, rc, "<li><a class=\"button\" href=\"https://doi.org/");
        html_url(o, rc, p->doi, strlen(p->doi), 1);
        html_raw(o, rc, "\">DOI</a></li>");
    }
    html_fmt(o, rc, "<li><a class=\"button\" href=\"/papers/%s.bib\">BibTeX file</a></li>", p->id);
    html_raw(o, rc, "</ul>\n");
}

/* Similar papers: the SIMILAR_K nearest neighbours of the paper's stored
 * vector (find.c, web_similar), titles linking to their pages; without
 * vectors or the model, a note on how to turn them on. */
#define SIMILAR_K 5
static void paper_similar(struct web_req *r, const struct paper *p)
{
    int *rc = &r->wrc;
    struct buf *o = &r->body;
    struct web_hits h = {0};
    int src = web_similar(r, p->id, SIMILAR_K, &h);
    html_raw(o, rc, "<section aria-labelledby=\"similar-h\"><h2 id=\"similar-h\">Similar papers</h2>");
    if (src == 0 && h.n > 0) {
        html_raw(o, rc, "<ol class=\"similar\">");
        for (size_t i = 0; i < h.n; i++) {
            const struct paper *q = &h.items[i].paper;
            html_fmt(o, rc, "<li><a href=\"/papers/%s\">%s</a></li>", q->id,
                     q->title ? q->title : q->id);
        }
        html_raw(o, rc, "</ol>");
    } else if (src == 0 || src == ERR_NOT_FOUND) {
        html_raw(o, rc,
                 "<p class=\"hook\">This paper has no vector yet: the server's embedding "
                 "queue (or <code>paperboy embed</code>) adds it.</p>");
    } else {
        html_raw(o, rc,
                 "<p class=\"hook\">Similar papers appear here once the semantic index is built "
                 "(<code>paperboy embed</code> with the embedding model installed).</p>");
    }
    html_raw(o, rc, "</section>\n");
    web_hits_free(&h);
}

int page_paper(struct web_req *r)
{
    struct paper p;
    paper_init(&p);
    int rc = load_paper(r, "/papers/", "", &p);
    if (rc <= 0) {
        paper_cleanup(&p);
        return rc;
    }
    rc = 0;
    struct buf *o = &r->body;
    const char *title = p.title ? p.title : p.id;
    layout_begin(r, title, NAV_NONE, web_snippet(r->arena, p.abstract, 200), NULL);
    html_raw(o, &rc, "<article class=\"paper\">\n<h1>");
    html_text(o, &rc, title);
    html_raw(o, &rc, "</h1>\n<p class=\"authors\">");
    authors_line(o, &rc, &p, 1000);
    html_raw(o, &rc, "</p>\n<p class=\"meta\">");
    struct daily_entry d;
    daily_entry_init(&d);
    struct store *st;
    if (web_store(r, &st) == 0 && store_daily_get(st, p.id, &d) == 0 && d.paper_id) {
        html_fmt(o, &rc, "<span class=\"chip\">\xe2\x96\xb2 %d upvote%s</span>", d.upvotes,
                 d.upvotes == 1 ? "" : "s");
        if (d.num_comments > 0)
            html_fmt(o, &rc, "<span>%d comment%s</span>", d.num_comments,
                     d.num_comments == 1 ? "" : "s");
        html_fmt(o, &rc, "<span>On the <a href=\"/papers/date/%s\">%s</a> list", d.day,
                 web_day_human(r->arena, d.day, 0));
        if (d.submitter_name || d.submitter)
            html_fmt(o, &rc, ", submitted by %s",
                     d.submitter_name ? d.submitter_name : d.submitter);
        html_raw(o, &rc, "</span>");
    }
    daily_entry_cleanup(&d);
    category_chips(o, &rc, p.categories, 20);
    if (p.created)
        html_fmt(o, &rc, "<span>Submitted <time datetime=\"%.10s\">%s</time></span>", p.created,
                 web_day_human(r->arena, p.created, 0));
    html_raw(o, &rc, "</p>\n");
    paper_links(o, &rc, &p);
    html_raw(o, &rc,
             "<section aria-labelledby=\"abstract-h\"><h2 id=\"abstract-h\">Abstract</h2>"
             "<p class=\"abstract\">");
    html_text(o, &rc, p.abstract ? p.abstract : "(no abstract)");
    html_raw(o, &rc, "</p></section>\n");
    /* Facts. */
    html_raw(o, &rc,
             "<section aria-labelledby=\"details-h\"><h2 id=\"details-h\">Details</h2>"
             "<dl class=\"facts\">");
    html_fmt(o, &rc, "<dt>arXiv id</dt><dd><code>%s</code></dd>", p.id);
    if (p.primary_category)
        html_fmt(o, &rc, "<dt>Primary category</dt><dd>%s</dd>", p.primary_category);
    if (p.comments)
        html_fmt(o, &rc, "<dt>Comments</dt><dd>%s</dd>", p.comments);
    if (p.journal_ref)
        html_fmt(o, &rc, "<dt>Journal reference</dt><dd>%s</dd>", p.journal_ref);
    if (p.doi) {
        html_raw(o, &rc, "<dt>DOI</dt><dd><a href=\"https://doi.org/");
        html_url(o, &rc, p.doi, strlen(p.doi), 1);
        html_fmt(o, &rc, "\">%s</a></dd>", p.doi);
    }
    if (p.report_no)
        html_fmt(o, &rc, "<dt>Report number</dt><dd>%s</dd>", p.report_no);
    if (p.submitter)
        html_fmt(o, &rc, "<dt>Submitted to arXiv by</dt><dd>%s</dd>", p.submitter);
    if (p.license)
        html_fmt(o, &rc, "<dt>License</dt><dd>%s</dd>", p.license);
    html_raw(o, &rc, "</dl></section>\n");
    /* Versions. */
    if (p.n_versions > 0) {
        html_raw(o, &rc,
                 "<section aria-labelledby=\"versions-h\"><h2 id=\"versions-h\">Versions"
                 "</h2><ol class=\"versions\">");
        for (size_t i = 0; i < p.n_versions; i++) {
            const struct paper_version *v = &p.versions[i];
            html_fmt(o, &rc, "<li value=\"%d\"><a href=\"https://arxiv.org/abs/%sv%d\">v%d</a>",
                     v->num, p.id, v->num, v->num);
            if (v->date)
                html_fmt(o, &rc, " \xe2\x80\x94 <time datetime=\"%.10s\">%s</time>", v->date,
                         web_day_human(r->arena, v->date, 0));
            if (v->size)
                html_fmt(o, &rc, " (%s)", v->size);
            html_raw(o, &rc, "</li>");
        }
        html_raw(o, &rc, "</ol></section>\n");
    }
    /* BibTeX with a copy button. */
    html_raw(o, &rc,
             "<section aria-labelledby=\"bibtex-h\"><div class=\"copyrow\"><h2 "
             "id=\"bibtex-h\">Cite</h2><button type=\"button\" data-copy=\"bibtex\" "
             "data-status=\"bibtex-status\">Copy BibTeX</button><span class=\"status\" "
             "id=\"bibtex-status\" role=\"status\" aria-live=\"polite\"></span></div>"
             "<pre id=\"bibtex\">");
    struct buf bib;
    buf_init(&bib, 1u << 20);
    int brc = 0;
    web_bibtex(&bib, &brc, &p);
    html_textn(o, &rc, bib.p ? bib.p : "", bib.len);
    buf_cleanup(&bib);
    html_raw(o, &rc, "</pre></section>\n");
    paper_similar(r, &p);
    html_raw(o, &rc, "</article>\n");
    if (rc == 0 && brc == 0)
        rc = layout_end(r);
    paper_cleanup(&p);
    return rc ? rc : brc;
}

int page_bibtex(struct web_req *r)
{
    struct paper p;
    paper_init(&p);
    int rc = load_paper(r, "/papers/", ".bib", &p);
    if (rc <= 0) {
        paper_cleanup(&p);
        return rc;
    }
    rc = 0;
    web_bibtex(&r->body, &rc, &p);
    r->content_type = "text/x-bibtex; charset=utf-8";
    paper_cleanup(&p);
    return rc;
}

/* ---- about, errors, small routes -------------------------------------------------- */

int page_about(struct web_req *r)
{
    int rc = 0;
    struct buf *o = &r->body;
    layout_begin(r, "About", NAV_ABOUT, "What paperboy is and how it ranks papers.", NULL);
    html_raw(o, &rc,
             "<div class=\"prose\"><h1>About paperboy</h1>\n"
             "<p>paperboy is a self-hosted research-paper discovery service: it keeps arXiv's "
             "metadata in a local store, lists papers day by day like Hugging Face Daily "
             "Papers, searches titles, abstracts and authors, and offers the same data as a "
             "JSON API and Atom feeds. It is one C program; nothing on these pages comes from "
             "another site.</p>\n"
             "<h2>How papers are listed</h2>\n"
             "<p>A paper belongs to the day it appeared on a daily list (imported from Hugging "
             "Face daily papers, with its upvotes, comments and submitter); papers that were on "
             "no list belong to the day their first version was submitted to arXiv. The daily, "
             "weekly and monthly pages list papers by upvotes within each day, newest day "
             "first.</p>\n"
             "<h2>How trending works</h2>\n"
             "<p>For now, <a href=\"/papers/trending\">Trending</a> shows the daily-list papers "
             "of the last seven days (counted back from the newest day in the store) ordered by "
             "upvotes, then by comments. When community voting arrives, a time-decayed score "
             "(recent votes count more) will replace it.</p>\n"
             "<h2>How search ranks</h2>\n"
             "<p>Search matches words in titles, abstracts and authors and ranks them with BM25; "
             "when an embedding model is installed it also finds papers by meaning and fuses "
             "both rankings. An exact arXiv id or title always comes first.</p>\n"
             "<h2>Machine-readable</h2>\n<ul>\n"
             "<li><a href=\"/api/openapi.json\">JSON API</a> (OpenAPI 3): daily papers by date, "
             "week or month, a paper, search, trending.</li>\n"
             "<li>Atom feeds: <a href=\"/feeds/daily.atom\">daily</a>, <a "
             "href=\"/feeds/trending.atom\">trending</a>, and "
             "<code>/feeds/search.atom?q=\xe2\x80\xa6</code> for any search.</li>\n"
             "<li>Each paper's BibTeX at <code>/papers/&lt;id&gt;.bib</code>.</li>\n</ul>\n"
             "<h2>Keyboard</h2>\n<p><kbd>/</kbd> focuses search, <kbd>j</kbd> and <kbd>k</kbd> "
             "move between papers, <kbd>[</kbd> and <kbd>]</kbd> go to the previous and next "
             "day, week or month.</p></div>\n");
    if (rc)
        return rc;
    return layout_end(r);
}

int page_error(struct web_req *r, int status, const char *message)
{
    static const struct {
        int status;
        const char *title;
    } titles[] = {{400, "Bad request"},        {404, "Not found"},
                  {405, "Method not allowed"}, {414, "Address too long"},
                  {431, "Headers too large"},  {500, "Something went wrong"},
                  {503, "Unavailable"}};
    const char *title = "Error";
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (titles[i].status == status)
            title = titles[i].title;
    buf_reset(&r->body);
    r->status = status;
    r->no_cache = 1;
    int rc = 0;
    layout_begin(r, title, NAV_NONE, NULL, NULL);
    html_fmt(&r->body, &rc, "<div class=\"prose\"><p class=\"errcode\">%d</p><h1>%s</h1><p>%s</p>",
             status, title, message);
    html_raw(&r->body, &rc,
             "<p><a href=\"/\">Latest papers</a> \xc2\xb7 <a href=\"/search\">Search</a> \xc2\xb7 "
             "<a href=\"/about\">About</a></p></div>\n");
    if (rc == 0)
        rc = layout_end(r);
    r->status = status;
    return rc;
}

int page_not_found(struct web_req *r)
{
    return web_fail(r, 404,
                    "There is no page at this address. It may have moved, or the link "
                    "may be mistyped.");
}

int page_asset(struct web_req *r)
{
    const struct web_asset *a = web_asset_find(r->web, r->arg, r->arg_len);
    if (!a)
        return web_fail(r, 404, "No such asset (assets are addressed by content hash).");
    int rc = buf_append(&r->body, a->data, a->len);
    r->content_type = a->ctype;
    r->immutable = 1;
    return rc;
}

int page_healthz(struct web_req *r)
{
    struct store *s;
    int rc = web_store(r, &s);
    r->content_type = "text/plain; charset=utf-8";
    r->cache_control = "no-store";
    if (rc) {
        r->status = 503;
        return buf_append_str(&r->body, "store unavailable\n");
    }
    return buf_append_str(&r->body, "ok\n");
}

/* Bytes of the regular files in the lexical index folder ("index" beside
 * the database, see search/search.h), -1 when there is none. */
static long long index_bytes(const char *db_path)
{
    char dir[4096];
    if (search_index_dir(db_path, dir, sizeof dir) != 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[8192];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (long long)st.st_size;
    }
    closedir(d);
    return total;
}

int page_metrics(struct web_req *r)
{
    long papers = -1;
    if (web_paper_count(r, &papers))
        papers = -1;
    struct stat st;
    long long db_bytes = stat(r->web->cfg.db_path, &st) == 0 ? (long long)st.st_size : -1;
    int rc = 0;
    web_metrics_render(&r->web->metrics, &r->body, &rc, papers, db_bytes,
                       index_bytes(r->web->cfg.db_path), (double)(r->now - r->web->started));
    web_metrics_render_vectors(r->web, &r->body, &rc);
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    r->cache_control = "no-store";
    return rc;
}

/* ---- search ------------------------------------------------------------------------ */

static void search_help(struct buf *o, int *rc)
{
    html_raw(o, rc,
             "<ul class=\"help\">\n"
             "<li>Type words from the title, abstract or author names: <code>contrastive "
             "loss</code>.</li>\n"
             "<li>Put a phrase in quotes: <code>\"memory barrier\"</code>.</li>\n"
             "<li>Paste an arXiv id to go straight to a paper: <code>2410.17243</code>.</li>\n"
             "<li>Narrow by category (<code>cs.CL</code>, or a whole archive like "
             "<code>hep-th</code>) and by date with the filters.</li>\n</ul>\n");
}

int page_search(struct web_req *r)
{
    struct web_query q;
    if (web_query_read(r, &q, WEB_PAGE_SIZE))
        return 0;
    /* An exact arXiv id goes to the paper. */
    char id[64];
    int canonical;
    if (q.q[0] && web_arxiv_id(q.q, strlen(q.q), id, sizeof id, &canonical)) {
        struct store *s;
        struct paper p;
        paper_init(&p);
        int found = web_store(r, &s) == 0 && store_paper_get(s, id, &p) == 0;
        paper_cleanup(&p);
        if (found)
            return web_redirect(r, arena_sprintf(r->arena, "/papers/%s", id), 0);
    }
    struct web_hits h = {0};
    int rc = 0, searched = 0, unsupported = 0;
    if (q.q[0] || q.cat[0]) {
        rc = web_find(r, &q, &h);
        if (rc == ERR_UNSUPPORTED) {
            unsupported = 1;
            rc = 0;
        } else if (rc) {
            return rc;
        } else {
            searched = 1;
        }
    }
    struct buf *o = &r->body;
    int *wrc = &r->wrc;
    layout_begin(r, q.q[0] ? arena_sprintf(r->arena, "Search: %s", q.q) : "Search", NAV_SEARCH,
                 "Search papers by words, phrases, authors and arXiv ids.", q.q);
    html_raw(o, wrc,
             "<h1>Search papers</h1>\n"
             "<form id=\"search-form\" class=\"search\" role=\"search\" "
             "action=\"/search\" method=\"get\">\n<div class=\"row\"><label "
             "class=\"grow\">Words, \"a phrase\", an author or an arXiv id"
             "<input id=\"search-q\" name=\"q\" type=\"search\" autocomplete=\"off\" "
             "maxlength=\"300\"");
    html_fmt(o, wrc, " value=\"%s\"", q.q);
    if (!q.q[0])
        html_raw(o, wrc, " autofocus");
    html_raw(o, wrc,
             "></label><button class=\"primary\" type=\"submit\">Search</button></div>\n"
             "<div class=\"row\"><label>Category<input name=\"cat\" type=\"text\" "
             "size=\"10\" maxlength=\"24\" placeholder=\"e.g. cs.CL\" "
             "pattern=\"[A-Za-z.\\-]*\"");
    html_fmt(o, wrc, " value=\"%s\"></label>", q.cat);
    html_fmt(o, wrc, "<label>From<input name=\"from\" type=\"date\" value=\"%s\"></label>", q.from);
    html_fmt(o, wrc, "<label>To<input name=\"to\" type=\"date\" value=\"%s\"></label>", q.to);
    if (h.has_vectors || web_has_vectors(r)) {
        /* Only with vectors: a plain <select> in the GET form, no script. */
        static const char *const modes[] = {"hybrid", "bm25", "dense"};
        static const char *const labels[] = {"hybrid", "words (BM25)", "meaning (dense)"};
        const char *cur = h.mode && strcmp(h.mode, "basic") ? h.mode : q.mode;
        if (strcmp(cur, "lexical") == 0)
            cur = "bm25";
        else if (strcmp(cur, "semantic") == 0)
            cur = "dense";
        html_raw(o, wrc, "<label>Mode<select name=\"mode\">");
        for (size_t i = 0; i < 3; i++)
            html_fmt(o, wrc, "<option value=\"%s\"%s>%s</option>", modes[i],
                     strcmp(cur, modes[i]) == 0 ? " selected" : "", labels[i]);
        html_raw(o, wrc, "</select></label>");
    }
    html_raw(o, wrc,
             "</div>\n</form>\n<p id=\"search-status\" class=\"count\" role=\"status\" "
             "aria-live=\"polite\">");
    if (searched)
        html_fmt(o, wrc, "%zu%s result%s for \xe2\x80\x9c%s\xe2\x80\x9d%s%s%s", h.total,
                 h.more ? "+" : "", h.total == 1 && !h.more ? "" : "s", q.q[0] ? q.q : q.cat,
                 h.mode ? " (" : "", h.mode ? h.mode : "", h.mode ? " search)" : "");
    else if (!unsupported)
        html_raw(o, wrc, "Type to search titles, abstracts and authors.");
    html_raw(o, wrc, "</p>\n<div id=\"results\">\n");
    if (unsupported) {
        html_raw(o, wrc,
                 "<div class=\"empty\"><h2>Search is not ready yet</h2><p>This server "
                 "has no search index yet. Build it with <code>paperboy reindex</code>; "
                 "meanwhile browse the <a href=\"/\">daily lists</a>.</p></div>\n");
    } else if (searched && h.n == 0) {
        html_raw(o, wrc,
                 "<div class=\"empty\"><h2>No papers match</h2><p class=\"help\">Try "
                 "fewer or more general words, check the spelling, widen the date range "
                 "or clear the category filter.</p>");
        search_help(o, wrc);
        html_raw(o, wrc, "</div>\n");
    } else if (searched) {
        const char *terms[16];
        size_t nt = web_query_terms(r->arena, q.q, terms, 16);
        html_raw(o, wrc, "<ol class=\"cards\">\n");
        for (size_t i = 0; i < h.n; i++)
            render_card(r, &h.items[i], terms, nt);
        html_raw(o, wrc, "</ol>\n");
        struct web_list l = {.n = h.n, .total = h.total, .page = q.page};
        l.pages = h.total ? (h.total + q.per - 1) / q.per : 1;
        if (h.more && l.pages <= q.page)
            l.pages = q.page + 1;
        struct buf base;
        buf_init(&base, 8192);
        int brc = 0;
        buf_puts(&base, &brc, "/search?q=");
        html_url(&base, &brc, q.q, strlen(q.q), 0);
        if (q.cat[0]) {
            buf_puts(&base, &brc, "&cat=");
            html_url(&base, &brc, q.cat, strlen(q.cat), 0);
        }
        if (q.from[0])
            buf_putf(&base, &brc, "&from=%s", q.from);
        if (q.to[0])
            buf_putf(&base, &brc, "&to=%s", q.to);
        if (q.mode[0])
            buf_putf(&base, &brc, "&mode=%s", q.mode);
        render_pager(r, &l, buf_cstr(&base), NULL);
        buf_cleanup(&base);
    } else {
        html_raw(o, wrc, "<div class=\"empty\"><h2>How to search</h2>");
        search_help(o, wrc);
        html_raw(o, wrc, "</div>\n");
    }
    html_raw(o, wrc, "</div>\n");
    web_hits_free(&h);
    return layout_end(r);
}
