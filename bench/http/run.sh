#!/usr/bin/env bash
# bench/http/run.sh - HTTP throughput and latency of `paperboy serve` (wrk).
#
#   bench/http/run.sh [--duration SECONDS] [--conns "64 512"] [--papers N]
#                     [--server-cpus LIST] [--client-cpus LIST] [--wrk-threads N]
#                     [--paperboy BIN] [--db FILE --id ID] [--urls "U1 U2"]
#                     [--serve-args "ARGS"] [--gzip] [--record]
#
# Builds a synthetic store (bench/http/gen.py: N papers over 30 days, 40 a
# day on the daily list), starts the server (--quiet, per-IP limit off since
# every wrk connection comes from 127.0.0.1, --max-conns 4096), and runs wrk
# (--latency) for each URL x connection count: /, a paper page, /search and
# /api/search. Prints requests/s, p50 and p99, and the server's RSS before
# and after. --server-cpus/--client-cpus pin server and wrk with taskset
# (e.g. "0,1" and "2-7" measures the server on 2 cores). --db/--id use an
# existing store and one of its paper ids instead. --urls picks URLs ({id}
# stands for the paper id); --serve-args adds serve options (e.g.
# "--cache-ttl 0" measures rendering without the page cache); --gzip sends
# Accept-Encoding: gzip as browsers do (wrk asks for identity otherwise). --record appends
# the table to bench/RESULTS.md under "## HTTP" with the machine.
# Needs wrk (scripts/deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=30
CONNS="64 512"
PAPERS=5000
SERVER_CPUS=""
CLIENT_CPUS=""
WRK_THREADS=2
BIN=build/paperboy
RECORD=0
GIVEN_DB=""
ID=""
URLS_ARG=""
SERVE_ARGS=""
GZIP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --conns) CONNS="$2"; shift 2 ;;
    --papers) PAPERS="$2"; shift 2 ;;
    --server-cpus) SERVER_CPUS="$2"; shift 2 ;;
    --client-cpus) CLIENT_CPUS="$2"; shift 2 ;;
    --wrk-threads) WRK_THREADS="$2"; shift 2 ;;
    --paperboy) BIN="$2"; shift 2 ;;
    --db) GIVEN_DB="$2"; shift 2 ;;
    --id) ID="$2"; shift 2 ;;
    --urls) URLS_ARG="$2"; shift 2 ;;
    --serve-args) SERVE_ARGS="$2"; shift 2 ;;
    --gzip) GZIP=1; shift ;;
    --record) RECORD=1; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
WRK="${WRK:-$(command -v wrk || true)}"
[ -n "$WRK" ] || { echo "run.sh: wrk not found (scripts/deps.sh --bench)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "run.sh: $BIN not built (make)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/bench-http-XXXXXX)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$TMP"' EXIT
DB="$TMP/bench.db"
if [ -n "$GIVEN_DB" ]; then
  cp "$GIVEN_DB" "$DB"
  PAPERS=$(basename "$GIVEN_DB")
else
  ID=$(python3 bench/http/gen.py "$BIN" "$DB" "$PAPERS" 30 | tail -n 1)
  PAPERS="$PAPERS papers"
fi
PORT=$((20000 + RANDOM % 30000))
pin_server=(); pin_client=()
if ! command -v taskset >/dev/null; then
  echo "run.sh: no taskset here; running unpinned" >&2
  SERVER_CPUS=""; CLIENT_CPUS=""
fi
[ -n "$SERVER_CPUS" ] && pin_server=(taskset -c "$SERVER_CPUS")
[ -n "$CLIENT_CPUS" ] && pin_client=(taskset -c "$CLIENT_CPUS")
SRV_THREADS=""
if [ -n "$SERVER_CPUS" ]; then
  SRV_THREADS="--threads $(taskset -c "$SERVER_CPUS" nproc)"
fi
"${pin_server[@]}" "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --quiet --max-per-ip 0 \
  --max-conns 4096 $SRV_THREADS $SERVE_ARGS 2>"$TMP/serve.log" &
PID=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$PID/status"; }
RSS0=$(rss)

if [ -n "$URLS_ARG" ]; then
  read -r -a URLS <<<"${URLS_ARG//\{id\}/$ID}"
else
  URLS=("/" "/papers/$ID" "/search?q=attention+memory" "/api/search?q=attention+memory")
fi
OUT="$TMP/table.md"
{
  echo "| URL | conns | req/s | p50 | p99 |"
  echo "|---|---:|---:|---:|---:|"
} >"$OUT"
for u in "${URLS[@]}"; do
  for c in $CONNS; do
    t=$WRK_THREADS
    [ "$c" -lt "$t" ] && t=$c
    hdr=()
    [ "$GZIP" = 1 ] && hdr=(-H "Accept-Encoding: gzip")
    res=$("${pin_client[@]}" "$WRK" -t"$t" -c"$c" -d"${DURATION}s" --latency "${hdr[@]}" \
      "http://127.0.0.1:$PORT$u" 2>&1)
    rps=$(echo "$res" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$res" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$res" | awk '$1 == "99%" {print $2}')
    errs=$(echo "$res" | awk '/Non-2xx|Socket errors/ {printf "%s ", $0}')
    printf '| `%s` | %s | %s | %s | %s |%s\n' "$u" "$c" "${rps:-?}" "${p50:-?}" "${p99:-?}" \
      "${errs:+ $errs}" | tee -a "$OUT"
  done
done
RSS1=$(rss)
CPU=$(awk -F: '/model name/ {gsub(/^ /, "", $2); print $2; exit}' /proc/cpuinfo)
MACHINE="$CPU, $(nproc) CPUs online, $(uname -sr)"
PIN="serve $SERVE_ARGS$([ "$GZIP" = 1 ] && echo ' (requests accept gzip)'); server on CPUs ${SERVER_CPUS:-any} ($(echo $SRV_THREADS | awk '{print $2}')${SRV_THREADS:+ threads}), wrk -t$WRK_THREADS on CPUs ${CLIENT_CPUS:-any}"
echo
echo "machine: $MACHINE"
echo "pinning: $PIN"
echo "store: $PAPERS; ${DURATION}s per run; server RSS before $RSS0, after $RSS1"
if [ "$RECORD" = 1 ]; then
  R=bench/RESULTS.md
  [ -f "$R" ] || echo "# Benchmark results" >"$R"
  grep -q '^## HTTP' "$R" || printf '\n## HTTP\n\nbench/http/run.sh: wrk --latency against `paperboy serve`.\n' >>"$R"
  {
    echo
    echo "### $(date -u +%Y-%m-%d) — $MACHINE"
    echo
    case "$SERVE_ARGS" in
      *--cache-ttl*) cache="page micro-cache per the serve options" ;;
      *) cache="page micro-cache on (default 2 s)" ;;
    esac
    echo "$PIN; store: $PAPERS; ${DURATION}s per run; $cache."
    echo "Server RSS before $RSS0, after $RSS1."
    echo
    cat "$OUT"
  } >>"$R"
  echo "recorded in $R"
fi
