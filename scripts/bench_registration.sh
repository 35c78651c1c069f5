#!/usr/bin/env bash
# bench_registration.sh BUILD WASM_BUILD: a 1 mm 256^3 T1 with skull (Colin27's ch2 resampled by
# nibabel + scipy onto a 256^3 grid, turned 10 degrees, as a scanner would store a head) brought into
# the training space natively and as WebAssembly (node, V8's engine), each step's median
# (tests/shared/registration_bench.cpp). make bench-registration; BENCHMARKS.md.
set -euo pipefail
build=${1:?usage: bench_registration.sh BUILD WASM_BUILD}
wasm_build=${2:?usage: bench_registration.sh BUILD WASM_BUILD}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/t1_256.nii" <<'PY'
import sys
import nibabel as nib
import numpy as np
from scipy import ndimage
src = nib.load("/usr/share/mricron/templates/ch2.nii.gz")
data = np.asarray(src.dataobj, dtype=np.float32)
a = np.radians(10)
turn = np.array([[1, 0, 0, 0], [0, np.cos(a), -np.sin(a), 0], [0, np.sin(a), np.cos(a), 0], [0, 0, 0, 1]])
out_affine = turn @ np.array([[-1, 0, 0, 128], [0, 1, 0, -128], [0, 0, 1, -110], [0, 0, 0, 1.0]])
m = np.linalg.inv(src.affine) @ out_affine   # output voxel -> source voxel
vol = ndimage.affine_transform(data, m[:3, :3], offset=m[:3, 3], output_shape=(256, 256, 256), order=1)
nib.save(nib.Nifti1Image(np.round(vol * 16).astype(np.int16), out_affine), sys.argv[1])
PY
echo "== native ($(uname -m))"
"$build/tests/shared/registration_bench" "$work/t1_256.nii" 5
echo "== WebAssembly (node $(node --version))"
node --no-experimental-fetch "$wasm_build/tests/shared/registration_bench.js" "$work/t1_256.nii" 3
