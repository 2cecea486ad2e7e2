/*
 * cmd_show.c - `paperboy show [--db FILE] [--json] ID`
 *
 * ID may be any form arXiv ids come in (with version, arXiv: prefix, abs
 * URL); it is normalised first. Text output is for people; --json is the
 * shape of store/paper_json.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ingest/normalize.h"
#include "store/paper_json.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/jsonw.h"

static const struct cli_opt opts[] = {
    {"db", "FILE", "database file (default data/paperboy.db)"},
    {"json", NULL, "print JSON"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])
static const char usage[] = "[--db FILE] [--json] ID";

static void print_text(const struct paper *p)
{
    printf("%s\n%s\n\n", p->id, p->title ? p->title : "(no title)");
    printf("Authors:    ");
    for (size_t i = 0; i < p->n_authors; i++)
        printf("%s%s", i ? ", " : "", p->authors[i].name ? p->authors[i].name : "?");
    if (p->n_authors == 0 && p->authors_raw)
        printf("%s", p->authors_raw);
    printf("\n");
    if (p->categories)
        printf("Categories: %s\n", p->categories);
    if (p->created)
        printf("Submitted:  %s\n", p->created);
    if (p->updated)
        printf("Updated:    %s\n", p->updated);
    for (size_t i = 0; i < p->n_versions; i++)
        printf("  v%d        %s%s%s\n", p->versions[i].num,
               p->versions[i].date ? p->versions[i].date : "(date unknown)",
               p->versions[i].size ? "  " : "", p->versions[i].size ? p->versions[i].size : "");
    if (p->comments)
        printf("Comments:   %s\n", p->comments);
    if (p->journal_ref)
        printf("Journal:    %s\n", p->journal_ref);
    if (p->doi)
        printf("DOI:        %s\n", p->doi);
    if (p->report_no)
        printf("Report-no:  %s\n", p->report_no);
    if (p->license)
        printf("License:    %s\n", p->license);
    printf("Links:      https://arxiv.org/abs/%s\n", p->id);
    if (p->abstract)
        printf("\n%s\n", p->abstract);
}

int cmd_show(int argc, char **argv)
{
    struct cli_args a;
    int rc = cli_args_parse("show", usage, opts, N_OPTS, argc, argv, &a);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (a.n_pos != 1) {
        fprintf(stderr, "paperboy show: expected one arXiv id\n");
        cli_usage(stderr, "show", usage, opts, N_OPTS);
        return 2;
    }
    char *id = NULL;
    if (arxiv_id_parse(a.pos[0], strlen(a.pos[0]), &id, NULL) != 0)
        id = strdup(a.pos[0]); /* not arXiv-shaped: look it up as given */
    const char *db = cli_get(&a, opts, N_OPTS, "db", CLI_DEFAULT_DB);
    struct store *s = NULL;
    rc = store_open(db, 1, &s);
    if (rc) {
        fprintf(stderr, "paperboy show: cannot open database %s: %s\n", db, err_str(rc));
        free(id);
        return 1;
    }
    struct paper p;
    paper_init(&p);
    rc = store_paper_get(s, id, &p);
    int status = 0;
    if (rc == ERR_NOT_FOUND) {
        fprintf(stderr, "paperboy show: no paper %s in %s\n", id, db);
        status = 1;
    } else if (rc) {
        fprintf(stderr, "paperboy show: %s: %s\n", err_str(rc), store_errmsg(s));
        status = 1;
    } else if (cli_get(&a, opts, N_OPTS, "json", NULL)) {
        struct buf b;
        buf_init(&b, 0);
        struct jsonw w;
        jsonw_init(&w, &b);
        paper_json_write(&w, &p);
        printf("%s\n", buf_cstr(&b));
        buf_cleanup(&b);
    } else {
        print_text(&p);
    }
    paper_cleanup(&p);
    store_close(s);
    free(id);
    return status;
}
