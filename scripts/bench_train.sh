#!/usr/bin/env bash
# `make bench-train`: training images/s of alzscan (C++ LibTorch) and of the same model in PyTorch
# (Debian's python3-torch, bench/train_reference.py: Dataset + DataLoader(num_workers=1)), side by
# side in one run, on `small` and `efficientnet_b2`; prints each and the ratio alzscan / Python.
#
#   scripts/bench_train.sh [ALZSCAN_BINARY] [DATA_DIR]
#   env: BENCH_MODELS="small efficientnet_b2"  SMALL_PER_CLASS=96  EFFNET_PER_CLASS=24
#        BENCH_BATCH=32  BENCH_EPOCHS=4 (alzscan: median images/s of epochs 2..N; Python times as many
#        iterations as epochs 2..N hold, after 2 untimed ones)
#        BENCH_PRECISION="fp32 bf16" (both sides autocast the forward pass to bfloat16 for bf16)
#        BENCH_SIZES="128 64" (input side; 64 is the default recipe's, configs/default.json)
#        BENCH_THREADS="1 2" (compute threads of both sides; configs/default.json uses 2)
#
# Both sides: the same compute threads (torch.set_num_threads / --threads), the same images (a subset
# tree of symlinks into DATA_DIR/train, the first N per class; Moderate has 49), batch size, AdamW,
# --augment on, plain shuffling, input size, no validation split. alzscan: the median images/s of
# epochs 2..N from metrics.jsonl (the first epoch warms up); Python: images/s over the same number of
# steps after 2 untimed iterations. Python runs twice: as shipped (glibc malloc
# defaults) and with the malloc tuning alzscan applies to itself (MALLOC_MMAP_THRESHOLD_,
# MALLOC_TRIM_THRESHOLD_), and the ratio is taken against the faster of the two. A third Python run
# adds --channels-last (model and batches NHWC, as alzscan keeps them): not idiomatic, so not in the
# ratio, but printed beside it so the layout's share of the gain is visible.
set -euo pipefail
cd "$(dirname "$0")/.."

ALZSCAN=${1:-build/native/alzscan}
DATA=${2:-../shared/data/alzheimer_mri}
PY=/usr/bin/python3
MODELS=${BENCH_MODELS:-small efficientnet_b2}
PRECISIONS=${BENCH_PRECISION:-fp32 bf16}
SIZES=${BENCH_SIZES:-128 64}
THREADS=${BENCH_THREADS:-1 2}
BATCH=${BENCH_BATCH:-32}
EPOCHS=${BENCH_EPOCHS:-4}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
CLASSES="Mild_Demented Moderate_Demented Non_Demented Very_Mild_Demented"

die() { echo "bench-train: $*" >&2; exit 1; }
[ "$EPOCHS" -ge 2 ] || die "BENCH_EPOCHS=$EPOCHS: need >= 2 (the first epoch warms up)"
[ -d "$DATA/train" ] || die "no dataset at $DATA/train (pass DATA_DIR, e.g. ../shared/data/alzheimer_mri)"
$PY -c 'import torch, PIL' 2>/dev/null ||
  die "$PY lacks torch or PIL (Debian: apt-get install python3-torch python3-pil, or run make setup)"
have_alzscan=1
if [ ! -x "$ALZSCAN" ]; then
  echo "bench-train: $ALZSCAN not built: measuring the Python side only (run make native first)"
  have_alzscan=0
elif ! "$ALZSCAN" train --help >/dev/null 2>&1; then
  echo "bench-train: '$ALZSCAN train' is not usable in this build: measuring the Python side only"
  have_alzscan=0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/alzscan-bench-train.XXXXXX")
trap 'rm -rf "$work"' EXIT
data_abs=$(cd "$DATA" && pwd)

make_subset() {  # make_subset DIR N: DIR/{train,test}/<class>/ with the first N (train) / 4 (test)
  local dir=$1 n=$2 c part k f files  # files per class (fewer where a class has fewer)
  for part in train test; do
    k=$n; [ $part = test ] && k=4
    for c in $CLASSES; do
      mkdir -p "$dir/$part/$c"
      mapfile -t files < <(find "$data_abs/$part/$c" -maxdepth 1 -type f -name '*.jpg' | sort)
      [ ${#files[@]} -ge 4 ] || die "$data_abs/$part/$c has ${#files[@]} images (need at least 4)"
      for f in "${files[@]:0:$k}"; do ln -s "$f" "$dir/$part/$c/"; done
    done
  done
}

json_field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
ratio_of() { $PY -c 'import sys; print(f"{float(sys.argv[1]) / float(sys.argv[2]):.2f}x")' "$1" "$2"; }

printf '\n%-16s %-9s %5s %3s %8s %6s %14s %14s %14s %9s %14s %9s\n' model precision size thr images batch "alzscan img/s" "python img/s" "py+malloc img/s" ratio "py NHWC img/s" "vs NHWC"
declare -A cpp_ips py_ips   # [model/precision/size/threads] -> images/s (alzscan; the faster Python run)
for model in $MODELS; do
  per_class=${SMALL_PER_CLASS:-96}
  [ "$model" = efficientnet_b2 ] && per_class=${EFFNET_PER_CLASS:-24}
  subset="$work/$model"
  make_subset "$subset" "$per_class"
  n_train=$(find "$subset/train" -name '*.jpg' | wc -l)
  iters=$(( (n_train / BATCH) * (EPOCHS - 1) ))
 for threads in $THREADS; do
 for size in $SIZES; do
 for precision in $PRECISIONS; do
  key=$model/$precision/$size/$threads
  py_args=(bench/train_reference.py --data "$subset" --model "$model" --batch-size "$BATCH" --image-size "$size" --threads "$threads"
           --iters "$iters" --warmup-iters 2 --augment --precision "$precision" --json)
  py_plain=$(env -u MALLOC_MMAP_THRESHOLD_ -u MALLOC_TRIM_THRESHOLD_ $PY "${py_args[@]}")
  py_tuned=$(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647 $PY "${py_args[@]}")
  py_nhwc=$(MALLOC_MMAP_THRESHOLD_=1073741824 MALLOC_TRIM_THRESHOLD_=2147483647 $PY "${py_args[@]}" --channels-last)
  ips_plain=$(json_field "$py_plain" images_per_second)
  ips_tuned=$(json_field "$py_tuned" images_per_second)
  ips_nhwc=$(json_field "$py_nhwc" images_per_second)
  best_py=$($PY -c 'import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))' "$ips_plain" "$ips_tuned")
  ips_cpp="n/a"; ratio="n/a"; ratio_nhwc="n/a"
  if [ $have_alzscan = 1 ]; then
    out="$work/run-$model-$precision-$size-t$threads"
    "$ALZSCAN" train --data "$subset" --model "$model" --head linear --epochs "$EPOCHS" --precision "$precision" \
      --image-size "$size" --batch-size "$BATCH" --opt adamw --lr 1e-3 --augment --threads "$threads" --seed 0 \
      --val-fraction 0 --out "$out" > "$out.log" 2>&1 ||
      { tail -5 "$out.log" >&2; die "alzscan train failed on $model at $size px (log above)"; }
    $PY bench/reference_small.py --compare "$model" "$out/last.pt" >&2 ||
      die "bench/reference_small.py does not mirror alzscan's $model: the ratio would compare different models"
    ips_cpp=$($PY -c '
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(round(statistics.median([r["images_per_second"] for r in rows if "images_per_second" in r][1:]), 2))' "$out/metrics.jsonl")
    ratio=$(ratio_of "$ips_cpp" "$best_py")
    ratio_nhwc=$(ratio_of "$ips_cpp" "$ips_nhwc")
  fi
  cpp_ips[$key]=$ips_cpp
  py_ips[$key]=$best_py
  printf '%-16s %-9s %5s %3s %8s %6s %14s %14s %14s %9s %14s %9s\n' "$model" "$precision" "$size" "$threads" "$n_train" "$BATCH" "$ips_cpp" "$ips_plain" "$ips_tuned" "$ratio" "$ips_nhwc" "$ratio_nhwc"
 done
 done
 done
done
for model in $MODELS; do
 for threads in $THREADS; do
 for size in $SIZES; do
  a=${cpp_ips[$model/bf16/$size/$threads]:-}; b=${py_ips[$model/fp32/$size/$threads]:-}; c=${cpp_ips[$model/fp32/$size/$threads]:-}
  if [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ "$a" != n/a ]; then
    $PY -c 'import sys; a, b, c, m = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"{m}: alzscan --precision bf16 = {a / c:.2f}x alzscan fp32, {a / b:.2f}x Python fp32 (different arithmetic: not the same-model ratio)")' "$a" "$b" "$c" "$model at ${size} px, $threads thread(s)"
  fi
 done
 done
done
echo
echo "ratio = alzscan / the faster idiomatic Python run at the same precision; target >= 1.2x. alzscan keeps"
echo "weights and activations channels-last (NHWC); 'py NHWC' is Python with the malloc tuning AND model + batches in"
echo "torch.channels_last (not idiomatic), and 'vs NHWC' alzscan / that: how much of the ratio is the layout alone."
echo "thr = compute threads of each side (alzscan adds its batch thread, Python its DataLoader worker). Other load on"
echo "the machine lowers every column."
