#!/usr/bin/env bash
# libFuzzer with ASan + UBSan over shared/ and its decoders, which tests/sanitize compiles from
# Debian's sources with coverage instrumentation (clang-14, installed by make setup). Runs:
#   preprocess_jpeg  image bytes -> decode -> resize -> normalise, seeded with 40 dataset slices
#   preprocess_png   the same target, seeded with those slices re-encoded as PNG (python3-pil)
#   spec             the model.json spec parser, seeded with the shipped model.json
#   nifti            .nii bytes -> volume -> training orientation -> axial slab -> conform, seeded
#                    with nibabel's test volumes (python3-nibabel), inflated
#   dicom            one DICOM file's bytes -> dicom/ (GDCM, built here from Debian's source with the
#                    same sanitizers): series listing, choice, decoding; seeded with pydicom's test
#                    files (python3-pydicom)
# Seeds and corpora stay in build-fuzz/ (never committed). Each run lasts FUZZ_SECONDS and prints
# libFuzzer's final stats (execs, coverage); a finding is saved as build-fuzz/<run>-crash-* and
# fails the run. FUZZ_JOBS runs that many at once (default 1).
# usage: scripts/fuzz.sh [DATA] [FUZZ_SECONDS] [RUN...]    (make fuzz DATA=... FUZZ_SECONDS=...)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/alzheimer_mri}
SECONDS_EACH=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
RUNS=("$@")
[ ${#RUNS[@]} -gt 0 ] || RUNS=(preprocess_jpeg preprocess_png spec nifti dicom)
JOBS=${FUZZ_JOBS:-1}
OUT=build-fuzz
[ -d "$DATA/train" ] || { echo "fuzz: no dataset at $DATA (seeds come from it)" >&2; exit 1; }

cmake -S tests/sanitize -B "$OUT" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DALZSCAN_FUZZ=ON >/dev/null
cmake --build "$OUT" -j "$(nproc)" >/dev/null

mkdir -p "$OUT/seeds_preprocess_jpeg" "$OUT/seeds_preprocess_png" "$OUT/seeds_spec" "$OUT/seeds_nifti" "$OUT/seeds_dicom"
cp /usr/lib/python3/dist-packages/pydicom/data/test_files/*.dcm "$OUT/seeds_dicom/"
for f in /usr/lib/python3/dist-packages/nibabel/tests/data/*.nii /usr/lib/python3/dist-packages/nibabel/tests/data/*.nii.gz; do
  case "$f" in *.gz) gunzip -c "$f" > "$OUT/seeds_nifti/$(basename "${f%.gz}")" ;; *) cp "$f" "$OUT/seeds_nifti/" ;; esac
done
find "$DATA" -type f -name '*.jpg' | sort | awk 'NR % 160 == 1' | head -40 |
  while read -r f; do cp "$f" "$OUT/seeds_preprocess_jpeg/"; done
/usr/bin/python3 - "$OUT/seeds_preprocess_jpeg" "$OUT/seeds_preprocess_png" <<'PY'
import os, sys
from PIL import Image
src, dst = sys.argv[1:]
for i, name in enumerate(sorted(os.listdir(src))):
    img = Image.open(os.path.join(src, name))
    # Gray, RGB, gray+alpha, 16-bit gray and interlaced: the layouts the decoder converts.
    kind = i % 5
    if kind == 1: img = img.convert("RGB")
    if kind == 2: img = img.convert("LA")
    if kind == 3: img = img.convert("I;16")
    img.save(os.path.join(dst, os.path.splitext(name)[0] + ".png"), interlace=kind == 4)
PY
cp models/default/model.json "$OUT/seeds_spec/"

run_one() {
  local run=$1 target=fuzz_${1%_*}
  [ "$run" = spec ] && target=fuzz_spec
  [ "$run" = nifti ] && target=fuzz_nifti
  [ "$run" = dicom ] && target=fuzz_dicom
  mkdir -p "$OUT/corpus_$run"
  echo "fuzz: $run ($target) for $SECONDS_EACH s"
  if ! ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan_dicom.supp \
       UBSAN_OPTIONS=print_stacktrace=1 "$OUT/$target" \
       -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=4096 -max_len=1048576 \
       -timeout=10 -artifact_prefix="$OUT/$run-" "$OUT/corpus_$run" "$OUT/seeds_$run" >"$OUT/$run.log" 2>&1; then
    echo "fuzz: $run FOUND A PROBLEM (artifact in $OUT/$run-*; log $OUT/$run.log):" >&2
    grep -E "ERROR|SUMMARY|runtime error|==ABORT|timeout" "$OUT/$run.log" | head -5 >&2
    return 1
  fi
  { echo "fuzz: $run done"; grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$OUT/$run.log";
    grep -E "cov: [0-9]+" "$OUT/$run.log" | tail -1; } | sed "s/^/[$run] /"
}

status=0
pids=()
for run in "${RUNS[@]}"; do
  run_one "$run" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
