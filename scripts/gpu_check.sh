#!/usr/bin/env bash
# GPU check on a lent machine: build alzscan against the LibTorch inside that machine's Python torch
# (2.x with CUDA; no libonnx there, so -DALZSCAN_ONNX=OFF), check where a test binary's std::filesystem
# calls bind (decision 0005), run the native ctest suites, and use the GPU meanwhile: a recipe sweep
# (SWEEP_TSV, default bench/gpu_sweep.tsv) or the seed's ladder (full profile).
#   scripts/gpu_check.sh DATA_DIR OUT_DIR [GTEST_SOURCES] [SECONDS] [sweep|ladder|tests-only] [SWEEP_TSV]
# Everything it measures lands in OUT_DIR (logs + runs.tar.gz without checkpoints), at most 8 files.
set -u
data=$(realpath "$1"); out=$(realpath "$2"); gtest=${3:-/usr/src/googletest}; budget=${4:-540}
mode=${5:-sweep}; sweep_tsv=${6:-bench/gpu_sweep.tsv}
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
    -DALZSCAN_GTEST_SOURCE_DIR="$gtest" -DALZSCAN_DATA_DIR="$data" \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DALZSCAN_PYTHON="$(command -v python3)" \
    >"$out/configure.log" 2>&1; then
  tail -40 "$out/configure.log"; exit 1
fi
say build
if ! cmake --build "$build" -j "$(nproc)" >"$out/build.log" 2>&1; then
  grep -A8 "error" "$out/build.log" | head -100; exit 1
fi
alzscan=$build/native/alzscan

# Decision 0005: pip torch exports its own std::filesystem, whose remove_all jumps to address 0.
# native/CMakeLists.txt names libstdc++ ahead of LibTorch; the control relinks one test without that.
diagnose() {
  local t=tests/native/test_trainer_data control=/tmp/test_trainer_data_torch_first
  echo "-- std::filesystem definitions exported by libtorch_cpu.so"
  local torch_lib; torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
  nm -D --defined-only "$torch_lib/libtorch_cpu.so" | c++filt | grep -c 'std::filesystem' || true
  echo "-- as built: first needed libraries, where its std::filesystem calls bind, run"
  readelf -d "$build/$t" | grep NEEDED
  (cd /tmp && LD_DEBUG=bindings timeout 60 "$build/$t" 2>&1 | grep 'St10filesystem' |
     grep "test_trainer_data" | sed 's/.*\] to //' | head -6)
  (cd /tmp && timeout 60 "$build/$t" >/tmp/as_built.log 2>&1); echo "rc $?"; tail -1 /tmp/as_built.log
  echo "-- control: relinked without libstdc++ ahead of LibTorch"
  local link; link=$(cd "$build" && ninja -t commands "$t" | tail -1)
  link=${link//"-Wl,--push-state,--no-as-needed  -lstdc++  -Wl,--pop-state"/}; link=${link//" -o $t "/" -o $control "}
  (cd "$build" && bash -c "$link") || { echo "relink failed"; return; }
  readelf -d "$control" | grep NEEDED
  (cd /tmp && timeout 60 "$control" >/tmp/control.log 2>&1); echo "rc $?"; tail -1 /tmp/control.log
}
say "diagnose std::filesystem binding"
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
  say "recipe sweep ($sweep_tsv), all runs at once on the one GPU"
  pids=()
  while IFS=$'\t' read -r name flags; do
    case "$name" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # flags are words on purpose
    nice -n 5 timeout $(( $(left) - 30 )) "$alzscan" train --config configs/default.json "${kaggle[@]}" \
      --val-seed 1 --out "$runs/$name" $flags >"$runs/logs/$name.log" 2>&1 &
    pids+=($!)
  done <"$sweep_tsv"
  for p in "${pids[@]}"; do wait "$p"; echo "run rc $?"; done
  python3 bench/sweep_summary.py "$runs" >"$out/sweep.md"
  cat "$out/sweep.md"
fi

wait "$ctest_pid"; tail -25 "$out/ctest.log"
tar -C "$runs" --exclude='*.pt' --exclude='*.pt.tmp*' -czf "$out/runs.tar.gz" .
say finished
