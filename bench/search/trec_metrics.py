#!/usr/bin/env python3
"""trec_metrics.py - an independent Python check of `paperboy eval`'s metrics.

    python3 bench/search/trec_metrics.py QRELS RUN [--queries-from-qrels]

QRELS: a BEIR qrels TSV ("query-id corpus-id score" with a header) or TREC
qrels ("qid 0 docid rel"). RUN: a TREC run file ("qid Q0 docid rank score
tag"), as `paperboy eval --run FILE` writes it.

Computes, as trec_eval does (written from trec_eval's documented
definitions, not from paperboy's C code):
  ranking   per query, the run's docs sorted by score descending, ties by
            docno descending (trec_eval ignores the rank column)
  nDCG@10   gains = relevance grades (> 0), discount log2(rank + 1), ideal
            from all judged grades > 0
  recall@100, RR@10 (1/rank of the first relevant doc in the top 10)
Means are over the queries that have judgments AND appear in the run;
with --all-judged, judged queries missing from the run count as 0 (what
`paperboy eval` does: it runs every judged query).

Prints: ndcg@10=0.XXXX recall@100=0.XXXX mrr@10=0.XXXX queries=N
(and with --precise the unrounded means on a second line).
"""
import argparse
import math
import sys
from collections import defaultdict


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) == 3:
                qid, docid, rel = parts
            elif len(parts) == 4:
                qid, _, docid, rel = parts
            else:
                print(f"{path}:{lineno}: skipped", file=sys.stderr)
                continue
            try:
                rel = int(float(rel))
            except ValueError:
                if lineno != 1:
                    print(f"{path}:{lineno}: bad grade", file=sys.stderr)
                continue
            qrels[qid][docid] = rel
    return qrels


def read_run(path):
    run = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 5:
                continue
            qid, _, docid, _rank, score = parts[:5]
            run[qid].append((float(score), docid))
    return run


def ranked(hits):
    # score descending, then docno descending: sort by the pair, reversed.
    return [d for _, d in sorted(hits, key=lambda h: (h[0], h[1]), reverse=True)]


def ndcg_at(rels, docs, k):
    dcg = 0.0
    for i, d in enumerate(docs[:k]):
        g = rels.get(d, 0)
        if g > 0:
            dcg += g / math.log2(i + 2)
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(rels, docs, k):
    relevant = {d for d, g in rels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(docs[:k])) / len(relevant)


def rr_at(rels, docs, k):
    for i, d in enumerate(docs[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("qrels")
    ap.add_argument("run")
    ap.add_argument("--all-judged", action="store_true",
                    help="count judged queries missing from the run as 0")
    ap.add_argument("--precise", action="store_true", help="also print unrounded means")
    ap.add_argument("--pytrec-eval", action="store_true",
                    help="also compute nDCG@10 and recall@100 with pytrec_eval (trec_eval)")
    a = ap.parse_args()
    qrels = read_qrels(a.qrels)
    run = read_run(a.run)
    qids = [q for q in qrels if q in run or a.all_judged]
    if not qids:
        print("no query to evaluate", file=sys.stderr)
        return 1
    s_ndcg = s_rec = s_rr = 0.0
    for q in qids:
        docs = ranked(run.get(q, []))
        s_ndcg += ndcg_at(qrels[q], docs, 10)
        s_rec += recall_at(qrels[q], docs, 100)
        s_rr += rr_at(qrels[q], docs, 10)
    n = len(qids)
    print(f"ndcg@10={s_ndcg / n:.4f} recall@100={s_rec / n:.4f} mrr@10={s_rr / n:.4f} queries={n}")
    if a.precise:
        print(f"ndcg@10={s_ndcg / n!r} recall@100={s_rec / n!r} mrr@10={s_rr / n!r}")
    if a.pytrec_eval:
        # The real trec_eval (pytrec_eval / pytrec-eval-terrier from PyPI),
        # when installed: ndcg_cut_10 and recall_100 over the same queries.
        try:
            import pytrec_eval
        except ImportError:
            print("pytrec_eval not installed", file=sys.stderr)
            return 1
        runs = {q: {d: s for s, d in run.get(q, [])} for q in qids}
        ev = pytrec_eval.RelevanceEvaluator({q: qrels[q] for q in qids},
                                            {"ndcg_cut.10", "recall.100"})
        res = ev.evaluate({q: r for q, r in runs.items() if r})
        nd = sum(res[q]["ndcg_cut_10"] for q in res) / n
        rc = sum(res[q]["recall_100"] for q in res) / n
        print(f"pytrec_eval: ndcg@10={nd!r} recall@100={rc!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
