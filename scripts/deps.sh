#!/usr/bin/env bash
# deps.sh - install what paperboy needs on Debian 12, idempotently.
# Quiet when everything is present; otherwise apt-get installs only what is
# missing. Python packages used by tests go to a virtual environment in
# build/venv (never in the product's path; see scripts/test-venv.sh).
#   scripts/deps.sh          what `make run` needs: the build and the libraries
#   scripts/deps.sh --test   also what `make test` needs: clang (libFuzzer),
#                            chromium + chromium-driver (browser tests),
#                            python3-venv (Selenium's venv)
#   scripts/deps.sh --bench  also wrk for bench/http/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  build-essential pkg-config
  libsqlite3-dev sqlite3 libxml2-dev libcjson-dev libcurl4-openssl-dev
  libutf8proc-dev libstemmer-dev libopenblas-dev libmicrohttpd-dev libargon2-dev zlib1g-dev
  python3 ca-certificates
)
TEST_PKGS=(clang libclang-rt-14-dev python3-venv chromium chromium-driver)
BENCH_PKGS=(wrk)
for arg in "$@"; do
  case "$arg" in
    --test) PKGS+=("${TEST_PKGS[@]}") ;;
    --bench) PKGS+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
    *) echo "deps.sh: unknown option $arg (accepted: --test, --bench)" >&2; exit 2 ;;
  esac
done

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
