"""webfixture.py - shared by the web integration tests (python stdlib only).

Writes a small Kaggle-shaped JSONL and a Hugging Face daily_papers JSON
with ordinary and hostile papers, loads them with `$PAPERBOY ingest`, and
starts `$PAPERBOY serve` on a free 127.0.0.1 port. Output helpers print the
test protocol: "ok N - name" / "not ok N - name" and, last,
"# passed=N failed=M skipped=K".
"""
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

# Hostile payloads: each must come back inert (escaped) everywhere.
XSS_TITLE = '<script>alert("t1")</script> Breaking the "Memory" Barrier & \'quotes\''
XSS_ABSTRACT = ('Contrastive loss <img src=x onerror=alert("a1")> with $O(n^2)$ memory '
                'and \\emph{LaTeX} kept readable; "quoted" </textarea><svg onload=alert(1)>')
XSS_AUTHOR = 'Eve "><script>alert("au")</script>'
XSS_SUBMITTER = '<b onmouseover=alert("s")>mallory</b>'
MARKERS = ['<script>alert', '<img src=x', '<svg onload', '<b onmouseover']

HOSTILE_ID = '2410.17243'
OLD_ID = 'hep-th/9901001'
DAYS = ['2024-10-23', '2024-10-24', '2024-10-25']
PAGING_DAY = '2024-10-21'
N_PAGING = 35


class Tap:
    def __init__(self):
        self.n = self.passed = self.failed = self.skipped = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if cond:
            self.passed += 1
            print('ok %d - %s' % (self.n, name))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, name))
            if detail is not None:
                for line in str(detail)[:2000].splitlines():
                    print('#   ' + line)
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.skipped += 1
        print('ok - %s # SKIP %s' % (name, why))

    def done(self):
        print('# passed=%d failed=%d skipped=%d' % (self.passed, self.failed, self.skipped))
        return 1 if self.failed else 0


def kaggle_records():
    recs = []

    def rec(pid, title, abstract, authors, cats, created, **extra):
        r = {
            'id': pid, 'submitter': extra.get('submitter', 'Some Body'),
            'authors': authors, 'title': title, 'comments': extra.get('comments'),
            'journal-ref': extra.get('journal_ref'), 'doi': extra.get('doi'),
            'report-no': None, 'categories': cats, 'license': None, 'abstract': abstract,
            'versions': extra.get('versions', [{'version': 'v1', 'created': created}]),
            'update_date': '2024-10-26', 'authors_parsed': [],
        }
        recs.append(r)

    rec(HOSTILE_ID, XSS_TITLE, XSS_ABSTRACT,
        'Zesen Cheng, Hang Zhang, Kehan Li, Sicong Leng, Zhiqiang Hu and ' + XSS_AUTHOR,
        'cs.CV cs.LG', 'Tue, 22 Oct 2024 17:59:30 GMT',
        comments='12 pages <i>italic</i>', doi='10.1234/"><script>alert(9)</script>',
        journal_ref='J. Evil <script>alert(8)</script>',
        versions=[{'version': 'v1', 'created': 'Tue, 22 Oct 2024 17:59:30 GMT'},
                  {'version': 'v2', 'created': 'Thu, 24 Oct 2024 10:00:00 GMT'}])
    # Daily-list papers (on HF lists), three days.
    for i in range(7):
        rec('2410.%05d' % (18000 + i), 'Sparse attention for long context number %d' % i,
            'We study sparse attention and retrieval for long documents, case %d.' % i,
            'Alice Smith, Bob Jones and Carol White', 'cs.CL' if i % 2 else 'cs.LG cs.AI',
            'Mon, 21 Oct 2024 10:00:00 GMT')
    # Papers only on arXiv, all on one day (for paging).
    for i in range(N_PAGING):
        rec('2410.%05d' % (19000 + i), 'Quantum widget study %d' % i,
            'A plain abstract about quantum widgets, item %d.' % i, 'Dan Brown', 'quant-ph',
            'Mon, 21 Oct 2024 09:00:00 GMT')
    rec(OLD_ID, 'An old-style identifier paper',
        'Strings and branes, with \\alpha\' corrections.', 'E. Witten', 'hep-th',
        'Mon, 4 Jan 1999 00:00:00 GMT')
    return recs


def hf_items():
    items = []

    def item(pid, title, day, upvotes, comments, submitter, fullname, authors):
        items.append({
            'paper': {'id': pid, 'authors': [{'name': a} for a in authors],
                      'publishedAt': day + 'T08:00:00.000Z', 'title': title,
                      'summary': 'summary of ' + title, 'upvotes': upvotes},
            'publishedAt': day + 'T09:00:00.000Z', 'title': title, 'numComments': comments,
            'submittedBy': {'name': submitter, 'fullname': fullname},
        })

    item(HOSTILE_ID, XSS_TITLE, DAYS[2], 64, 3, 'mallory', XSS_SUBMITTER,
         ['Zesen Cheng', XSS_AUTHOR])
    ups = [5, 40, 12, 33, 7, 21, 2]
    for i in range(7):
        item('2410.%05d' % (18000 + i), 'Sparse attention for long context number %d' % i,
             DAYS[i % 3], ups[i], i % 3, 'akhaliq', 'AK', ['Alice Smith', 'Bob Jones'])
    return items


def write_inputs(tmp):
    kag = os.path.join(tmp, 'kaggle.jsonl')
    with open(kag, 'w', encoding='utf-8') as f:
        for r in kaggle_records():
            f.write(json.dumps(r) + '\n')
    hf = os.path.join(tmp, 'daily_papers.json')
    with open(hf, 'w', encoding='utf-8') as f:
        json.dump(hf_items(), f)
    return kag, hf


def ingest_available(paperboy):
    r = subprocess.run([paperboy, 'ingest', '--help'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


MONTHS = {m: i + 1 for i, m in enumerate(
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'])}


def sqlite_fill(db, records=None, items=None):
    """Fallback while `paperboy ingest` is not in this build: the same
    records written straight into the store's schema (version 1)."""
    records = kaggle_records() if records is None else records
    items = hf_items() if items is None else items
    con = sqlite3.connect(db)
    daily = {it['paper']['id']: it for it in items}
    months = MONTHS
    for r in records:
        parts = r['versions'][0]['created'].split()
        created = '%s-%02d-%02dT%s' % (parts[3], months[parts[2]], int(parts[1]), parts[4] + 'Z')
        it = daily.get(r['id'])
        list_day = it['publishedAt'][:10] if it else created[:10]
        ups = it['paper']['upvotes'] if it else 0
        cats = r['categories']
        cur = con.execute(
            'INSERT INTO papers (arxiv_id, title_raw, title, abstract_raw, abstract, authors_raw,'
            ' primary_category, categories, comments, journal_ref, doi, submitter, created,'
            ' updated, latest_version, list_day, list_upvotes) VALUES'
            ' (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
            (r['id'], r['title'], r['title'], r['abstract'], r['abstract'], r['authors'],
             cats.split()[0], cats, r['comments'], r['journal-ref'], r['doi'], r['submitter'],
             created, created, len(r['versions']), list_day, ups))
        rowid = cur.lastrowid
        names = [a.strip() for a in r['authors'].replace(' and ', ', ').split(', ')]
        for pos, name in enumerate(names):
            con.execute('INSERT INTO paper_authors (paper, pos, name) VALUES (?,?,?)',
                        (rowid, pos, name))
        for v in r['versions']:
            con.execute('INSERT INTO paper_versions (paper, num, date) VALUES (?,?,?)',
                        (rowid, int(v['version'][1:]), created))
        for k, c in enumerate(cats.split()):
            con.execute('INSERT INTO paper_categories (paper, category, is_primary)'
                        ' VALUES (?,?,?)', (rowid, c, 1 if k == 0 else 0))
    for it in items:
        con.execute(
            'INSERT INTO daily_entries (paper_id, day, source, published_at, submitter,'
            ' submitter_name, title, upvotes, num_comments) VALUES (?,?,?,?,?,?,?,?,?)',
            (it['paper']['id'], it['publishedAt'][:10], 'hf', it['publishedAt'],
             it['submittedBy']['name'], it['submittedBy']['fullname'], it['title'],
             it['paper']['upvotes'], it['numComments']))
    con.commit()
    con.close()


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """`paperboy serve` on a free port; stderr goes to a file."""

    def __init__(self, paperboy, db, tmp, extra=()):
        self.port = free_port()
        self.log_path = os.path.join(tmp, 'serve-%d.log' % self.port)
        self.log = open(self.log_path, 'wb')
        self.proc = subprocess.Popen(
            [paperboy, 'serve', '--db', db, '--listen', '127.0.0.1:%d' % self.port] + list(extra),
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('serve exited: ' + self.read_log())
            try:
                if self.get('/healthz')[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError('serve did not answer /healthz: ' + self.read_log())

    def request(self, method, path, headers=None, body=None):
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader('Content-Length', str(len(body)))
        c.endheaders(body)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def get(self, path, headers=None):
        return self.request('GET', path, headers)

    def read_log(self):
        self.log.flush()
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


def make_store(paperboy, tmp, tap=None):
    """Creates and fills a store; returns (db path, how it was filled)."""
    db = os.path.join(tmp, 'paperboy.db')
    kag, hf = write_inputs(tmp)
    if ingest_available(paperboy):
        for f in (kag, hf):
            r = subprocess.run([paperboy, 'ingest', '--db', db, f], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if tap:
                tap.ok(r.returncode == 0, 'paperboy ingest %s' % os.path.basename(f),
                       r.stdout.decode('utf-8', 'replace'))
        return db, 'ingest'
    # Let the server create the schema, then fill it directly.
    s = Server(paperboy, db, tmp)
    s.stop()
    sqlite_fill(db)
    return db, 'sqlite3 (paperboy ingest not in this build)'


def tempdir():
    base = os.environ.get('BUILD') or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix='test-web-', dir=base)
