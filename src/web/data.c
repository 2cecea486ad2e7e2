/*
 * data.c - the store as the pages see it (see web_int.h).
 *
 * Per-thread connections: struct store is not shared between threads, so
 * each libmicrohttpd pool thread opens its own read-only handle on first
 * use and keeps it in thread-specific data (web->store_key); the key's
 * destructor closes it when the thread exits (daemon shutdown).
 *
 * Listings: a paper's "day" is its daily-list day when it was on one (the
 * Hugging Face list), else the day of its first version (store.h). Day
 * navigation jumps to the nearest day that has papers (store_day_before,
 * store_day_after).
 *
 * Trending (until the Community issue brings votes and a real score): the
 * daily-list papers of the WEB_TRENDING_DAYS days ending at the latest day,
 * by upvotes, then id (store_list_trending).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"
#include "web/web_int.h"

int web_store(struct web_req *r, struct store **out)
{
    struct store *s = pthread_getspecific(r->web->store_key);
    if (!s) {
        int rc = store_open(r->web->cfg.db_path, 1, &s);
        if (rc)
            return rc;
        pthread_setspecific(r->web->store_key, s);
    }
    *out = s;
    return 0;
}

void web_list_free(struct web_list *l)
{
    if (l->items)
        store_listing_free(l->items, l->n);
    memset(l, 0, sizeof *l);
}

int web_list_range(struct web_req *r, const char *from, const char *to, size_t page, size_t per,
                   struct web_list *out)
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    if (page < 1)
        page = 1;
    struct web_list l;
    memset(&l, 0, sizeof l);
    rc = store_list_days(s, from, to, (page - 1) * per, per, &l.items, &l.n, &l.total);
    if (rc)
        return rc;
    l.page = page;
    l.pages = l.total ? (l.total + per - 1) / per : 1;
    *out = l;
    return 0;
}

int web_list_trending(struct web_req *r, size_t page, size_t per, struct web_list *out,
                      char latest[11])
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    char day[11] = "";
    rc = store_latest_day(s, day);
    if (rc == ERR_NOT_FOUND) {
        latest[0] = '\0';
        memset(out, 0, sizeof *out);
        out->page = out->pages = 1;
        return 0;
    }
    if (rc)
        return rc;
    int64_t t;
    if (time_parse_day(day, &t))
        return ERR_CORRUPT;
    char from[11];
    time_format_day(t - (int64_t)(WEB_TRENDING_DAYS - 1) * 86400, from);
    if (page < 1)
        page = 1;
    struct web_list l;
    memset(&l, 0, sizeof l);
    rc = store_list_trending(s, from, day, (page - 1) * per, per, &l.items, &l.n, &l.total);
    if (rc)
        return rc;
    l.page = page;
    l.pages = l.total ? (l.total + per - 1) / per : 1;
    memcpy(latest, day, 11);
    *out = l;
    return 0;
}

int web_day_neighbors(struct web_req *r, const char *day, char prev[11], char next[11])
{
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    char p[11] = "", n[11] = "";
    rc = store_day_before(s, day, p);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0)
        rc = store_day_after(s, day, n);
    if (rc == ERR_NOT_FOUND)
        rc = 0;
    if (rc)
        return rc;
    memcpy(prev, p, 11);
    memcpy(next, n, 11);
    return 0;
}

int web_paper_count(struct web_req *r, long *n)
{
    struct web *w = r->web;
    int64_t now = time_now();
    long c = atomic_load(&w->cached_papers);
    if (c >= 0 && now - atomic_load(&w->cached_papers_at) < 10) {
        *n = c;
        return 0;
    }
    struct store *s;
    int rc = web_store(r, &s);
    int64_t count = 0;
    if (rc == 0)
        rc = store_count_papers(s, &count);
    if (rc)
        return rc;
    atomic_store(&w->cached_papers, (long)count);
    atomic_store(&w->cached_papers_at, now);
    *n = (long)count;
    return 0;
}

const char *web_listing_day(const struct store_listing *l)
{
    if (l->day && *l->day)
        return l->day;
    if (l->daily.day)
        return l->daily.day;
    return l->paper.created;
}

const char *web_snippet(struct arena *a, const char *text, size_t max)
{
    if (!text)
        return NULL;
    size_t len = strlen(text);
    if (len <= max)
        return text;
    /* Cut at the last space before max, never inside a UTF-8 sequence. */
    size_t cut = max;
    while (cut > max / 2 && text[cut] != ' ')
        cut--;
    if (text[cut] != ' ') {
        cut = max;
        while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
            cut--;
    }
    while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == ',' || text[cut - 1] == '.' ||
                       text[cut - 1] == ';' || text[cut - 1] == ':'))
        cut--;
    char *s = arena_alloc(a, cut + 4);
    memcpy(s, text, cut);
    memcpy(s + cut, "\xe2\x80\xa6", 4); /* "…" and the NUL */
    return s;
}

const char *web_day_human(struct arena *a, const char *day, int style)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    static const char *const wdays[] = {"Thursday", "Friday",  "Saturday", "Sunday",
                                        "Monday",   "Tuesday", "Wednesday"};
    /* Accept "YYYY-MM-DD..." by looking at the first ten bytes. */
    int64_t t;
    char d10[11];
    if (!day || strlen(day) < 10)
        return day ? day : "";
    memcpy(d10, day, 10);
    d10[10] = '\0';
    if (time_parse_day(d10, &t))
        return day;
    int y, m, d;
    time_to_civil(t, &y, &m, &d, NULL, NULL, NULL);
    int64_t days = t / 86400;
    const char *wd = wdays[((days % 7) + 7) % 7];
    if (style == 1)
        return arena_sprintf(a, "%s, %s %d, %d", wd, months[m - 1], d, y);
    char mon[4];
    memcpy(mon, months[m - 1], 3);
    mon[3] = '\0';
    return arena_sprintf(a, "%s %d, %d", mon, d, y);
}

/* BibTeX: braces must balance inside a field; drop unbalanced ones. */
static void bib_value(struct buf *o, int *rc, const char *s)
{
    int depth = 0;
    for (const char *p = s; *p && *rc == 0; p++) {
        if (*p == '{') {
            const char *q = p + 1;
            int d = 1;
            while (*q && d) {
                if (*q == '{')
                    d++;
                else if (*q == '}')
                    d--;
                q++;
            }
            if (d) /* never closed */
                continue;
            depth++;
        } else if (*p == '}') {
            if (depth == 0)
                continue;
            depth--;
        }
        buf_put(o, rc, p, 1);
    }
}

/* The citation key: first author's last name, year, first title word. */
static void bib_key(struct buf *o, int *rc, const struct paper *p, const char *year)
{
    const char *last = NULL;
    if (p->n_authors > 0) {
        last = p->authors[0].last;
        if (!last || !*last) {
            const char *name = p->authors[0].name ? p->authors[0].name : "";
            const char *sp = strrchr(name, ' ');
            last = sp ? sp + 1 : name;
        }
    }
    size_t before = o->len;
    for (const char *c = last ? last : ""; *c; c++)
        if (isalpha((unsigned char)*c))
            buf_putf(o, rc, "%c", tolower((unsigned char)*c));
    if (o->len == before)
        buf_puts(o, rc, "arxiv");
    buf_puts(o, rc, year);
    const char *t = p->title ? p->title : "";
    /* First title word of 3+ letters. */
    while (*t) {
        while (*t && !isalpha((unsigned char)*t))
            t++;
        const char *w = t;
        while (*t && isalpha((unsigned char)*t))
            t++;
        if (t - w >= 3) {
            for (const char *c = w; c < t; c++)
                buf_putf(o, rc, "%c", tolower((unsigned char)*c));
            break;
        }
    }
}

void web_bibtex(struct buf *o, int *rc, const struct paper *p)
{
    char year[5] = "";
    const char *when = p->created ? p->created : p->updated;
    if (when && strlen(when) >= 4 && isdigit((unsigned char)when[0]))
        memcpy(year, when, 4);
    buf_puts(o, rc, p->doi ? "@article{" : "@misc{");
    bib_key(o, rc, p, year);
    buf_puts(o, rc, ",\n  title         = {");
    bib_value(o, rc, p->title ? p->title : p->id);
    buf_puts(o, rc, "},\n  author        = {");
    if (p->n_authors > 0) {
        for (size_t i = 0; i < p->n_authors; i++) {
            if (i)
                buf_puts(o, rc, " and ");
            const struct paper_author *a = &p->authors[i];
            if (a->last && a->first && *a->first) {
                bib_value(o, rc, a->last);
                buf_puts(o, rc, ", ");
                bib_value(o, rc, a->first);
            } else {
                bib_value(o, rc, a->name ? a->name : "");
            }
        }
    } else if (p->authors_raw) {
        bib_value(o, rc, p->authors_raw);
    }
    buf_puts(o, rc, "},\n");
    if (*year)
        buf_putf(o, rc, "  year          = {%s},\n", year);
    buf_puts(o, rc, "  eprint        = {");
    bib_value(o, rc, p->id);
    buf_puts(o, rc, "},\n  archivePrefix = {arXiv},\n");
    if (p->primary_category) {
        buf_puts(o, rc, "  primaryClass  = {");
        bib_value(o, rc, p->primary_category);
        buf_puts(o, rc, "},\n");
    }
    if (p->journal_ref) {
        buf_puts(o, rc, "  journal       = {");
        bib_value(o, rc, p->journal_ref);
        buf_puts(o, rc, "},\n");
    }
    if (p->doi) {
        buf_puts(o, rc, "  doi           = {");
        bib_value(o, rc, p->doi);
        buf_puts(o, rc, "},\n");
    }
    buf_puts(o, rc, "  url           = {https://arxiv.org/abs/");
    bib_value(o, rc, p->id);
    buf_puts(o, rc, "}\n}\n");
}
