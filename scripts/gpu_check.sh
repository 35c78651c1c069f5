#!/usr/bin/env bash
# GPU check on a lent machine: build alzscan against the LibTorch inside that machine's Python torch
# (2.x with CUDA; no libonnx there, so -DALZSCAN_ONNX=OFF), run the native ctest suites, train the
# default recipe on CUDA, then the seed's ladder (full profile) for whatever time is left.
#   scripts/gpu_check.sh DATA_DIR OUT_DIR [GTEST_SOURCES] [SECONDS] [tests-only]
# Everything it measures lands in OUT_DIR (logs + runs.tar.gz without checkpoints).
set -u
data=$(realpath "$1"); out=$(realpath "$2"); gtest=${3:-/usr/src/googletest}; budget=${4:-540}
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
say() { echo "== $(date +%T) [$(left) s left] $*"; }
build=/tmp/alzscan-gpu
runs=/tmp/alzscan-gpu-runs
mkdir -p "$runs"

say machine
nvidia-smi -L
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())'
g++ --version | head -1; cmake --version | head -1; nproc

say configure
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$torch_prefix" -DALZSCAN_ONNX=OFF -DALZSCAN_CCACHE=OFF \
    -DALZSCAN_GTEST_SOURCE_DIR="$gtest" -DALZSCAN_DATA_DIR="$data" -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DALZSCAN_PYTHON="$(command -v python3)" \
    >"$out/configure.log" 2>&1; then
  tail -40 "$out/configure.log"; exit 1
fi
say build
if ! cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1; then
  grep -A8 "error" "$out/build.log" | head -100; exit 1
fi
alzscan=$build/native/alzscan
readelf -d "$alzscan" | grep NEEDED | head -3

say "ctest (background, CPU-side suites use the GPU through --device auto)"
(cd "$build" && CI=true timeout $(( $(left) - 20 )) ctest -E bench_python_reference -j 4 --timeout 240 \
   --output-on-failure >"$out/ctest.log" 2>&1; echo "ctest rc $?" >>"$out/ctest.log") &
ctest_pid=$!

if [ "${5:-}" = tests-only ]; then wait "$ctest_pid"; tail -40 "$out/ctest.log"; say done; exit 0; fi

say "make train equivalent on CUDA (configs/default.json, Kaggle split)"
timeout 180 "$alzscan" train --config configs/default.json --data "$data" --device cuda \
  --split-file "$data/KAGGLE_SPLIT.tsv" --split-column kaggle_split --out "$runs/default-cuda" \
  >"$out/train_default_cuda.log" 2>&1
echo "train rc $?"; grep -E "^epoch|img/s|macro" "$out/train_default_cuda.log" | tail -16

say "ladder, full profile, Kaggle split"
timeout $(( $(left) - 45 )) "$alzscan" experiments configs/experiments --split kaggle --profile full \
  --data "$data" --out "$runs/ladder-kaggle-full" >"$out/ladder_kaggle_full.log" 2>&1
echo "ladder rc $?"; grep -E "^epoch|^==|experiment" "$out/ladder_kaggle_full.log" | tail -30

wait "$ctest_pid"; tail -25 "$out/ctest.log"
tar -C "$runs" --exclude='*.pt' --exclude='*.pt.tmp*' -czf "$out/runs.tar.gz" .
say done
