#!/usr/bin/env bash
# tune2.sh - the second tuning round on SciFact train: combinations of the
# settings that helped alone in tune.sh. Prints markdown table rows.
#   bench/search/tune2.sh [PAPERBOY] [BEIR_DIR] [SPLIT]
set -euo pipefail
PB=${1:-build/paperboy}
DIR=${2:-${SHARED:-/work/shared}/data/scifact}
SPLIT=${3:-train}
echo "| k1 | b | title-repeat | title-weight | stop | nDCG@10 | recall@100 | MRR@10 |"
echo "|---|---|---|---|---|---|---|---|"
for stop in lucene snowball; do
  for tr in 1 2; do
    for tw in 0 0.25; do
      for k1 in 0.9 1.2; do
        for b in 0.4 0.5 0.6; do
          out=$("$PB" eval --beir "$DIR" --split "$SPLIT" --k1 "$k1" --b "$b" \
                --title-repeat "$tr" --title-weight "$tw" --stop "$stop" 2>/dev/null | tail -n 1)
          nd=$(sed -E 's/.*ndcg@10=([0-9.]+).*/\1/' <<<"$out")
          rc=$(sed -E 's/.*recall@100=([0-9.]+).*/\1/' <<<"$out")
          mr=$(sed -E 's/.*mrr@10=([0-9.]+).*/\1/' <<<"$out")
          echo "| $k1 | $b | $tr | $tw | $stop | $nd | $rc | $mr |"
        done
      done
    done
  done
done
