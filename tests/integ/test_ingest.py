"""test_ingest.py - `paperboy ingest/show/list/stats` end to end on the real binary.

Own fixtures are written here; the real samples in $SHARED/data are used when
present (skipped cleanly otherwise).
"""
import glob
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import time

from harness import T

t = T()


def kaggle(id_, title, versions=1, **kw):
    rec = {
        "id": id_, "submitter": "A. Submitter", "authors": "Ann Author and Bob Writer",
        "title": title, "comments": None, "journal-ref": None, "doi": None,
        "report-no": None, "categories": kw.get("categories", "cs.LG stat.ML"),
        "license": None, "abstract": kw.get("abstract", "  An abstract\nwith a hard break.\n"),
        "versions": [{"version": f"v{i + 1}", "created": f"Mon, {i + 1} Jan 2024 10:00:00 GMT"}
                     for i in range(versions)],
        "update_date": "2024-01-05", "authors_parsed": None,
    }
    return json.dumps(rec)


def write(name, text, mode="w"):
    p = t.path(name)
    with open(p, mode) as f:
        f.write(text)
    return p


def stats(db):
    r = t.run("stats", "--db", db, "--json")
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"papers": -1, "error": r.stderr}


def show(db, id_):
    r = t.run("show", "--db", db, "--json", id_)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


# --- usage -------------------------------------------------------------
r = t.run("--help")
t.ok(r.returncode == 0 and "ingest" in r.stdout, "paperboy --help lists commands")
r = t.run("ingest", "--help")
t.ok(r.returncode == 0 and "--db" in r.stdout, "ingest --help shows options")
r = t.run("ingest", "--bogus", "x")
t.ok(r.returncode == 2 and "--db" in r.stderr, "unknown option is an error naming accepted ones",
     r.stderr)
r = t.run("frobnicate")
t.ok(r.returncode == 2 and "unknown command" in r.stderr, "unknown command")

# --- broken fourth line ------------------------------------------------
db = t.path("broken.db")
lines = [kaggle("2401.00001", "One"), kaggle("2401.00002", "Two"), kaggle("2401.00003", "Three"),
         '{"id": "2401.00004", "title": "Four", ', kaggle("2401.00005", "Five")]
p = write("broken.jsonl", "\n".join(lines) + "\n")
r = t.run("ingest", "--db", db, p)
t.eq(r.returncode, 1, "a broken record makes the exit status non-zero")
t.ok(f"{p}:4:" in r.stderr, "the broken record is reported with file and line 4", r.stderr)
t.eq(stats(db)["papers"], 4, "the other four records are stored")
t.ok(show(db, "2401.00004") is None, "the broken record is not stored")
t.ok("1 failed" in r.stderr and "4 added" in r.stderr, "summary counts added and failed", r.stderr)

# Only the first three (the case: the file ends at the broken line).
db3 = t.path("broken3.db")
p3 = write("broken3.jsonl", "\n".join(lines[:4]) + "\n")
r = t.run("ingest", "--db", db3, p3)
t.ok(r.returncode == 1 and f"{p3}:4:" in r.stderr, "fourth-line break reported", r.stderr)
t.eq(stats(db3)["papers"], 3, "first three records ingested")

# --- versions ------------------------------------------------------------
db = t.path("versions.db")
p1 = write("v1.jsonl", kaggle("2402.00001", "Old title", versions=1) + "\n")
p2 = write("v2.jsonl", kaggle("2402.00001", "New title", versions=2) + "\n")
r = t.run("ingest", "--db", db, p1)
t.ok(r.returncode == 0 and "1 added" in r.stderr, "first version added", r.stderr)
r = t.run("ingest", "--db", db, p2)
t.ok(r.returncode == 0 and "1 updated" in r.stderr, "newer version updates", r.stderr)
r = t.run("ingest", "--db", db, p1)
t.ok(r.returncode == 0 and "1 unchanged" in r.stderr, "older version changes nothing", r.stderr)
j = show(db, "arXiv:2402.00001v1")
t.ok(j is not None and j["title"] == "New title" and j["latest_version"] == 2
     and len(j["versions"]) == 2, "show: newest fields, both versions", j)
t.ok(j is not None and j["abstract"] == "An abstract with a hard break."
     and j["abstract_raw"].startswith("  An abstract\n"), "display and raw abstract", j)
t.eq(stats(db)["papers"], 1, "one row per paper")

# --- gzip, stdin, truncated, binary, empty ------------------------------
db = t.path("formats.db")
body = "".join(kaggle(f"2403.{i:05d}", f"Paper {i}") + "\n" for i in range(1, 51))
gz = t.path("fifty.jsonl.gz")
with gzip.open(gz, "wt") as f:
    f.write(body)
r = t.run("ingest", "--db", db, gz)
t.ok(r.returncode == 0 and stats(db)["papers"] == 50, ".gz read directly", r.stderr)
r = t.run("ingest", "--db", db, "-", stdin=kaggle("2403.09999", "From stdin") + "\n")
t.ok(r.returncode == 0 and show(db, "2403.09999") is not None, "'-' reads stdin", r.stderr)
raw = open(gz, "rb").read()
trunc = write("trunc.jsonl.gz", raw[: len(raw) // 2], "wb")
dbt = t.path("trunc.db")
r = t.run("ingest", "--db", dbt, trunc)
t.ok(r.returncode != 0 and "truncat" in r.stderr.lower(), "truncated gzip: clear error", r.stderr)
binf = write("binary.bin", bytes(range(256)) * 8, "wb")
r = t.run("ingest", "--db", db, binf)
t.ok(r.returncode != 0 and "unknown format" in r.stderr, "binary file: unknown format", r.stderr)
empty = write("empty.json", "")
r = t.run("ingest", "--db", db, empty)
t.ok(r.returncode != 0 and "empty" in r.stderr, "empty file: clear error", r.stderr)
r = t.run("ingest", "--db", db, t.path("does-not-exist.jsonl"))
t.ok(r.returncode != 0 and "does-not-exist" in r.stderr, "missing file: names it", r.stderr)
t.eq(stats(db)["papers"], 51, "failed files did not disturb what was stored")

# --- kill at any moment -------------------------------------------------
db = t.path("kill.db")
N = 40000
big = t.path("big.jsonl")
with open(big, "w") as f:
    for i in range(N):
        f.write(kaggle(f"2404.{i:05d}", f"Synthetic paper {i} on graph neural networks",
                       abstract="word " * 150) + "\n")
killed = False
for delay in (0.4, 0.8, 1.6):
    if os.path.exists(db):
        break
    proc = subprocess.Popen([t.binary, "ingest", "--db", db, "--batch", "500", big],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        killed = True
    proc.wait()
if killed:
    con = sqlite3.connect(db)
    ic = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()
    t.eq(ic, "ok", "killed ingest leaves an intact database")
    n = stats(db)["papers"]
    t.ok(n % 500 == 0 and n < N, "only whole batches are present after the kill", n)
else:
    t.skip("killed ingest", "ingest finished before the kill")
r = t.run("ingest", "--db", db, "--batch", "500", big, timeout=600)
t.ok(r.returncode == 0, "re-running after the kill succeeds", r.stderr)
t.eq(stats(db)["papers"], N, "re-running finishes the job with no duplicates")

# --- ingest keeps the search index current -------------------------------
os.makedirs(t.path("idx"))
db = t.path("idx/indexed.db")
pa = write("idx-a.jsonl", kaggle("2405.00001", "Quantum walrus tomography") + "\n")
pb = write("idx-b.jsonl", kaggle("2405.00002", "Walrus migration under sea ice") + "\n")
r = t.run("ingest", "--db", db, pa)
t.ok(r.returncode == 0 and os.path.isdir(t.path("idx/index")), "ingest builds the index", r.stderr)
r = t.run("search", "--db", db, "walrus")
t.ok(r.returncode == 0 and "2405.00001" in r.stdout, "a search finds the paper without reindex",
     r.stdout + r.stderr)
r = t.run("ingest", "--db", db, pb)
r = t.run("search", "--db", db, "walrus")
t.ok(r.returncode == 0 and "2405.00001" in r.stdout and "2405.00002" in r.stdout,
     "a second ingest is searchable at once", r.stdout + r.stderr)

# --- the real samples ---------------------------------------------------
data = os.path.join(t.shared, "data")
if os.path.isdir(os.path.join(data, "arxiv")):
    files = sorted(glob.glob(os.path.join(data, "arxiv", "*.jsonl"))
                   + glob.glob(os.path.join(data, "arxiv", "oai", "*.xml"))
                   + glob.glob(os.path.join(data, "arxiv", "api", "*.xml"))
                   + glob.glob(os.path.join(data, "hf", "*.json")))
    db = t.path("real.db")
    r = t.run("ingest", "--db", db, *files, timeout=600)
    t.ok(r.returncode == 0 and " 0 failed" in r.stderr, "every shared file ingests cleanly",
         r.stderr[-2000:])
    t.eq(stats(db)["papers"], 1159, "one paper per distinct arXiv id (1,159)")
    # The correct latest version of each Kaggle-shaped record.
    want = {}
    for f in glob.glob(os.path.join(data, "arxiv", "*.jsonl")):
        for line in open(f, encoding="utf-8"):
            rec = json.loads(line)
            want[rec["id"]] = max(want.get(rec["id"], 0), len(rec["versions"]))
    sample = sorted(want)[::10]
    bad = []
    for id_ in sample:
        j = show(db, id_)
        if j is None or j["latest_version"] != want[id_] or len(j["versions"]) != want[id_]:
            bad.append((id_, want[id_], j and j["latest_version"]))
    t.ok(not bad, f"latest version right for {len(sample)} sampled papers", bad[:5])
    r = t.run("ingest", "--db", db, *files, timeout=600)
    t.ok(r.returncode == 0 and " 0 added, 0 updated" in r.stderr,
         "ingesting everything again changes nothing", r.stderr[-500:])
    t.eq(stats(db)["papers"], 1159, "still 1,159 papers")
    r = t.run("list", "--db", db, "--date", "2024-10-25", "--json")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    hf = [p for p in j.get("papers", []) if p.get("submitted_by")]
    t.eq(len(hf), 9, "the HF day lists its 9 daily papers")
    t.ok(hf and hf[0]["upvotes"] >= hf[-1]["upvotes"], "daily list ordered by upvotes")
    r = t.run("list", "--db", db, "--week", "2024-W43")
    t.ok(r.returncode == 0 and "2410.17243" in r.stdout, "week listing", r.stderr)
    r = t.run("list", "--db", db, "--month", "2024-10")
    t.ok(r.returncode == 0 and "2410.17243" in r.stdout, "month listing", r.stderr)
    r = t.run("list", "--db", db, "--week", "2024-W99")
    t.ok(r.returncode == 2 and "YYYY-Www" in r.stderr, "bad week is a usage error", r.stderr)
    r = t.run("stats", "--db", db)
    t.ok(r.returncode == 0 and "hep-ph" in r.stdout and "2007-04" in r.stdout,
         "stats by category and month", r.stdout[:300])
    j = show(db, "0704.0001")
    t.ok(j is not None and j["authors"][0]["name"].startswith("C. Bal")
         and "\\" not in j["authors"][0]["name"], "TeX accents decoded in author names", j and j["authors"][:1])
    j = show(db, "1601.00001")
    t.ok(j is not None and j["doi"] == "10.1063/1.4944470"
         and j["primary_category"] == "cond-mat.mes-hall", "Atom record fields", j)
else:
    t.skip("real samples", "../shared/data is absent")

t.done()
