#!/usr/bin/env bash
# bench_registration.sh BUILD WASM_BUILD: a 1 mm 256^3 T1 with skull (scripts/make_t1_256.py) brought into
# the training space natively and as WebAssembly (node, V8's engine), each step's median
# (tests/shared/registration_bench.cpp). make bench-registration; BENCHMARKS.md.
set -euo pipefail
build=${1:?usage: bench_registration.sh BUILD WASM_BUILD}
wasm_build=${2:?usage: bench_registration.sh BUILD WASM_BUILD}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 scripts/make_t1_256.py "$work/t1_256.nii"
echo "== native ($(uname -m))"
"$build/tests/shared/registration_bench" "$work/t1_256.nii" 5
echo "== WebAssembly (node $(node --version))"
node --no-experimental-fetch "$wasm_build/tests/shared/registration_bench.js" "$work/t1_256.nii" 3
