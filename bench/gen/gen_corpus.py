#!/usr/bin/env python3
"""gen_corpus.py - seeded synthetic arXiv abstracts with realistic term statistics.

    python3 bench/gen/gen_corpus.py --n 1000000 --seed 1 --out /tmp/gen-1m.jsonl
        [--format kaggle|beir] [--samples DIR]

Writes N papers as JSON lines: by default in the shape of the Kaggle
arxiv-metadata-oai-snapshot (id, submitter, authors, title, comments,
journal-ref, doi, report-no, categories, license, abstract, versions,
update_date, authors_parsed), which `paperboy ingest` reads; with
--format beir as a BEIR corpus ({"_id", "title", "text", "metadata"}),
which bench/search reads.

Where the statistics come from: the real samples in --samples (default
$SHARED/data/arxiv, i.e. /work/shared/data/arxiv: every *.jsonl there with
"title"/"abstract"), read at start:
  * vocabulary head: every word seen at least HEAD_MIN times in the samples,
    with its sample frequency (so common words have their real relative
    frequencies: "the", "of", "we", "model", ...);
  * vocabulary tail: synthetic pseudo-words (spliced from pieces of real
    words, lower-case letters, unique) for ranks r0+1..V, V given by Heaps'
    law V = K * T ** beta fitted on the samples (T = the tokens to
    generate), so rare terms keep appearing as the corpus grows; their
    frequencies follow Zipf's 1/r and hold, together, the share of tokens
    that the samples' rare words (seen < HEAD_MIN times) hold (about 5%);
  * burstiness: a content word (not among the HEAD_FUNCTION most frequent)
    is, with probability P_REPEAT, a repeat of a content word the paper
    already used, so term frequency per document (~1.5 for mid-frequency
    words) and document frequency look like the samples' rather than like
    independent draws (title and abstract share these words);
  * abstract and title lengths (in words): drawn from the samples' lengths;
  * categories, author lists: drawn from the samples' records.
Words are drawn independently (unigram model); sentences of 12-30 words
are capitalised and end with a period. ids are unique new-style arXiv ids
("YYMM.NNNNN", months 0704..2412) with a v1 date in that month.

Deterministic: the same --n, --seed and samples give the same bytes.
Pure Python (no numpy): about 7 minutes per million papers on an idle
core (17 minutes on the shared 2-core machine under load); ~1 GB of JSONL.
"""
import argparse
import bisect
import glob
import itertools
import json
import math
import os
import random
import re
import sys

HEAD_MIN = 3
HEAD_FUNCTION = 50   # the most frequent words: never repeated on purpose
P_REPEAT = 0.35      # a content word repeats one already in the document
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]|\d+(?:\.\d+)?")
MONTHS = [(y, m) for y in range(2007, 2025) for m in range(1, 13) if (y, m) >= (2007, 4)]
DAYNAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONNAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def load_samples(folder):
    docs = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                if d.get("abstract") and d.get("title"):
                    docs.append(d)
    if not docs:
        sys.exit(f"gen_corpus: no samples with title and abstract in {folder}")
    return docs


def fit(docs):
    counts = {}
    tokens = []
    abs_lens, title_lens = [], []
    for d in docs:
        a = WORD.findall(d["abstract"])
        t = WORD.findall(d["title"])
        abs_lens.append(len(a))
        title_lens.append(max(1, len(t)))
        for w in t + a:
            w = w.lower()
            tokens.append(w)
            counts[w] = counts.get(w, 0) + 1
    # Heaps' law from two prefixes of the sample token stream.
    n1 = max(1000, len(tokens) // 16)
    v1 = len(set(tokens[:n1]))
    v2 = len(counts)
    beta = math.log(v2 / v1) / math.log(len(tokens) / n1)
    k = v2 / len(tokens) ** beta
    head = sorted(((c, w) for w, c in counts.items() if c >= HEAD_MIN), key=lambda x: (-x[0], x[1]))
    rare = sum(c for c in counts.values() if c < HEAD_MIN)
    return head, abs_lens, title_lens, k, beta, counts, rare


def make_tail(rng, head_words, known, n):
    """n unique pseudo-words spliced from real words."""
    alpha = [w for w in head_words if w.isalpha() and len(w) >= 4]
    out, seen = [], set(known)
    while len(out) < n:
        a, b = rng.choice(alpha), rng.choice(alpha)
        w = a[: rng.randint(2, min(5, len(a)))] + b[-rng.randint(2, min(6, len(b))):]
        if rng.random() < 0.3:
            w += rng.choice(alpha)[-rng.randint(2, 4):]
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def rfc2822(rng, y, m):
    d = rng.randint(1, 28)
    # Zeller-free weekday: days since 1970-01-01 (a Thursday).
    days = (y - 1970) * 365 + (y - 1969) // 4 + [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][m - 1] + d - 1
    if m > 2 and y % 4 == 0:
        days += 1
    wd = DAYNAMES[(days + 3) % 7]
    return f"{wd}, {d} {MONNAMES[m - 1]} {y} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} GMT", f"{y:04d}-{m:02d}-{d:02d}"


def main():
    ap = argparse.ArgumentParser(description="seeded synthetic arXiv abstracts")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--format", choices=["kaggle", "beir"], default="kaggle")
    shared = os.environ.get("SHARED", "/work/shared")
    ap.add_argument("--samples", default=os.path.join(shared, "data", "arxiv"))
    a = ap.parse_args()
    rng = random.Random(a.seed)

    docs = load_samples(a.samples)
    head, abs_lens, title_lens, k, beta, counts, rare = fit(docs)
    mean_len = sum(abs_lens) / len(abs_lens) + sum(title_lens) / len(title_lens)
    total_tokens = a.n * mean_len
    vocab = max(len(head) + 1, int(k * total_tokens ** beta))
    r0 = len(head)
    tail_n = vocab - r0
    print(f"gen_corpus: {len(docs)} samples, head {r0} words, Heaps K={k:.2f} beta={beta:.3f}, "
          f"vocabulary {vocab}, tail mass {rare} of {sum(c for c, _ in head) + rare} sample tokens",
          file=sys.stderr)
    words = [w for _, w in head]
    weights = [float(c) for c, _ in head]
    words += make_tail(rng, words, counts.keys(), tail_n)
    # Tail: Zipf (1/r) shape over ranks r0+1..V, holding in total the mass
    # the samples' rare words (count < HEAD_MIN) hold.
    if tail_n > 0:
        h = sum(1.0 / r for r in range(r0 + 1, vocab + 1))
        weights += [rare / (h * r) for r in range(r0 + 1, vocab + 1)]
    cum = list(itertools.accumulate(weights))
    total = cum[-1]
    hi = len(cum) - 1
    rand = rng.random

    def draw(n):
        """n words; a content word (rank > HEAD_FUNCTION) is, with
        probability P_REPEAT, replaced by a content word the document
        already has (burstiness: real abstracts repeat their topic words)."""
        out, seen = [], []
        for _ in range(n):
            r = bisect.bisect(cum, rand() * total, 0, hi)
            if r >= HEAD_FUNCTION:
                if seen and rand() < P_REPEAT:
                    r = seen[int(rand() * len(seen))]
                else:
                    seen.append(r)
            out.append(words[r])
        return out

    def sentences(ws):
        out, i = [], 0
        while i < len(ws):
            n = rng.randint(12, 30)
            s = ws[i:i + n]
            s[0] = s[0][:1].upper() + s[0][1:]
            if len(s) > 8 and rand() < 0.5:
                c = rng.randint(3, len(s) - 3)
                s[c] = s[c] + ","
            out.append(" ".join(s) + ".")
            i += n
        return " ".join(out)

    per_month = {}
    with open(a.out, "w", encoding="utf-8") as f:
        for i in range(a.n):
            y, m = MONTHS[rng.randrange(len(MONTHS))]
            seq = per_month.get((y, m), 0) + 1
            per_month[(y, m)] = seq
            if seq > 99999:  # month full: take the next free one
                for y, m in MONTHS:
                    if per_month.get((y, m), 0) < 99999:
                        break
                seq = per_month.get((y, m), 0) + 1
                per_month[(y, m)] = seq
            pid = f"{y % 100:02d}{m:02d}.{seq:05d}"
            src = docs[rng.randrange(len(docs))]
            tl = max(1, title_lens[rng.randrange(len(title_lens))] + rng.randint(-1, 1))
            al = max(5, abs_lens[rng.randrange(len(abs_lens))] + rng.randint(-5, 5))
            both = draw(tl + al)
            tw, aw = both[:tl], both[tl:]
            title = " ".join(w[:1].upper() + w[1:] if j == 0 or len(w) > 3 else w for j, w in enumerate(tw))
            abstract = sentences(aw)
            if a.format == "beir":
                rec = {"_id": pid, "title": title, "text": abstract, "metadata": {}}
            else:
                created, day = rfc2822(rng, y, m)
                authors = docs[rng.randrange(len(docs))].get("authors") or "A. Author"
                rec = {
                    "id": pid, "submitter": None, "authors": authors, "title": title,
                    "comments": None, "journal-ref": None, "doi": None, "report-no": None,
                    "categories": src.get("categories") or "cs.LG",
                    "license": None, "abstract": "  " + abstract + "\n",
                    "versions": [{"version": "v1", "created": created}],
                    "update_date": day, "authors_parsed": [],
                }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
