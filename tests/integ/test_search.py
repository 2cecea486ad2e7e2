#!/usr/bin/env python3
"""test_search.py - `paperboy search` and `paperboy eval` end to end.

Part 1 (search): writes a few Kaggle-shaped papers, runs `$PAPERBOY ingest`
and `$PAPERBOY reindex` into a private data directory, then checks ranking,
id pinning, exact-title promotion, phrases, exclusion, fields, filters,
broken syntax and --json. Skipped (not failed) while the binary has no
`ingest`/`reindex` subcommand.

Part 2 (eval): writes a tiny BEIR folder whose metrics are computed by hand
(below), runs `$PAPERBOY eval`, and checks the last line exactly, the run
file (cross-checked with bench/search/trec_metrics.py), queries-<split>.jsonl
detection, the missing-split message, --mode dense without a model, and that the
temporary index directory is removed.

Env: PAPERBOY (the binary), BUILD (unused), SHARED (unused).
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PB = os.environ.get("PAPERBOY", os.path.join(ROOT, "build", "paperboy"))

n_pass = n_fail = n_skip = seq = 0


def ok(cond, name, detail=""):
    global n_pass, n_fail, seq
    seq += 1
    if cond:
        n_pass += 1
        print(f"ok {seq} - {name}")
    else:
        n_fail += 1
        print(f"not ok {seq} - {name}")
        if detail:
            for line in str(detail).splitlines()[:20]:
                print(f"#   {line}")
    sys.stdout.flush()
    return cond


def skip(name, why):
    global n_skip
    n_skip += 1
    print(f"ok - {name} # SKIP {why}")


def run(args, env=None, timeout=120):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([PB] + args, capture_output=True, text=True, env=e, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def has_command(name):
    rc, out, err = run([name, "--help"])
    return rc == 0


# --------------------------------------------------------------------------
# Part 1: search over ingested papers

PAPERS = [
    ("1706.03762", "Attention Is All You Need",
     "The dominant sequence transduction models are based on complex recurrent or convolutional\n"
     "neural networks. We propose a new simple network architecture, the Transformer, based\n"
     "solely on attention mechanisms, dispensing with recurrence and convolutions entirely.",
     "Ashish Vaswani, Noam Shazeer, Niki Parmar and Jakob Uszkoreit", "cs.CL cs.LG",
     "Mon, 12 Jun 2017 17:57:34 GMT"),
    ("1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language\n  Understanding",
     "We introduce a new language representation model called BERT, which stands for\n"
     "Bidirectional Encoder Representations from Transformers.",
     "Jacob Devlin, Ming-Wei Chang, Kenton Lee, Kristina Toutanova", "cs.CL",
     "Thu, 11 Oct 2018 00:50:01 GMT"),
    ("1512.03385", "Deep Residual Learning for Image Recognition",
     "Deeper neural networks are more difficult to train. We present a residual learning\n"
     "framework to ease the training of networks that are substantially deeper.",
     "Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun", "cs.CV",
     "Thu, 10 Dec 2015 19:51:55 GMT"),
    ("2005.14165", "Language Models are Few-Shot Learners",
     "Recent work has demonstrated substantial gains on many NLP tasks and benchmarks by\n"
     "pre-training on a large corpus of text followed by fine-tuning on a specific task.",
     "Tom B. Brown, Benjamin Mann, Nick Ryder", "cs.CL",
     "Thu, 28 May 2020 17:29:03 GMT"),
    ("hep-th/9711200", "The Large N Limit of Superconformal Field Theories and Supergravity",
     "We show that the large N limit of certain conformal field theories in various dimensions\n"
     "include in their Hilbert space a sector describing supergravity.",
     "Juan M. Maldacena", "hep-th", "Thu, 27 Nov 1997 20:59:09 GMT"),
    ("2401.00001", "Attention",
     "A short note on how people allocate focus when reading papers.", "Ann Other", "q-bio.NC",
     "Tue, 2 Jan 2024 10:00:00 GMT"),
    ("1901.00002", "A toy model of attention in recurrent networks",
     "We study a toy model in which attention emerges in recurrent networks trained on copying.",
     "Sam Toy", "cs.LG", "Sat, 5 Jan 2019 10:00:00 GMT"),
]


def write_kaggle(path):
    with open(path, "w", encoding="utf-8") as f:
        for pid, title, abstract, authors, cats, created in PAPERS:
            rec = {
                "id": pid, "submitter": None, "authors": authors, "title": title,
                "comments": None, "journal-ref": None, "doi": None, "report-no": None,
                "categories": cats, "license": None, "abstract": "  " + abstract + "\n",
                "versions": [{"version": "v1", "created": created}],
                "update_date": "2024-01-02", "authors_parsed": [],
            }
            f.write(json.dumps(rec) + "\n")


def search(db, *query, k=None, json_out=False):
    args = ["search", "--db", db]
    if k:
        args += ["--k", str(k)]
    if json_out:
        args.append("--json")
    args += list(query)
    return run(args)


def ids(db, *query, k=None):
    """The ids of the hits, in order, from --json output."""
    rc, out, err = search(db, *query, k=k, json_out=True)
    if rc != 0:
        return None, f"rc={rc} {err}"
    try:
        doc = json.loads(out)
    except ValueError as e:
        return None, f"bad JSON: {e}: {out[:200]}"
    return [(h["paper"]["id"], h["why"]) for h in doc["hits"]], doc


def part_search(tmp):
    if not (has_command("ingest") and has_command("reindex")):
        skip("search end to end", "this build has no ingest/reindex subcommand yet")
        return
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    db = os.path.join(data, "paperboy.db")
    src = os.path.join(tmp, "papers.jsonl")
    write_kaggle(src)
    rc, out, err = run(["ingest", "--db", db, src])
    if not ok(rc == 0, "ingest fixture papers", err):
        return
    rc, out, err = run(["reindex", "--db", db])
    if not ok(rc == 0, "reindex", err):
        return

    got, _ = ids(db, "residual", "image", "recognition")
    ok(got and got[0][0] == "1512.03385", "best match first", got)

    got, _ = ids(db, "1810.04805")
    ok(got == [("1810.04805", "id")], "arXiv id alone: that paper, pinned", got)
    got, _ = ids(db, "arXiv:1810.04805v1")
    ok(got == [("1810.04805", "id")], "arXiv:ID form pins", got)
    got, _ = ids(db, "residual", "https://arxiv.org/abs/1810.04805")
    ok(got and got[0] == ("1810.04805", "id") and got[1][0] == "1512.03385",
       "pin first, then the ranking", got)

    got, _ = ids(db, "attention")
    ok(got and got[0] == ("2401.00001", "title"), "exact title match first", got)
    ok(got and {"1706.03762", "1901.00002"} <= {g[0] for g in got}, "then the others", got)
    got, _ = ids(db, "attention is all you need")
    ok(got and got[0] == ("1706.03762", "title"), "exact title, case and stopwords", got)

    got, _ = ids(db, '"toy model"')
    ok(got == [("1901.00002", "text")], "phrase", got)
    got, _ = ids(db, '"model toy"')
    ok(got == [], "phrase word order", got)
    got, _ = ids(db, "attention", '-"toy model"')
    ok(got is not None and "1901.00002" not in [g[0] for g in got] and
       "1706.03762" in [g[0] for g in got], "excluded phrase", got)
    got, _ = ids(db, "attention", "-recurrent")
    ok(got is not None and not {"1706.03762", "1901.00002"} & {g[0] for g in got},
       "excluded word", got)

    got, _ = ids(db, "ti:language")
    ok(got is not None and sorted(g[0] for g in got) == ["1810.04805", "2005.14165"],
       "title field", got)
    got, _ = ids(db, "au:maldacena")
    ok(got == [("hep-th/9711200", "text")], "author field", got)
    got, _ = ids(db, "cat:cs.CV", "deep")
    ok(got == [("1512.03385", "text")], "category filter", got)
    got, _ = ids(db, "year:2018", "language")
    ok(got == [("1810.04805", "text")], "year filter", got)
    got, _ = ids(db, "since:2019-06-01", "language")
    ok(got == [("2005.14165", "text")], "since filter", got)

    got, _ = ids(db, '"unclosed', "residual")
    ok(got and got[0][0] == "1512.03385", "broken syntax degrades to text", got)
    got, _ = ids(db, "foo:bar", "ti:")
    ok(got is not None, "unknown field and empty field do not fail", got)
    got, _ = ids(db, "networks", k=2)
    ok(got is not None and len(got) == 2, "--k caps the hits", got)

    rc, out, err = search(db, "deep", "learning", json_out=True)
    try:
        doc = json.loads(out)
        valid = isinstance(doc["hits"], list) and all(
            {"rank", "score", "why", "paper"} <= set(h) for h in doc["hits"])
        ranks = [h["rank"] for h in doc["hits"]] == list(range(1, len(doc["hits"]) + 1))
        scores = [h["score"] for h in doc["hits"]]
        ok(rc == 0 and valid and ranks and doc["parsed"] == "deep learning",
           "--json is valid and complete", out[:300])
        ok(all(isinstance(s, (int, float)) for s in scores), "--json scores are numbers", scores)
        ok(all(h["paper"]["title"] for h in doc["hits"]), "--json carries the paper", out[:300])
    except (ValueError, KeyError, TypeError) as e:
        ok(False, "--json is valid and complete", f"{e}: {out[:300]}")

    rc, out, err = search(db, "residual", "learning")
    lines = out.splitlines()
    ok(rc == 0 and lines and "1512.03385" in lines[0] and "Deep Residual Learning" in lines[0],
       "text output: id, score, title on the first line", out)
    ok(len(lines) > 1 and "Kaiming He" in lines[1] and "2015-12-10" in lines[1],
       "text output: authors and date on the second", out)
    rc, out, err = search(db, "zzzzqqq")
    ok(rc == 0 and "no results" in out, "no results is not an error", out + err)
    rc, out, err = run(["search", "--db", db])
    ok(rc == 2, "no query: usage error", err)
    rc, out, err = run(["search", "--db", os.path.join(tmp, "none.db"), "x"])
    ok(rc == 1 and err.strip(), "missing database: a clear failure", err)


# --------------------------------------------------------------------------
# Part 2: eval on a hand-computed BEIR folder
#
# corpus (no titles): d1 "apple banana", d2 "apple", d3 "cherry",
#                     d4 "banana cherry", d5 "zebra"
# BM25 order (shorter doc first on equal tf; d1 and d4 tie on "banana"):
#   q1 "cherry": d3, d4     judged d4=1            nDCG=1/log2(3)  R=1    RR=1/2
#   q2 "zebra":  d5         judged d5=2, d1=1      nDCG=2/(2+1/log2(3)) R=1/2 RR=1
#   q3 "apple":  d2, d1     judged d2=1            nDCG=1          R=1    RR=1
#   q6 "banana": tie; trec_eval order is doc id descending: d4, d1
#                           judged d1=1            nDCG=1/log2(3)  R=1    RR=1/2
#   q4 has no judgment (skipped); q9 is judged but not in the queries file.
# Means over 4 queries: nDCG = (2/log2(3) + 2/(2+1/log2(3)) + 1)/4 = 0.7555,
# recall@100 = 3.5/4 = 0.8750, MRR@10 = 3/4 = 0.7500.

EXPECT = "ndcg@10=0.7555 recall@100=0.8750 mrr@10=0.7500 queries=4"


def write_beir(folder, queries_name="queries.jsonl"):
    os.makedirs(os.path.join(folder, "qrels"))
    docs = [("d1", "apple banana"), ("d2", "apple"), ("d3", "cherry"),
            ("d4", "banana cherry"), ("d5", "zebra")]
    with open(os.path.join(folder, "corpus.jsonl"), "w") as f:
        for i, t in docs:
            f.write(json.dumps({"_id": i, "title": "", "text": t, "metadata": {}}) + "\n")
    with open(os.path.join(folder, queries_name), "w") as f:
        for i, t in [("q1", "cherry"), ("q2", "zebra"), ("q3", "apple"), ("q4", "apple cherry"),
                     ("q6", "banana")]:
            f.write(json.dumps({"_id": i, "text": t, "metadata": {}}) + "\n")
    with open(os.path.join(folder, "qrels", "test.tsv"), "w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for q, d, s in [("q1", "d4", 1), ("q2", "d5", 2), ("q2", "d1", 1), ("q3", "d2", 1),
                        ("q6", "d1", 1), ("q9", "d3", 1)]:
            f.write(f"{q}\t{d}\t{s}\n")


def part_eval(tmp):
    # The hand computation itself, so a typo in EXPECT cannot pass silently.
    a = 1 / math.log2(3)
    ok(f"{(2 * a + 2 / (2 + a) + 1) / 4:.4f}" == "0.7555", "hand-computed nDCG is 0.7555")

    beir = os.path.join(tmp, "beir")
    write_beir(beir)
    tdir = os.path.join(tmp, "tmpdir")
    os.makedirs(tdir)
    runfile = os.path.join(tmp, "run.txt")
    rc, out, err = run(["eval", "--beir", beir, "--run", runfile], env={"TMPDIR": tdir})
    last = out.strip().splitlines()[-1] if out.strip() else ""
    ok(rc == 0 and last == EXPECT, "eval: hand-computed metrics on the last line",
       f"rc={rc}\ngot:  {last}\nwant: {EXPECT}\n{err}")
    ok(os.listdir(tdir) == [], "eval: temporary index removed", os.listdir(tdir))
    try:
        lines = [l.split() for l in open(runfile)]
    except OSError as e:
        lines = []
        ok(False, "eval: run file written", e)
    ok(lines and all(len(l) == 6 and l[1] == "Q0" and l[5] == "paperboy" for l in lines),
       "run file: qid Q0 docid rank score paperboy", lines[:3])
    q6 = [l for l in lines if l[0] == "q6"]
    ok([l[2] for l in q6] in (["d1", "d4"], ["d4", "d1"]) and len(q6) == 2 and q6[0][4] == q6[1][4],
       "run file: the tie on q6 has equal scores", q6)
    ok({l[0] for l in lines} == {"q1", "q2", "q3", "q6"}, "only judged queries run",
       {l[0] for l in lines})
    ref = os.path.join(ROOT, "bench", "search", "trec_metrics.py")
    p = subprocess.run([sys.executable, ref, os.path.join(beir, "qrels", "test.tsv"), runfile],
                       capture_output=True, text=True)
    ok(p.returncode == 0 and p.stdout.strip() == EXPECT,
       "Python reference metrics agree", p.stdout + p.stderr)

    # queries-<split>.jsonl is found when queries.jsonl is absent.
    beir2 = os.path.join(tmp, "beir2")
    write_beir(beir2, "queries-test.jsonl")
    rc, out, err = run(["eval", "--beir", beir2])
    ok(rc == 0 and out.strip().splitlines()[-1] == EXPECT, "queries-<split>.jsonl detected",
       out + err)
    # --queries FILE overrides.
    rc, out, err = run(["eval", "--beir", beir2, "--queries",
                        os.path.join(beir2, "queries-test.jsonl"), "--k", "1"])
    last = out.strip().splitlines()[-1] if out.strip() else ""
    ok(rc == 0 and last.endswith("queries=4") and "recall@100=0.6250" in last,
       "--queries and --k 1", out + err)
    # A missing split names the splits there are.
    rc, out, err = run(["eval", "--beir", beir, "--split", "dev"])
    ok(rc == 1 and "dev" in err and "test" in err, "missing split: clear message", err)
    rc, out, err = run(["eval", "--beir", beir, "--mode", "dense", "--models",
                        os.path.join(tmp, "no-models")])
    ok(rc == 1 and "make model" in err, "--mode dense without the model says so", err)
    rc, out, err = run(["eval", "--beir", beir, "--mode", "bogus"])
    ok(rc == 2, "--mode bogus is a usage error", err)
    rc, out, err = run(["eval"])
    ok(rc == 2, "eval without --beir: usage error", err)


def main():
    if not os.access(PB, os.X_OK):
        print(f"# {PB} is not built")
        print("# passed=0 failed=1 skipped=0")
        return 1
    tmp = tempfile.mkdtemp(prefix="test-search-")
    try:
        part_search(tmp)
        part_eval(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# passed={n_pass} failed={n_fail} skipped={n_skip}")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
