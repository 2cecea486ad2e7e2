/* paper_json.c - a paper as JSON (see paper_json.h). */
#include "store/paper_json.h"

#include <string.h>

static void write_categories(struct jsonw *w, const char *cats)
{
    jsonw_arr_begin(w);
    const char *p = cats ? cats : "";
    while (*p) {
        while (*p == ' ')
            p++;
        const char *start = p;
        while (*p && *p != ' ')
            p++;
        if (p > start)
            jsonw_strn(w, start, (size_t)(p - start));
    }
    jsonw_arr_end(w);
}

void paper_json_write(struct jsonw *w, const struct paper *p)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "id", p->id);
    jsonw_kv_str(w, "title", p->title);
    jsonw_kv_str(w, "title_raw", p->title_raw);
    jsonw_kv_str(w, "abstract", p->abstract);
    jsonw_kv_str(w, "abstract_raw", p->abstract_raw);
    jsonw_key(w, "authors");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < p->n_authors; i++) {
        const struct paper_author *a = &p->authors[i];
        jsonw_obj_begin(w);
        jsonw_kv_str(w, "name", a->name);
        jsonw_kv_str(w, "last", a->last);
        jsonw_kv_str(w, "first", a->first);
        jsonw_kv_str(w, "suffix", a->suffix);
        jsonw_kv_str(w, "affiliation", a->affiliation);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_kv_str(w, "authors_raw", p->authors_raw);
    jsonw_kv_str(w, "primary_category", p->primary_category);
    jsonw_key(w, "categories");
    write_categories(w, p->categories);
    jsonw_kv_str(w, "comments", p->comments);
    jsonw_kv_str(w, "journal_ref", p->journal_ref);
    jsonw_kv_str(w, "doi", p->doi);
    jsonw_kv_str(w, "report_no", p->report_no);
    jsonw_kv_str(w, "license", p->license);
    jsonw_kv_str(w, "submitter", p->submitter);
    jsonw_kv_str(w, "created", p->created);
    jsonw_kv_str(w, "updated", p->updated);
    jsonw_kv_int(w, "latest_version", p->latest_version);
    jsonw_key(w, "versions");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < p->n_versions; i++) {
        jsonw_obj_begin(w);
        jsonw_kv_int(w, "version", p->versions[i].num);
        jsonw_kv_str(w, "date", p->versions[i].date);
        jsonw_kv_str(w, "size", p->versions[i].size);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_key(w, "links");
    jsonw_obj_begin(w);
    struct buf u;
    buf_init(&u, 512);
    int rc = 0;
    buf_putf(&u, &rc, "https://arxiv.org/abs/%s", p->id ? p->id : "");
    jsonw_kv_str(w, "abs", buf_cstr(&u));
    buf_reset(&u);
    buf_putf(&u, &rc, "https://arxiv.org/pdf/%s", p->id ? p->id : "");
    jsonw_kv_str(w, "pdf", buf_cstr(&u));
    buf_reset(&u);
    if (p->doi) {
        buf_putf(&u, &rc, "https://doi.org/%s", p->doi);
        jsonw_kv_str(w, "doi", buf_cstr(&u));
    } else {
        jsonw_kv_str(w, "doi", NULL);
    }
    buf_cleanup(&u);
    jsonw_obj_end(w);
    jsonw_obj_end(w);
}
