"""Same-model PyTorch reference for `make bench-train`: an idiomatic Dataset + DataLoader loop.

    /usr/bin/python3 bench/train_reference.py --data ../shared/data/alzheimer_mri --model small \
        --batch-size 32 --iters 60 --warmup-iters 5 --augment --json

Reads the ImageFolder tree (DIR/train/<class>/*.jpg) that `alzscan train --data` reads, decodes
every image once with PIL into uint8 (as alzscan caches shared/ prepare_image output), and
trains the bench/reference_small.py mirror of the native model with AdamW + cross-entropy.
A DataLoader worker (num_workers=1: the second vCPU) samples, augments and normalises each
image; the main process runs the model on one torch thread. Prints images/s of the timed
iterations (the first --warmup-iters are not timed) and, with --json, one JSON line:
{"impl": "python", "model": ..., "images_per_second": ..., ...}.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alz_data import CLASSES, decode_gray  # noqa: E402
from reference_small import count_parameters, make_model  # noqa: E402


class SlicesDataset(Dataset):
    """uint8 slices in memory; per-sample augmentation (the seed's: random shift/crop,
    horizontal flip, small rotation, brightness/contrast jitter) and normalisation."""

    def __init__(self, images, labels, augment, mean=0.5, std=0.5):
        self.images, self.labels = torch.from_numpy(images), torch.from_numpy(labels)
        self.augment, self.mean, self.std = augment, mean, std

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        x = self.images[i].float().div_(255)[None, None]  # 1,1,H,W
        if self.augment:
            a = math.radians(float(torch.empty(1).uniform_(-10, 10)))
            s = float(torch.empty(1).uniform_(0.9, 1.1))
            tx, ty = torch.empty(2).uniform_(-0.16, 0.16).tolist()
            fl = -1.0 if torch.rand(1).item() < 0.5 else 1.0
            theta = torch.tensor([[[math.cos(a) / s * fl, -math.sin(a) / s, tx],
                                   [math.sin(a) / s * fl, math.cos(a) / s, ty]]])
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            b, c = torch.empty(2).uniform_(0.8, 1.2).tolist()
            x = (x * b).clamp_(0, 1)
            x = (c * x + (1 - c) * x.mean()).clamp_(0, 1)
        return (x[0] - self.mean) / self.std, self.labels[i]


def read_image_folder(root, part="train", limit_per_class=0, size=128):
    images, labels = [], []
    for c, name in enumerate(CLASSES):
        d = os.path.join(root, part, name)
        if not os.path.isdir(d):
            sys.exit(f"train_reference: missing class folder {d} (expected DIR/{part}/<class>/)")
        files = sorted(os.listdir(d))
        if limit_per_class:
            files = files[:limit_per_class]
        for f in files:
            images.append(decode_gray(os.path.join(d, f), size))
            labels.append(c)
    return np.stack(images), np.array(labels, dtype=np.int64)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--model", default="small", choices=["small", "efficientnet_b2"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--iters", type=int, default=60, help="timed iterations")
    p.add_argument("--warmup-iters", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--augment", action="store_true")
    p.add_argument("--balanced-sampler", action="store_true")
    p.add_argument("--limit-per-class", type=int, default=0, help="read at most N images per class")
    p.add_argument("--image-size", type=int, default=128, help="square input side (area resize at decode, as alzscan)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"],
                   help="bf16: torch.autocast('cpu', bfloat16) around the forward pass, as alzscan --precision bf16")
    p.add_argument("--channels-last", action="store_true",
                   help="model and batches in torch.channels_last (NHWC), as alzscan keeps them; "
                        "not idiomatic (off by default), measured to show where alzscan's speed comes from")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images, labels = read_image_folder(a.data, "train", a.limit_per_class, a.image_size)
    ds = SlicesDataset(images, labels, a.augment)
    need = (a.iters + a.warmup_iters) * a.batch_size
    if a.balanced_sampler:
        w = 1.0 / np.bincount(labels, minlength=len(CLASSES))[labels]
        sampler = WeightedRandomSampler(torch.as_tensor(w, dtype=torch.double), need, replacement=True)
    else:  # shuffle, repeated as often as needed
        sampler = WeightedRandomSampler(torch.ones(len(ds), dtype=torch.double), need, replacement=True) \
            if need > len(ds) else torch.randperm(len(ds)).tolist()
    loader = DataLoader(ds, batch_size=a.batch_size, sampler=sampler, num_workers=1,
                        drop_last=True, persistent_workers=False, prefetch_factor=4)
    net = make_model(a.model)
    if a.channels_last:
        net = net.to(memory_format=torch.channels_last)
    net.train()
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=0.05)
    seen, t0, losses = 0, None, []
    for it, (x, y) in enumerate(loader):
        if it == a.warmup_iters:
            t0 = time.perf_counter()
        if a.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.precision == "bf16"):
            logits = net(x)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if it >= a.warmup_iters:
            seen += len(y)
        if it + 1 >= a.warmup_iters + a.iters:
            break
    seconds = time.perf_counter() - t0
    result = {"impl": "python", "model": a.model, "parameters": count_parameters(net),
              "batch_size": a.batch_size, "iterations": a.iters, "images": seen,
              "seconds": round(seconds, 3), "images_per_second": round(seen / seconds, 2),
              "first_loss": round(losses[0], 4), "last_loss": round(losses[-1], 4),
              "torch": torch.__version__, "threads": a.threads, "precision": a.precision,
              "image_size": a.image_size, "channels_last": a.channels_last}
    if a.json:
        print(json.dumps(result))
    else:
        print(f"python {a.model}: {result['images_per_second']} images/s "
              f"({seen} images in {seconds:.1f} s, batch {a.batch_size})")


if __name__ == "__main__":
    main()
