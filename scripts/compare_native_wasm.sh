#!/usr/bin/env bash
# compare_native_wasm.sh BUILD WASM_BUILD [DATA_DIR]
# Proves the trainer (native) and the browser (WebAssembly) preprocess to the same bytes:
# runs tests/shared/preprocess_digest from both builds (the .js under node) and diffs the
# per-image digests of the float32 tensors (or the error messages), over synthetic images, the
# fixtures, the crafted files of ../shared/reliability and the dataset. Exit 0 only when every
# line matches (the decoder versions are the first line).
set -euo pipefail

build=${1:?usage: compare_native_wasm.sh BUILD WASM_BUILD [DATA_DIR]}
wasm_build=${2:?usage: compare_native_wasm.sh BUILD WASM_BUILD [DATA_DIR]}
data=${3:-}

native_bin="$build/tests/shared/preprocess_digest"
wasm_js="$wasm_build/tests/shared/preprocess_digest.js"
for f in "$native_bin" "$wasm_js"; do
  if [[ ! -f "$f" ]]; then
    echo "compare_native_wasm: $f is missing: build it first (make build)" >&2
    exit 1
  fi
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=()
if [[ -n "$data" && -f "$data/MANIFEST.tsv" ]]; then
  data=$(cd "$data" && pwd)
  args=("$data" "$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/cmyk.jpg")
  reliability="$data/../../reliability"
  if ls "$reliability"/jpeg/*.jpg >/dev/null 2>&1; then
    args+=("$reliability"/jpeg/*.jpg)
  fi
elif [[ -n "$data" ]]; then
  echo "compare_native_wasm: NOTE: no dataset at $data: comparing the synthetic cases only" >&2
fi

"$native_bin" "${args[@]}" > "$out/native.txt"
node --no-experimental-fetch "$wasm_js" "${args[@]}" > "$out/wasm.txt"

cases=$(grep -vc '^#' "$out/native.txt" || true)
images=$(grep -c '\.jpg ' "$out/native.txt" || true)
if ! diff -u "$out/native.txt" "$out/wasm.txt" > "$out/diff.txt"; then
  echo "compare_native_wasm: native and WebAssembly preprocessing DIFFER:" >&2
  head -40 "$out/diff.txt" >&2
  exit 1
fi
if [[ "$cases" -lt 50 ]]; then
  echo "compare_native_wasm: only $cases cases printed; expected the synthetic set at least" >&2
  exit 1
fi
grep '^#' "$out/native.txt" || true
echo "compare_native_wasm: native == WebAssembly for all $cases cases ($images dataset images), float32 tensors byte-identical"
