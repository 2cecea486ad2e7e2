"""test_embed.py - `paperboy embed` and `paperboy similar` end to end.

Always: without a model, embed says semantic features are off and exits 1;
similar without vectors says so too. With the model installed (make model;
data/models or $PAPERBOY_MODELS) and the shared arXiv sample: 12 papers are
ingested and embedded, a second run embeds nothing, similar returns the
other papers best first without the paper itself, and a paper whose
abstract changed (a new version) is the only one re-embedded.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import T  # noqa: E402

t = T()
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
models = os.environ.get("PAPERBOY_MODELS") or os.path.join(root, "data", "models")
db = t.path("paperboy.db")

r = t.run("embed", "--db", db, "--models", t.path("no-models"))
t.eq(r.returncode, 1, "embed without a model fails")
t.ok("semantic features are off" in r.stderr and "make model" in r.stderr,
     "and says semantic features are off", r.stderr)

src = os.path.join(t.shared, "data", "arxiv", "arxiv-abs-1130.jsonl")
have_model = os.path.exists(os.path.join(models, "all-MiniLM-L6-v2", "model.safetensors"))
if not os.path.exists(src):
    t.skip("embed and similar on real papers", "shared data absent")
elif not have_model:
    t.skip("embed and similar on real papers", "model not installed (make model)")
else:
    lines = open(src, encoding="utf-8").read().splitlines()[:12]
    recs = [json.loads(x) for x in lines]
    f1 = t.path("twelve.jsonl")
    with open(f1, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    r = t.run("ingest", "--db", db, f1)
    t.eq(r.returncode, 0, "ingest 12 papers")
    first = recs[0]["id"]
    r = t.run("similar", "--db", db, first)
    t.ok(r.returncode == 1 and "semantic features are off" in r.stderr,
         "similar before embed says semantic features are off", r.stderr)

    r = t.run("embed", "--db", db, "--models", models, "--batch", "5", timeout=900)
    t.eq(r.returncode, 0, "embed runs")
    t.ok("12 of 12 papers embedded" in r.stdout, "embeds all 12", r.stdout + r.stderr)
    r = t.run("embed", "--db", db, "--models", models, timeout=300)
    t.ok(r.returncode == 0 and "all 12 papers have up-to-date vectors" in r.stdout,
         "second run embeds nothing", r.stdout + r.stderr)

    r = t.run("similar", "--db", db, first, "--json")
    t.eq(r.returncode, 0, "similar --json runs")
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = {}
    sims = doc.get("similar", [])
    t.eq(len(sims), 10, "ten neighbours by default")
    ids = [s["id"] for s in sims]
    t.ok(first not in ids, "the paper itself is left out", ids)
    scores = [s["score"] for s in sims]
    t.ok(scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores),
         "best first, cosine scores", scores)
    r2 = t.run("similar", "--db", db, first, "--json", "--mode", "int8")
    t.ok(r2.returncode == 0 and [s["id"] for s in json.loads(r2.stdout)["similar"]] == ids,
         "int8 two-stage search gives the same neighbours")
    r = t.run("similar", "--db", db, first, "--k", "3")
    t.ok(r.returncode == 0 and len(r.stdout.strip().splitlines()) == 3, "--k 3 prints 3 lines",
         r.stdout)
    r = t.run("similar", "--db", db, "2401.99999")
    t.ok(r.returncode == 1 and "no paper" in r.stderr, "unknown paper", r.stderr)

    # search --mode dense / hybrid over the same papers.
    r = t.run("reindex", "--db", db)
    t.eq(r.returncode, 0, "reindex")
    title = recs[3]["title"]
    r = t.run("search", "--db", db, "--models", models, "--mode", "dense", "--json", "--k", "3",
              title)
    try:
        hits = json.loads(r.stdout)["hits"]
    except (ValueError, KeyError):
        hits = []
    t.ok(r.returncode == 0 and len(hits) == 3 and hits[0]["paper"]["id"] == recs[3]["id"],
         "dense search by a paper's title finds it first", r.stdout[:300] + r.stderr)
    r = t.run("search", "--db", db, "--models", models, "--mode", "hybrid", "--json", "--k", "5",
              title)
    try:
        hits = json.loads(r.stdout)["hits"]
    except (ValueError, KeyError):
        hits = []
    t.ok(r.returncode == 0 and len(hits) == 5 and hits[0]["paper"]["id"] == recs[3]["id"]
         and len({h["paper"]["id"] for h in hits}) == 5,
         "hybrid search: the title match first, five distinct papers", r.stdout[:300] + r.stderr)
    r = t.run("search", "--db", db, "--models", models, "--json", "--k", "5", title)
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        doc = {}
    t.ok(r.returncode == 0 and doc.get("mode") == "hybrid" and
         [h["paper"]["id"] for h in doc.get("hits", [])] == [h["paper"]["id"] for h in hits],
         "without --mode: hybrid when vectors exist", r.stdout[:300] + r.stderr)
    r = t.run("search", "--db", db, "--models", t.path("none"), "--json", title)
    t.ok(r.returncode == 0 and json.loads(r.stdout or "{}").get("mode") == "bm25"
         and "semantic features are off" not in r.stderr,
         "without --mode and without a model: bm25, quietly", r.stderr)
    r = t.run("search", "--db", db, "--models", t.path("none"), "--mode", "hybrid", title)
    t.ok(r.returncode == 0 and "semantic features are off" in r.stderr
         and "bm25 instead" in r.stderr, "hybrid without a model says so and runs bm25",
         r.stderr)
    r = t.run("search", "--db", db, "--models", t.path("none"), "--mode", "dense", title)
    t.eq(r.returncode, 1, "dense without a model fails")
    # dense: a pinned id comes first; query syntax is not embedded
    r = t.run("search", "--db", db, "--models", models, "--mode", "dense", "--json", "--k", "3",
              recs[5]["id"], title)
    try:
        hits = json.loads(r.stdout)["hits"]
    except (ValueError, KeyError):
        hits = []
    t.ok(r.returncode == 0 and [h["paper"]["id"] for h in hits][:2] == [recs[5]["id"], recs[3]["id"]]
         and hits[0]["why"] == "id",
         "dense: the pinned id first, then the title's paper", r.stdout[:300] + r.stderr)
    def dense_ids(*words):
        r = t.run("search", "--db", db, "--models", models, "--mode", "dense", "--json", "--k",
                  "5", *words)
        try:
            return [h["paper"]["id"] for h in json.loads(r.stdout)["hits"]]
        except (ValueError, KeyError):
            return ["failed: " + r.stderr]
    plain = dense_ids(title)
    t.ok(len(plain) == 5 and dense_ids("since:1990-01-01", title) == plain,
         "dense: a filter that admits all changes nothing (the syntax is not embedded)", plain)
    cat3 = recs[3]["categories"].split()[0]
    for mode in ("dense", "hybrid"):
        r = t.run("search", "--db", db, "--models", models, "--mode", mode, "--json", "--k", "12",
                  "-cat:" + cat3, title)
        try:
            got = json.loads(r.stdout)["hits"]
        except (ValueError, KeyError):
            got = None
        t.ok(got is not None and got and
             all(cat3 not in h["paper"]["categories"] for h in got),
             f"{mode}: -cat:{cat3} leaves out every paper of that category", r.stdout[:300] + r.stderr)
        r = t.run("search", "--db", db, "--models", models, "--mode", mode, "--json",
                  "since:2999-01-01", title)
        t.ok(r.returncode == 0 and json.loads(r.stdout or "{}").get("hits") == [],
             f"{mode}: a date range no paper is in gives no hits", r.stdout[:300] + r.stderr)

    # A new version with a changed abstract: only that paper is re-embedded.
    rec = dict(recs[1])
    rec["abstract"] = "We study something else entirely: " + rec["abstract"]
    rec["versions"] = list(rec["versions"]) + [{"version": "v9", "created":
                                                 "Mon, 1 Jan 2024 00:00:00 GMT"}]
    f2 = t.path("changed.jsonl")
    with open(f2, "w", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
    r = t.run("ingest", "--db", db, f2)
    t.eq(r.returncode, 0, "ingest the changed paper")
    r = t.run("embed", "--db", db, "--models", models, timeout=300)
    t.ok(r.returncode == 0 and "1 of 12 papers embedded" in r.stdout,
         "only the changed paper is re-embedded", r.stdout + r.stderr)
    r = t.run("similar", "--db", db, first, "--json")
    t.ok(r.returncode == 0 and len(json.loads(r.stdout)["similar"]) == 10,
         "no duplicate after re-embedding (10 distinct neighbours of 11)")
t.done()
