#!/usr/bin/python3
"""shared/'s tissue measures (tissue.h) on real slices against an independent numpy + scipy
implementation written here: the brain mask (largest 4-connected foreground component, holes filled),
three-class Otsu on its gray levels (256 equal bins from its lowest to its highest level), the CSF,
grey and white pixel counts and the enclosed central CSF components (the ventricles).

usage: test_tissue.py TISSUE_DUMP DATA_DIR
Every 40th image of DATA_DIR/MANIFEST.tsv (160 slices); each count must be equal.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
from PIL import Image
from scipy import ndimage

FOUR = ndimage.generate_binary_structure(2, 1)


def foreground_threshold(pixels):
    hist = np.bincount(pixels.ravel(), minlength=256)
    rank = max(1, (pixels.size * 99 + 99) // 100)
    p99 = int(np.searchsorted(np.cumsum(hist), rank))
    return max(8, (p99 * 12 + 99) // 100)


def otsu3(values):
    lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        return hi, hi
    width = (hi - lo) / 256
    bins = np.minimum(255, ((values - lo) / width).astype(np.int64))
    count = np.bincount(bins, minlength=256).astype(np.float64)
    n = np.concatenate([[0], np.cumsum(count)])
    m = np.concatenate([[0], np.cumsum(count * np.arange(256))])

    def term(a, b):
        w = n[b] - n[a]
        return np.where(w > 0, (m[b] - m[a]) ** 2 / np.where(w > 0, w, 1), 0.0)

    best, b1, b2 = -1.0, 1, 2
    for t1 in range(1, 255):
        t2 = np.arange(t1 + 1, 256)
        s = term(0, t1) + term(t1, t2) + term(t2, 256)
        k = int(np.argmax(s))   # the first maximum, as the C++ loop keeps the first
        if s[k] > best:
            best, b1, b2 = float(s[k]), t1, int(t2[k])
    return lo + width * b1, lo + width * b2


def measure(pixels):
    fg = pixels >= foreground_threshold(pixels)
    labels, count = ndimage.label(fg, structure=FOUR)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    largest = labels == (int(np.argmax(sizes)) + 1)
    brain = ndimage.binary_fill_holes(largest, structure=FOUR)
    values = pixels[brain].astype(np.float64)
    if values.size < 16:
        return None
    t0, t1 = otsu3(values)
    csf = brain & (pixels < t0)
    gm = brain & (pixels >= t0) & (pixels < t1)
    wm = brain & (pixels >= t1)
    ys, xs = np.nonzero(brain)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    qx, qy = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
    outside = ~brain
    touches = ndimage.binary_dilation(outside, structure=FOUR)   # pixels with an outside 4-neighbour (or outside)
    border = np.zeros_like(brain)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    cl, cn = ndimage.label(csf, structure=FOUR)
    ventricles = 0
    for c in range(1, cn + 1):
        comp = cl == c
        if (comp & (touches | border)).any():
            continue
        cy, cx = np.nonzero(comp)
        mx, my = cx.mean(), cy.mean()
        if x0 + qx <= mx <= x1 - qx and y0 + qy <= my <= y1 - qy:
            ventricles += int(comp.sum())
    return dict(brain_pixels=int(brain.sum()), csf=int(csf.sum()), gm=int(gm.sum()), wm=int(wm.sum()),
                ventricles=ventricles)


def main():
    dump, data = sys.argv[1], sys.argv[2]
    manifest = os.path.join(data, "MANIFEST.tsv")
    if not os.path.exists(manifest):
        print(f"FAIL: the dataset is missing at {data}")
        return 1
    rows = [l.split("\t") for l in open(manifest).read().strip().split("\n")[1:]]
    files = [os.path.join(data, r[2]) for r in rows[::40]]
    out = subprocess.run([dump, *files], capture_output=True, text=True, check=True).stdout
    failures, ventricles = 0, 0
    for line, f in zip(out.strip().split("\n"), files):
        got = json.loads(line)
        want = measure(np.asarray(Image.open(f).convert("L")))
        keys = ["brain_pixels", "csf", "gm", "wm", "ventricles"]
        if want is None or not got.get("found") or any(got[k] != want[k] for k in keys):
            failures += 1
            print(f"FAIL {f}: shared/ {json.dumps({k: got.get(k) for k in keys})}, numpy {want}")
        else:
            ventricles += want["ventricles"] > 0
    print(f"{len(files)} slices: {len(files) - failures} equal to numpy + scipy "
          f"({ventricles} with ventricles found), {failures} different")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
