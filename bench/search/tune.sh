#!/usr/bin/env bash
# tune.sh - the SciFact (train split) tuning grid behind bench/RESULTS.md
# "Search quality". Each line runs `paperboy eval` with one setting and
# prints a markdown table row.
#
#   bench/search/tune.sh [PAPERBOY] [BEIR_DIR] [SPLIT]
#
# Defaults: build/paperboy, $SHARED/data/scifact (SHARED=/work/shared),
# split train. About 4 s per row on SciFact (the corpus is re-indexed each
# time, because title-repeat/stem/stop are index-time options).
set -euo pipefail
PB=${1:-build/paperboy}
DIR=${2:-${SHARED:-/work/shared}/data/scifact}
SPLIT=${3:-train}

# Every row starts from the baseline (Anserini's BM25 settings, title once
# in the body, no title clauses, Lucene stopwords, Snowball english stemmer)
# and changes one thing.
BASE=(--k1 0.9 --b 0.4 --title-repeat 1 --title-weight 0 --stop lucene --stem english)

row() {
  local label="$1"; shift
  local out
  out=$("$PB" eval --beir "$DIR" --split "$SPLIT" "${BASE[@]}" "$@" 2>/dev/null | tail -n 1)
  # ndcg@10=0.6942 recall@100=0.9246 mrr@10=0.6628 queries=809
  local nd rc mr
  nd=$(sed -E 's/.*ndcg@10=([0-9.]+).*/\1/' <<<"$out")
  rc=$(sed -E 's/.*recall@100=([0-9.]+).*/\1/' <<<"$out")
  mr=$(sed -E 's/.*mrr@10=([0-9.]+).*/\1/' <<<"$out")
  printf '| %s | %s | %s | %s |\n' "$label" "$nd" "$rc" "$mr"
}

echo "| setting (baseline + change) | nDCG@10 | recall@100 | MRR@10 |"
echo "|---|---|---|---|"
row "baseline: k1=0.9 b=0.4"
for k1 in 0.6 0.9 1.2 1.5; do
  for b in 0.3 0.4 0.5 0.6 0.75; do
    row "k1=$k1 b=$b" --k1 "$k1" --b "$b"
  done
done
for tr in 0 2 3; do row "title-repeat=$tr" --title-repeat "$tr"; done
for tw in 0.125 0.25 0.5 1 2; do row "title-weight=$tw" --title-weight "$tw"; done
for stem in porter none; do row "stem=$stem" --stem "$stem"; done
for stop in snowball none; do row "stop=$stop" --stop "$stop"; done
echo "| product defaults (search_opts_default, index_opts_default) | $("$PB" eval --beir "$DIR" --split "$SPLIT" 2>/dev/null | tail -n 1 | sed -E 's/ndcg@10=([0-9.]+) recall@100=([0-9.]+) mrr@10=([0-9.]+).*/\1 | \2 | \3/') |"
