#!/usr/bin/env bash
# run-tests.sh - runs every test and ends with one line "N passed, N failed".
#
#   scripts/run-tests.sh --build DIR [--build DIR2] [--fuzz DIR] [--fuzz-seconds N]
#
# For each build directory: every unit test binary DIR/tests/test_*, then
# every integration test tests/integ/test_*.{sh,py} with PAPERBOY set to
# DIR/paperboy. Each program prints "ok"/"not ok" lines and, last,
# "# passed=N failed=M skipped=K"; a program that exits non-zero without
# reporting a failure (a crash, a sanitizer report) counts as one failure.
# With --fuzz, each fuzz target in DIR runs for N seconds over its seed
# corpus (tests/fuzz/corpus/<name>/) and counts as one test.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

builds=()
fuzzdir=""
fuzzsec=10
while [ $# -gt 0 ]; do
  case "$1" in
    --build) builds+=("$2"); shift 2 ;;
    --fuzz) fuzzdir="$2"; shift 2 ;;
    --fuzz-seconds) fuzzsec="$2"; shift 2 ;;
    *) echo "run-tests: unknown option $1 (accepted: --build DIR, --fuzz DIR, --fuzz-seconds N)" >&2; exit 2 ;;
  esac
done

pass=0 fail=0 skip=0
failed_names=()
LOGDIR="$ROOT/build/test-logs"
mkdir -p "$LOGDIR"
export SHARED="${SHARED:-$ROOT/../shared}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# run_one LABEL CMD... : runs a test program and adds up its counts.
run_one() {
  local label="$1"; shift
  local log="$LOGDIR/$(echo "$label" | tr '/ ' '__').log"
  local start=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local line p=0 f=0 s=0
  line=$(grep -E '^# passed=[0-9]+ failed=[0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/.*passed=([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*failed=([0-9]+).*/\1/')
    s=$(echo "$line" | sed -nE 's/.*skipped=([0-9]+).*/\1/p'); s=${s:-0}
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  if [ "$f" -gt 0 ]; then
    failed_names+=("$label")
    echo "FAIL $label ($p passed, $f failed, rc=$rc, $((SECONDS - start))s)"
    grep -E '^(not ok|#   )' "$log" | head -n 20
    if ! grep -q '^not ok' "$log"; then tail -n 30 "$log"; fi
  else
    echo "ok   $label ($p passed, $s skipped, $((SECONDS - start))s)"
  fi
}

for b in "${builds[@]}"; do
  [ -x "$b/paperboy" ] || { echo "run-tests: $b/paperboy is not built" >&2; exit 2; }
  for t in "$b"/tests/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *.d) continue ;; esac
    run_one "$b/$(basename "$t")" "$t"
  done
  for t in tests/integ/test_*.sh tests/integ/test_*.py; do
    [ -f "$t" ] || continue
    case "$t" in
      *.sh) run_one "$b/integ/$(basename "$t")" env PAPERBOY="$ROOT/$b/paperboy" BUILD="$ROOT/$b" bash "$t" ;;
      *.py) run_one "$b/integ/$(basename "$t")" env PAPERBOY="$ROOT/$b/paperboy" BUILD="$ROOT/$b" python3 "$t" ;;
    esac
  done
done

if [ -n "$fuzzdir" ]; then
  for f in "$fuzzdir"/fuzz_*; do
    [ -x "$f" ] || continue
    case "$f" in *.d) continue ;; esac
    name=$(basename "$f")
    corpus="tests/fuzz/corpus/${name#fuzz_}"
    work="$ROOT/build/fuzz-work/$name"
    rm -rf "$work"; mkdir -p "$work"
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
    log="$LOGDIR/$name.log"
    start=$SECONDS
    # -rss_limit keeps a runaway allocation a finding rather than an OOM kill.
    "$f" -max_total_time="$fuzzsec" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$ROOT/build/fuzz-work/$name-" "$work" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
      pass=$((pass + 1))
      runs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}')
      echo "ok   fuzz/$name (${runs:-?} runs in $((SECONDS - start))s)"
    else
      fail=$((fail + 1)); failed_names+=("fuzz/$name")
      echo "FAIL fuzz/$name (rc=$rc)"; grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 10
    fi
  done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failed: ${failed_names[*]} (logs in build/test-logs/)"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
