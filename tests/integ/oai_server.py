#!/usr/bin/env python3
"""oai_server.py - a small OAI-PMH 2.0 server for the harvester's tests.

Serves GET /oai?verb=ListRecords in the arXivRaw format over a synthetic
list of records (ids 2401.00001, 2401.00002, ...), page by page with
resumption tokens, and misbehaves on request:

  --fault KIND@PAGE   once, on the first request for PAGE:
                      503      HTTP 503 with "Retry-After: 1"
                      malformed  HTTP 200 with a body that is not XML
                      drop     announce the full Content-Length, send half
                               the body, close the connection
  --fail-page PAGE    HTTP 500 on every request for PAGE
  --generation G      tokens carry G; a token of another generation (a
                      "restarted server") is answered badResumptionToken

Datestamps: record i is stamped 2024-04-(i % 28 + 1); from/until filter
on them (an empty result is noRecordsMatch). Deleted records (--deleted)
have only a header with status="deleted".

Every request is appended to --log as one JSON line: time, page, the
decoded query, User-Agent, the status sent and the fault played. The
server prints its port on stdout once listening (--port 0 = ephemeral)
and exits by itself after --max-seconds. Python standard library only.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

NS = ('xmlns="http://www.openarchives.org/OAI/2.0/" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
      'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"')
RAW_NS = ('xmlns="http://arxiv.org/OAI/arXivRaw/" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
          'xsi:schemaLocation="http://arxiv.org/OAI/arXivRaw/ '
          'http://arxiv.org/OAI/arXivRaw.xsd"')
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def record_id(i):
    return f"2401.{i:05d}"


def datestamp(i):
    return f"2024-04-{i % 28 + 1:02d}"


def record_xml(i, deleted):
    status = ' status="deleted"' if deleted else ""
    head = (f"<header{status}>"
            f"<identifier>oai:arXiv.org:{record_id(i)}</identifier>"
            f"<datestamp>{datestamp(i)}</datestamp><setSpec>cs</setSpec></header>")
    if deleted:
        return f"<record>{head}</record>\n"
    nv = i % 3 + 1
    versions = "".join(
        f'<version version="v{v}"><date>{DAYS[(v - 1) % 7]}, {v} Jan 2024 10:00:0{v} GMT</date>'
        f"<size>{10 * v}kb</size><source_type>D</source_type></version>"
        for v in range(1, nv + 1))
    return (f"<record>{head}<metadata><arXivRaw {RAW_NS}>"
            f"<id>{record_id(i)}</id><submitter>Ann Author</submitter>{versions}"
            f"<title>Harvested paper number {i}:\n  resumption &amp; retries</title>"
            f"<authors>Ann Author, Bob Writer and Cy Coder</authors>"
            f"<categories>cs.DL cs.IR</categories><comments>{i} pages</comments>"
            f"<license>http://creativecommons.org/licenses/by/4.0/</license>"
            f"<abstract>  The abstract of paper {i}, which is about harvesting\n"
            f"metadata politely.\n</abstract></arXivRaw></metadata></record>\n")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.faults = {}  # page -> kind, played once
        for f in args.fault:
            kind, page = f.split("@")
            self.faults[int(page)] = kind
        self.deleted = {int(x) for x in args.deleted.split(",") if x}
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def write_log(self, entry):
        if self.log:
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")


def make_handler(st):
    a = st.args

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def send(self, status, body, ctype="text/xml; charset=utf-8", headers=(), drop=False):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if drop:
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                try:
                    import socket
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            else:
                self.wfile.write(data)

        def oai(self, inner, req_attrs=""):
            return (f'<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH {NS}>\n'
                    f"<responseDate>{a.response_date or time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
                    f"</responseDate>\n<request{req_attrs}>http://127.0.0.1/oai</request>\n"
                    f"{inner}</OAI-PMH>\n")

        def error(self, code, msg):
            return self.oai(f'<error code="{code}">{escape(msg)}</error>\n')

        def do_GET(self):
            u = urlsplit(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query, keep_blank_values=True).items()}
            multi = any(len(v) > 1 for v in parse_qs(u.query).values())
            entry = {"t": time.time(), "path": u.path, "args": q, "page": None,
                     "ua": self.headers.get("User-Agent"), "fault": None}
            status, body, headers, drop = self.answer(u, q, multi, entry)
            entry["status"] = status
            st.write_log(entry)
            self.send(status, body, headers=headers, drop=drop)

        def answer(self, u, q, multi, entry):
            if u.path != "/oai":
                return 404, "not here\n", (), False
            if multi:
                return 200, self.error("badArgument", "repeated argument"), (), False
            if q.get("verb") != "ListRecords":
                return 200, self.error("badVerb", "only ListRecords here"), (), False
            flt = {"from": None, "until": None, "set": None}
            if "resumptionToken" in q:
                if set(q) != {"verb", "resumptionToken"}:
                    return 200, self.error("badArgument", "resumptionToken is exclusive"), (), False
                parts = q["resumptionToken"].split("|")
                if (len(parts) != 6 or parts[0] != a.generation or parts[2] != "a+b/c&d=e f"
                        or not parts[1].isdigit()):
                    return 200, self.error("badResumptionToken", "unknown token"), (), False
                page = int(parts[1])
                flt = {"from": parts[3] or None, "until": parts[4] or None,
                       "set": parts[5] or None}
            else:
                extra = set(q) - {"verb", "metadataPrefix", "from", "until", "set"}
                if extra:
                    return 200, self.error("badArgument", f"unknown {sorted(extra)}"), (), False
                if q.get("metadataPrefix") != "arXivRaw":
                    return 200, self.error("cannotDisseminateFormat", "arXivRaw only"), (), False
                page = 1
                flt = {k: q.get(k) for k in flt}
            entry["page"] = page
            ids = [i for i in range(1, a.records + 1)
                   if (not flt["from"] or datestamp(i) >= flt["from"])
                   and (not flt["until"] or datestamp(i) <= flt["until"])
                   and (not flt["set"] or flt["set"] == "cs")]
            if not ids:
                return 200, self.error("noRecordsMatch", "nothing in that range"), (), False
            if page == a.fail_page:
                entry["fault"] = "fail"
                return 500, "internal error\n", (), False
            with st.lock:
                fault = st.faults.pop(page, None)
            entry["fault"] = fault
            if fault == "503":
                return 503, "busy, come back later\n", (("Retry-After", "1"),), False
            if fault == "malformed":
                return 200, "<html><body>Proxy error: this is not OAI-PMH", (), False
            ps = a.page_size
            chunk = ids[(page - 1) * ps: page * ps]
            if not chunk:
                return 200, self.error("badResumptionToken", "past the end"), (), False
            recs = "".join(record_xml(i, i in st.deleted) for i in chunk)
            cursor = (page - 1) * ps
            if page * ps < len(ids):
                tok = "|".join([a.generation, str(page + 1), "a+b/c&d=e f", flt["from"] or "",
                                flt["until"] or "", flt["set"] or ""])
                tok_xml = (f'<resumptionToken cursor="{cursor}" completeListSize="{len(ids)}">'
                           f"{escape(tok)}</resumptionToken>\n")
            else:
                tok_xml = f'<resumptionToken cursor="{cursor}" completeListSize="{len(ids)}"/>\n'
            body = self.oai(f"<ListRecords>\n{recs}{tok_xml}</ListRecords>\n",
                            ' verb="ListRecords"')
            return 200, body, (), fault == "drop"

    return H


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--records", type=int, default=10)
    p.add_argument("--page-size", type=int, default=3)
    p.add_argument("--deleted", default="")
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--fail-page", type=int, default=0)
    p.add_argument("--generation", default="g1")
    p.add_argument("--response-date", default="")
    p.add_argument("--max-seconds", type=float, default=120)
    args = p.parse_args()
    st = State(args)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(st))
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    timer = threading.Timer(args.max_seconds, srv.shutdown)
    timer.daemon = True
    timer.start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
