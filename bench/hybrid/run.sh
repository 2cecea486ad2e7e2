#!/usr/bin/env bash
# bench/hybrid/run.sh - hybrid search at 1M papers, end to end (issue #4),
# and the recall of the vector search's default mode on real embeddings.
#
#   bench/hybrid/run.sh [N_QUERIES]         (default 300)
#
# Builds once, cached under build/bench-hybrid/ (about 5 GB; 20-30 min on
# the shared 2-core machine, mostly the corpus generator and the ingest):
#   corpus-1m.jsonl   bench/gen/gen_corpus.py --n 1000000 --seed 1 (Kaggle shape)
#   1m/paperboy.db    `paperboy ingest` of it (which also builds 1m/index/)
#   1m/vectors/       one synthetic clustered unit vector per paper, for
#                     its rowid (`build/bench/hybrid vectors`)
#   real-scifact/     the SciFact corpus embedded by our encoder (`paperboy
#                     eval --mode dense --vectors`), for the recall check
# then runs `build/bench/hybrid encode`, `recall` and `run` with the SciFact
# train queries. Delete a cached piece to rebuild it. SHARED defaults to
# ../shared; the model comes from data/models (`make model`).
set -euo pipefail
cd "$(dirname "$0")/../.."
NQ="${1:-300}"
SHARED="${SHARED:-$(pwd)/../shared}"
W=build/bench-hybrid
Q="$SHARED/data/scifact/queries-train.jsonl"

make --no-print-directory model >/dev/null
make --no-print-directory -j2 all bench >/dev/null
mkdir -p "$W/1m"
if [ ! -s "$W/corpus-1m.jsonl.done" ]; then
  SHARED="$SHARED" python3 bench/gen/gen_corpus.py --n 1000000 --seed 1 --format kaggle \
    --out "$W/corpus-1m.jsonl"
  echo ok >"$W/corpus-1m.jsonl.done"
fi
if [ ! -s "$W/1m/ingest.done" ]; then
  rm -rf "$W/1m/paperboy.db"* "$W/1m/index"
  build/paperboy ingest --quiet --db "$W/1m/paperboy.db" "$W/corpus-1m.jsonl"
  echo ok >"$W/1m/ingest.done"
fi
if [ ! -s "$W/1m/vectors.done" ]; then
  rm -rf "$W/1m/vectors"
  build/bench/hybrid vectors --db "$W/1m/paperboy.db" --vectors "$W/1m/vectors"
  echo ok >"$W/1m/vectors.done"
fi
if [ ! -s "$W/real-scifact.done" ]; then
  build/paperboy eval --beir "$SHARED/data/scifact" --split train --mode dense --k 10 \
    --vectors "$W/real-scifact"
  echo ok >"$W/real-scifact.done"
fi
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
build/bench/hybrid recall --vectors "$W/real-scifact" --queries "$Q"
build/bench/hybrid encode --queries "$Q" --n "$NQ"
build/bench/hybrid run --db "$W/1m/paperboy.db" --vectors "$W/1m/vectors" --queries "$Q" --n "$NQ"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
