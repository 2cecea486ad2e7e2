/*
 * store_seq.c - the change counter the derived indexes sync from (see
 * store.h and schema_v2 in store_schema.c).
 *
 * store_paper_each_changed() first reads the (id, seq) pairs of the changed
 * papers into memory (16 bytes per paper) and ends that statement, then
 * loads each paper with store_paper_get_by_rowid(), so no read transaction
 * spans the caller's work.
 */
#include <stdlib.h>

#include "store/store_int.h"
#include "util/err.h"
#include "util/mem.h"

int store_seq_max(struct store *s, int64_t *seq)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(seq), 0) FROM papers", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_db(s, rc, "reading the change counter");
    rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(st, 0);
    else
        out = store_fail_db(s, rc, "reading the change counter");
    sqlite3_finalize(st);
    return out;
}

int store_paper_each_changed(struct store *s, int64_t after_seq, store_paper_seq_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT id, seq FROM papers WHERE seq > ?1 ORDER BY seq",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_fail_db(s, rc, "listing changed papers");
    sqlite3_bind_int64(st, 1, after_seq);
    int64_t(*ids)[2] = NULL;
    size_t n = 0, cap = 0;
    int out = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            ids = xrealloc(ids, cap * sizeof *ids);
        }
        ids[n][0] = sqlite3_column_int64(st, 0);
        ids[n][1] = sqlite3_column_int64(st, 1);
        n++;
    }
    if (rc != SQLITE_DONE)
        out = store_fail_db(s, rc, "listing changed papers");
    sqlite3_finalize(st);
    for (size_t i = 0; i < n && out == 0; i++) {
        struct paper p;
        paper_init(&p);
        int r = store_paper_get_by_rowid(s, ids[i][0], &p);
        if (r == 0)
            out = fn(ctx, ids[i][0], ids[i][1], &p);
        else if (r != ERR_NOT_FOUND)
            out = r;
        paper_cleanup(&p);
    }
    free(ids);
    return out;
}
