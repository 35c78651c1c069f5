"""The Alzheimer MRI slices for the Python reference: decode once (PIL), keep uint8 in memory.

    from alz_data import load_dataset, CLASSES
    ds = load_dataset("../shared/data/alzheimer_mri", split="kaggle")   # dict of numpy arrays
    ds["train"]["images"]   # N,128,128 uint8 (what shared/ prepare_image caches in C++)
    ds["train"]["labels"]   # N int64 in CLASSES order (the HF label ids)
    ds["train"]["paths"]    # relative paths

split "hf" uses the folder layout, "kaggle" KAGGLE_SPLIT.tsv's kaggle_split column.
"""
import csv
import os
import re

import numpy as np

CLASSES = ["Mild_Demented", "Moderate_Demented", "Non_Demented", "Very_Mild_Demented"]


def decode_gray(path, size=128):
    from PIL import Image  # python3-pil (Debian); imported late so --help works without it
    with Image.open(path) as im:
        im = im.convert("L")
        if im.size != (size, size):
            im = im.resize((size, size), Image.BOX)  # "area" resize, like shared/ resize_gray
        return np.asarray(im, dtype=np.uint8)


def file_number(relative_path):
    """mild.jpg -> 1, mild_2.jpg -> 2: the number that encodes the Kaggle order."""
    m = re.search(r"_(\d+)\.jpg$", relative_path)
    return int(m.group(1)) if m else 1


def load_dataset(data_dir, split="kaggle", size=128):
    rows = []
    if split == "kaggle":
        with open(os.path.join(data_dir, "KAGGLE_SPLIT.tsv")) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                rows.append((r["relative_path"], r["class"], r["kaggle_split"]))
    elif split == "hf":
        with open(os.path.join(data_dir, "MANIFEST.tsv")) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                rows.append((r["relative_path"], r["class"], r["split"]))
    else:
        raise ValueError(f"unknown split '{split}' (expected kaggle or hf)")
    rows.sort(key=lambda r: (r[1], file_number(r[0])))
    out = {}
    for part in ("train", "test"):
        sel = [r for r in rows if r[2] == part]
        out[part] = {
            "images": np.stack([decode_gray(os.path.join(data_dir, p), size) for p, _, _ in sel]),
            "labels": np.array([CLASSES.index(c) for _, c, _ in sel], dtype=np.int64),
            "paths": [p for p, _, _ in sel],
        }
    return out


def stratified_split(labels, fraction, seed, groups=None):
    """Indices (train, val): `fraction` of each class goes to val.

    groups=None: a seeded random draw per class (what `alzscan train --val-fraction` does).
    groups=array: whole groups are drawn until the class's quota is met, so neighbouring slices
    of one subject do not land on both sides (a class with < 5 groups falls back to random)."""
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        quota = max(1, int(round(fraction * len(idx))))
        if groups is None or len(np.unique(groups[idx])) < 5:  # e.g. Moderate: 2 subjects
            val.extend(rng.permutation(idx)[:quota].tolist())
        else:
            taken = []
            for g in rng.permutation(np.unique(groups[idx])):
                if len(taken) >= quota:
                    break
                taken.extend(idx[groups[idx] == g].tolist())
            val.extend(taken)
    val = np.array(sorted(val), dtype=np.int64)
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


def pseudo_subject_groups(images, labels, rmse_threshold=20.0, pool=2):
    """Groups slices that chain together through near neighbours (RMSE < threshold gray levels,
    measured on pool x pool-averaged pixels, same class): a stand-in for the missing subject
    ids. On Kaggle-train, threshold 20 gives 254 groups of median size 25 (about one subject's
    32 slices); a random val split instead puts a near-twin of almost every val slice in train."""
    import torch
    x = torch.from_numpy(images).float()[:, None]
    x = torch.nn.functional.avg_pool2d(x, pool).flatten(1)
    sq = (x * x).sum(1)
    dist = (sq[:, None] + sq[None, :] - 2 * x @ x.T).clamp_min(0).div(x.shape[1]).sqrt()
    lab = torch.from_numpy(labels)
    close = (dist < rmse_threshold) & (lab[:, None] == lab[None, :])
    parent = list(range(len(labels)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in torch.nonzero(torch.triu(close, 1)).tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    roots = np.array([find(a) for a in range(len(labels))])
    return np.unique(roots, return_inverse=True)[1]
