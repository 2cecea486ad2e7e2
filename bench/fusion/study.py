#!/usr/bin/env python3
"""study.py - which way of fusing the BM25 and dense rankings is best, judged
without choosing on the queries that score it.

Reads two TREC run files written by `paperboy eval --run` (one bm25, one
dense) and the BEIR qrels, and scores fusion functions by nDCG@10 (the
trec_eval definition `paperboy eval` uses: gain = relevance, ties by score
desc then doc id desc) in two ways:

  all-train   the function's parameters chosen on all the queries and scored
              on the same queries (flatters every tuned function);
  cross-val   the queries split into FOLDS folds by a fixed seed; for each
              fold the parameters are chosen on the other folds and the fold
              is scored with them; the out-of-fold nDCG@10 is the average
              over all queries. Only this number may be compared with the
              untuned RRF k=60 baseline.

Fusion functions (each ranking cut at DEPTH, the product's depth):
  rrf      sum of w_l / (k + rank) over the lists (Cormack et al. 2009),
           w = (1, w_dense)
  cc-mm    convex combination a * mm(bm25) + (1 - a) * mm(dense), mm the
           min-max normalisation over that query's list; a document missing
           from a list gets that list's minimum (0 after normalisation)
  cc-tmm   as cc-mm with the theoretical minimum (bm25 0, cosine -1) instead
           of the observed one (Bruch et al. 2023, "TM2C2")
  cc-z     as cc-mm with z-scores

Usage: study.py BM25.run DENSE.run QRELS.tsv [--depth 100] [--folds 5]
Tools only (not in the product's path); standard library only.
"""
import argparse
import math
import random
from collections import defaultdict


def read_run(path):
    run = defaultdict(list)
    with open(path) as f:
        for line in f:
            q, _, d, _, s, _ = line.split()
            run[q].append((d, float(s)))
    for q in run:
        run[q].sort(key=lambda x: (-x[1], x[0]))
    return run


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path) as f:
        next(f)
        for line in f:
            q, d, r = line.split()
            if int(r) > 0:
                qrels[q][d] = int(r)
    return qrels


def ndcg10(scores, rel):
    """scores: {doc: score}; trec_eval order: score desc, doc id desc."""
    ranked = sorted(scores.items(), key=lambda x: (-x[1], _neg(x[0])))[:10]
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, (d, _) in enumerate(ranked))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def _neg(doc):
    # doc id desc as a sort key that works for any string
    return tuple(-ord(c) for c in doc)


def norm(lst, how, theo_min):
    if not lst:
        return {}, 0.0
    vals = [s for _, s in lst]
    if how == "z":
        mu = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - mu) ** 2 for v in vals) / len(vals)) or 1.0
        out = {d: (s - mu) / sd for d, s in lst}
        return out, (min(vals) - mu) / sd
    lo = theo_min if how.startswith("tmm") else min(vals)
    hi = max(vals)
    span = (hi - lo) or 1.0
    return {d: (s - lo) / span for d, s in lst}, 0.0


def fuse(method, params, bl, dl):
    out = defaultdict(float)
    if method == "rrf":
        k, wd = params
        for i, (d, _) in enumerate(bl):
            out[d] += 1.0 / (k + i + 1)
        for i, (d, _) in enumerate(dl):
            out[d] += wd / (k + i + 1)
        return out
    how = method.split("-")[1]
    a = params[0]
    nb, fb = norm(bl, how, 0.0)
    nd, fd = norm(dl, how, -1.0)
    if method == "cc-tmmlow":  # missing: the list's lowest, not the floor
        fb = min(nb.values(), default=0.0)
        fd = min(nd.values(), default=0.0)
    for d in set(nb) | set(nd):
        out[d] = a * nb.get(d, fb) + (1 - a) * nd.get(d, fd)
    return out


GRIDS = {
    "rrf": [(k, w) for k in (1, 2, 5, 10, 20, 30, 45, 60, 80, 100)
            for w in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0)],
    "cc-mm": [(a / 20,) for a in range(1, 20)],
    "cc-tmm": [(a / 20,) for a in range(1, 20)],
    "cc-tmmlow": [(a / 20,) for a in range(1, 20)],
    "cc-z": [(a / 20,) for a in range(1, 20)],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bm25")
    ap.add_argument("dense")
    ap.add_argument("qrels")
    ap.add_argument("--depth", type=int, default=100)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    bm, de, qr = read_run(a.bm25), read_run(a.dense), read_qrels(a.qrels)
    qs = sorted(q for q in qr if q in bm or q in de)
    cut = {q: (bm.get(q, [])[: a.depth], de.get(q, [])[: a.depth]) for q in qs}

    # per (method, params): per-query nDCG@10
    table = {}
    for method, grid in GRIDS.items():
        for p in grid:
            table[(method, p)] = {q: ndcg10(fuse(method, p, *cut[q]), qr[q]) for q in qs}
    single = {
        "bm25": {q: ndcg10(dict(cut[q][0]), qr[q]) for q in qs},
        "dense": {q: ndcg10(dict(cut[q][1]), qr[q]) for q in qs},
    }

    def mean(d, sub):
        return sum(d[q] for q in sub) / len(sub)

    rnd = random.Random(a.seed)
    order = qs[:]
    rnd.shuffle(order)
    folds = [order[i:: a.folds] for i in range(a.folds)]

    print(f"queries={len(qs)} depth={a.depth} folds={a.folds} seed={a.seed}")
    print(f"{'function':28s} {'all-train':>9s} {'cross-val':>9s}  params chosen per fold")
    for name, d in single.items():
        print(f"{name:28s} {mean(d, qs):9.4f} {mean(d, qs):9.4f}")
    base = table[("rrf", (60, 1.0))]
    print(f"{'rrf k=60 (baseline)':28s} {mean(base, qs):9.4f} {mean(base, qs):9.4f}")
    for method, grid in GRIDS.items():
        best_all = max(grid, key=lambda p: mean(table[(method, p)], qs))
        oof, chosen = {}, []
        for i, fold in enumerate(folds):
            train = [q for j, f in enumerate(folds) if j != i for q in f]
            p = max(grid, key=lambda p: mean(table[(method, p)], train))
            chosen.append(p)
            for q in fold:
                oof[q] = table[(method, p)][q]
        print(f"{method + ' ' + str(best_all):28s} {mean(table[(method, best_all)], qs):9.4f}"
              f" {mean(oof, qs):9.4f}  {chosen}")


if __name__ == "__main__":
    main()
