#!/usr/bin/python3
"""shared/'s NIfTI reader and axial slab against nibabel, the independent reader.

Usage: test_nifti.py NIFTI_DUMP WORKDIR

Fixtures: nibabel's own test volumes (big-endian int16 and float32, NIfTI-2, 4-D), the Colin27
brain of mricron-data (ch2bet, uint8, 181x217x181) and volumes written here with nibabel from a
crop of ch2bet: every datatype, both byte orders, NIfTI-1 and -2, scl_slope/scl_inter, sform,
qform-only and pixdim-only affines, permuted and flipped axes, anisotropic voxels.

Checks: the voxels after reorientation to the training orientation (LPS: i to the patient's left,
j to posterior, k up) equal nibabel's get_fdata() reoriented with nibabel.orientations: exactly for
integer data, within 1e-6 relative for float or scaled data; the chosen axial slices and their
8-bit pixels equal an extraction written here with numpy from scan.h's stated rule.
"""
import gzip
import json
import math
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
from nibabel import orientations as ornt

NIB_DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")
CH2BET = "/usr/share/mricron/templates/ch2bet.nii.gz"
SLAB, FROM, TO = 32, 0.40, 0.62

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)


def nibabel_lps(img):
    data = np.asanyarray(img.get_fdata(dtype=np.float64))
    while data.ndim > 3:
        data = data[..., 0]
    while data.ndim < 3:
        data = data[..., np.newaxis]
    transform = ornt.ornt_transform(ornt.io_orientation(img.affine), ornt.axcodes2ornt(("L", "P", "S")))
    return ornt.apply_orientation(data, transform)


def round_half_up(x):
    return np.floor(x + 0.5)


def expected_slab(lps, is_uint8):
    """scan.h's rule, written again with numpy."""
    if is_uint8:
        gray = lps.astype(np.uint8)
    else:
        pos = np.sort(lps[lps > 0])
        at = min(len(pos) - 1, int(0.999 * (len(pos) - 1) + 0.5))
        hi = pos[at]
        gray = np.where(lps > 0, np.minimum(255.0, round_half_up(255.0 * lps / hi)), 0).astype(np.uint8)
    flat = np.sort(gray.ravel())
    rank = max(1, (flat.size * 99 + 99) // 100)
    p99 = int(flat[rank - 1])
    t = max(8, (p99 * 12 + 99) // 100)
    area = (gray >= t).sum(axis=(0, 1))
    keep = np.nonzero(area * 20 >= area.max())[0]
    first, last = int(keep.min()), int(keep.max())
    nz = gray.shape[2]
    if nz <= SLAB:
        ks = list(range(nz))
    else:
        ks = [first + int(math.floor((FROM + (TO - FROM) * s / (SLAB - 1)) * (last - first) + 0.5)) for s in range(SLAB)]
    # image rows = j (anterior first), columns = i (the patient's right first)
    return ks, (first, last), np.stack([gray[:, :, k].T for k in ks])


def run_dump(tool, path, work):
    raw = path
    if path.endswith(".gz"):
        raw = os.path.join(work, os.path.basename(path)[:-3])
        with gzip.open(path, "rb") as f, open(raw, "wb") as g:
            g.write(f.read())
    prefix = os.path.join(work, os.path.basename(raw))
    out = subprocess.run([tool, raw, prefix], check=True, capture_output=True, text=True).stdout
    return json.loads(out), prefix


def check_volume(tool, path, work, name, isotropic=True):
    img = nib.load(path)
    got, prefix = run_dump(tool, path, work)
    if "error" in got:
        check(False, f"{name}: refused: {got['error']}")
        return
    want = nibabel_lps(img)
    check((got["nx"], got["ny"], got["nz"]) == want.shape, f"{name}: shape {got['nx'], got['ny'], got['nz']} vs nibabel {want.shape}")
    if (got["nx"], got["ny"], got["nz"]) != want.shape:
        return
    mine = np.fromfile(prefix + ".lps.f64", dtype="<f8").reshape(want.shape[::-1]).transpose(2, 1, 0)
    on_disk = img.header.get_data_dtype()
    # nibabel moves scl_slope/scl_inter from the header into the array proxy when it loads a file
    slope, inter = float(getattr(img.dataobj, "slope", 1.0)), float(getattr(img.dataobj, "inter", 0.0))
    exact = on_disk.kind in "iu" and slope == 1.0 and inter == 0.0
    if exact:
        check(np.array_equal(mine, want), f"{name}: voxels differ from nibabel's ({np.abs(mine - want).max()} max)")
    else:
        both_nan = np.isnan(mine) & np.isnan(want)
        scale = np.maximum(np.abs(want), 1e-30)
        rel = float(np.max(np.where(both_nan, 0.0, np.abs(mine - want) / scale))) if want.size else 0.0
        check(rel <= 1e-6, f"{name}: voxels differ from nibabel's by {rel:.3g} relative (> 1e-6)")
    if min(want.shape[:2]) < 8:   # scan.h: axial slices under 8x8 are refused with a message
        check("too small to be brain slices" in got.get("slab_error", ""), f"{name}: slab {got.get('slab_error')}")
        print(f"ok {name}: {want.shape} voxels as nibabel; no slab: {got.get('slab_error')}")
        return got
    if "slab_error" in got:
        check(False, f"{name}: no slab: {got['slab_error']}")
        return
    if isotropic:
        ks, extent, slab = expected_slab(want, on_disk == np.uint8 and exact)
        check(got["slices"] == ks, f"{name}: slices {got['slices']} vs {ks}")
        check(tuple(got["brain"]) == extent, f"{name}: brain extent {got['brain']} vs {extent}")
        mine_slab = np.fromfile(prefix + ".slab.u8", dtype=np.uint8).reshape(slab.shape)
        check(np.array_equal(mine_slab, slab), f"{name}: slab pixels differ ({int(np.sum(mine_slab != slab))} of {slab.size})")
    print(f"ok {name}: {got['nx']}x{got['ny']}x{got['nz']} {got['datatype']} NIfTI-{got['version']} "
          f"{got['affine_source']}{' scaled' if slope != 1.0 or inter != 0.0 else ''} "
          f"{'exact' if exact else '<=1e-6'}; {got.get('how', '')}")
    return got


def written_fixtures(work):
    """Volumes written with nibabel from a crop of ch2bet (real voxels)."""
    base = np.asanyarray(nib.load(CH2BET).dataobj)[40:140, 50:170, 20:150].astype(np.float64)  # RAS crop
    out = []
    perms = [((0, 1, 2), (1, 1, 1)), ((1, 0, 2), (-1, 1, 1)), ((2, 0, 1), (1, -1, -1)), ((0, 2, 1), (-1, -1, 1))]
    types = ["uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64"]
    for n, dtype in enumerate(types):
        for endian in "<>":
            for version in (1, 2):
                (perm, signs) = perms[(n + version) % len(perms)]
                data = base.copy()
                if dtype == "int8":
                    data = data / 2 - 20
                elif dtype.startswith("float"):
                    data = data * 0.731 + 0.25
                data = np.transpose(data, perm)
                aff = np.zeros((4, 4))
                aff[3, 3] = 1
                for a in range(3):   # voxel axis a runs along world (RAS) axis perm[a], reversed when signs[a] < 0
                    aff[perm[a], a] = signs[a] * 1.0
                aff[:3, 3] = [-30.0, 12.5, -7.0]
                for a in range(3):
                    if signs[a] < 0:
                        data = np.flip(data, axis=a)
                cls = nib.Nifti1Image if version == 1 else nib.Nifti2Image
                hdr = (nib.Nifti1Header if version == 1 else nib.Nifti2Header)(endianness=endian)
                img = cls(data.astype(dtype), aff, header=hdr)
                img.set_data_dtype(np.dtype(dtype).newbyteorder(endian))
                img.header.set_slope_inter(1.0, 0.0)
                kind = ["sform", "qform", "pixdim", "sform"][n % 4]
                if kind == "qform":
                    img.set_qform(aff, code=1)
                    img.set_sform(None, code=0)
                elif kind == "pixdim":
                    img.set_qform(None, code=0)
                    img.set_sform(None, code=0)
                path = os.path.join(work, f"w_{dtype}_{'be' if endian == '>' else 'le'}_n{version}_{kind}.nii")
                img.to_filename(path)
                out.append(path)
    # scl_slope / scl_inter patched into the header bytes, so nibabel applies them on reading.
    for version in (1, 2):
        img = (nib.Nifti1Image if version == 1 else nib.Nifti2Image)(base.astype(np.int16), np.diag([1.0, 1.0, 1.0, 1.0]))
        img.set_data_dtype(np.int16)
        path = os.path.join(work, f"w_scaled_n{version}.nii")
        img.to_filename(path)
        raw = bytearray(open(path, "rb").read())
        if version == 1:
            raw[112:120] = np.array([0.5, -3.0], dtype="<f4").tobytes()
        else:
            raw[176:192] = np.array([0.5, -3.0], dtype="<f8").tobytes()
        open(path, "wb").write(bytes(raw))
        out.append(path)
    return out


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    for need in (NIB_DATA, CH2BET):
        if not os.path.exists(need):
            print(f"FAIL {need} is missing: run make setup (python3-nibabel, mricron-data)")
            return 1
    for f in ["anatomical.nii", "functional.nii", "example4d.nii.gz", "example_nifti2.nii.gz",
              "reoriented_anat_moved.nii", "resampled_anat_moved.nii", "standard.nii.gz"]:
        check_volume(tool, os.path.join(NIB_DATA, f), work, f)
    got = check_volume(tool, CH2BET, work, "ch2bet.nii.gz")
    if got:
        check(got["brain"] == [12, 150], f"ch2bet: brain extent {got['brain']}, expected 12..150 (scan.h)")
    four_d, _ = run_dump(tool, os.path.join(NIB_DATA, "example4d.nii.gz"), work)
    check(any("first volume" in n for n in four_d.get("notes", [])), f"example4d: notes {four_d.get('notes')}")
    for path in written_fixtures(work):
        check_volume(tool, path, work, os.path.basename(path))
    # Anisotropic in-plane voxels: the slab is resampled to square pixels of the finer spacing.
    img = nib.Nifti1Image(np.asanyarray(nib.load(CH2BET).dataobj)[::2, :, ::3].copy(), np.diag([2.0, 1.0, 3.0, 1.0]))
    path = os.path.join(work, "w_aniso.nii")
    img.to_filename(path)
    got = check_volume(tool, path, work, "w_aniso.nii", isotropic=False)
    if got:
        check((got["slab_width"], got["slab_height"]) == (2 * got["nx"], got["ny"]),
              f"w_aniso: slab {got['slab_width']}x{got['slab_height']}, expected {2 * got['nx']}x{got['ny']}")
    for bad, expect in [(b"\x00" * 100, "shorter than a NIfTI-1 header"), (b"\x01" * 400, "not a NIfTI file (sizeof_hdr")]:
        p = os.path.join(work, "bad.nii")
        open(p, "wb").write(bad)
        got, _ = run_dump(tool, p, work)
        check(expect in got.get("error", ""), f"bad file: {got}")
    raw = bytearray(open(os.path.join(work, "w_scaled_n1.nii"), "rb").read())
    p = os.path.join(work, "truncated.nii")
    open(p, "wb").write(bytes(raw[: len(raw) // 2]))
    got, _ = run_dump(tool, p, work)
    check("the NIfTI file is truncated" in got.get("error", ""), f"truncated: {got}")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
