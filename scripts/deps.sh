#!/usr/bin/env bash
# deps.sh - install what paperboy needs on Debian 12, idempotently.
# Quiet when everything is present; otherwise apt-get installs only what is
# missing. Python packages used by tests go to a virtual environment in
# build/venv (never in the product's path; see scripts/test-venv.sh).
# chromium + chromium-driver run the browser tests (tests/integ/test_web_browser.py);
# --bench also installs wrk for bench/http/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential pkg-config clang libclang-rt-14-dev
  libsqlite3-dev sqlite3 libxml2-dev libcjson-dev libcurl4-openssl-dev
  libutf8proc-dev libstemmer-dev libopenblas-dev libmicrohttpd-dev libargon2-dev zlib1g-dev
  python3 python3-venv ca-certificates
  chromium chromium-driver
)
# Only for the benchmarks (scripts/deps.sh --bench): the HTTP load generator.
BENCH_PKGS=(wrk)
if [ "${1:-}" = "--bench" ]; then
  PKGS+=("${BENCH_PKGS[@]}")
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
