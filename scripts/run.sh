#!/usr/bin/env bash
# run.sh - what `make run` starts: the web app over the store in DATA.
#
#   scripts/run.sh BIN DATA LISTEN     (make run: build/paperboy data 127.0.0.1:8080)
#
# Creates DATA if needed; the store DATA/paperboy.db is created empty on first
# start (the home page then says how to fill it: paperboy harvest / ingest).
# Stops on Ctrl-C.
set -euo pipefail
BIN="${1:-build/paperboy}"
DATA="${2:-data}"
LISTEN="${3:-127.0.0.1:8080}"
mkdir -p "$DATA"
echo "paperboy: http://$LISTEN/  (store $DATA/paperboy.db; Ctrl-C stops)" >&2
exec "$BIN" serve --db "$DATA/paperboy.db" --listen "$LISTEN"
