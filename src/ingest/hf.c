/*
 * hf.c - Hugging Face daily papers (/api/daily_papers).
 *
 * Format: a JSON array of items
 *   {"paper":{"id":"2410.17243","authors":[{"name":"Zesen Cheng",..}],
 *             "publishedAt":"2024-10-22T17:59:30.000Z","title":..,
 *             "summary":..,"upvotes":64,..},
 *    "publishedAt":"2024-10-25T00:57:09.392Z","title":..,"thumbnail":..,
 *    "numComments":3,"submittedBy":{"name":"ClownRat","fullname":..,..},..}
 * Also accepted: one item object alone, or items as JSON lines (or any
 * whitespace-separated sequence of items).
 *
 * Each item becomes a struct paper (id, title, abstract from summary,
 * authors from paper.authors[].name, created = paper.publishedAt,
 * latest_version 0) and a struct daily_entry (day = the date of the item's
 * own publishedAt, i.e. the list it was put on; upvotes from the paper,
 * numComments, submittedBy's user and display names, source "hf"). An item
 * without a usable top-level publishedAt still yields its paper, with no
 * daily entry.
 *
 * Streaming: the document is never loaded whole. A byte-level scanner
 * follows strings (with escapes) and bracket depth to cut the top-level
 * array (or sequence) into items; each item is collected in a struct buf
 * capped at HF_MAX_ITEM and parsed alone with cJSON. where = the item's
 * 1-based number. An array that is not closed at the end of input is
 * reported as truncated (ERR_TRUNCATED), after the items before it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/authors_int.h"
#include "ingest/json_util.h"
#include "ingest/normalize.h"
#include "ingest/reader.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/text_fold.h"

/* Real items are 5-50 KiB (author objects carry avatars and user records). */
#define HF_MAX_ITEM (4u << 20)
#define HF_CHUNK (1u << 16)

/* ------------------------------------------------------------------ */
/* One item                                                            */
/* ------------------------------------------------------------------ */

static void add_authors(struct paper *p, const cJSON *list)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, list)
    {
        const char *name = json_str(a, "name");
        if (!name)
            continue;
        char *u = json_utf8_dup(name, strlen(name));
        authors_add_name(p, u, strlen(u), NULL);
        free(u);
    }
}

static int hf_fill(const cJSON *item, struct paper *p, struct daily_entry *d, int *has_daily,
                   char *why, size_t why_len)
{
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(item, "paper");
    if (!cJSON_IsObject(pp)) {
        snprintf(why, why_len, "missing \"paper\" object");
        return ERR_PARSE;
    }
    const cJSON *idv = cJSON_GetObjectItemCaseSensitive(pp, "id");
    if (json_arxiv_id(idv, "paper.id", &p->id, why, why_len) != 0)
        return ERR_PARSE;
    const char *title = json_str(pp, "title");
    if (!title)
        title = json_str(item, "title");
    if (!title) {
        snprintf(why, why_len, "missing \"title\"");
        return ERR_PARSE;
    }
    p->title_raw = json_utf8_dup(title, strlen(title));
    p->title = text_fold(p->title_raw, strlen(p->title_raw));
    const char *summary = json_str(pp, "summary");
    if (summary) {
        p->abstract_raw = json_utf8_dup(summary, strlen(summary));
        p->abstract = text_fold(p->abstract_raw, strlen(p->abstract_raw));
    }
    const cJSON *authors = cJSON_GetObjectItemCaseSensitive(pp, "authors");
    if (cJSON_IsArray(authors))
        add_authors(p, authors);
    const char *created = json_str(pp, "publishedAt");
    if (created)
        p->created = date_normalize(created, strlen(created));

    *has_daily = 0;
    const char *listed = json_str(item, "publishedAt");
    char *when = listed ? date_normalize(listed, strlen(listed)) : NULL;
    if (!when)
        return 0;
    d->paper_id = xstrdup(p->id);
    d->day = xstrndup(when, 10);
    d->published_at = when;
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(item, "submittedBy");
    d->submitter = json_dup_folded(by, "name");
    d->submitter_name = json_dup_folded(by, "fullname");
    d->title = json_dup_folded(item, "title");
    d->thumbnail = json_dup_folded(item, "thumbnail");
    d->upvotes = json_int(pp, "upvotes", 0);
    d->num_comments = json_int(item, "numComments", 0);
    d->source = xstrdup("hf");
    *has_daily = 1;
    return 0;
}

/* Parses item number no and hands it to the sink. Returns the sink's
 * non-zero answer, else 0 (a bad item is reported and skipped). */
static int hf_item(const char *p, size_t len, long no, const struct ingest_sink *sink)
{
    char why[160];
    cJSON *root = NULL;
    struct paper paper;
    struct daily_entry daily;
    int has_daily = 0;
    paper_init(&paper);
    daily_entry_init(&daily);
    int rc = json_parse_object(p, len, &root, why, sizeof why);
    if (rc == 0)
        rc = hf_fill(root, &paper, &daily, &has_daily, why, sizeof why);
    if (rc == 0) {
        struct ingest_record rec = {&paper, has_daily ? &daily : NULL, no};
        rc = sink->on_record(sink->ctx, &rec);
    } else {
        sink->on_error(sink->ctx, no, why);
        rc = 0;
    }
    cJSON_Delete(root);
    paper_cleanup(&paper);
    daily_entry_cleanup(&daily);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The scanner                                                         */
/* ------------------------------------------------------------------ */

enum hf_state {
    ST_START,   /* before the first value (a BOM and whitespace are skipped) */
    ST_A_VALUE, /* in the array, expecting an item or ']' */
    ST_A_ITEM,  /* in an array item; it ends at ',' or ']' at depth 0 */
    ST_A_END,   /* after the array's ']': only whitespace may follow */
    ST_S_IDLE,  /* sequence mode, between items */
    ST_S_ITEM   /* sequence mode, in an item */
};

struct hf_scan {
    const struct ingest_sink *sink;
    enum hf_state st;
    struct buf item;
    int overflow; /* the item passed HF_MAX_ITEM: skip it */
    int depth;    /* bracket depth inside the item */
    int in_str, esc;
    int container; /* sequence mode: the item began with '{' or '[' */
    long count;    /* items begun */
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void item_begin(struct hf_scan *s)
{
    buf_reset(&s->item);
    s->overflow = 0;
    s->depth = 0;
    s->in_str = s->esc = 0;
    s->count++;
}

static void item_append(struct hf_scan *s, const char *p, size_t n)
{
    if (!s->overflow && n && buf_append(&s->item, p, n) != 0)
        s->overflow = 1;
}

/* The item is complete: parse it (or report it too large). */
static int item_end(struct hf_scan *s)
{
    if (s->overflow) {
        char why[80];
        snprintf(why, sizeof why, "item too large (over %u MiB)", HF_MAX_ITEM >> 20);
        s->sink->on_error(s->sink->ctx, s->count, why);
        return 0;
    }
    return hf_item(s->item.p ? s->item.p : "", s->item.len, s->count, s->sink);
}

/* Updates string/depth tracking for byte c inside an item. Returns 1 when c
 * is structural at depth 0 (outside strings) and may end the item. */
static int track(struct hf_scan *s, char c)
{
    if (s->in_str) {
        if (s->esc)
            s->esc = 0;
        else if (c == '\\')
            s->esc = 1;
        else if (c == '"')
            s->in_str = 0;
        return 0;
    }
    switch (c) {
    case '"':
        s->in_str = 1;
        return 0;
    case '{':
    case '[':
        s->depth++;
        return 0;
    case '}':
    case ']':
        if (s->depth == 0)
            return 1;
        s->depth--;
        return s->depth == 0 ? 2 : 0;
    case ',':
        return s->depth == 0;
    default:
        return 0;
    }
}

/* Scans one chunk. Returns a sink's stop code, ERR_PARSE for data after
 * the array, or 0 to go on. */
static int scan_chunk(struct hf_scan *s, const char *buf, size_t n, uint64_t base)
{
    size_t seg = 0; /* where the current item's unappended bytes begin */
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        switch (s->st) {
        case ST_START:
            if (is_ws(c) || (base + i < 3 && (unsigned char)c == "\xEF\xBB\xBF"[base + i]))
                continue;
            if (c == '[') {
                s->st = ST_A_VALUE;
                continue;
            }
            s->st = ST_S_IDLE;
            /* fall through */
        case ST_S_IDLE:
            if (is_ws(c))
                continue;
            item_begin(s);
            s->container = c == '{' || c == '[';
            s->st = ST_S_ITEM;
            seg = i;
            /* fall through */
        case ST_S_ITEM:
            if (s->container ? track(s, c) == 2 : c == '\n') {
                item_append(s, buf + seg, i + (s->container ? 1 : 0) - seg);
                s->st = ST_S_IDLE;
                int rc = item_end(s);
                if (rc)
                    return rc;
            }
            continue;
        case ST_A_VALUE:
            if (is_ws(c))
                continue;
            if (c == ']') {
                s->st = ST_A_END;
                continue;
            }
            item_begin(s);
            s->st = ST_A_ITEM;
            seg = i;
            /* fall through */
        case ST_A_ITEM: {
            int t = track(s, c);
            if (t == 1 && (c == ',' || c == ']')) {
                item_append(s, buf + seg, i - seg);
                s->st = c == ',' ? ST_A_VALUE : ST_A_END;
                int rc = item_end(s);
                if (rc)
                    return rc;
            }
            continue;
        }
        case ST_A_END:
            if (is_ws(c))
                continue;
            {
                char why[120];
                snprintf(why, sizeof why, "unexpected data after the top-level array at byte %llu",
                         (unsigned long long)(base + i + 1));
                s->sink->on_error(s->sink->ctx, 0, why);
            }
            return ERR_PARSE;
        }
    }
    if (s->st == ST_A_ITEM || s->st == ST_S_ITEM)
        item_append(s, buf + seg, n - seg);
    return 0;
}

int hf_read(struct ingest_input *in, const struct ingest_sink *sink)
{
    struct hf_scan s;
    memset(&s, 0, sizeof s);
    s.sink = sink;
    s.st = ST_START;
    buf_init(&s.item, HF_MAX_ITEM);
    char *chunk = xmalloc(HF_CHUNK);
    uint64_t base = 0;
    int rc = 0;
    json_hooks_init();
    for (;;) {
        ssize_t got = ingest_input_read(in, chunk, HF_CHUNK);
        if (got < 0) {
            char why[160];
            if (got == ERR_TRUNCATED)
                snprintf(why, sizeof why,
                         "input truncated in item %ld (the compressed stream ends early)", s.count);
            else
                snprintf(why, sizeof why, "%s in item %ld", err_str((int)got), s.count);
            sink->on_error(sink->ctx, 0, why);
            rc = (int)got;
            break;
        }
        if (got == 0) {
            /* End of input: an item in progress is parsed as it is (a
             * truncated one fails to parse and is reported). */
            if (s.st == ST_A_ITEM || s.st == ST_S_ITEM)
                rc = item_end(&s);
            if (rc == 0 && (s.st == ST_A_VALUE || s.st == ST_A_ITEM)) {
                sink->on_error(sink->ctx, 0,
                               "the top-level array is not closed: the input ends early");
                rc = ERR_TRUNCATED;
            }
            break;
        }
        rc = scan_chunk(&s, chunk, (size_t)got, base);
        base += (uint64_t)got;
        if (rc)
            break;
    }
    free(chunk);
    buf_cleanup(&s.item);
    return rc;
}
