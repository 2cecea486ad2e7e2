#!/usr/bin/env bash
# bench/ingest/run.sh [N] - papers/s and peak memory of `paperboy ingest` on a
# generated Kaggle-shaped JSONL of N records (default 1,000,000), against a
# Python json+sqlite3 loader of the same file in the same run.
#
# The corpus comes from bench/gen/gen_corpus.py (seeded; title/abstract
# lengths and vocabulary drawn from ../shared/data/arxiv) and is cached in
# build/bench/. Results print as a Markdown table row for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
mkdir -p build/bench
CORPUS=build/bench/kaggle-$N.jsonl
[ -f "$CORPUS" ] || python3 bench/gen/gen_corpus.py --n "$N" --seed 42 --out "$CORPUS"
make -s all
BYTES=$(stat -L -c %s "$CORPUS")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # label, then the command; prints "seconds maxrss_kb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$tmp/$label.time" "$@" >/dev/null 2>"$tmp/$label.err" || {
    echo "bench: $label failed:"; tail -5 "$tmp/$label.err"; exit 1; }
  cat "$tmp/$label.time"
}

cat "$CORPUS" >/dev/null # warm the page cache for both runs
read -r t_pb rss_pb < <(measure paperboy build/paperboy ingest --quiet --db "$tmp/pb.db" "$CORPUS")
read -r t_py rss_py < <(measure python python3 bench/ingest/baseline.py "$CORPUS" "$tmp/py.db")
read -r t_re rss_re < <(measure again build/paperboy ingest --quiet --db "$tmp/pb.db" "$CORPUS")
tail -1 "$tmp/paperboy.err"
db_mb=$(du -m "$tmp/pb.db" | cut -f1)
python3 - "$N" "$BYTES" "$t_pb" "$rss_pb" "$t_py" "$rss_py" "$t_re" "$db_mb" <<'PY'
import sys
n, b, tpb, rpb, tpy, rpy, tre, dbmb = sys.argv[1:]
n, b = int(n), int(b)
tpb, tpy, tre = float(tpb), float(tpy), float(tre)
print(f"| records | MB | paperboy papers/s | peak RSS | python baseline papers/s | ratio | re-ingest (all unchanged) papers/s | db MB |")
print(f"|---|---|---|---|---|---|---|---|")
print(f"| {n:,} | {b/1e6:.0f} | {n/tpb:,.0f} ({tpb:.1f} s) | {int(rpb)/1024:.0f} MiB | {n/tpy:,.0f} ({tpy:.1f} s, {int(rpy)/1024:.0f} MiB) | {tpy/tpb:.1f}x | {n/tre:,.0f} ({tre:.1f} s) | {dbmb} |")
print(f"projected all of arXiv (2.7M records): {2.7e6/(n/tpb)/60:.1f} min")
PY
