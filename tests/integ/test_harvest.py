"""test_harvest.py - `paperboy harvest` end to end against a local OAI-PMH server.

tests/integ/oai_server.py serves a synthetic arXivRaw list (10 records, 3
per page, records 4 and 9 deleted: 8 papers in 4 pages) on 127.0.0.1 and
misbehaves on request; every request it answers goes to a JSON-lines log
that the checks below read. Covered: every page stored exactly once;
503 + Retry-After honoured; a malformed page and a dropped connection
retried; giving up after --max-retries; an interrupted harvest resuming at
its saved token; badResumptionToken restarting the list once;
noRecordsMatch; incremental harvests starting at the last responseDate.
Every command and server has a time limit; servers are killed at the end.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from harness import T  # noqa: E402  (tests/integ/harness.py, the shared protocol)
except ImportError:  # harness.py not merged yet: the same protocol, minimal
    import tempfile

    class T:
        def __init__(self):
            self.n = self.passed = self.failed = self.skipped = 0
            self.binary = os.environ.get("PAPERBOY") or os.path.join(
                os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "paperboy")
            self.tmp = tempfile.mkdtemp(prefix="paperboy-integ-")

        def ok(self, cond, name, detail=""):
            self.n += 1
            if cond:
                self.passed += 1
                print(f"ok {self.n} - {name}")
            else:
                self.failed += 1
                print(f"not ok {self.n} - {name}")
                for line in str(detail).splitlines()[:20]:
                    print(f"#   {line}")
            sys.stdout.flush()
            return cond

        def eq(self, got, want, name):
            return self.ok(got == want, name, f"got {got!r} want {want!r}")

        def run(self, *args, timeout=120):
            return subprocess.run([self.binary, *args], capture_output=True, text=True,
                                  timeout=timeout)

        def path(self, name):
            return os.path.join(self.tmp, name)

        def done(self):
            print(f"# passed={self.passed} failed={self.failed} skipped={self.skipped}")
            sys.exit(1 if self.failed else 0)

t = T()
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "oai_server.py")
servers = []
ALL = ["2401.%05d" % i for i in range(1, 11) if i not in (4, 9)]  # the 8 live papers


def start_server(name, *args):
    """Starts oai_server.py; returns (base URL, log path, process)."""
    log = t.path(name + ".log")
    p = subprocess.Popen([sys.executable, SERVER, "--log", log, "--deleted", "4,9",
                          "--response-date", "2024-05-03T12:00:00Z", "--max-seconds", "120",
                          *args], stdout=subprocess.PIPE, text=True)
    servers.append(p)
    port = int(p.stdout.readline())
    return f"http://127.0.0.1:{port}/oai", log, p


def stop(p):
    if p.poll() is None:
        p.kill()
        p.wait(timeout=10)


def requests(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def harvest(db, url, *args, timeout=60):
    return t.run("harvest", "--db", db, "--url", url, "--delay", "0.01", *args, timeout=timeout)


def summary(r):
    """The numbers of the summary line, as a dict."""
    m = re.search(r"harvest: (\d+) pages, (\d+) records, (\d+) deleted: (\d+) added, (\d+) updated, "
                  r"(\d+) unchanged, (\d+) failed", r.stderr)
    if not m:
        return {}
    keys = ["pages", "records", "deleted", "added", "updated", "unchanged", "failed"]
    return dict(zip(keys, map(int, m.groups())))


def have_command(name):
    r = t.run("--help")
    return re.search(r"^\s+%s\s" % name, r.stdout + r.stderr, re.M) is not None


HAVE_SHOW = have_command("show") and have_command("stats")


def paper_ids(db):
    """The ids stored, read with sqlite3 (the store's own table)."""
    con = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in con.execute("SELECT arxiv_id FROM papers"))
    finally:
        con.close()


def count(db):
    if HAVE_SHOW:
        r = t.run("stats", "--db", db, "--json")
        try:
            return json.loads(r.stdout)["papers"]
        except (ValueError, KeyError):
            return -1
    return len(paper_ids(db))


def show(db, id_):
    if not HAVE_SHOW:
        return None
    r = t.run("show", "--db", db, "--json", id_)
    return json.loads(r.stdout) if r.returncode == 0 else None


def page_seq(log):
    """[(page, status, fault)] per logged request."""
    return [(e["page"], e["status"], e["fault"]) for e in requests(log)]


try:
    # --- usage -----------------------------------------------------------
    r = t.run("harvest", "--help")
    t.ok(r.returncode == 0 and "--max-retries" in r.stdout, "harvest --help shows options")
    r = t.run("harvest", "--from", "2024-13-01", "--db", t.path("u.db"))
    t.eq(r.returncode, 2, "bad --from is a usage error")
    r = t.run("harvest", "--delay", "soon", "--db", t.path("u.db"))
    t.eq(r.returncode, 2, "bad --delay is a usage error")
    r = t.run("harvest", "--from", "2024-05-01", "--until", "2024-04-01", "--db", t.path("u.db"))
    t.eq(r.returncode, 2, "--from after --until is a usage error")
    r = t.run("harvest", "--max-retries", "-1", "--db", t.path("u.db"))
    t.eq(r.returncode, 2, "negative --max-retries is a usage error")

    # --- a full harvest through a 503, a malformed page, a dropped connection
    db = t.path("a.db")
    url, log, srv = start_server("a", "--fault", "503@2", "--fault", "malformed@3",
                                 "--fault", "drop@4")
    r = harvest(db, url, "--from", "2024-01-01", "--max-retries", "3")
    t.eq(r.returncode, 0, "harvest through transient faults exits 0")
    if r.returncode != 0:
        print("# " + r.stderr.replace("\n", "\n# "))
    seq = page_seq(log)
    t.eq(seq, [(1, 200, None), (2, 503, "503"), (2, 200, None), (3, 200, "malformed"),
               (3, 200, None), (4, 200, "drop"), (4, 200, None)],
         "request sequence: each fault retried once, no page asked twice after success")
    s = summary(r)
    t.eq((s.get("pages"), s.get("records"), s.get("deleted"), s.get("added"), s.get("failed")),
         (4, 8, 2, 8, 0), "summary: 4 pages, 8 records, 2 deleted, 8 added")
    t.eq(count(db), 8, "8 papers stored")
    if not HAVE_SHOW:
        t.eq(paper_ids(db), ALL, "each live record stored exactly once")
        con = sqlite3.connect(db)
        try:
            vs = con.execute("SELECT v.num, v.date FROM paper_versions v JOIN papers p "
                             "ON v.paper = p.id WHERE p.arxiv_id = '2401.00002' "
                             "ORDER BY v.num").fetchall()
        except sqlite3.Error as e:
            vs = [str(e)]
        finally:
            con.close()
        t.ok(len(vs) == 3 and all(isinstance(v, tuple) and v[1] for v in vs),
             "arXivRaw versions with their dates stored", vs)
    else:
        got = [show(db, i) for i in ALL]
        t.ok(all(p is not None for p in got), "each live record can be shown")
        p2 = show(db, "2401.00002")
        t.ok(p2 is not None and p2.get("latest_version") == 3 and len(p2.get("versions")) == 3
             and all(v.get("date") for v in p2["versions"]),
             "arXivRaw versions with their dates stored", json.dumps(p2)[:400])
        t.ok(show(db, "2401.00004") is None, "deleted record not stored")
    reqs = requests(log)
    first = reqs[0]["args"] if reqs else {}
    t.eq(first, {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2024-01-01"},
         "first request: verb, arXivRaw, from")
    t.ok(all(set(e["args"]) == {"verb", "resumptionToken"} for e in reqs[1:]) and len(reqs) > 1,
         "later requests: only verb and the resumption token (decoded intact by the server)")
    t.ok(all(e["ua"] == "paperboy/0.1 (+self-hosted)" for e in reqs), "User-Agent sent")
    gap = [reqs[i + 1]["t"] - reqs[i]["t"] for i in range(len(reqs) - 1)
           if reqs[i]["status"] == 503]
    t.ok(len(gap) == 1 and gap[0] >= 0.95, "Retry-After: 1 honoured (waited >= 1 s)", gap)
    t.ok("Retry-After" in r.stderr and "retry 1 of 3" in r.stderr, "retries are reported")
    t.ok(re.search(r"page 3: 2 records, 1 deleted; 9 so far, list size 10", r.stderr),
         "per-page progress with list size", r.stderr[-600:])

    # --- the same harvest again adds nothing ---------------------------------
    r = harvest(db, url, "--from", "2024-01-01")
    s = summary(r)
    t.ok(r.returncode == 0 and s.get("added") == 0 and s.get("unchanged") == 8
         and s.get("updated") == 0, "second full harvest: 0 added, 8 unchanged", r.stderr[-400:])
    t.eq(count(db), 8, "still 8 papers")

    # --- incremental: no --from starts at the last responseDate day ----------
    n_before = len(requests(log))
    r = harvest(db, url)
    reqs = requests(log)[n_before:]
    t.eq([e["args"].get("from") for e in reqs], ["2024-05-03"],
         "incremental harvest asks from the last responseDate day")
    t.ok(r.returncode == 0 and "no records match" in r.stderr,
         "noRecordsMatch: exit 0 with a message", r.stderr[-300:])

    r = harvest(db, url, "--from", "2030-01-01", "--until", "2030-02-01")
    t.ok(r.returncode == 0 and "no records match" in r.stderr and summary(r).get("pages") == 0,
         "noRecordsMatch for a date range: exit 0, 0 records")
    stop(srv)

    # --- interruption and resume -------------------------------------------
    db = t.path("b.db")
    url, log, srv = start_server("b", "--fail-page", "3")
    r = harvest(db, url, "--max-retries", "0")
    t.ok(r.returncode == 1 and "/oai?verb=ListRecords&resumptionToken=" in r.stderr
         and "HTTP 500" in r.stderr, "a page failing hard stops the harvest with exit 1 naming "
         "the URL", r.stderr[-400:])
    t.eq(page_seq(log), [(1, 200, None), (2, 200, None), (3, 500, "fail")],
         "stopped at page 3 with --max-retries 0")
    t.eq(count(db), 5, "pages 1-2 kept (5 papers)")
    port = url.split(":")[2].split("/")[0]
    stop(srv)
    url, log, srv = start_server("b2", "--port", port)
    r = harvest(db, url)
    seq = page_seq(log)
    t.eq(seq, [(3, 200, None), (4, 200, None)], "second run resumes at page 3, not page 1")
    t.ok(requests(log) and set(requests(log)[0]["args"]) == {"verb", "resumptionToken"},
         "resumed with the saved resumption token")
    s = summary(r)
    t.ok(r.returncode == 0 and s.get("added") == 3 and "resuming" in r.stderr,
         "resumed harvest completes: 3 added", r.stderr[-400:])
    t.eq(count(db), 8, "all 8 papers after the resume")
    n_before = len(requests(log))
    r = harvest(db, url)
    reqs = requests(log)[n_before:]
    t.eq([e["args"].get("from") for e in reqs], ["2024-05-03"],
         "after the resumed harvest completes, the next starts at its responseDate day")
    stop(srv)

    # --- badResumptionToken: the server forgot the token ----------------------
    db = t.path("c.db")
    url, log, srv = start_server("c", "--fail-page", "2")
    r = harvest(db, url, "--from", "2024-01-01", "--max-retries", "2")
    t.eq(r.returncode, 1, "failing page with --max-retries 2 exits 1")
    t.eq(page_seq(log), [(1, 200, None), (2, 500, "fail"), (2, 500, "fail"), (2, 500, "fail")],
         "page 2 asked 1 + 2 times, then giving up")
    t.ok("giving up" in r.stderr and "after 2 retries" in r.stderr, "giving up is reported")
    port = url.split(":")[2].split("/")[0]
    stop(srv)
    # The same URL (the saved state is per URL), a server that forgot its tokens.
    url, log, srv = start_server("c2", "--port", port, "--generation", "g2")
    r = harvest(db, url, "--from", "2024-01-01")
    reqs = requests(log)
    t.eq(page_seq(log)[1:], [(1, 200, None), (2, 200, None), (3, 200, None), (4, 200, None)],
         "after badResumptionToken the list starts again from page 1")
    t.ok(reqs and "resumptionToken" in reqs[0]["args"] and reqs[1]["args"].get("from") ==
         "2024-01-01", "restart uses the same from date")
    t.ok(r.returncode == 0 and count(db) == 8, "restarted harvest completes with 8 papers",
         r.stderr[-400:])

    # --- an endpoint that is not OAI-PMH / nothing listening -----------------
    r = harvest(t.path("d.db"), url.replace("/oai", "/nothing"), "--max-retries", "1")
    t.ok(r.returncode == 1 and "HTTP 404" in r.stderr, "HTTP 404 fails at once", r.stderr[-300:])
    stop(srv)
    r = harvest(t.path("d.db"), url, "--max-retries", "1")
    t.ok(r.returncode == 1 and "giving up" in r.stderr, "nothing listening: retried, then exit 1",
         r.stderr[-300:])
finally:
    for p in servers:
        stop(p)

t.done()
