#!/usr/bin/env python3
"""gen.py - a synthetic store for the HTTP benchmark.

    bench/http/gen.py PAPERBOY DB [N_PAPERS] [DAYS]

Writes a Kaggle-shaped JSONL of N papers (default 5000) spread over DAYS
days (default 30) with realistic title/abstract/author sizes, and a
Hugging Face daily_papers JSON putting 40 of each day's papers on that
day's list with upvotes; loads both with `paperboy ingest` (or straight
into the schema while ingest is not in the build). Prints one paper id.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                                'tests', 'integ'))
import webfixture as wf  # noqa: E402

WORDS = ('model learning neural network attention transformer language vision graph '
         'diffusion retrieval sparse dense contrastive memory scaling reasoning agent policy '
         'reinforcement quantum field theory string lattice galaxy dark matter protein '
         'molecule optimization gradient descent stochastic bayesian inference kernel').split()


def sentence(rng, n):
    return ' '.join(rng.choice(WORDS) for _ in range(n)).capitalize() + '.'


def main():
    paperboy, db = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    days = int(sys.argv[4]) if len(sys.argv) > 4 else 30
    rng = random.Random(42)
    recs, items = [], []
    for i in range(n):
        day = 1 + i % days
        pid = '2409.%05d' % (10000 + i)
        created = 'Mon, %d Sep 2024 10:00:00 GMT' % day
        title = sentence(rng, rng.randint(6, 14))[:-1]
        recs.append({
            'id': pid, 'submitter': 'Some Body',
            'authors': ', '.join('Author%d Name%d' % (rng.randint(1, 999), k)
                                 for k in range(rng.randint(2, 9))),
            'title': title, 'comments': '12 pages', 'journal-ref': None, 'doi': None,
            'report-no': None, 'categories': rng.choice(['cs.LG', 'cs.CL cs.AI', 'cs.CV',
                                                          'hep-th', 'quant-ph']),
            'license': None,
            'abstract': ' '.join(sentence(rng, rng.randint(12, 25)) for _ in range(8)),
            'versions': [{'version': 'v1', 'created': created}], 'update_date': '2024-09-30',
            'authors_parsed': []})
        if i // days < 40:
            d = '2024-09-%02d' % day
            items.append({'paper': {'id': pid, 'authors': [{'name': 'A B'}],
                                    'publishedAt': d + 'T08:00:00.000Z', 'title': title,
                                    'summary': 's', 'upvotes': rng.randint(0, 200)},
                          'publishedAt': d + 'T09:00:00.000Z', 'title': title,
                          'numComments': rng.randint(0, 9),
                          'submittedBy': {'name': 'akhaliq', 'fullname': 'AK'}})
    tmp = tempfile.mkdtemp(prefix='bench-http-')
    kag, hf = os.path.join(tmp, 'k.jsonl'), os.path.join(tmp, 'hf.json')
    with open(kag, 'w') as f:
        for r in recs:
            f.write(json.dumps(r) + '\n')
    with open(hf, 'w') as f:
        json.dump(items, f)
    if wf.ingest_available(paperboy):
        for path in (kag, hf):
            subprocess.run([paperboy, 'ingest', '--db', db, path], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        s = wf.Server(paperboy, db, tmp)
        s.stop()
        wf.sqlite_fill(db, recs, items)
    print(recs[0]['id'])


if __name__ == '__main__':
    main()
