#!/usr/bin/env bash
# run.sh BIN DATA LISTEN - what `make run` does after building:
#  1. on an empty database, harvest recent arXiv listings (cs, last 3 days)
#     when the network allows; where it does not, say so and how to ingest;
#  2. serve the web app on LISTEN (the page itself explains an empty store).
set -uo pipefail
BIN=$1 DATA=$2 LISTEN=$3
DB="$DATA/paperboy.db"
mkdir -p "$DATA"

papers=$("$BIN" stats --db "$DB" --json 2>/dev/null | sed -nE 's/.*"papers":([0-9]+).*/\1/p')
if [ "${papers:-0}" = "0" ]; then
  from=$(date -u -d '3 days ago' +%F)
  echo "run: the database is empty; harvesting arXiv cs listings since $from ..."
  # One retry only: a machine without network should reach the page quickly.
  if ! timeout 900 "$BIN" harvest --db "$DB" --set cs --from "$from" --max-retries 1; then
    cat <<MSG
run: could not harvest arXiv (no network, or arXiv did not answer).
     To add papers by hand:  $BIN ingest --db $DB FILE...
     (Kaggle arxiv-metadata-oai-snapshot.json[.gz], arXiv OAI-PMH or API XML,
      Hugging Face daily_papers JSON). The web page says the same.
MSG
  fi
fi
if "$BIN" --help | grep -q '^  reindex'; then
  "$BIN" reindex --db "$DB" >/dev/null 2>&1 || true
fi
if ! "$BIN" --help | grep -q '^  serve'; then
  echo "run: this build has no web server yet; try: $BIN list --db $DB" >&2
  exit 1
fi
echo "run: serving on http://$LISTEN/ (Ctrl-C stops)"
exec "$BIN" serve --db "$DB" --listen "$LISTEN"
