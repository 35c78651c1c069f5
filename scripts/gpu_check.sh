#!/usr/bin/env bash
# GPU check on a lent machine: build alzscan against the LibTorch inside that machine's Python torch
# (2.x with CUDA; no libonnx there, so -DALZSCAN_ONNX=OFF; -static-libstdc++, decision 0005), look
# at how std::filesystem binds in a test binary linked the default way, run the native ctest suites,
# and use the GPU meanwhile: a recipe sweep (bench/gpu_sweep.tsv) or the seed's ladder (full profile).
#   scripts/gpu_check.sh DATA_DIR OUT_DIR [GTEST_SOURCES] [SECONDS] [sweep|ladder|tests-only]
# Everything it measures lands in OUT_DIR (logs + runs.tar.gz without checkpoints), at most 8 files.
set -u
data=$(realpath "$1"); out=$(realpath "$2"); gtest=${3:-/usr/src/googletest}; budget=${4:-540}
mode=${5:-sweep}
start=$(date +%s)
left() { echo $((budget - ($(date +%s) - start))); }
say() { echo "== $(date +%T) [$(left) s left] $*"; }
build=/tmp/alzscan-gpu
runs=/tmp/alzscan-gpu-runs
mkdir -p "$runs/logs"

say machine
nvidia-smi -L
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpu", torch.cuda.is_available())'
g++ --version | head -1; cmake --version | head -1; nproc

say configure
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_PREFIX_PATH="$torch_prefix" -DALZSCAN_ONNX=OFF -DALZSCAN_CCACHE=OFF \
    -DALZSCAN_STATIC_LIBSTDCXX=ON -DALZSCAN_GTEST_SOURCE_DIR="$gtest" -DALZSCAN_DATA_DIR="$data" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DALZSCAN_PYTHON="$(command -v python3)" \
    >"$out/configure.log" 2>&1; then
  tail -40 "$out/configure.log"; exit 1
fi
say build
if ! cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1; then
  grep -A8 "error" "$out/build.log" | head -100; exit 1
fi
alzscan=$build/native/alzscan

# The crash of decision 0005, looked at once more: the same test relinked without
# -static-libstdc++ (the default link), where its std::filesystem calls bind, and a backtrace.
diagnose() {
  local t=tests/native/test_trainer_data dyn=/tmp/test_trainer_data_dynamic
  local link; link=$(cd "$build" && ninja -t commands "$t" | tail -1)
  link=${link//-static-libstdc++/}; link=${link//" -o $t "/" -o $dyn "}
  (cd "$build" && bash -c "$link") || { echo "relink failed"; return; }
  echo "-- NEEDED (default link)"; readelf -d "$dyn" | grep NEEDED
  echo "-- std::filesystem definitions exported by libtorch_cpu.so"
  local torch_lib; torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  nm -D --defined-only "$torch_lib/libtorch_cpu.so" | c++filt | grep -c 'std::filesystem' || true
  echo "-- default link: run"; (cd /tmp && timeout 60 "$dyn" >/tmp/dyn.log 2>&1); echo "rc $?"; tail -5 /tmp/dyn.log
  echo "-- default link: where std::filesystem calls bind"
  (cd /tmp && LD_DEBUG=bindings timeout 60 "$dyn" 2>&1 |
     grep -E "binding file ($dyn|[^ ]*libtorch[^ ]*) .*St10filesystem" | head -12)
  echo "-- default link, system libstdc++ preloaded"
  (cd /tmp && LD_PRELOAD=$(g++ -print-file-name=libstdc++.so.6) timeout 60 "$dyn" >/tmp/dyn_pre.log 2>&1)
  echo "rc $?"; tail -3 /tmp/dyn_pre.log
  echo "-- backtrace (cuda-gdb)"
  (cd /tmp && timeout 90 cuda-gdb -batch -ex run -ex bt --args "$dyn" 2>&1 | grep -E '^#|signal' | head -25)
  echo "-- -static-libstdc++ link (what ctest runs)"; (cd /tmp && timeout 60 "$build/$t" 2>&1 | tail -3)
}
say "diagnose std::filesystem (default link vs -static-libstdc++)"
diagnose >"$out/diagnose.log" 2>&1
cat "$out/diagnose.log"

say "ctest (background)"
(cd "$build" && CI=true timeout $(( $(left) - 25 )) ctest -E bench_python_reference -j 6 --timeout 240 \
   --output-on-failure >"$out/ctest.log" 2>&1; echo "ctest rc $?" >>"$out/ctest.log") &
ctest_pid=$!
if [ "$mode" = tests-only ]; then wait "$ctest_pid"; tail -40 "$out/ctest.log"; say finished; exit 0; fi

kaggle=(--data "$data" --split-file "$data/KAGGLE_SPLIT.tsv" --split-column kaggle_split --device cuda --quiet)
if [ "$mode" = ladder ]; then
  say "ladder, full profile, Kaggle split"
  timeout $(( $(left) - 30 )) "$alzscan" experiments configs/experiments --split kaggle --profile full \
    --data "$data" --out "$runs/ladder-kaggle-full" >"$out/ladder.log" 2>&1
  echo "ladder rc $?"
else
  say "recipe sweep (bench/gpu_sweep.tsv), all runs at once on the one GPU"
  pids=()
  while IFS=$'\t' read -r name flags; do
    case "$name" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # flags are words on purpose
    nice -n 5 timeout $(( $(left) - 30 )) "$alzscan" train --config configs/default.json "${kaggle[@]}" \
      --val-seed 1 --out "$runs/$name" $flags >"$runs/logs/$name.log" 2>&1 &
    pids+=($!)
  done <bench/gpu_sweep.tsv
  for p in "${pids[@]}"; do wait "$p"; echo "run rc $?"; done
  python3 bench/sweep_summary.py "$runs" | grep -v '| logs |' >"$out/sweep.md"
  cat "$out/sweep.md"
fi

wait "$ctest_pid"; tail -25 "$out/ctest.log"
tar -C "$runs" --exclude='*.pt' --exclude='*.pt.tmp*' -czf "$out/runs.tar.gz" .
say finished
