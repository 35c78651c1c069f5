#!/usr/bin/python3
"""Writes transformed copies of 2-D slice images with Pillow + scipy: the independent writer of the
slice pose tests (tests/node/slice_pose.test.mjs), the way another pipeline might frame a slice.

usage: transform_slice.py JOBS.json
  JOBS.json: [{"in": PATH, "out": PATH.png, "rotate": DEG, "sx": S, "sy": S, "width": W, "height": H}]
  The output (W x H, default the input's size) shows the input turned DEG degrees clockwise as
  displayed and scaled by sx along x and sy along y about its centre, which lands on the output's
  centre: out(q) = in(F^-1(q)), F(p) = c_out + R(DEG) diag(sx, sy) (p - c_in). Bilinear, 0 outside.
"""
import json
import sys

import numpy as np
from PIL import Image
from scipy import ndimage


def transform(pixels, deg, sx, sy, width, height):
    t = np.radians(deg)
    # (x right, y down): R(t) = [[cos, -sin], [sin, cos]] turns clockwise as displayed.
    forward = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) @ np.diag([sx, sy])
    inverse = np.linalg.inv(forward)
    c_in = np.array([(pixels.shape[1] - 1) / 2, (pixels.shape[0] - 1) / 2])
    c_out = np.array([(width - 1) / 2, (height - 1) / 2])
    # scipy indexes (row, col) = (y, x): permute the map and its offset.
    perm = np.array([[0, 1], [1, 0]])
    matrix = perm @ inverse @ perm
    offset = perm @ (c_in - inverse @ c_out)
    out = ndimage.affine_transform(pixels.astype(np.float64), matrix, offset=offset, output_shape=(height, width),
                                   order=1, mode='constant', cval=0.0)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def main():
    jobs = json.load(open(sys.argv[1]))
    for job in jobs:
        pixels = np.asarray(Image.open(job['in']).convert('L'))
        out = transform(pixels, job.get('rotate', 0.0), job.get('sx', 1.0), job.get('sy', 1.0),
                        job.get('width', pixels.shape[1]), job.get('height', pixels.shape[0]))
        Image.fromarray(out, mode='L').save(job['out'])


if __name__ == '__main__':
    main()
