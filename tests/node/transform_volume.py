#!/usr/bin/python3
"""Writes transformed copies of a NIfTI volume with nibabel + scipy: the independent writer of the
registration tests (tests/node/registration.test.mjs).

usage: transform_volume.py IN OUT KIND [ARGS...]
  rotate AX DEG      resample rotated by DEG degrees about world axis AX (x|y|z), trilinear
  affine RX RY RZ S TX TY TZ   resample through rotations (deg), isotropic scale, shift (mm)
  lia                store the same voxels in LIA order (the affine follows: the world is unchanged)
  thick N            average every N axial slices into one (N mm slices from 1 mm)
  gamma G            intensities ** G (rescaled to the original maximum)
  invert             inside the head (voxels > 0): maximum - value, so CSF is brightest (T2-like order)
"""
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage


def rotation(rx, ry, rz):
    rx, ry, rz = np.radians([rx, ry, rz])
    x = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    y = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    z = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    return z @ y @ x


def resample(img, world):
    """The volume moved by the world map `world` (4x4) on its own grid: out(v) = in(A^-1 W^-1 A v)."""
    a = img.affine
    m = np.linalg.inv(a) @ np.linalg.inv(world) @ a
    data = np.asarray(img.dataobj, dtype=np.float32)
    out = ndimage.affine_transform(data, m[:3, :3], offset=m[:3, 3], order=1, mode="constant", cval=0.0)
    return nib.Nifti1Image(out.astype(np.float32), a)


def main():
    src, dst, kind, *args = sys.argv[1:]
    img = nib.load(src)
    if kind == "rotate":
        axis, deg = args[0], float(args[1])
        angles = [deg if axis == a else 0.0 for a in "xyz"]
        w = np.eye(4)
        w[:3, :3] = rotation(*angles)
        out = resample(img, w)
    elif kind == "affine":
        rx, ry, rz, s, tx, ty, tz = map(float, args)
        w = np.eye(4)
        w[:3, :3] = rotation(rx, ry, rz) * s
        w[:3, 3] = [tx, ty, tz]
        out = resample(img, w)
    elif kind == "lia":
        ornt = nib.orientations.ornt_transform(nib.io_orientation(img.affine), nib.orientations.axcodes2ornt("LIA"))
        out = img.as_reoriented(ornt)
    elif kind == "thick":
        n = int(args[0])
        data = np.asarray(img.dataobj, dtype=np.float32)
        k = data.shape[2] // n * n
        thick = data[:, :, :k].reshape(data.shape[0], data.shape[1], k // n, n).mean(axis=3)
        a = img.affine.copy()
        a[:3, 2] *= n
        a[:3, 3] += img.affine[:3, 2] * (n - 1) / 2
        out = nib.Nifti1Image(thick, a)
    elif kind == "gamma":
        g = float(args[0])
        data = np.asarray(img.dataobj, dtype=np.float32)
        top = data.max()
        out = nib.Nifti1Image((top * (data / top) ** g).astype(np.float32), img.affine)
    elif kind == "invert":
        data = np.asarray(img.dataobj, dtype=np.float32)
        out = nib.Nifti1Image(np.where(data > 0, data.max() + 1 - data, 0).astype(np.float32), img.affine)
    else:
        sys.exit(f"transform_volume: unknown kind {kind}")
    nib.save(out, dst)


if __name__ == "__main__":
    main()
