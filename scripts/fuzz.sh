#!/usr/bin/env bash
# libFuzzer with ASan + UBSan over shared/ (Debian's clang 14 and its compiler-rt, installed with
# Emscripten by make setup). Targets: tests/fuzz/*.cpp. Seeds: real slices of the dataset for the
# image target and the shipped model.json for the spec target, copied into the build folder
# (never committed). Each target runs FUZZ_SECONDS and prints libFuzzer's final stats (execs,
# coverage); a finding is saved as build-fuzz/crash-* and fails the run.
# usage: scripts/fuzz.sh [DATA] [FUZZ_SECONDS]      (make fuzz DATA=... FUZZ_SECONDS=...)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/alzheimer_mri}
SECONDS_EACH=${2:-600}
OUT=build-fuzz
CXX=${FUZZ_CXX:-clang++}
command -v "$CXX" >/dev/null || { echo "fuzz: $CXX not found (make setup installs clang with emscripten)" >&2; exit 1; }
[ -d "$DATA/train" ] || { echo "fuzz: no dataset at $DATA (seeds come from it)" >&2; exit 1; }
mkdir -p "$OUT"
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -Ishared/include -Ishared/third_party)
for t in tests/fuzz/*.cpp; do
  name=$(basename "$t" .cpp)
  echo "fuzz: building $OUT/$name"
  "$CXX" "${flags[@]}" shared/src/*.cpp "$t" -o "$OUT/$name"
done

# Seeds: 40 slices across classes and both formats the dataset has, and the shipped model.json.
mkdir -p "$OUT/seeds_preprocess" "$OUT/seeds_spec" "$OUT/corpus_preprocess" "$OUT/corpus_spec"
find "$DATA" -type f \( -name '*.jpg' -o -name '*.png' \) | sort | awk 'NR % 160 == 1' | head -40 |
  while read -r f; do cp "$f" "$OUT/seeds_preprocess/"; done
cp models/default/model.json "$OUT/seeds_spec/"

status=0
for name in fuzz_preprocess fuzz_spec; do
  target=${name#fuzz_}
  echo "fuzz: $name for $SECONDS_EACH s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$OUT/$name" \
       -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=4096 -max_len=1048576 \
       -artifact_prefix="$OUT/$name-" "$OUT/corpus_$target" "$OUT/seeds_$target" >"$OUT/$name.log" 2>&1; then
    echo "fuzz: $name FOUND A PROBLEM (artifact in $OUT/$name-*; log $OUT/$name.log):" >&2
    grep -E "ERROR|SUMMARY|runtime error|==ABORT" "$OUT/$name.log" | head -5 >&2
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|cov:" \
    "$OUT/$name.log" | tail -5
done
exit $status
