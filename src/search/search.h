/*
 * search.h - the search facade: a parsed query in, ranked papers out.
 *
 * Two layers:
 *
 * 1. Plans (no store needed). search_plan_build() maps a struct
 *    search_query (query.h) onto one struct index_query (index/index.h),
 *    running the index's analyzer over every term:
 *
 *      free words          SHOULD clauses on BODY (title + abstract), weight
 *                          1, plus, when opts.title_weight > 0, SHOULD
 *                          clauses on TITLE with that weight; a word typed
 *                          twice gets twice the weight (as Anserini's
 *                          bag-of-words query)
 *      "a phrase"          a phrase constraint on BODY (its non-joined
 *                          tokens at their relative positions) plus its
 *                          words as SHOULD clauses; one token: a MUST clause
 *      ti:/abs:/au: word   a MUST clause on TITLE/BODY/AUTHORS; a word that
 *                          analyzes to several tokens: a compound ("GPT-4")
 *                          requires its joined form ("gpt4"), anything else
 *                          becomes a phrase; its tokens also score
 *      ti:"a phrase"       a phrase constraint on that field plus SHOULDs
 *      -word               a MUST_NOT clause (a compound: on its joined form)
 *      -"a phrase"         an excluded phrase (the index query's
 *                          not_phrases): every document holding it is
 *                          refused, checked by the index on each candidate
 *                          (one token: a MUST_NOT clause, as -word)
 *      cat:X               the filter's category list (OR-ed); X without a
 *                          '.' (an archive: "cs", "hep-th") also admits X.*
 *      -cat:X              a MUST_NOT clause on CATEGORY (exact: the
 *                          category's postings); a bare archive also
 *                          refuses X.* (the filter's not_categories, checked
 *                          on each candidate's categories)
 *      since:/until:       the filter's date range (first-version date)
 *
 *    Limits: past INDEX_MAX_CLAUSES clauses the title-boost clauses go first,
 *    then the latest SHOULD clauses; past INDEX_MAX_PHRASES phrases the rest
 *    are dropped; a phrase longer than INDEX_MAX_PHRASE_TERMS tokens is
 *    constrained on its first ones. search_plan_text() is the plain
 *    bag-of-words plan used by `paperboy eval` (no syntax at all).
 *    Exclusions are exact: no cap on how many documents one refuses.
 *
 * 2. The facade (struct search) over a store and its index: search_run()
 *    returns the top k papers, loaded from the store, in this order:
 *      a. pinned arXiv ids (query.h), in the order typed, when stored;
 *      b. papers whose title equals the query's free text (same analyzed
 *         tokens at the same relative positions) and that pass its filters
 *         and exclusions;
 *      c. the rest by BM25 score (desc), then rowid (asc).
 *    A paper appears once. Scores are the BM25 scores of the text query
 *    (0 for a pinned paper the text query did not find).
 *
 * Threads: a struct search holds one analyzer and one store connection: use
 * one per thread. Plans are immutable once built (searching is read-only).
 */
#ifndef PAPERBOY_SEARCH_SEARCH_H
#define PAPERBOY_SEARCH_SEARCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "index/index.h"
#include "search/query.h"
#include "store/paper.h"
#include "store/store.h"
#include "text/analyzer.h"

/* Ranking knobs, chosen on SciFact train (bench/RESULTS.md). */
struct search_opts {
    float k1, b;        /* BM25 */
    float title_weight; /* weight of the extra TITLE clauses; 0 = none */
};

/* Writes the defaults into *o. */
void search_opts_default(struct search_opts *o /* OUT */);

/* ------------------------------------------------------------------ */
/* Plans                                                               */

struct search_plan;

/* Builds the index query for q (see above) with analyzer a (made with the
 * index's analyzer options). s, the snapshot the plan is for, is not read
 * (exclusions are no longer searched ahead: the index checks them) and
 * may be NULL. Never fails on odd queries: what cannot be expressed is
 * dropped; returns 0. The caller frees the plan with search_plan_free(). */
int search_plan_build(struct text_analyzer *a, const struct index_snapshot *s,
                      const struct search_query *q, const struct search_opts *o,
                      struct search_plan **out /* OUT */);

/* A bag-of-words plan: every token of (p, len) as a SHOULD clause (plus
 * title boosts), no syntax, no filters. Always succeeds. */
void search_plan_text(struct text_analyzer *a, const char *p, size_t len,
                      const struct search_opts *o, struct search_plan **out /* OUT */);

/* The index query the plan holds (owned by the plan). */
const struct index_query *search_plan_query(const struct search_plan *pl);

/* True when the plan can match anything: it has a positive clause, a
 * phrase, or a filter (category or date). A plan of only exclusions
 * selects nothing and search_run() does not run it. */
int search_plan_selects(const struct search_plan *pl);

/* Appends a readable rendering of the index query to b (for --explain and
 * tests): "+body:gpt4 body:model^1 -body:x -cat:cs phrase(body:a@0,b@1)
 * -phrase(body:c@0,d@1) cat:[cs.lg] date:[from,to] -cat:[cs.*]": clauses,
 * phrases, excluded phrases, categories, dates, excluded category
 * patterns. Returns 0 or ERR_TOO_LARGE. */
int search_plan_format(const struct search_plan *pl, struct buf *b);

void search_plan_free(struct search_plan *pl);

/* ------------------------------------------------------------------ */
/* The facade                                                          */

struct search;

/* Opens the store at db_path (read-only) and the lexical index in
 * index_dir. ERR_NOT_FOUND (with the reason in why) when either is
 * missing: the index is built by `paperboy reindex`. why: a buffer of
 * why_len bytes for a one-line reason, may be NULL. The caller closes with
 * search_close(). */
int search_open(const char *db_path, const char *index_dir, const struct search_opts *o,
                struct search **out /* OUT */, char *why, size_t why_len);
/* Closes everything; NULL does nothing. */
void search_close(struct search *s);

/* Why a paper is where it is in the result. */
enum search_why {
    SEARCH_WHY_TEXT = 0, /* ranked by score */
    SEARCH_WHY_ID = 1,   /* an arXiv id in the query */
    SEARCH_WHY_TITLE = 2 /* its title equals the query text */
};

struct search_hit {
    int64_t rowid;
    float score;
    enum search_why why;
    struct paper paper; /* loaded from the store; owned by the result */
};

struct search_result {
    struct search_hit *hits; /* n entries; owned */
    size_t n;
    unsigned query_flags;    /* the parsed query's QUERY_* flags */
};

/* Runs q and fills *r with at most k (1..INDEX_MAX_K) hits in the order
 * described above. The caller frees with search_result_cleanup(). ERR_DB or
 * ERR_IO when the store or index fail; ERR_INVALID for k out of range. */
int search_run(struct search *s, const struct search_query *q, size_t k,
               struct search_result *r /* OUT */);

/* As search_run(), but the hits ranked by text (SEARCH_WHY_TEXT) come
 * without their papers (paper.id NULL; the caller loads the few it keeps):
 * for hybrid search, which fuses 100 of them and shows 10. A hit whose
 * paper is gone from the store is then not skipped here. */
int search_run_ranked(struct search *s, const struct search_query *q, size_t k,
                      struct search_result *r /* OUT */);

/* Frees what r owns and zeroes it. */
void search_result_cleanup(struct search_result *r);

/* Is there anything in q that search_constraints_check() would check:
 * a category, a date, a fielded term (ti:, abs:, au:), a phrase, or an
 * exclusion? Cheap (no index, no analyzer). When it returns 0,
 * search_constraints_check() passes every paper; when 1 it may still pass
 * every paper (say "ti:the", all stopwords). Pins are not constraints. */
int search_query_has_constraints(const struct search_query *q);

/* Which of rowids[0..n) (any order, may repeat) pass q's constraints: its
 * filters (cat:, -cat:, since:, until:), its fielded terms (ti:/abs:/au:,
 * required), its phrases (required, as in search_run) and its exclusions
 * (-word, -"phrase", -cat:); its free words are NOT required, its pins
 * ignored. pass[i] receives 1 or 0 (caller-owned, room for n).
 *
 * A paper passes iff search_run() of q plus one free word the paper holds
 * could return it by its text (steps b and c): the same plan
 * (search_plan_build: analyzer, compounds like "GPT-4" as their joined
 * form, "cs" admitting cs.*, the first-version date, an unknown date
 * failing any date filter, every excluded phrase and archive) less its
 * SHOULD clauses, checked with index_match_docs().
 *
 * A query whose plan checks nothing (search_query_has_constraints() false,
 * or only stopwords in its constrained terms) passes every paper, indexed
 * or not; otherwise a paper not in the index (not yet indexed, deleted)
 * fails. Cost: n rowid look-ups per index segment plus the blocks of the
 * constraints' postings near those papers; never a scan of the collection.
 * ERR_INVALID for n > INDEX_MAX_K; ERR_CORRUPT from the index (pass is then
 * not written). */
int search_constraints_check(struct search *s, const struct search_query *q,
                             const int64_t *rowids, size_t n, unsigned char *pass /* OUT */);

/* Appends the index query search_run() would run for q (see
 * search_plan_format) to b. Returns 0, ERR_TOO_LARGE, or the index's error. */
int search_explain(struct search *s, const struct search_query *q, struct buf *b);

/* The path of name beside the database ("data/paperboy.db", "vectors" ->
 * "data/vectors"; "paperboy.db" -> "vectors"): where the derived files
 * live. Writes at most cap bytes (NUL-terminated); ERR_TOO_LARGE when it
 * does not fit. */
int search_path_beside(const char *db_path, const char *name, char *out, size_t cap);

/* The index dir that goes with a database path: search_path_beside(db_path,
 * "index"). */
int search_index_dir(const char *db_path, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Dense and hybrid modes (hybrid.c)                                   */

/* How search_run_mode() ranks:
 *   BM25    search_run() as is;
 *   DENSE   cosine between the embedded free text of the query (its
 *           unfielded words and phrases) and the stored paper vectors
 *           (embed/), best first, less the papers that fail the query's
 *           constraints (search_constraints_check; needs s);
 *   HYBRID  the fusion (search/fuse.h: a convex combination of normalised
 *           scores) of the top 100 BM25 and top 100 dense hits.
 * In DENSE and HYBRID, pinned ids and exact titles come first. */
enum search_mode { SEARCH_MODE_BM25 = 0, SEARCH_MODE_DENSE, SEARCH_MODE_HYBRID };

/* Reads "bm25", "dense" or "hybrid" (also the web's older names "lexical"
 * and "semantic") into *out. ERR_INVALID for anything else. */
int search_mode_parse(const char *s, enum search_mode *out /* OUT */);
/* "bm25", "dense" or "hybrid" (a constant). */
const char *search_mode_name(enum search_mode m);

/* The semantic side: the sentence encoder, the paper vectors and a store
 * connection of its own. One per thread (like struct search). */
struct search_semantic;

/* Opens the vectors in vectors_dir (NULL: "vectors" beside db_path), the
 * encoder in models_dir/all-MiniLM-L6-v2 (NULL: "models" beside db_path)
 * and the store at db_path read-only. ERR_NOT_FOUND when there are no
 * vectors (none built, or zero) or no model; other ERR_* when a file is
 * bad. why (why_len bytes, may be NULL) gets a one-line reason, to be shown
 * as "semantic features are off: <why>". Close with search_semantic_close(). */
int search_semantic_open(const char *db_path, const char *models_dir, const char *vectors_dir,
                         struct search_semantic **out /* OUT */, char *why, size_t why_len);
/* Closes everything; NULL does nothing. */
void search_semantic_close(struct search_semantic *ss);

/* Brings only the vectors up to date (vecstore_refresh; the encoder and
 * the store stay), so that vectors committed since are searched: O(new
 * vectors) when they were appended, a full reopen (O(vectors), ~175 ms at
 * 1M) when the files were replaced (compaction). On failure the vectors in
 * hand stay and the error is returned (why gets the reason, as
 * search_semantic_open); ERR_NOT_FOUND also when a reopen found no
 * vectors left (the handle then has none: close it). */
int search_semantic_refresh(struct search_semantic *ss, char *why, size_t why_len);

/* Runs q in mode and fills *r with at most k (1..INDEX_MAX_K) hits. s may
 * be NULL for DENSE (which then has no pinned ids or exact titles); ss may
 * be NULL for BM25, and for HYBRID, which then runs BM25 (the caller says
 * that semantic features are off). DENSE without ss is ERR_INVALID. The
 * caller frees with search_result_cleanup(). Scores: BM25 for bm25, cosine
 * for dense, the fused score for fused hybrid hits. Errors as search_run(),
 * plus the encoder's and the vector store's. */
int search_run_mode(struct search *s, struct search_semantic *ss, const struct search_query *q,
                    enum search_mode mode, size_t k, struct search_result *r /* OUT */);

/* The k (1..INDEX_MAX_K) papers whose stored vectors are nearest to that of
 * the paper with this store rowid, itself left out, best first, scored by
 * cosine. ERR_NOT_FOUND when the paper has no vector. */
int search_similar(struct search_semantic *ss, int64_t rowid, size_t k,
                   struct search_result *r /* OUT */);

#endif
