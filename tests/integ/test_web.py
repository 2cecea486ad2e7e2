#!/usr/bin/env python3
"""test_web.py - `paperboy serve` over real HTTP (python stdlib only).

Fills a store with ordinary and hostile papers (`paperboy ingest` of a
Kaggle-shaped JSONL and a Hugging Face daily_papers JSON), starts the
server on a free 127.0.0.1 port and checks every route: status codes and
content types, ETag/304, gzip, security headers, caps (414/431/400), 404 as
JSON under /api/ and HTML elsewhere, hostile input coming back inert, the
OpenAPI document against the router's table, Atom validity (RFC 4287
required elements), metrics, the access log and connection limits.
Environment: PAPERBOY (the binary), BUILD (scratch space).
"""
import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import webfixture as wf  # noqa: E402

PAPERBOY = os.environ.get('PAPERBOY', 'build/paperboy')
ATOM = '{http://www.w3.org/2005/Atom}'
RFC3339 = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$')

t = wf.Tap()


def text(body):
    return body.decode('utf-8', 'replace')


def inert(body):
    s = text(body)
    return not any(m in s for m in wf.MARKERS)


def check_empty_store(tmp):
    db = os.path.join(tmp, 'empty.db')
    s = wf.Server(PAPERBOY, db, tmp)
    try:
        st, h, b = s.get('/')
        page = text(b)
        t.ok(st == 200 and 'No papers yet' in page, 'empty store: / says so')
        t.ok('paperboy harvest' in page and 'paperboy ingest FILE' in page,
             'empty store: says how to get papers')
        t.ok('JSON lines' in page and 'OAI-PMH' in page and 'daily_papers' in page,
             'empty store: lists the accepted formats')
        st, h, b = s.get('/api/daily_papers')
        t.ok(st == 200 and json.loads(b) == [], 'empty store: /api/daily_papers is []')
        st, h, b = s.get('/papers/trending')
        t.ok(st == 200 and 'No papers yet' in text(b), 'empty store: trending says so')
        st, h, b = s.get('/feeds/daily.atom')
        root = ET.fromstring(b)
        t.ok(st == 200 and root.find(ATOM + 'updated') is not None, 'empty store: feed valid')
    finally:
        s.stop()


def check_routes(s):
    routes = [
        ('/', 200, 'text/html'),
        ('/papers/date/' + wf.DAYS[2], 200, 'text/html'),
        ('/papers/date/' + wf.DAYS[0], 200, 'text/html'),
        ('/papers/week/2024-W43', 200, 'text/html'),
        ('/papers/month/2024-10', 200, 'text/html'),
        ('/papers/trending', 200, 'text/html'),
        ('/papers/' + wf.HOSTILE_ID, 200, 'text/html'),
        ('/papers/' + wf.OLD_ID, 200, 'text/html'),
        ('/papers/' + wf.HOSTILE_ID + '.bib', 200, 'text/x-bibtex'),
        ('/papers/' + wf.OLD_ID + '.bib', 200, 'text/x-bibtex'),
        ('/search', 200, 'text/html'),
        ('/search?q=sparse+attention', 200, 'text/html'),
        ('/about', 200, 'text/html'),
        ('/api/daily_papers', 200, 'application/json'),
        ('/api/daily_papers?date=' + wf.DAYS[1], 200, 'application/json'),
        ('/api/daily_papers?week=2024-W43', 200, 'application/json'),
        ('/api/daily_papers?month=2024-10', 200, 'application/json'),
        ('/api/papers/' + wf.HOSTILE_ID, 200, 'application/json'),
        ('/api/papers/' + wf.OLD_ID, 200, 'application/json'),
        ('/api/search?q=sparse', 200, 'application/json'),
        ('/api/trending', 200, 'application/json'),
        ('/api/openapi.json', 200, 'application/json'),
        ('/feeds/daily.atom', 200, 'application/atom+xml'),
        ('/feeds/trending.atom', 200, 'application/atom+xml'),
        ('/feeds/search.atom?q=sparse', 200, 'application/atom+xml'),
        ('/healthz', 200, 'text/plain'),
        ('/metrics', 200, 'text/plain'),
        ('/nope', 404, 'text/html'),
        ('/papers/9999.99999', 404, 'text/html'),
        ('/papers/date/2024-02-30', 404, 'text/html'),
        ('/papers/week/2024-W60', 404, 'text/html'),
        ('/papers/month/2024-13', 404, 'text/html'),
        ('/api/nope', 404, 'application/json'),
        ('/api/papers/2410.99999', 404, 'application/json'),
        ('/api/daily_papers?date=junk', 400, 'application/json'),
        ('/assets/app.0000000000000000.css', 404, 'text/plain'),
    ]
    for path, want, ctype in routes:
        st, h, b = s.get(path)
        t.ok(st == want and h.get('content-type', '').startswith(ctype),
             '%s -> %d %s' % (path, want, ctype), '%d %s' % (st, h.get('content-type')))
    st, h, b = s.get('/healthz')
    t.ok(b == b'ok\n', '/healthz says ok')
    st, h, b = s.request('HEAD', '/')
    t.ok(st == 200 and b == b'' and h.get('content-type', '').startswith('text/html'),
         'HEAD: headers without a body')
    st, h, b = s.request('POST', '/', body=b'x=1')
    t.ok(st == 405 and 'GET' in h.get('allow', ''), 'POST -> 405 with Allow')
    # Keep-alive: several requests on one connection.
    import http.client
    c = http.client.HTTPConnection('127.0.0.1', s.port, timeout=20)
    statuses = []
    for path in ['/', '/about', '/api/trending', '/nope', '/']:
        c.request('GET', path)
        r = c.getresponse()
        r.read()
        statuses.append((r.status, (r.getheader('connection') or '').lower()))
    c.close()
    t.ok([x[0] for x in statuses] == [200, 200, 200, 404, 200] and
         all(x[1] != 'close' for x in statuses), 'keep-alive across requests', statuses)
    out = raw_request(s.port, b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' +
                      b'z' * 200000)
    t.ok(out == b'' or out.startswith(b'HTTP/1.1 '), 'a large unwanted body is dropped', out[:30])


def check_api_errors(s):
    st, h, b = s.get('/api/nope')
    doc = json.loads(b)
    t.ok(doc == {'status': 404, 'message': doc.get('message')} and doc['message'],
         'API 404 is JSON {status, message}')
    st, h, b = s.get('/nope')
    page = text(b)
    t.ok('<h1>Not found</h1>' in page and '<main' in page, 'HTML 404 page says what happened')
    st, h, b = s.get('/api/daily_papers?date=2024-10-25&week=2024-W43')
    t.ok(st == 400 and json.loads(b)['status'] == 400, 'API 400 is JSON')


def check_daily(s):
    st, h, b = s.get('/')
    page = text(b)
    t.ok('<header' in page and '<nav' in page and '<main' in page and '<article' in page,
         'semantic HTML: header, nav, main, article')
    t.ok('class="skip" href="#main"' in page, 'skip link')
    # Latest day first, with its papers by upvotes.
    t.ok('datetime="%s"' % wf.DAYS[2] in page, '/ shows the latest day')
    m = re.search(r'<a rel="prev" href="(/papers/date/[0-9-]+)"', page)
    t.ok(m and m.group(1) == '/papers/date/' + wf.DAYS[1], 'previous-day link',
         m and m.group(1))
    if m:
        st, h, b2 = s.get(m.group(1))
        prev = text(b2)
        n = re.search(r'<a rel="next" href="(/papers/date/[0-9-]+)"', prev)
        t.ok(st == 200 and n and n.group(1) == '/papers/date/' + wf.DAYS[2],
             'previous day links back to the next day')
    # Card content: title link, authors et al., categories, date, votes, comments, submitter.
    t.ok('href="/papers/%s"' % wf.HOSTILE_ID in page, 'card title links to the paper page')
    t.ok(' et al.' in page, 'long author lists end with et al.')
    t.ok('class="chip"' in page and '>cs.CV<' in page, 'categories shown')
    t.ok('aria-label="64 upvotes"' in page, 'upvotes shown')
    t.ok('3 comments' in page, 'comment count shown')
    t.ok('Submitted by' in page, 'submitter shown for daily entries')
    # Ordered by upvotes within the day.
    st, h, b = s.get('/api/daily_papers?date=' + wf.DAYS[1])
    items = json.loads(b)
    ups = [it['paper']['upvotes'] for it in items]
    t.ok(len(items) >= 2 and ups == sorted(ups, reverse=True), 'daily API by upvotes', ups)
    it = items[0]
    t.ok(set(it) >= {'paper', 'publishedAt', 'title', 'numComments', 'submittedBy'} and
         set(it['paper']) >= {'id', 'authors', 'publishedAt', 'title', 'summary', 'upvotes'},
         'daily item follows the Hugging Face shape', it)
    t.ok(it['submittedBy'] == {'name': 'akhaliq', 'fullname': 'AK'}, 'submittedBy {name, fullname}')
    # Paging: PAGING_DAY has N_PAGING papers.
    st, h, b = s.get('/papers/date/' + wf.PAGING_DAY)
    page = text(b)
    t.ok('Page 1 of 2' in page and 'page=2' in page, 'paging: page 1 of 2')
    st, h, b = s.get('/papers/date/%s?page=2' % wf.PAGING_DAY)
    t.ok(st == 200 and 'Page 2 of 2' in text(b) and text(b).count('<article class="card">') ==
         wf.N_PAGING - 30, 'paging: page 2 has the rest')
    st, h, b = s.get('/papers/date/%s?page=x' % wf.PAGING_DAY)
    t.ok(st == 400, 'paging: ?page=x -> 400')
    st, h, b = s.get('/api/daily_papers?date=%s&limit=10&page=4' % wf.PAGING_DAY)
    t.ok(len(json.loads(b)) == 5, 'API paging with limit and page')
    st, h, b = s.get('/papers/week/2024-W43')
    page = text(b)
    t.ok('Week 43' in page and 'rel="prev" href="/papers/week/2024-W42"' in page,
         'week page with previous week')
    st, h, b = s.get('/papers/month/2024-10')
    t.ok('October 2024' in text(b) and 'rel="prev" href="/papers/month/2024-09"' in text(b),
         'month page with previous month')
    st, h, b = s.get('/api/daily_papers?month=2024-10&limit=100')
    t.ok(len(json.loads(b)) == 8 + wf.N_PAGING, 'month API holds the month')


def check_trending(s):
    st, h, b = s.get('/papers/trending')
    page = text(b)
    t.ok('most upvoted' in page and '7 days' in page, 'trending explains itself')
    st, h, b = s.get('/api/trending')
    items = json.loads(b)
    ups = [it['paper']['upvotes'] for it in items]
    t.ok(len(items) == 8 and ups == sorted(ups, reverse=True) and ups[0] == 64,
         'trending: daily entries by upvotes', ups)


def check_paper(s):
    st, h, b = s.get('/papers/' + wf.HOSTILE_ID)
    page = text(b)
    t.ok('https://arxiv.org/abs/%s' % wf.HOSTILE_ID in page and
         'https://arxiv.org/pdf/%s' % wf.HOSTILE_ID in page, 'arXiv and PDF links')
    t.ok('href="https://doi.org/10.1234/%22%3E%3Cscript%3Ealert%289%29%3C/script%3E"' in page,
         'DOI link, percent-encoded')
    t.ok('$O(n^2)$' in page and '\\emph{LaTeX}' in page, 'LaTeX left readable')
    t.ok('<ol class="versions">' in page and '>v2<' in page, 'versions listed')
    t.ok('Journal reference' in page, 'journal reference shown')
    t.ok('data-copy="bibtex"' in page and '<pre id="bibtex">' in page, 'BibTeX with a copy button')
    t.ok('Similar papers' in page, 'similar-papers hook')
    t.ok('64 upvotes' in page, 'paper page shows upvotes')
    st, h, b = s.get('/papers/%s.bib' % wf.HOSTILE_ID)
    bib = text(b)
    t.ok(bib.startswith('@') and 'eprint        = {%s}' % wf.HOSTILE_ID in bib and
         bib.count('{') == bib.count('}'), 'BibTeX file is well formed', bib)
    st, h, b = s.get('/papers/%s' % wf.OLD_ID)
    t.ok(st == 200 and 'An old-style identifier paper' in text(b), 'old-style id with a slash')
    st, h, b = s.get('/papers/hep-th%2F9901001')
    t.ok(st == 200, 'old-style id with %2F')
    st, h, b = s.get('/papers/%sv2' % wf.HOSTILE_ID)
    t.ok(st == 301 and h.get('location') == '/papers/' + wf.HOSTILE_ID,
         'versioned id redirects to the canonical page', h.get('location'))
    st, h, b = s.get('/papers/arXiv:%s.bib' % wf.HOSTILE_ID)
    t.ok(st == 301 and h.get('location') == '/papers/%s.bib' % wf.HOSTILE_ID,
         'arXiv: prefix redirects (bib)')
    st, h, b = s.get('/api/papers/%s' % wf.HOSTILE_ID)
    doc = json.loads(b)
    t.ok(doc['id'] == wf.HOSTILE_ID and doc['title'] == wf.XSS_TITLE and
         len(doc['versions']) == 2, 'API paper round-trips hostile text exactly')
    # No open redirects.
    for path in ['//evil.example/', '/\\evil.example', '/papers/%2F%2Fevil.example',
                 '/papers/..%2F..%2Fetc%2Fpasswd']:
        st, h, b = s.get(path)
        loc = h.get('location', '')
        t.ok(not loc or (loc.startswith('/') and not loc.startswith('//') and
                         not loc.startswith('/\\')), 'no open redirect: ' + path, loc)


def check_search(s):
    st, h, b = s.get('/search?q=sparse+attention')
    page = text(b)
    t.ok('<mark>' in page and 'Sparse' in page, 'search highlights terms')
    t.ok('id="search-form"' in page and 'name="cat"' in page and 'name="from"' in page,
         'search form with category and date filters')
    st, h, b = s.get('/search?q=sparse&cat=cs.CL')
    t.ok(st == 200 and 'quant-ph' not in text(b), 'category filter')
    st, h, b = s.get('/search?q=zzzzqqq')
    t.ok('No papers match' in text(b) and 'Try' in text(b), 'help when nothing matches')
    st, h, b = s.get('/search?q=' + wf.HOSTILE_ID)
    t.ok(st == 302 and h.get('location') == '/papers/' + wf.HOSTILE_ID, 'exact id goes to paper')
    st, h, b = s.get('/api/search?q=sparse')
    doc = json.loads(b)
    t.ok(doc['total'] >= 7 and doc['results'] and 'snippet' in doc['results'][0],
         'API search results', doc.get('total'))
    st, h, b = s.get('/search?q=%3Cscript%3Ealert(%22q%22)%3C/script%3E%22%3E')
    page = text(b)
    t.ok('<script>alert("q")' not in page and '&lt;script&gt;alert(&quot;q&quot;)' in page,
         'reflected query is escaped')
    st, h, b = s.get('/search?q=' + 'a' * 400)
    t.ok(st == 400 and 'too long' in text(b), 'search text over the cap -> 400 page says why')
    st, h, b = s.get('/api/search?q=' + 'a' * 400)
    t.ok(st == 400 and json.loads(b)['status'] == 400, 'API search cap -> JSON 400')


def check_hostile(s):
    for path in ['/', '/papers/date/' + wf.DAYS[2], '/papers/trending', '/papers/' + wf.HOSTILE_ID,
                 '/search?q=memory', '/search?q=eve', '/papers/week/2024-W43',
                 '/papers/month/2024-10', '/feeds/daily.atom', '/feeds/trending.atom',
                 '/feeds/search.atom?q=memory']:
        st, h, b = s.get(path)
        t.ok(st == 200 and inert(b), 'hostile text inert: ' + path)
    st, h, b = s.get('/papers/' + wf.HOSTILE_ID)
    page = text(b)
    t.ok('&lt;script&gt;alert(&quot;t1&quot;)&lt;/script&gt;' in page, 'title escaped, not dropped')
    t.ok('Eve &quot;&gt;&lt;script&gt;' in page, 'author escaped, not dropped')
    for path in ['/api/daily_papers?date=' + wf.DAYS[2], '/api/trending',
                 '/api/search?q=memory']:
        st, h, b = s.get(path)
        t.ok('</script' not in text(b), 'JSON never carries a raw </script: ' + path)
        try:
            json.loads(b)
            t.ok(True, 'JSON parses: ' + path)
        except ValueError as e:
            t.ok(False, 'JSON parses: ' + path, e)


def check_headers(s):
    st, h, b = s.get('/')
    csp = h.get('content-security-policy', '')
    t.ok("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and
         'unsafe-inline' not in csp and 'unsafe-eval' not in csp, 'strict CSP', csp)
    t.ok(h.get('x-content-type-options') == 'nosniff', 'nosniff')
    t.ok(h.get('referrer-policy'), 'Referrer-Policy')
    t.ok(h.get('x-frame-options') == 'DENY', 'X-Frame-Options')
    page = text(b)
    t.ok(not re.search(r'<script(?![^>]*\bsrc=)', page) and ' style=' not in page and
         '<style' not in page and ' onclick' not in page, 'no inline script or style')
    t.ok('max-age' in h.get('cache-control', '') and h.get('etag'), 'pages: max-age + ETag')
    # Assets: content-hash URLs, immutable.
    for m in re.finditer(r'(?:href|src)="(/assets/[^"]+)"', page):
        st2, h2, b2 = s.get(m.group(1))
        t.ok(st2 == 200 and 'immutable' in h2.get('cache-control', ''),
             'asset %s immutable' % m.group(1))


def check_conditional(s):
    for path in ['/', '/papers/' + wf.HOSTILE_ID, '/api/daily_papers', '/search?q=sparse']:
        st, h, b = s.get(path)
        etag = h.get('etag')
        st2, h2, b2 = s.get(path, {'If-None-Match': etag})
        t.ok(etag and st2 == 304 and b2 == b'' and h2.get('etag') == etag,
             'ETag -> 304: ' + path, '%s %s' % (etag, st2))
        st3, h3, b3 = s.get(path, {'If-None-Match': '"nope"'})
        t.ok(st3 == 200 and b3 == b, 'other ETag -> 200: ' + path)


def check_gzip(s):
    for path in ['/', '/api/trending', '/feeds/daily.atom', '/papers/' + wf.HOSTILE_ID]:
        st, h, plain = s.get(path)
        st2, h2, z = s.get(path, {'Accept-Encoding': 'gzip, deflate'})
        ok = st2 == 200 and h2.get('content-encoding') == 'gzip'
        t.ok(ok and gzip.decompress(z) == plain and len(z) < len(plain),
             'gzip: ' + path)
        t.ok('accept-encoding' in h2.get('vary', '').lower(), 'Vary: Accept-Encoding: ' + path)
        st3, h3, b3 = s.get(path, {'Accept-Encoding': 'gzip;q=0'})
        t.ok('content-encoding' not in h3 and b3 == plain, 'gzip;q=0 -> identity: ' + path)


def raw_request(port, data, read=True):
    c = socket.create_connection(('127.0.0.1', port), timeout=20)
    c.sendall(data)
    out = b''
    if read:
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    c.close()
    return out


def check_caps(s):
    st, h, b = s.get('/search?q=' + 'x' * 5000)
    t.ok(st == 414 and 'too long' in text(b).lower() or 'longer' in text(b), 'URL over 4096 -> 414',
         st)
    st, h, b = s.get('/', {'X-Big': 'y' * 20000})
    t.ok(st == 431 and 'headers' in text(b).lower(), 'headers over 16 KiB -> 431', st)
    hdrs = {'X-H%d' % i: 'v' for i in range(150)}
    st, h, b = s.get('/', hdrs)
    t.ok(st == 431, '150 header lines -> 431', st)
    st, h, b = s.get('/search?' + '&'.join('p%d=1' % i for i in range(40)))
    t.ok(st == 400 and 'too many' in text(b), '40 parameters -> 400 page says why', st)
    st, h, b = s.get('/search?q=a&pad=' + 'z' * 2500)
    t.ok(st == 400 and 'query string is too long' in text(b), 'query over 2048 bytes -> 400', st)
    st, h, b = s.get('/search?q=%zz')
    t.ok(st == 400, 'bad %-escape -> 400', st)
    st, h, b = s.get('/papers/%ff')
    t.ok(st == 400, 'invalid UTF-8 in path -> 400', st)
    # Way past every cap: the server refuses without falling over.
    out = raw_request(s.port, b'GET /' + b'a' * 200000 + b' HTTP/1.1\r\nHost: x\r\n\r\n')
    t.ok(out[:12] in (b'HTTP/1.1 414', b'HTTP/1.1 431', b'HTTP/1.1 400') or out == b'',
         'huge request line refused', out[:40])
    st, h, b = s.get('/healthz')
    t.ok(st == 200, 'still serving after hostile requests')


def check_openapi(s):
    st, h, b = s.get('/api/openapi.json')
    doc = json.loads(b)
    t.ok(doc.get('openapi', '').startswith('3.'), 'OpenAPI 3 document')
    r = subprocess.run([PAPERBOY, 'serve', '--list-routes'], stdout=subprocess.PIPE, check=False)
    rows = [line.split() for line in r.stdout.decode().splitlines()]
    table = {row[1] for row in rows if 'api' in row[3:]}
    t.ok(r.returncode == 0 and table, 'serve --list-routes prints the table')
    t.ok(set(doc['paths']) == table, 'OpenAPI paths == router api routes',
         'doc-only: %s table-only: %s' % (set(doc['paths']) - table, table - set(doc['paths'])))
    for path, ops in doc['paths'].items():
        t.ok(set(ops) == {'get'} and ops['get'].get('responses'), 'documented GET: ' + path)
    # Every documented route answers (with example values for path parameters).
    for path in doc['paths']:
        concrete = path.replace('{id}', wf.HOSTILE_ID)
        st, h, b = s.get(concrete + ('?q=memory' if concrete.endswith('search') else ''))
        t.ok(st == 200 and h.get('content-type', '').startswith('application/json'),
             'documented route answers: ' + concrete, st)


def check_atom(s):
    for path, min_entries in [('/feeds/daily.atom', 1), ('/feeds/trending.atom', 8),
                              ('/feeds/search.atom?q=sparse', 7)]:
        st, h, b = s.get(path)
        try:
            root = ET.fromstring(b)
        except ET.ParseError as e:
            t.ok(False, 'Atom parses: ' + path, e)
            continue
        t.ok(root.tag == ATOM + 'feed', 'Atom root is feed: ' + path)
        for el in ('id', 'title', 'updated'):
            node = root.find(ATOM + el)
            t.ok(node is not None and (node.text or '').strip(), 'feed has %s: %s' % (el, path))
        t.ok(RFC3339.match(root.find(ATOM + 'updated').text or ''), 'feed updated is RFC 3339')
        t.ok(root.find(ATOM + 'author/' + ATOM + 'name') is not None, 'feed author: ' + path)
        self_links = [ln for ln in root.findall(ATOM + 'link') if ln.get('rel') == 'self']
        t.ok(len(self_links) == 1, 'one self link: ' + path)
        entries = root.findall(ATOM + 'entry')
        t.ok(len(entries) >= min_entries, 'entries: ' + path, len(entries))
        bad = []
        ids = set()
        for e in entries:
            for el in ('id', 'title', 'updated', 'summary'):
                if e.find(ATOM + el) is None:
                    bad.append((el, e.findtext(ATOM + 'id')))
            if not RFC3339.match(e.findtext(ATOM + 'updated') or ''):
                bad.append(('updated format', e.findtext(ATOM + 'updated')))
            if not [ln for ln in e.findall(ATOM + 'link') if ln.get('rel', 'alternate') ==
                    'alternate' and ln.get('href', '').startswith('http')]:
                bad.append(('alternate link', e.findtext(ATOM + 'id')))
            if e.find(ATOM + 'author/' + ATOM + 'name') is None:
                bad.append(('author', e.findtext(ATOM + 'id')))
            ids.add(e.findtext(ATOM + 'id'))
        t.ok(not bad, 'entries have id/title/updated/link/author/summary: ' + path, bad[:5])
        t.ok(len(ids) == len(entries), 'entry ids unique: ' + path)
    st, h, b = s.get('/feeds/daily.atom')
    root = ET.fromstring(b)
    titles = [e.findtext(ATOM + 'title') for e in root.findall(ATOM + 'entry')]
    t.ok(wf.XSS_TITLE in titles, 'hostile title survives XML escaping intact')


def check_metrics_and_log(s):
    st, h, b = s.get('/metrics')
    m = text(b)
    t.ok('paperboy_http_requests_total{route="home",status="200"}' in m, 'metrics by route/status')
    t.ok('paperboy_http_requests_total{route="api_other",status="404"}' in m, 'metrics count 404s')
    t.ok('paperboy_http_request_duration_seconds_bucket{le="+Inf"}' in m and
         'paperboy_http_request_duration_seconds_count' in m, 'latency histogram')
    t.ok(re.search(r'^paperboy_papers %d$' % (len(wf.kaggle_records())), m, re.M),
         'paper count gauge', re.findall(r'^paperboy_papers.*$', m, re.M))
    t.ok(re.search(r'^paperboy_store_bytes \d+$', m, re.M), 'store size gauge')
    t.ok(re.search(r'^paperboy_index_bytes -?\d+$', m, re.M), 'index size gauge')
    for line in m.splitlines():
        if line and not line.startswith('#') and not re.match(
                r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$', line):
            t.ok(False, 'Prometheus line syntax', line)
            break
    else:
        t.ok(True, 'Prometheus line syntax')
    time.sleep(0.2)
    log = s.read_log()
    t.ok(re.search(r'^GET / 200 \d+ \d+us$', log, re.M), 'access log: method path status bytes us')
    t.ok(re.search(r'^GET /nope 404 \d+ \d+us$', log, re.M), 'access log records 404s')


def check_limits(tmp, db):
    s = wf.Server(PAPERBOY, db, tmp, ['--max-per-ip', '4', '--timeout', '30'])
    try:
        # Eight stuck clients (request never finished) from one address:
        # at most four may stay connected, the rest are closed at once.
        conns = [socket.create_connection(('127.0.0.1', s.port), timeout=10) for _ in range(8)]
        for c in conns:
            try:
                c.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
            except OSError:
                pass
        time.sleep(0.5)
        alive = refused = 0
        for c in conns:
            c.settimeout(0.5)
            try:
                if c.recv(100) == b'':
                    refused += 1
                else:
                    alive += 1
            except socket.timeout:
                alive += 1  # still open, waiting for the rest of its request
            except OSError:
                refused += 1
        t.ok(alive <= 4 and refused >= 4, 'per-IP connection limit (4 of 8 kept)',
             'alive %d refused %d' % (alive, refused))
        idle = conns
        for c in idle:
            c.close()
        time.sleep(0.3)
        st, h, b = s.get('/healthz')
        t.ok(st == 200, 'serves again once stuck clients go')
    finally:
        s.stop()


def check_indexed_search(tmp, db):
    """With a lexical index (`paperboy reindex`), search runs on the engine."""
    r = subprocess.run([PAPERBOY, 'reindex', '--help'], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        t.skip('indexed search', 'paperboy reindex is not in this build')
        return
    r = subprocess.run([PAPERBOY, 'reindex', '--db', db], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    t.ok(r.returncode == 0, 'paperboy reindex', r.stdout.decode('utf-8', 'replace'))
    s = wf.Server(PAPERBOY, db, tmp)
    try:
        st, h, b = s.get('/api/search?q=sparse+attention')
        doc = json.loads(b)
        t.ok(st == 200 and doc['mode'] != 'basic' and doc['results'] and
             'sparse' in doc['results'][0]['title'].lower(), 'search runs on the index',
             doc.get('mode'))
        st, h, b = s.get('/search?q=sparse+attention')
        t.ok('<mark>Sparse</mark>' in text(b) and inert(b), 'indexed results highlighted')
        st, h, b = s.get('/search?q=eve')
        t.ok(st == 200 and inert(b), 'indexed search keeps hostile text inert')
        st, h, b = s.get('/search?cat=quant-ph')
        t.ok(st == 200 and 'Quantum widget' in text(b), 'category-only browse')
        m = s.get('/metrics')[2]
        t.ok(re.search(rb'^paperboy_index_bytes [1-9]\d*$', m, re.M), 'index size reported')
        st, h, b = s.get('/search?q=sparse+attention')
        t.ok('name="mode"' not in text(b), 'no mode choice without vectors')
        st, h, b = s.get('/api/search?q=sparse+attention&mode=dense')
        t.ok(st == 200 and json.loads(b)['mode'] == 'bm25',
             'mode=dense without vectors runs bm25 and says so', b[:200])
        st, h, b = s.get('/api/search?q=sparse&mode=nonsense')
        t.ok(st == 400, 'an unknown mode is a 400', st)
        st, h, b = s.get('/papers/2410.18000')
        t.ok(st == 200 and 'paperboy embed' in text(b), 'similar papers: the note without vectors')
    finally:
        s.stop()


def check_semantic(tmp, db):
    """With vectors (`paperboy embed`, the model from `make model`): search
    modes and similar papers."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
    models = os.environ.get('PAPERBOY_MODELS') or os.path.join(root, 'data', 'models')
    if not os.path.exists(os.path.join(models, 'all-MiniLM-L6-v2', 'model.safetensors')):
        t.skip('semantic search and similar papers', 'model not installed (make model)')
        return
    beside = os.path.join(os.path.dirname(db), 'models')
    if not os.path.exists(beside):
        os.symlink(os.path.abspath(models), beside)
    r = subprocess.run([PAPERBOY, 'embed', '--db', db], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    t.ok(r.returncode == 0, 'paperboy embed the fixture papers',
         r.stdout.decode('utf-8', 'replace'))
    s = wf.Server(PAPERBOY, db, tmp)
    try:
        st, h, b = s.get('/api/search?q=sparse+attention')
        doc = json.loads(b)
        t.ok(st == 200 and doc['mode'] == 'hybrid' and doc['results'],
             'hybrid is the default with vectors', doc.get('mode'))
        for m in ('bm25', 'dense', 'hybrid'):
            st, h, b = s.get('/api/search?q=sparse+attention+long+context&mode=' + m)
            doc = json.loads(b)
            t.ok(st == 200 and doc['mode'] == m and doc['results'] and
                 'sparse' in doc['results'][0]['title'].lower(), 'mode=%s runs' % m,
                 b[:300])
        st, h, b = s.get('/search?q=quantum+widgets&mode=dense')
        page = text(b)
        t.ok(st == 200 and 'name="mode"' in page and
             '<option value="dense" selected>' in page and 'widget study' in page,
             'search page: the mode choice, dense selected',
             page[page.find('<form'):page.find('<form') + 1500])
        st, h, b = s.get('/papers/2410.18000')
        page = text(b)
        sim = page[page.find('id="similar-h"'):]
        sim = sim[:sim.find('</section>')]
        links = re.findall(r'<li><a href="/papers/([^"]+)">', sim)
        t.ok(st == 200 and len(links) == 5 and '2410.18000' not in links and
             links[0].startswith('2410.180'), 'similar papers: five neighbours, not itself',
             links)
    finally:
        s.stop()


def main():
    tmp = wf.tempdir()
    try:
        check_empty_store(tmp)
        db, how = wf.make_store(PAPERBOY, tmp, t)
        print('# store filled by ' + how)
        s = wf.Server(PAPERBOY, db, tmp)
        try:
            check_routes(s)
            check_api_errors(s)
            check_daily(s)
            check_trending(s)
            check_paper(s)
            check_search(s)
            check_hostile(s)
            check_headers(s)
            check_conditional(s)
            check_gzip(s)
            check_caps(s)
            check_openapi(s)
            check_atom(s)
            check_metrics_and_log(s)
        finally:
            rc = s.stop()
            t.ok(rc == 0, 'serve exits 0 on SIGTERM', rc)
        check_limits(tmp, db)
        check_indexed_search(tmp, db)
        check_semantic(tmp, db)
    except Exception as e:  # report, never hide
        import traceback
        t.ok(False, 'test ran to the end', traceback.format_exc())
        del e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
