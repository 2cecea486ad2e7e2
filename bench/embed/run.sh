#!/usr/bin/env bash
# bench/embed/run.sh - encoder speed, C vs the reference PyTorch, same run.
#
#   bench/embed/run.sh [N]        (N texts, default 64)
#
# Texts: title + " " + abstract of the first N papers of
# $SHARED/data/arxiv/arxiv-abs-1130.jsonl (SHARED defaults to ../shared),
# else synthetic abstract-length texts. The C side is build/bench/embed
# (`make bench`); the Python side runs bench/embed/ref_bench.py in the
# throwaway venv $REFVENV (default /tmp/refvenv, see
# tests/fixtures/embed/make_reference.py for how to make it) when it exists.
# Results go to stdout; bench/RESULTS.md ("Embedding speed") records them.
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-64}"
SHARED="${SHARED:-$(pwd)/../shared}"
REFVENV="${REFVENV:-/tmp/refvenv}"
MODEL="data/models/all-MiniLM-L6-v2"

make --no-print-directory model >/dev/null
make --no-print-directory -j2 bench >/dev/null
out=build/bench-embed
mkdir -p "$out"
texts=""
src="$SHARED/data/arxiv/arxiv-abs-1130.jsonl"
if [ -f "$src" ]; then
  python3 - "$src" "$out/abstracts.txt" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        d = json.loads(line)
        t = " ".join((d.get("title") or "").split()) + " " + " ".join((d.get("abstract") or "").split())
        o.write(t.strip() + "\n")
PY
  texts="--texts $out/abstracts.txt"
fi
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
build/bench/embed --model "$MODEL" --n "$N" $texts
if [ -x "$REFVENV/bin/python" ] && [ -n "$texts" ]; then
  "$REFVENV/bin/python" bench/embed/ref_bench.py "$MODEL" "$out/abstracts.txt" "$N" 2>&1 |
    grep -v -i -E 'warn|loading weights|deprecat'
else
  echo "reference: skipped (no venv at $REFVENV or no texts)"
fi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
