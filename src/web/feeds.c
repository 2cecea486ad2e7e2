/*
 * feeds.c - Atom 1.0 feeds (RFC 4287): daily, trending and search.
 *
 * Each feed has the required feed elements (id, title, updated), a feed
 * author (so entries without authors stay valid, RFC 4287 4.1.1), a
 * self link and an alternate link to the HTML page. Each entry has id,
 * title, updated, published, an alternate link, its authors, categories
 * and the abstract as a text summary. Ids: entries use the paper's arXiv
 * abstract URL (permanent and unique per paper); feeds use
 * "urn:paperboy:feed:<name>". Dates are RFC 3339 (a bare day gets
 * T00:00:00Z). Text goes through the HTML writer, whose escaping is also
 * valid XML character data. Links are absolute, from cfg.base_url.
 */
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"
#include "web/web_int.h"

#define FEED_ENTRIES 50
#define FEED_AUTHORS 25

/* An RFC 3339 date-time from a stored day or instant. */
static const char *rfc3339(struct web_req *r, const char *when)
{
    if (!when || !*when)
        return "1970-01-01T00:00:00Z";
    if (strlen(when) == 10)
        return arena_sprintf(r->arena, "%sT00:00:00Z", when);
    return when;
}

static const char *base_url(const struct web_req *r)
{
    return r->web->cfg.base_url;
}

static void feed_begin(struct web_req *r, const char *id, const char *title, const char *updated,
                       const char *self_path, const char *html_path)
{
    struct buf *o = &r->body;
    int *rc = &r->wrc;
    r->content_type = "application/atom+xml; charset=utf-8";
    html_raw(o, rc,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    html_fmt(o, rc, "  <id>%s</id>\n  <title>%s</title>\n  <updated>%s</updated>\n", id, title,
             updated);
    html_fmt(o, rc, "  <link rel=\"self\" type=\"application/atom+xml\" href=\"%s%s\"/>\n",
             base_url(r), self_path);
    html_fmt(o, rc, "  <link rel=\"alternate\" type=\"text/html\" href=\"%s%s\"/>\n", base_url(r),
             html_path);
    html_raw(o, rc,
             "  <author><name>paperboy</name></author>\n"
             "  <generator>paperboy</generator>\n");
}

static void feed_entry(struct web_req *r, const struct store_listing *l)
{
    struct buf *o = &r->body;
    int *rc = &r->wrc;
    const struct paper *p = &l->paper;
    html_raw(o, rc, "  <entry>\n");
    html_fmt(o, rc, "    <id>https://arxiv.org/abs/%s</id>\n", p->id);
    html_fmt(o, rc, "    <title>%s</title>\n", p->title ? p->title : p->id);
    const char *updated = p->updated ? p->updated : (p->created ? p->created : web_listing_day(l));
    html_fmt(o, rc, "    <updated>%s</updated>\n", rfc3339(r, updated));
    if (p->created)
        html_fmt(o, rc, "    <published>%s</published>\n", rfc3339(r, p->created));
    html_fmt(o, rc, "    <link rel=\"alternate\" type=\"text/html\" href=\"%s/papers/%s\"/>\n",
             base_url(r), p->id);
    html_fmt(o, rc,
             "    <link rel=\"related\" type=\"text/html\" "
             "href=\"https://arxiv.org/abs/%s\"/>\n",
             p->id);
    for (size_t i = 0; i < p->n_authors && i < FEED_AUTHORS; i++)
        html_fmt(o, rc, "    <author><name>%s</name></author>\n", p->authors[i].name);
    if (p->n_authors > FEED_AUTHORS)
        html_raw(o, rc, "    <author><name>et al.</name></author>\n");
    const char *c = p->categories ? p->categories : "";
    while (*c) {
        while (*c == ' ')
            c++;
        const char *s = c;
        while (*c && *c != ' ')
            c++;
        if (c > s) {
            html_raw(o, rc, "    <category term=\"");
            html_textn(o, rc, s, (size_t)(c - s));
            html_raw(o, rc, "\"/>\n");
        }
    }
    html_fmt(o, rc, "    <summary type=\"text\">%s</summary>\n", p->abstract ? p->abstract : "");
    html_raw(o, rc, "  </entry>\n");
}

static void feed_end(struct web_req *r)
{
    html_raw(&r->body, &r->wrc, "</feed>\n");
}

/* The feed's updated: the newest entry's, else the given day, else the epoch. */
static const char *feed_updated(struct web_req *r, const struct web_list *l, const char *day)
{
    const char *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct paper *p = &l->items[i].paper;
        const char *u = rfc3339(r, p->updated ? p->updated : p->created);
        if (!best || strcmp(u, best) > 0)
            best = u;
    }
    if (best)
        return best;
    return rfc3339(r, day && *day ? day : NULL);
}

int feed_daily(struct web_req *r)
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    char day[11] = "";
    rc = store_latest_day(s, day);
    struct web_list l = {0};
    if (rc == 0)
        rc = web_list_range(r, day, day, 1, FEED_ENTRIES, &l);
    else if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc)
        return rc;
    const char *title = day[0] ? arena_sprintf(r->arena, "paperboy: daily papers, %s",
                                               web_day_human(r->arena, day, 0))
                               : "paperboy: daily papers";
    feed_begin(r, "urn:paperboy:feed:daily", title, feed_updated(r, &l, day), "/feeds/daily.atom",
               "/");
    for (size_t i = 0; i < l.n; i++)
        feed_entry(r, &l.items[i]);
    feed_end(r);
    web_list_free(&l);
    return 0;
}

int feed_trending(struct web_req *r)
{
    struct web_list l;
    char latest[11];
    int rc = web_list_trending(r, 1, FEED_ENTRIES, &l, latest);
    if (rc)
        return rc;
    feed_begin(r, "urn:paperboy:feed:trending", "paperboy: trending papers",
               feed_updated(r, &l, latest), "/feeds/trending.atom", "/papers/trending");
    for (size_t i = 0; i < l.n; i++)
        feed_entry(r, &l.items[i]);
    feed_end(r);
    web_list_free(&l);
    return 0;
}

int feed_search(struct web_req *r)
{
    struct web_query q;
    int rc = web_query_read(r, &q, FEED_ENTRIES);
    if (rc)
        return 0; /* r holds the 400 */
    struct web_hits h = {0};
    if (q.q[0] || q.cat[0]) {
        rc = web_find(r, &q, &h);
        if (rc == ERR_UNSUPPORTED)
            return web_fail(r, 503, "Search is not available on this server yet.");
        if (rc)
            return rc;
    }
    struct buf enc;
    buf_init(&enc, 4096);
    int erc = 0;
    buf_puts(&enc, &erc, "q=");
    html_url(&enc, &erc, q.q, strlen(q.q), 0);
    if (q.cat[0]) {
        buf_puts(&enc, &erc, "&cat=");
        html_url(&enc, &erc, q.cat, strlen(q.cat), 0);
    }
    const char *title =
        q.cat[0] ? arena_sprintf(r->arena, "paperboy: search for \"%s\" in %s", q.q, q.cat)
                 : arena_sprintf(r->arena, "paperboy: search for \"%s\"", q.q);
    const char *id = arena_sprintf(r->arena, "urn:paperboy:feed:search:%s", buf_cstr(&enc));
    const char *self = arena_sprintf(r->arena, "/feeds/search.atom?%s", buf_cstr(&enc));
    const char *html = arena_sprintf(r->arena, "/search?%s", buf_cstr(&enc));
    buf_cleanup(&enc);
    struct web_list l = {.items = h.items, .n = h.n};
    feed_begin(r, id, title, feed_updated(r, &l, NULL), self, html);
    for (size_t i = 0; i < h.n; i++)
        feed_entry(r, &h.items[i]);
    feed_end(r);
    web_hits_free(&h);
    return erc;
}
