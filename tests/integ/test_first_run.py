"""test_first_run.py - what a newcomer sees: `make run` on a machine where
arXiv cannot be reached harvests, fails fast, and serves a page that says
why there are no papers and how to ingest a file; after an ingest the
papers show."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import T  # noqa: E402
from webfixture import Server  # noqa: E402

t = T()
db = t.path("first.db")
# Nothing listens on port 1: the harvest fails at once, like a machine
# without network.
url = "http://127.0.0.1:1/oai"
r = t.run("harvest", "--db", db, "--url", url, "--max-retries", "0", "--delay", "0")
t.ok(r.returncode == 1 and "stopped" in r.stderr, "harvest without a server fails", r.stderr)

srv = Server(t.binary, db, t.tmp, extra=["--cache-ttl", "0", "--quiet"])
try:
    status, hdrs, body = srv.get("/")
    page = body.decode("utf-8", "replace")
    t.eq(status, 200, "/ answers on an empty store")
    t.ok("No papers yet" in page and "paperboy ingest" in page,
         "the empty page says how to ingest a file", page[:500])
    t.ok("The last attempt to harvest arXiv" in page and url in page,
         "the empty page says the harvest failed, and where", page[-1500:])

    kag = t.path("one.jsonl")
    with open(kag, "w") as f:
        f.write(json.dumps({
            "id": "2411.00001", "title": "A first paper", "authors": "Ann Author",
            "abstract": "Something new.", "categories": "cs.LG",
            "versions": [{"version": "v1", "created": "Fri, 1 Nov 2024 10:00:00 GMT"}],
        }) + "\n")
    r = t.run("ingest", "--db", db, kag)
    t.eq(r.returncode, 0, "ingest a file while serving")
    status, hdrs, body = srv.get("/")
    page = body.decode("utf-8", "replace")
    t.ok("A first paper" in page and "The last attempt to harvest" not in page,
         "after the ingest the page shows the paper", page[:800])
finally:
    srv.stop()
t.done()
