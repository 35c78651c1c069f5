#!/usr/bin/python3
"""shared/'s FreeSurfer MGH/MGZ and Analyze 7.5 readers against nibabel, the independent reader.

Usage: test_volume_formats.py VOLUME_DUMP WORKDIR

Fixtures, written here with nibabel: a crop of the Colin27 brain of mricron-data (ch2bet, real
voxels) and small random volumes. MGH and MGZ: uint8, int16, int32, float32, Colin27's own affine,
an oblique (rotated, anisotropic) affine, a 4-D file, a file without orientation (goodRASflag 0).
Analyze pairs: uint8, int16, int32, float32, float64, both byte orders, 2-D and 4-D files, and
headers patched to hold a negative and a zero pixdim and a non-zero vox_offset.

Checks: the decoded voxels (file order, the first frame/volume) equal nibabel's get_fdata():
exactly for integer data, within 1e-6 relative for float data; the affine within 1e-4 mm of
nibabel's (for goodRASflag 0: FreeSurfer's default LIA orientation, where nibabel 5.0 gives LSP);
hostile files are refused with their message (truncated, huge dimensions refused from the header
in under a second, wrong version, unknown type, a NIfTI pair header, ...).
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import time

import nibabel as nib
import numpy as np

CH2BET = "/usr/share/mricron/templates/ch2bet.nii.gz"

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL", what)
    return ok


def dump(tool, work, kind, *files):
    """volume_dump's JSON and voxels (nx, ny, nz array) for an .mgh (inflated here) or a pair."""
    paths = list(files)
    if kind == "mgh" and paths[0].endswith(".mgz"):
        raw = os.path.join(work, os.path.basename(paths[0])[:-4] + ".inflated.mgh")
        with gzip.open(paths[0], "rb") as f, open(raw, "wb") as g:
            g.write(f.read())
        paths = [raw]
    prefix = os.path.join(work, "dump")
    start = time.monotonic()
    out = subprocess.run([tool, kind, *paths, prefix], check=True, capture_output=True, text=True).stdout
    got = json.loads(out)
    got["seconds"] = time.monotonic() - start
    if "error" in got:
        return got, None
    shape = (got["nx"], got["ny"], got["nz"])
    voxels = np.fromfile(prefix + ".f64", dtype="<f8").reshape(shape[::-1]).transpose(2, 1, 0)
    return got, voxels


def first_volume(img):
    data = np.asanyarray(img.get_fdata(dtype=np.float64))
    while data.ndim > 3:
        data = data[..., 0]
    while data.ndim < 3:
        data = data[..., np.newaxis]
    return data


def compare(tool, work, name, kind, files, want_affine=None, notes=()):
    """Decodes `files` and checks voxels, affine and notes against nibabel's reading of files[0]."""
    img = nib.load(files[0])
    got, mine = dump(tool, work, kind, *files)
    if not check("error" not in got, f"{name}: refused: {got.get('error')}"):
        return got
    want = first_volume(img)
    if not check(mine.shape == want.shape, f"{name}: shape {mine.shape} vs nibabel {want.shape}"):
        return got
    exact = img.get_data_dtype().kind in "iu"
    if exact:
        check(np.array_equal(mine, want), f"{name}: voxels differ from nibabel's ({np.abs(mine - want).max()} max)")
    else:
        rel = float(np.max(np.abs(mine - want) / np.maximum(np.abs(want), 1e-30)))
        check(rel <= 1e-6, f"{name}: voxels differ from nibabel's by {rel:.3g} relative (> 1e-6)")
    affine = np.array(got["affine"])
    want_affine = img.affine if want_affine is None else want_affine
    err = float(np.abs(affine - want_affine).max())
    check(err <= 1e-4, f"{name}: affine differs from nibabel's by {err:.3g} mm:\n{affine}\nvs\n{want_affine}")
    check(got["affine_source"] == kind, f"{name}: affine_source {got['affine_source']}")
    zooms = np.sqrt((want_affine[:3, :3] ** 2).sum(axis=0))
    check(np.allclose(got["spacing"], zooms, atol=1e-5), f"{name}: spacing {got['spacing']} vs {zooms}")
    for n in notes:
        check(any(n in x for x in got["notes"]), f"{name}: no note with {n!r}: {got['notes']}")
    if not notes:
        check(not got["notes"], f"{name}: unexpected notes {got['notes']}")
    print(f"ok {name}: {got['nx']}x{got['ny']}x{got['nz']} {got['datatype']} {'exact' if exact else '<=1e-6'}, "
          f"affine within {err:.2g} mm{'; ' + '; '.join(got['notes']) if got['notes'] else ''}")
    return got


def rotation(rx, ry, rz):
    rx, ry, rz = np.radians([rx, ry, rz])
    x = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    y = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    z = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    return z @ y @ x


def as_type(data, dtype):
    if np.dtype(dtype).kind == "f":
        return (data * 0.731 + 0.25).astype(dtype)
    return data.astype(dtype)


def mgh_fixtures(tool, work, brain, brain_affine, rng):
    for dtype in ("uint8", "int16", "int32", "float32"):
        for ext in (".mgh", ".mgz"):
            path = os.path.join(work, f"m_{dtype}{ext}")
            nib.save(nib.MGHImage(as_type(brain, dtype), brain_affine), path)
            compare(tool, work, os.path.basename(path), "mgh", [path])
    oblique = np.eye(4)
    oblique[:3, :3] = rotation(12, -20, 33) @ np.diag([1.2, 0.9, 1.5])
    oblique[:3, 3] = [-40.5, 17.25, 8.0]
    for ext in (".mgh", ".mgz"):
        path = os.path.join(work, f"m_oblique{ext}")
        nib.save(nib.MGHImage(rng.normal(100, 30, (23, 17, 11)).astype(np.float32), oblique), path)
        got = compare(tool, work, os.path.basename(path), "mgh", [path])
        check(np.abs(np.array(got.get("affine", np.eye(4))) - oblique).max() <= 1e-4, f"{path}: not the affine written")
    # A conformed-like LIA volume with its centre away from 0.
    lia = np.array([[-1, 0, 0, 30.0], [0, 0, 1, -20.0], [0, -1, 0, 45.0], [0, 0, 0, 1]])
    path = os.path.join(work, "m_lia.mgz")
    nib.save(nib.MGHImage(rng.integers(0, 255, (16, 14, 12)).astype(np.uint8), lia), path)
    compare(tool, work, "m_lia.mgz", "mgh", [path])
    path = os.path.join(work, "m_4d.mgz")
    nib.save(nib.MGHImage(rng.integers(-500, 500, (10, 12, 8, 3)).astype(np.int16), oblique), path)
    compare(tool, work, "m_4d.mgz", "mgh", [path], notes=["4-D file (3 frames): the first frame is used"])
    # goodRASflag 0: FreeSurfer's default (mghRead: setDirectionCosine MRI_CORONAL), LIA, 1 mm, centre 0.
    path = os.path.join(work, "m_noras.mgh")
    nib.save(nib.MGHImage(rng.integers(0, 255, (8, 10, 6)).astype(np.uint8), oblique), path)
    raw = bytearray(open(path, "rb").read())
    raw[28:30] = struct.pack(">h", 0)
    open(path, "wb").write(bytes(raw))
    dims = np.array([8, 10, 6])
    mdc = np.array([[-1, 0, 0], [0, 0, 1], [0, -1, 0]], dtype=float)   # columns: x L, y I, z A
    freesurfer = np.eye(4)
    freesurfer[:3, :3] = mdc
    freesurfer[:3, 3] = -mdc @ (dims / 2)
    got = compare(tool, work, "m_noras.mgh", "mgh", [path], want_affine=freesurfer,
                  notes=["stores no orientation (goodRASflag 0): FreeSurfer's default coronal orientation"])
    print(f"   (nibabel {nib.__version__} reads m_noras.mgh as {''.join(nib.aff2axcodes(nib.load(path).affine))}, "
          f"FreeSurfer and alzscan as {''.join(nib.aff2axcodes(freesurfer))})")


def write_analyze(path, data, zooms, endian):
    hdr = nib.AnalyzeHeader(endianness=endian)
    hdr.set_data_dtype(np.dtype(data.dtype).newbyteorder(endian))
    hdr.set_data_shape(data.shape)
    hdr.set_zooms(zooms)
    nib.save(nib.AnalyzeImage(data, None, header=hdr), path)
    return path, path[:-4] + ".img"


def analyze_fixtures(tool, work, brain, rng):
    for n, dtype in enumerate(("uint8", "int16", "int32", "float32", "float64")):
        for endian in "<>":
            tag = "be" if endian == ">" else "le"
            zooms = [(1.0, 1.0, 1.0), (0.9, 1.1, 1.3)][n % 2]
            hdr, img = write_analyze(os.path.join(work, f"a_{dtype}_{tag}.hdr"), as_type(brain, dtype), zooms, endian)
            compare(tool, work, f"a_{dtype}_{tag}", "analyze", [hdr, img])
            hdr, img = write_analyze(os.path.join(work, f"a_rand_{dtype}_{tag}.hdr"),
                                     as_type(rng.integers(0, 120, (9, 7, 5)), dtype), (2.0, 1.5, 3.0), endian)
            compare(tool, work, f"a_rand_{dtype}_{tag}", "analyze", [hdr, img])
    hdr, img = write_analyze(os.path.join(work, "a_2d.hdr"), rng.integers(-90, 90, (12, 10)).astype(np.int16), (0.8, 0.7), "<")
    compare(tool, work, "a_2d", "analyze", [hdr, img])
    hdr, img = write_analyze(os.path.join(work, "a_4d.hdr"), rng.normal(0, 1, (6, 5, 4, 2)).astype(np.float32),
                             (1.0, 2.0, 3.0, 2.5), ">")
    compare(tool, work, "a_4d", "analyze", [hdr, img], notes=["4-D file (2 volumes): the first volume is used"])
    # Patched headers: nibabel takes a negative pixdim as its absolute value, a zero one as 1.
    for name, index, value, note in [("a_negpix", 2, -1.7, "pixdim[2] is -1.7, not a voxel size: 1.7 mm"),
                                     ("a_zeropix", 3, 0.0, "pixdim[3] is 0, not a voxel size: 1 mm")]:
        hdr, img = write_analyze(os.path.join(work, name + ".hdr"), rng.integers(0, 200, (7, 6, 5)).astype(np.uint8),
                                 (1.25, 1.5, 2.0), "<")
        raw = bytearray(open(hdr, "rb").read())
        raw[76 + 4 * index:80 + 4 * index] = struct.pack("<f", value)
        open(hdr, "wb").write(bytes(raw))
        compare(tool, work, name, "analyze", [hdr, img], notes=[note])
    # vox_offset 16: the voxels start 16 bytes into the .img.
    hdr, img = write_analyze(os.path.join(work, "a_offset.hdr"), rng.integers(-300, 300, (7, 6, 5)).astype(np.int16),
                             (1.0, 1.0, 1.0), ">")
    raw = bytearray(open(hdr, "rb").read())
    raw[108:112] = struct.pack(">f", 16.0)
    open(hdr, "wb").write(bytes(raw))
    voxels = open(img, "rb").read()
    open(img, "wb").write(b"\xab" * 16 + voxels)
    compare(tool, work, "a_offset", "analyze", [hdr, img])


def refused(tool, work, name, kind, blobs, expect, fast=False):
    paths = []
    for n, blob in enumerate(blobs):
        p = os.path.join(work, f"bad_{name}_{n}")
        open(p, "wb").write(blob)
        paths.append(p)
    got, _ = dump(tool, work, kind, *paths)
    ok = check(expect in got.get("error", ""), f"{name}: expected an error with {expect!r}, got {got}")
    if fast:
        ok = check(got["seconds"] < 1.0, f"{name}: took {got['seconds']:.2f} s (should be refused from the header)") and ok
    if ok:
        print(f"ok refused {name} ({got['seconds'] * 1000:.0f} ms): {got['error']}")


def mgh_header(dims=(4, 4, 4, 1), mtype=3, version=1, good_ras=1):
    h = struct.pack(">iiiiiiih", version, *dims, mtype, 0, good_ras)
    h += struct.pack(">3f9f3f", 1, 1, 1, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0)
    return h + b"\0" * (284 - len(h))


def analyze_header(dims=(3, 4, 4, 4), datatype=4, sizeof_hdr=348, magic=b"", vox_offset=0.0):
    h = bytearray(348)
    h[0:4] = struct.pack("<i", sizeof_hdr)
    h[40:56] = struct.pack("<8h", *dims, *([1] * (8 - len(dims))))
    h[70:72] = struct.pack("<h", datatype)
    h[76:108] = struct.pack("<8f", 1, 1, 1, 1, 1, 1, 1, 1)
    h[108:112] = struct.pack("<f", vox_offset)
    h[344:344 + len(magic)] = magic
    return bytes(h)


def hostile(tool, work):
    good = mgh_header() + b"\0" * (64 * 4)
    refused(tool, work, "mgh_truncated", "mgh", [good[:284 + 100]], "the MGH file is truncated: the header says 256 bytes "
            "of voxels from byte 284 but the file has 100 bytes")
    big = nib.MGHImage(np.zeros((100, 100, 100), np.float32), np.eye(4))
    path = os.path.join(work, "big.mgh")
    nib.save(big, path)
    raw = open(path, "rb").read()
    refused(tool, work, "mgh_truncated_mb", "mgh", [raw[: len(raw) // 2]], "the MGH file is truncated: the header says 4 MB")
    refused(tool, work, "mgh_huge", "mgh", [mgh_header(dims=(100000, 100000, 100000, 1)) + b"\0" * 1000],
            "the MGH volume is 100000x100000x100000 voxels, more than alzscan reads (134217728)", fast=True)
    refused(tool, work, "mgh_huge_int32", "mgh", [mgh_header(dims=(2147483647, 2147483647, 2147483647, 2147483647))],
            "the MGH volume is 2147483647x2147483647x2147483647 voxels, more than alzscan reads", fast=True)
    refused(tool, work, "mgh_version", "mgh", [mgh_header(version=2) + b"\0" * 256], "the MGH header's version is 2 (expected 1)")
    refused(tool, work, "mgh_little_endian", "mgh", [struct.pack("<i", 1) + mgh_header()[4:]],
            "the MGH header's version is 16777216 (expected 1)")
    refused(tool, work, "mgh_type", "mgh", [mgh_header(mtype=6) + b"\0" * 1000], "the MGH data type 6 is not supported")
    refused(tool, work, "mgh_zero_dim", "mgh", [mgh_header(dims=(4, 0, 4, 1))], "the MGH header's height is 0 (expected 1 or more)")
    refused(tool, work, "mgh_zero_frames", "mgh", [mgh_header(dims=(4, 4, 4, 0))], "the MGH header's nframes is 0")
    refused(tool, work, "mgh_short", "mgh", [b"\0\0\0\1" + b"\0" * 100], "not an MGH file (104 bytes, shorter than the 284-byte")
    refused(tool, work, "mgh_gzip", "mgh", [gzip.compress(good)], "this is a gzip file: inflate the .mgz first")
    img = b"\0" * (64 * 2)
    refused(tool, work, "analyze_truncated", "analyze", [analyze_header(), img[:100]],
            "the Analyze .img file is truncated: the header says 128 bytes of voxels from byte 0 but the file has 100 bytes")
    refused(tool, work, "analyze_sizeof", "analyze", [b"\x01" * 348, img], "not an Analyze header (sizeof_hdr is 16843009, expected 348)")
    refused(tool, work, "analyze_short", "analyze", [b"\0" * 100, img], "not an Analyze header (100 bytes, shorter than 348)")
    refused(tool, work, "analyze_nifti_pair", "analyze", [analyze_header(magic=b"ni1\0"), img],
            "this .hdr is a NIfTI-1 header (magic \"ni1\")")
    refused(tool, work, "analyze_complex", "analyze", [analyze_header(datatype=32), img], "the Analyze datatype 32 is not supported")
    refused(tool, work, "analyze_huge", "analyze", [analyze_header(dims=(3, 32767, 32767, 32767)), img],
            "the Analyze volume is 32767x32767x32767 voxels, more than alzscan reads", fast=True)
    refused(tool, work, "analyze_offset", "analyze", [analyze_header(vox_offset=1e30), img],
            "the Analyze header's vox_offset is 1e+30, beyond the .img (128 bytes)")
    refused(tool, work, "analyze_neg_dim", "analyze", [analyze_header(dims=(3, 4, -4, 4)), img],
            "the Analyze header's dim[2] is -4 (expected 1 or more)")


def accepted_with_note(tool, work, name, blob, note, want_affine):
    p = os.path.join(work, f"odd_{name}.mgh")
    open(p, "wb").write(blob)
    got, _ = dump(tool, work, "mgh", p)
    ok = check(any(note in n for n in got.get("notes", [])), f"{name}: expected a note with {note!r}, got {got}")
    err = float(np.abs(np.array(got.get("affine", np.zeros((4, 4)))) - want_affine).max())
    if check(err <= 1e-6, f"{name}: affine {got.get('affine')} vs {want_affine}") and ok:
        print(f"ok {name}: {'; '.join(got['notes'])}")


def odd_orientations(tool, work):
    """MGH fields that make no affine: the fallbacks of mgh.h, said in notes."""
    voxels = b"\0" * (4 * 4 * 4 * 4)
    h = bytearray(mgh_header())
    h[30:34] = struct.pack(">f", 0.0)   # xsize 0: 1 mm
    lia = np.array([[-1, 0, 0, 2.0], [0, 0, 1, -2.0], [0, -1, 0, 2.0], [0, 0, 0, 1]])
    accepted_with_note(tool, work, "xsize0", bytes(h) + voxels, "the MGH header's xsize is 0, not a voxel size: 1 mm is used", lia)
    h = bytearray(mgh_header())
    h[46:50] = struct.pack(">f", float("nan"))   # x_a NaN: the default orientation
    accepted_with_note(tool, work, "mdc_nan", bytes(h) + voxels,
                       "the MGH header's orientation holds a non-finite value: FreeSurfer's default coronal", lia)


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(CH2BET):
        print(f"FAIL {CH2BET} is missing: run make setup (mricron-data)")
        return 1
    ch2 = nib.load(CH2BET)
    brain = np.asanyarray(ch2.dataobj)[40:140, 50:170, 20:150].astype(np.float64)
    brain_affine = ch2.affine.copy()
    brain_affine[:3, 3] += brain_affine[:3, :3] @ np.array([40, 50, 20])
    rng = np.random.default_rng(20240607)
    mgh_fixtures(tool, work, brain, brain_affine, rng)
    analyze_fixtures(tool, work, brain, rng)
    hostile(tool, work)
    odd_orientations(tool, work)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
