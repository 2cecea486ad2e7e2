/*
 * api.c - the JSON API under /api/ and its OpenAPI 3 document.
 *
 * Shapes follow Hugging Face's /api/daily_papers where they fit: a daily
 * item is {paper:{id, authors:[{name}], publishedAt, title, summary,
 * upvotes, categories}, publishedAt, title, numComments,
 * submittedBy:{name, fullname} | null, day}. A paper (/api/papers/{id}) is
 * the one JSON shape of a paper the project shares (store/paper_json.h,
 * also `paperboy show --json`). Errors are
 * {"status":N,"message":"..."} with the same HTTP status. Dates in daily
 * items are ISO 8601 UTC ("2024-10-22T17:59:30Z"; a bare day gets T00:00:00Z).
 *
 * web_openapi_json is written by hand; tests/integ/test_web.py checks that
 * its paths are exactly the api rows of the route table.
 */
#include <stdio.h>
#include <string.h>

#include "store/paper_json.h"
#include "util/err.h"
#include "util/jsonw.h"
#include "util/timeutil.h"
#include "web/web_int.h"

#define API_DEFAULT_LIMIT 50

int api_error(struct web_req *r, int status, const char *message)
{
    buf_reset(&r->body);
    r->status = status;
    r->no_cache = 1;
    r->content_type = "application/json; charset=utf-8";
    struct jsonw j;
    jsonw_init(&j, &r->body);
    jsonw_obj_begin(&j);
    jsonw_kv_int(&j, "status", status);
    jsonw_kv_str(&j, "message", message);
    jsonw_obj_end(&j);
    buf_puts(&r->body, &j.rc, "\n");
    return j.rc;
}

int api_not_found(struct web_req *r)
{
    return web_fail(r, 404, "No such API route; see /api/openapi.json.");
}

/* Writes an ISO 8601 instant from a stored day or instant. */
static void json_when(struct jsonw *j, const char *when)
{
    if (!when) {
        jsonw_null(j);
        return;
    }
    if (strlen(when) == 10) {
        char t[24];
        snprintf(t, sizeof t, "%sT00:00:00Z", when);
        jsonw_str(j, t);
    } else {
        jsonw_str(j, when);
    }
}

static void json_categories(struct jsonw *j, const char *cats)
{
    jsonw_arr_begin(j);
    const char *p = cats ? cats : "";
    while (*p) {
        while (*p == ' ')
            p++;
        const char *s = p;
        while (*p && *p != ' ')
            p++;
        if (p > s)
            jsonw_strn(j, s, (size_t)(p - s));
    }
    jsonw_arr_end(j);
}

static void json_authors(struct jsonw *j, const struct paper *p)
{
    jsonw_arr_begin(j);
    for (size_t i = 0; i < p->n_authors; i++) {
        jsonw_obj_begin(j);
        jsonw_kv_str(j, "name", p->authors[i].name);
        jsonw_obj_end(j);
    }
    jsonw_arr_end(j);
}

/* The paper object of a daily item (HF shape, plus categories). */
static void json_paper_short(struct jsonw *j, const struct paper *p, int upvotes)
{
    jsonw_obj_begin(j);
    jsonw_kv_str(j, "id", p->id);
    jsonw_key(j, "authors");
    json_authors(j, p);
    jsonw_key(j, "publishedAt");
    json_when(j, p->created);
    jsonw_kv_str(j, "title", p->title);
    jsonw_kv_str(j, "summary", p->abstract);
    jsonw_kv_int(j, "upvotes", upvotes);
    jsonw_key(j, "categories");
    json_categories(j, p->categories);
    jsonw_obj_end(j);
}

/* One Hugging Face-shaped daily item. */
static void json_daily_item(struct jsonw *j, const struct store_listing *l)
{
    const struct daily_entry *d = l->daily.paper_id ? &l->daily : NULL;
    jsonw_obj_begin(j);
    jsonw_key(j, "paper");
    json_paper_short(j, &l->paper, d ? d->upvotes : 0);
    jsonw_key(j, "publishedAt");
    json_when(j, d && d->published_at ? d->published_at : web_listing_day(l));
    jsonw_kv_str(j, "title", d && d->title ? d->title : l->paper.title);
    jsonw_kv_int(j, "numComments", d ? d->num_comments : 0);
    jsonw_key(j, "submittedBy");
    if (d && (d->submitter || d->submitter_name)) {
        jsonw_obj_begin(j);
        jsonw_kv_str(j, "name", d->submitter);
        jsonw_kv_str(j, "fullname", d->submitter_name ? d->submitter_name : d->submitter);
        jsonw_obj_end(j);
    } else {
        jsonw_null(j);
    }
    jsonw_kv_str(j, "day", web_listing_day(l));
    jsonw_obj_end(j);
}

static int json_begin(struct web_req *r)
{
    r->content_type = "application/json; charset=utf-8";
    return 0;
}

/* Answers with l as an array of daily-papers items (Hugging Face's shape)
 * and frees l. */
static int json_daily_list(struct web_req *r, struct web_list *l)
{
    json_begin(r);
    struct jsonw j;
    jsonw_init(&j, &r->body);
    jsonw_arr_begin(&j);
    for (size_t i = 0; i < l->n; i++)
        json_daily_item(&j, &l->items[i]);
    jsonw_arr_end(&j);
    buf_puts(&r->body, &j.rc, "\n");
    web_list_free(l);
    return j.rc;
}

int api_daily(struct web_req *r)
{
    const char *date = web_param(r, "date"), *week = web_param(r, "week"),
               *month = web_param(r, "month");
    if ((date != NULL) + (week != NULL) + (month != NULL) > 1)
        return web_fail(r, 400, "Give at most one of date, week and month.");
    long page, limit;
    if (web_param_int(r, "page", 1, 1, WEB_PAGE_MAX, &page))
        return web_fail(r, 400, "page must be a whole number from 1 to 10000.");
    if (web_param_int(r, "limit", API_DEFAULT_LIMIT, 1, WEB_API_LIMIT_MAX, &limit))
        return web_fail(r, 400, "limit must be a whole number from 1 to 100.");
    char from[11], to[11];
    int64_t t;
    if (date) {
        if (time_parse_day(date, &t))
            return web_fail(r, 400, "date must look like 2024-10-25.");
        time_format_day(t, from);
        memcpy(to, from, 11);
    } else if (week) {
        if (time_parse_week(week, &t))
            return web_fail(r, 400, "week must look like 2024-W43 (ISO 8601).");
        time_format_day(t, from);
        time_format_day(t + 6 * 86400, to);
    } else if (month) {
        if (time_parse_month(month, &t))
            return web_fail(r, 400, "month must look like 2024-10.");
        int y, m;
        time_to_civil(t, &y, &m, NULL, NULL, NULL, NULL);
        time_format_day(t, from);
        time_format_day(
            time_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1, 0, 0, 0) - 86400, to);
    } else {
        struct store *s;
        int rc = web_store(r, &s);
        if (rc)
            return rc;
        rc = store_latest_day(s, from);
        if (rc == ERR_NOT_FOUND) {
            json_begin(r);
            return buf_append_str(&r->body, "[]\n");
        }
        if (rc)
            return rc;
        memcpy(to, from, 11);
    }
    struct web_list l;
    int rc = web_list_range(r, from, to, (size_t)page, (size_t)limit, &l);
    if (rc)
        return rc;
    return json_daily_list(r, &l);
}

int api_trending(struct web_req *r)
{
    long page, limit;
    if (web_param_int(r, "page", 1, 1, WEB_PAGE_MAX, &page))
        return web_fail(r, 400, "page must be a whole number from 1 to 10000.");
    if (web_param_int(r, "limit", API_DEFAULT_LIMIT, 1, WEB_API_LIMIT_MAX, &limit))
        return web_fail(r, 400, "limit must be a whole number from 1 to 100.");
    struct web_list l;
    char latest[11];
    int rc = web_list_trending(r, (size_t)page, (size_t)limit, &l, latest);
    if (rc)
        return rc;
    return json_daily_list(r, &l);
}

int api_paper(struct web_req *r)
{
    char id[64];
    int canonical = 0;
    if (!web_arxiv_id(r->arg, r->arg_len, id, sizeof id, &canonical))
        return web_fail(r, 404, "Not an arXiv id (2410.17243 or hep-th/9901001).");
    if (!canonical)
        return web_redirect(r, arena_sprintf(r->arena, "/api/papers/%s", id), 1);
    struct store *s;
    int rc = web_store(r, &s);
    if (rc)
        return rc;
    struct paper p;
    paper_init(&p);
    rc = store_paper_get(s, id, &p);
    if (rc == ERR_NOT_FOUND) {
        paper_cleanup(&p);
        return web_fail(r, 404, "No paper with this id in the store.");
    }
    if (rc) {
        paper_cleanup(&p);
        return rc;
    }
    json_begin(r);
    struct jsonw j;
    jsonw_init(&j, &r->body);
    paper_json_write(&j, &p);
    buf_puts(&r->body, &j.rc, "\n");
    paper_cleanup(&p);
    return j.rc;
}

int api_openapi(struct web_req *r)
{
    json_begin(r);
    return buf_append_str(&r->body, web_openapi_json);
}

/* The OpenAPI 3.0 document: exactly the api rows of the route table. */
const char web_openapi_json[] =
    "{\n"
    "  \"openapi\": \"3.0.3\",\n"
    "  \"info\": {\n"
    "    \"title\": \"paperboy API\",\n"
    "    \"version\": \"1\",\n"
    "    \"description\": \"Read-only JSON API of a paperboy server: daily lists of papers (in "
    "the shape of Hugging Face's /api/daily_papers), single papers, search and trending. Errors "
    "are {status, message} with the same HTTP status.\"\n"
    "  },\n"
    "  \"paths\": {\n"
    "    \"/api/daily_papers\": {\n"
    "      \"get\": {\n"
    "        \"summary\": \"Papers of a day, an ISO week or a month (default: the latest day "
    "with papers), by upvotes within each day, newest day first.\",\n"
    "        \"parameters\": [\n"
    "          {\"name\": \"date\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"date\"}, \"example\": \"2024-10-25\"},\n"
    "          {\"name\": \"week\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"pattern\": \"^[0-9]{4}-W[0-9]{2}$\"}, \"example\": \"2024-W43\"},\n"
    "          {\"name\": \"month\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"pattern\": \"^[0-9]{4}-[0-9]{2}$\"}, \"example\": \"2024-10\"},\n"
    "          {\"$ref\": \"#/components/parameters/page\"},\n"
    "          {\"$ref\": \"#/components/parameters/limit\"}\n"
    "        ],\n"
    "        \"responses\": {\n"
    "          \"200\": {\"description\": \"The items.\", \"content\": {\"application/json\": "
    "{\"schema\": {\"type\": \"array\", \"items\": {\"$ref\": "
    "\"#/components/schemas/DailyItem\"}}}}},\n"
    "          \"400\": {\"$ref\": \"#/components/responses/Error\"}\n"
    "        }\n"
    "      }\n"
    "    },\n"
    "    \"/api/papers/{id}\": {\n"
    "      \"get\": {\n"
    "        \"summary\": \"One paper with everything the store knows, including versions."
    " Old-style ids contain a slash (hep-th/9901001) and may be sent as is.\",\n"
    "        \"parameters\": [{\"name\": \"id\", \"in\": \"path\", \"required\": true, "
    "\"schema\": {\"type\": \"string\"}, \"example\": \"2410.17243\"}],\n"
    "        \"responses\": {\n"
    "          \"200\": {\"description\": \"The paper.\", \"content\": {\"application/json\": "
    "{\"schema\": {\"$ref\": \"#/components/schemas/Paper\"}}}},\n"
    "          \"301\": {\"description\": \"A non-canonical id (with version or arXiv: "
    "prefix) redirects to the canonical URL.\"},\n"
    "          \"404\": {\"$ref\": \"#/components/responses/Error\"}\n"
    "        }\n"
    "      }\n"
    "    },\n"
    "    \"/api/search\": {\n"
    "      \"get\": {\n"
    "        \"summary\": \"Search titles, abstracts and authors.\",\n"
    "        \"parameters\": [\n"
    "          {\"name\": \"q\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"maxLength\": 300}},\n"
    "          {\"name\": \"cat\", \"in\": \"query\", \"schema\": {\"type\": \"string\"}, "
    "\"example\": \"cs.CL\"},\n"
    "          {\"name\": \"from\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"date\"}},\n"
    "          {\"name\": \"to\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"date\"}},\n"
    "          {\"name\": \"mode\", \"in\": \"query\", \"schema\": {\"type\": \"string\", "
    "\"enum\": [\"bm25\", \"dense\", \"hybrid\"]}},\n"
    "          {\"$ref\": \"#/components/parameters/page\"},\n"
    "          {\"$ref\": \"#/components/parameters/limit\"}\n"
    "        ],\n"
    "        \"responses\": {\n"
    "          \"200\": {\"description\": \"Results, best first.\", \"content\": "
    "{\"application/json\": {\"schema\": {\"$ref\": "
    "\"#/components/schemas/SearchResults\"}}}},\n"
    "          \"400\": {\"$ref\": \"#/components/responses/Error\"}\n"
    "        }\n"
    "      }\n"
    "    },\n"
    "    \"/api/trending\": {\n"
    "      \"get\": {\n"
    "        \"summary\": \"Daily-list papers of the last 7 days (up to the latest day in the "
    "store) by upvotes.\",\n"
    "        \"parameters\": [{\"$ref\": \"#/components/parameters/page\"}, {\"$ref\": "
    "\"#/components/parameters/limit\"}],\n"
    "        \"responses\": {\n"
    "          \"200\": {\"description\": \"The items.\", \"content\": {\"application/json\": "
    "{\"schema\": {\"type\": \"array\", \"items\": {\"$ref\": "
    "\"#/components/schemas/DailyItem\"}}}}}\n"
    "        }\n"
    "      }\n"
    "    },\n"
    "    \"/api/openapi.json\": {\n"
    "      \"get\": {\n"
    "        \"summary\": \"This document.\",\n"
    "        \"responses\": {\"200\": {\"description\": \"OpenAPI 3 document.\", \"content\": "
    "{\"application/json\": {}}}}\n"
    "      }\n"
    "    }\n"
    "  },\n"
    "  \"components\": {\n"
    "    \"parameters\": {\n"
    "      \"page\": {\"name\": \"page\", \"in\": \"query\", \"schema\": {\"type\": "
    "\"integer\", \"minimum\": 1, \"maximum\": 10000, \"default\": 1}},\n"
    "      \"limit\": {\"name\": \"limit\", \"in\": \"query\", \"schema\": {\"type\": "
    "\"integer\", \"minimum\": 1, \"maximum\": 100, \"default\": 50}}\n"
    "    },\n"
    "    \"responses\": {\n"
    "      \"Error\": {\"description\": \"An error.\", \"content\": {\"application/json\": "
    "{\"schema\": {\"$ref\": \"#/components/schemas/Error\"}}}}\n"
    "    },\n"
    "    \"schemas\": {\n"
    "      \"Error\": {\"type\": \"object\", \"required\": [\"status\", \"message\"], "
    "\"properties\": {\"status\": {\"type\": \"integer\"}, \"message\": {\"type\": "
    "\"string\"}}},\n"
    "      \"Author\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": "
    "\"string\"}}},\n"
    "      \"PaperShort\": {\"type\": \"object\", \"properties\": {\"id\": {\"type\": "
    "\"string\"}, \"authors\": {\"type\": \"array\", \"items\": {\"$ref\": "
    "\"#/components/schemas/Author\"}}, \"publishedAt\": {\"type\": \"string\", \"format\": "
    "\"date-time\", \"nullable\": true}, \"title\": {\"type\": \"string\"}, \"summary\": "
    "{\"type\": \"string\"}, \"upvotes\": {\"type\": \"integer\"}, \"categories\": {\"type\": "
    "\"array\", \"items\": {\"type\": \"string\"}}}},\n"
    "      \"DailyItem\": {\"type\": \"object\", \"properties\": {\"paper\": {\"$ref\": "
    "\"#/components/schemas/PaperShort\"}, \"publishedAt\": {\"type\": \"string\"}, \"title\": "
    "{\"type\": \"string\"}, \"numComments\": {\"type\": \"integer\"}, \"submittedBy\": "
    "{\"type\": \"object\", \"nullable\": true, \"properties\": {\"name\": {\"type\": "
    "\"string\"}, \"fullname\": {\"type\": \"string\"}}}, \"day\": {\"type\": \"string\", "
    "\"format\": \"date\"}}},\n"
    "      \"Paper\": {\"type\": \"object\", \"description\": \"The one JSON shape of a paper "
    "(also `paperboy show --json`); absent values are null.\", \"properties\": {\"id\": "
    "{\"type\": \"string\"}, \"title\": {\"type\": \"string\"}, \"title_raw\": {\"type\": "
    "\"string\"}, \"abstract\": {\"type\": \"string\"}, \"abstract_raw\": {\"type\": "
    "\"string\"}, \"authors\": {\"type\": \"array\", \"items\": {\"type\": \"object\", "
    "\"properties\": {\"name\": {\"type\": \"string\"}, \"last\": {\"type\": \"string\", "
    "\"nullable\": true}, \"first\": {\"type\": \"string\", \"nullable\": true}, \"suffix\": "
    "{\"type\": \"string\", \"nullable\": true}, \"affiliation\": {\"type\": \"string\", "
    "\"nullable\": true}}}}, \"authors_raw\": {\"type\": \"string\", \"nullable\": true}, "
    "\"primary_category\": {\"type\": \"string\", \"nullable\": true}, \"categories\": "
    "{\"type\": \"array\", \"items\": {\"type\": \"string\"}}, \"comments\": {\"type\": "
    "\"string\", \"nullable\": true}, \"journal_ref\": {\"type\": \"string\", \"nullable\": "
    "true}, \"doi\": {\"type\": \"string\", \"nullable\": true}, \"report_no\": {\"type\": "
    "\"string\", \"nullable\": true}, \"license\": {\"type\": \"string\", \"nullable\": true}, "
    "\"submitter\": {\"type\": \"string\", \"nullable\": true}, \"created\": {\"type\": "
    "\"string\", \"nullable\": true}, \"updated\": {\"type\": \"string\", \"nullable\": true}, "
    "\"latest_version\": {\"type\": \"integer\"}, \"versions\": {\"type\": \"array\", "
    "\"items\": {\"type\": \"object\", \"properties\": {\"version\": {\"type\": \"integer\"}, "
    "\"date\": {\"type\": \"string\", \"nullable\": true}, \"size\": {\"type\": \"string\", "
    "\"nullable\": true}}}}, \"links\": {\"type\": \"object\", \"additionalProperties\": "
    "{\"type\": \"string\", \"nullable\": true}}}},\n"
    "      \"SearchHit\": {\"type\": \"object\", \"properties\": {\"id\": {\"type\": "
    "\"string\"}, \"title\": {\"type\": \"string\"}, \"authors\": {\"type\": \"array\", "
    "\"items\": {\"$ref\": \"#/components/schemas/Author\"}}, \"snippet\": {\"type\": "
    "\"string\"}, \"categories\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}, "
    "\"day\": {\"type\": \"string\"}, \"upvotes\": {\"type\": \"integer\"}, \"numComments\": "
    "{\"type\": \"integer\"}, \"score\": {\"type\": \"number\"}}},\n"
    "      \"SearchResults\": {\"type\": \"object\", \"properties\": {\"query\": {\"type\": "
    "\"string\"}, \"mode\": {\"type\": \"string\"}, \"total\": {\"type\": \"integer\"}, "
    "\"page\": {\"type\": \"integer\"}, \"results\": {\"type\": \"array\", \"items\": {\"$ref\": "
    "\"#/components/schemas/SearchHit\"}}, \"more\": {\"type\": \"boolean\", "
    "\"description\": \"true when total is a lower bound\"}}}\n"
    "    }\n"
    "  }\n"
    "}\n";

int api_search(struct web_req *r)
{
    struct web_query q;
    if (web_query_read(r, &q, 20))
        return 0;
    struct web_hits h = {0};
    if (q.q[0] || q.cat[0]) {
        int rc = web_find(r, &q, &h);
        if (rc == ERR_UNSUPPORTED)
            return web_fail(r, 503, "Search is not available on this server yet (no index).");
        if (rc)
            return rc;
    }
    json_begin(r);
    struct jsonw j;
    jsonw_init(&j, &r->body);
    jsonw_obj_begin(&j);
    jsonw_kv_str(&j, "query", q.q);
    jsonw_kv_str(&j, "mode", h.mode ? h.mode : "bm25");
    jsonw_kv_int(&j, "total", (long long)h.total);
    jsonw_key(&j, "more");
    jsonw_bool(&j, h.more);
    jsonw_kv_int(&j, "page", (long long)q.page);
    jsonw_key(&j, "results");
    jsonw_arr_begin(&j);
    for (size_t i = 0; i < h.n; i++) {
        const struct store_listing *l = &h.items[i];
        const struct paper *p = &l->paper;
        jsonw_obj_begin(&j);
        jsonw_kv_str(&j, "id", p->id);
        jsonw_kv_str(&j, "title", p->title);
        jsonw_key(&j, "authors");
        json_authors(&j, p);
        jsonw_kv_str(&j, "snippet", web_snippet(r->arena, p->abstract, 320));
        jsonw_key(&j, "categories");
        json_categories(&j, p->categories);
        jsonw_kv_str(&j, "day", web_listing_day(l));
        jsonw_kv_int(&j, "upvotes", l->daily.paper_id ? l->daily.upvotes : 0);
        jsonw_kv_int(&j, "numComments", l->daily.paper_id ? l->daily.num_comments : 0);
        if (h.scores) {
            jsonw_key(&j, "score");
            jsonw_double(&j, h.scores[i]);
        }
        jsonw_obj_end(&j);
    }
    jsonw_arr_end(&j);
    jsonw_obj_end(&j);
    buf_puts(&r->body, &j.rc, "\n");
    web_hits_free(&h);
    return j.rc;
}
