"""test_embed_queue.py - the background embedding queue of `paperboy serve`.

Always: serve without a model still serves and says once that semantic
features are off (make model); /metrics says the queue is not on.
With the model installed (make model; data/models or $PAPERBOY_MODELS) and
the shared arXiv sample, against the real binary on 127.0.0.1:
  - 12 ingested papers get vectors (polled through /metrics), and dense
    search over /api/search finds a paper by its title;
  - a paper ingested while serve runs gets a vector and is found by dense
    search; the paper page lists similar papers;
  - a changed abstract is re-embedded: same live vectors, one new hash;
  - while another process holds the vectors' writer lock the queue waits
    (counted in /metrics, logged) and `paperboy embed` says it is busy;
    once released the queue catches up; `paperboy embed` beside an idle
    serve has nothing to do;
  - SIGKILL in the middle of a backlog (batches of 1) leaves valid files;
    the next start finishes; the committed rows came newest first;
  - SIGTERM stops serve cleanly (exit 0);
  - --embed-interval 0 turns the queue off.
No timing assertions: every wait polls with a generous deadline.
"""
import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import T  # noqa: E402
from webfixture import Server  # noqa: E402

MODEL = "all-MiniLM-L6-v2"
DEADLINE = 600  # seconds; ASan builds embed slowly on a shared machine

t = T()
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
models = os.environ.get("PAPERBOY_MODELS") or os.path.join(root, "data", "models")
have_model = os.path.exists(os.path.join(models, MODEL, "model.safetensors"))
src = os.path.join(t.shared, "data", "arxiv", "arxiv-abs-1130.jsonl")


def metrics(srv):
    """The numeric lines of /metrics as a dict (name -> float)."""
    st, _, body = srv.get("/metrics")
    out = {}
    if st != 200:
        return out
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("#") or " " not in line:
            continue
        k, v = line.rsplit(" ", 1)
        try:
            out[k] = float(v)
        except ValueError:
            pass
    return out


def poll(fn, deadline=DEADLINE, every=0.2):
    """Calls fn until it returns a true value or the deadline passes."""
    end = time.time() + deadline
    while True:
        v = fn()
        if v or time.time() > end:
            return v
        time.sleep(every)


def log_has(srv, text):
    return text in srv.read_log()


def api_search(srv, q, mode="dense", limit=5):
    st, _, body = srv.get("/api/search?" + urllib.parse.urlencode(
        {"q": q, "mode": mode, "limit": str(limit)}))
    try:
        return st, json.loads(body)
    except ValueError:
        return st, {}


def dense_first(srv, title, pid):
    st, doc = api_search(srv, title)
    res = doc.get("results") or []
    return st == 200 and doc.get("mode") == "dense" and res and res[0].get("id") == pid


def read_vectors(vdir):
    """(count, [(rowid, hash)] committed, file size) of MODEL.f32."""
    path = os.path.join(vdir, MODEL + ".f32")
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 128 or data[:5] != b"PBVEC":
        return -1, [], len(data)
    dim = struct.unpack_from("<I", data, 12)[0]
    count = struct.unpack_from("<Q", data, 16)[0]
    rec = 16 + 4 * dim
    rows = []
    for i in range(count):
        off = 128 + i * rec
        if off + rec > len(data):
            return -1, rows, len(data)
        rows.append(struct.unpack_from("<qQ", data, off))
    return count, rows, len(data)


def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


# ---- without the model ---------------------------------------------------
bare = t.path("bare")
os.makedirs(bare)
srv = Server(t.binary, os.path.join(bare, "paperboy.db"), t.tmp, ["--embed-interval", "1"])
try:
    t.ok(poll(lambda: log_has(srv, "semantic features are off"), 60),
         "without a model: serve says semantic features are off", srv.read_log())
    t.ok("make model" in srv.read_log(), "and how to turn them on (make model)")
    st = srv.get("/healthz")[0]
    t.eq(st, 200, "and still serves")
    m = metrics(srv)
    t.ok(m.get("paperboy_embed_queue_on") == 0, "/metrics: the queue is not on", m)
    time.sleep(2.5)  # a few more rounds: the message must not repeat
    t.eq(srv.read_log().count("semantic features are off"), 1, "said once, not every round")
finally:
    t.eq(srv.stop(), 0, "SIGTERM stops serve without a model cleanly")

if not os.path.exists(src):
    t.skip("the embedding queue on real papers", "shared data absent")
    t.done()
if not have_model:
    t.skip("the embedding queue on real papers", "model not installed (make model)")
    t.done()

recs = [json.loads(x) for x in open(src, encoding="utf-8").read().splitlines()[:60]]
d = t.path("site")
os.makedirs(d)
db = os.path.join(d, "paperboy.db")
vdir = os.path.join(d, "vectors")
os.symlink(os.path.abspath(models), os.path.join(d, "models"))
write_jsonl(t.path("twelve.jsonl"), recs[:12])
r = t.run("ingest", "--db", db, t.path("twelve.jsonl"))
t.eq(r.returncode, 0, "ingest 12 papers")

# ---- queue off ------------------------------------------------------------
srv = Server(t.binary, db, t.tmp, ["--embed-interval", "0"])
try:
    t.ok("embed queue: off" in srv.read_log(), "--embed-interval 0: the log says the queue is off",
         srv.read_log())
    m = metrics(srv)
    t.ok("paperboy_embed_queue_on" not in m, "and /metrics has no queue numbers")
    time.sleep(3)
    t.ok(not os.path.exists(os.path.join(vdir, MODEL + ".f32")), "and nothing is embedded")
finally:
    srv.stop()

# ---- the queue -------------------------------------------------------------
srv = Server(t.binary, db, t.tmp, ["--embed-interval", "1"])
try:
    m = poll(lambda: (lambda x: x if x.get("paperboy_vectors_total") == 12
                      and x.get("paperboy_embed_pending") == 0 else None)(metrics(srv)))
    t.ok(m, "the queue embeds the 12 papers (/metrics vectors_total 12, pending 0)",
         srv.read_log())
    t.ok(m and m.get("paperboy_embedded_total") == 12 and m.get("paperboy_embed_queue_on") == 1,
         "embedded_total 12, queue on", m)
    t.ok(poll(lambda: dense_first(srv, recs[3]["title"], recs[3]["id"]), 60),
         "dense search over /api/search finds a paper by its title",
         api_search(srv, recs[3]["title"]))

    # A paper ingested while serve runs.
    write_jsonl(t.path("new.jsonl"), [recs[12]])
    r = t.run("ingest", "--db", db, t.path("new.jsonl"))
    t.eq(r.returncode, 0, "ingest a new paper while serve runs")
    t.ok(poll(lambda: metrics(srv).get("paperboy_vectors_total") == 13),
         "the new paper gets a vector", srv.read_log()[-2000:])
    t.ok(poll(lambda: dense_first(srv, recs[12]["title"], recs[12]["id"]), 60),
         "and dense search finds it", api_search(srv, recs[12]["title"]))
    # Each request thread reopens its vectors within seconds of a commit.
    page = "/papers/" + recs[12]["id"]
    t.ok(poll(lambda: (lambda x: x[0] == 200 and b'class="similar"' in x[2])(srv.get(page)), 60),
         "its page lists similar papers", srv.get(page)[2][-1500:])

    # A changed abstract (a new version) is re-embedded.
    _, before, _ = read_vectors(vdir)
    before = dict(before)
    e0 = metrics(srv).get("paperboy_embedded_total", 0)
    rec = dict(recs[1])
    rec["abstract"] = "We study something else entirely: " + rec["abstract"]
    rec["versions"] = list(rec["versions"]) + [{"version": "v9", "created":
                                                 "Mon, 1 Jan 2024 00:00:00 GMT"}]
    write_jsonl(t.path("changed.jsonl"), [rec])
    r = t.run("ingest", "--db", db, t.path("changed.jsonl"))
    t.eq(r.returncode, 0, "ingest a changed abstract")
    m = poll(lambda: (lambda x: x if x.get("paperboy_embedded_total", 0) >= e0 + 1
                      and x.get("paperboy_embed_pending") == 0 else None)(metrics(srv)))
    t.ok(m and m.get("paperboy_embedded_total") == e0 + 1, "exactly one paper re-embedded", m)
    t.ok(m and m.get("paperboy_vectors_total") == 13, "live vectors unchanged (13)", m)
    _, after, _ = read_vectors(vdir)
    latest = dict(after)  # the newest record of a row wins
    changed = [k for k in latest if before.get(k) != latest[k]]
    t.ok(len(changed) == 1 and set(latest) == set(before),
         "one row has a new text hash, no row added", changed)

    # Another writer holds the lock: the queue waits, embed says busy.
    f32 = open(os.path.join(vdir, MODEL + ".f32"), "rb")
    fcntl.flock(f32, fcntl.LOCK_EX)
    write_jsonl(t.path("new2.jsonl"), [recs[13]])
    r = t.run("ingest", "--db", db, t.path("new2.jsonl"))
    t.eq(r.returncode, 0, "ingest a paper while the vectors are locked")
    m = poll(lambda: (lambda x: x if x.get("paperboy_embed_busy_total", 0) >= 1
                      else None)(metrics(srv)))
    t.ok(m and m.get("paperboy_embed_pending") == 1 and m.get("paperboy_vectors_total") == 13,
         "the queue waits for the lock (busy counted, 1 pending)", m)
    t.ok(log_has(srv, "being written by another process"), "and logs why",
         srv.read_log()[-1500:])
    r = t.run("embed", "--db", db, timeout=600)
    t.ok(r.returncode == 1 and "being written by another process" in r.stderr,
         "paperboy embed says the vectors are busy", r.stdout + r.stderr)
    fcntl.flock(f32, fcntl.LOCK_UN)
    f32.close()
    t.ok(poll(lambda: metrics(srv).get("paperboy_vectors_total") == 14),
         "released: the queue catches up", srv.read_log()[-1500:])
    r = t.run("embed", "--db", db, timeout=600)
    t.ok(r.returncode == 0 and "all 14 papers have up-to-date vectors" in r.stdout,
         "paperboy embed beside an idle serve: nothing to do", r.stdout + r.stderr)
finally:
    rc = srv.stop()
t.eq(rc, 0, "SIGTERM stops serve cleanly")
t.ok("shutting down" in open(srv.log_path, encoding="utf-8", errors="replace").read(),
     "and it says so")

# ---- SIGKILL in the middle of a backlog -------------------------------------
write_jsonl(t.path("more.jsonl"), recs[14:60])
r = t.run("ingest", "--db", db, t.path("more.jsonl"))
t.eq(r.returncode, 0, "ingest 46 more papers")
n0 = read_vectors(vdir)[0]
srv = Server(t.binary, db, t.tmp, ["--embed-interval", "1", "--embed-batch", "1"])
m = poll(lambda: (lambda x: x if x.get("paperboy_embedded_total", 0) >= 2 else None)(
    metrics(srv)), every=0.05)
srv.proc.send_signal(signal.SIGKILL)
srv.proc.wait()
srv.log.close()
t.ok(m and m.get("paperboy_embed_pending", 0) > 0, "killed with papers still pending", m)
count, rows, size = read_vectors(vdir)
t.ok(count > n0 and 128 + count * (16 + 4 * 384) <= size,
     "after SIGKILL the header counts only whole committed records", (count, n0, size))
new_rows = [row for row, _ in rows[n0:]]
t.ok(len(new_rows) >= 2 and new_rows == sorted(new_rows, reverse=True),
     "the queue went newest first (row numbers descending)", new_rows)
srv = Server(t.binary, db, t.tmp, ["--embed-interval", "1"])
try:
    m = poll(lambda: (lambda x: x if x.get("paperboy_vectors_total") == 60
                      and x.get("paperboy_embed_pending") == 0 else None)(metrics(srv)))
    t.ok(m, "restarted, the queue finishes (60 vectors)", srv.read_log()[-1500:])
finally:
    t.eq(srv.stop(), 0, "and stops cleanly")
r = t.run("embed", "--db", db, timeout=600)
t.ok(r.returncode == 0 and "all 60 papers have up-to-date vectors" in r.stdout,
     "the files are valid (embed verifies the checksum) and complete", r.stdout + r.stderr)
r = t.run("similar", "--db", db, recs[40]["id"], "--json")
try:
    sims = json.loads(r.stdout).get("similar", [])
except ValueError:
    sims = []
t.ok(r.returncode == 0 and len(sims) == 10 and recs[40]["id"] not in [s["id"] for s in sims],
     "similar works on the vectors the queue wrote", r.stdout[:300] + r.stderr)
shutil.rmtree(t.tmp, ignore_errors=True)
t.done()
