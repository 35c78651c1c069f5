"""Recipe search for alzscan's default `small` model on the Kaggle split (issue 3, quality).

One call = one trial: train the Python mirror of `small` (reference_small.py) with one recipe on
one thread, pick the epoch by validation macro-F1 (a stratified val set carved from Kaggle-train,
never the test set), report test at that epoch, and append everything to a JSON-lines log.

    /usr/bin/python3 bench/recipe_search.py --name base --epochs 12 --res 128 \
        --opt adamw --lr 2e-3 --wd 0.05 --warmup 1 --ls 0.1 --sampler balanced --aug seed
    /usr/bin/python3 bench/recipe_search.py --write-log      # bench/RECIPE_LOG.md from the notes + log

Validation: --val-mode grouped (default) holds out whole pseudo-subjects (slices chained by
near-neighbour RMSE, see alz_data.pseudo_subject_groups), because a random val split puts a
neighbouring slice of nearly every val image in train and scores ~99 % whatever the recipe.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from alz_data import CLASSES, load_dataset, pseudo_subject_groups, stratified_split  # noqa: E402
from reference_small import count_parameters, make_model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "alzheimer_mri"))
DEFAULT_LOG = os.path.join(HERE, "results", "recipe_trials.jsonl")

# Presets in native/data/augment.h's terms: crop_scale (zoom-in crop side s ~ U[crop_scale, 1], centre
# anywhere inside), rotation (degrees), hflip (probability), brightness and contrast (factors 1 +- x).
AUG_PRESETS = {
    "none": dict(crop_scale=1.0, rotation=0, hflip=0.0, brightness=0, contrast=0),
    "light": dict(crop_scale=0.95, rotation=5, hflip=0.5, brightness=0.1, contrast=0.1),
    "seed": dict(crop_scale=0.9, rotation=10, hflip=0.5, brightness=0.2, contrast=0.2),  # C++ default
    "strong": dict(crop_scale=0.8, rotation=15, hflip=0.5, brightness=0.3, contrast=0.3),
    "noflip": dict(crop_scale=0.9, rotation=10, hflip=0.0, brightness=0.2, contrast=0.2),
}


class SpatialHead(torch.nn.Module):
    """Recipe-search variant (NOT the `small` contract): keep the last feature map's layout
    (flatten C x h x w -> dropout -> linear) instead of global average pooling, because where
    atrophy shows (ventricles, sulci) is much of the signal in an atlas-registered slice."""

    def __init__(self, backbone, res, num_classes=4, dropout=0.0):
        super().__init__()
        self.backbone = backbone
        with torch.no_grad():
            n = backbone.feature_maps(torch.zeros(1, 1, res, res)).numel()
        self.dropout = torch.nn.Dropout(dropout) if dropout > 0 else torch.nn.Identity()
        self.fc = torch.nn.Linear(n, num_classes)

    def forward(self, x):
        return self.fc(self.dropout(torch.flatten(self.backbone.feature_maps(x), 1)))


def metrics(y_true, y_pred, k=4):
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(1), cm.sum(0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k),
                   where=(precision + recall) > 0)
    present = support > 0
    return {"accuracy": float(tp.sum() / cm.sum()), "macro_f1": float(f1[present].mean()),
            "balanced_accuracy": float(recall[present].mean()),
            "recall": [round(float(r), 4) for r in recall], "f1": [round(float(v), 4) for v in f1],
            "confusion": cm.tolist()}


def augment(x, gen, crop_scale, rotation, hflip, brightness, contrast):
    """x: N,1,H,W in [0,1]. native/data/augment.h's warp, batched: a zoom-in crop of side s*W
    (s ~ U[crop_scale, 1]) centred anywhere it fits, rotation, horizontal flip; bilinear, black
    outside; then v *= b, v = (v - mean) * c + mean, clamp."""
    n = x.shape[0]
    u = lambda: torch.rand(n, generator=gen)  # noqa: E731
    if crop_scale < 1 or rotation or hflip:
        s = crop_scale + (1 - crop_scale) * u()
        cx, cy = (u() * 2 - 1) * (1 - s), (u() * 2 - 1) * (1 - s)  # normalised coords span 2
        a = (u() * 2 - 1) * math.radians(rotation)
        fl = torch.where(u() < hflip, -1.0, 1.0)
        cos, sin = torch.cos(a) * s, torch.sin(a) * s
        theta = torch.stack([torch.stack([cos * fl, -sin, cx], 1),
                             torch.stack([sin * fl, cos, cy], 1)], 1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if brightness or contrast:
        b = 1 + (u() * 2 - 1).view(n, 1, 1, 1) * brightness
        c = 1 + (u() * 2 - 1).view(n, 1, 1, 1) * contrast
        x = x * b
        m = x.mean((1, 2, 3), keepdim=True)
        x = ((x - m) * c + m).clamp(0, 1)
    return x


def resize_area(images, res):
    if res == images.shape[-1]:
        return images
    x = torch.from_numpy(images).float()[:, None]
    x = F.interpolate(x, size=(res, res), mode="area")
    return x.round().clamp(0, 255).to(torch.uint8)[:, 0].numpy()


@torch.no_grad()
def predict(net, images, mean, std, bs=500):
    net.eval()
    out = []
    for i in range(0, len(images), bs):
        x = (torch.from_numpy(images[i:i + bs]).float()[:, None] / 255 - mean) / std
        out.append(net(x))
    return torch.cat(out)


def run_trial(a, data):
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    tr_img, tr_lab = data["train_images"], data["train_labels"]
    groups = data["groups"] if a.val_mode == "grouped" else None
    tr_idx, va_idx = stratified_split(tr_lab, a.val_fraction, a.split_seed, groups)
    X = {"train": resize_area(tr_img[tr_idx], a.res), "val": resize_area(tr_img[va_idx], a.res),
         "test": resize_area(data["test_images"], a.res)}
    Y = {"train": tr_lab[tr_idx], "val": tr_lab[va_idx], "test": data["test_labels"]}
    counts = np.bincount(Y["train"], minlength=4)
    net = make_model("small", width=a.width, dropout=a.dropout)
    if a.head == "spatial":
        net = SpatialHead(net.backbone, a.res, dropout=a.dropout)
    params = [{"params": [p for p in net.parameters() if p.ndim > 1], "weight_decay": a.wd},
              {"params": [p for p in net.parameters() if p.ndim <= 1], "weight_decay": 0.0}]
    if a.opt == "adamw":
        opt = torch.optim.AdamW(params, lr=a.lr)
    else:
        opt = torch.optim.SGD(params, lr=a.lr, momentum=a.momentum, nesterov=True)
    cw = None
    if a.class_weights == "inverse":
        cw = torch.tensor(len(Y["train"]) / (4 * counts), dtype=torch.float32)
    ema = copy.deepcopy(net) if a.ema > 0 else None
    aug = dict(AUG_PRESETS[a.aug])
    n = len(Y["train"])
    steps_per_epoch = n // a.bs
    total = steps_per_epoch * a.epochs
    warm = int(a.warmup * steps_per_epoch)

    def lr_at(step):
        if step < warm:
            return a.lr * (step + 1) / warm
        if a.sched == "none":
            return a.lr
        p = (step - warm) / max(1, total - warm)
        return a.min_lr + (a.lr - a.min_lr) * 0.5 * (1 + math.cos(math.pi * p))

    xtr = torch.from_numpy(X["train"])
    ytr = torch.from_numpy(Y["train"])
    sw = torch.tensor(1.0 / counts[Y["train"]], dtype=torch.float64)
    history, step = [], 0
    t0, c0 = time.time(), time.process_time()
    for epoch in range(1, a.epochs + 1):
        net.train()
        if a.sampler == "balanced":
            order = torch.multinomial(sw, n, replacement=True, generator=gen)
        else:
            order = torch.randperm(n, generator=gen)
        tl, tc, seen = 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = order[b * a.bs:(b + 1) * a.bs]
            x = xtr[idx].float()[:, None] / 255
            x = augment(x, gen, **aug)
            x = (x - a.mean) / a.std
            y = ytr[idx]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            logits = net(x)
            loss = F.cross_entropy(logits, y, weight=cw, label_smoothing=a.ls)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if ema is not None:
                d = min(a.ema, (1 + step) / (10 + step))
                with torch.no_grad():
                    for pe, p in zip(ema.state_dict().values(), net.state_dict().values()):
                        if pe.dtype.is_floating_point:
                            pe.mul_(d).add_(p.detach(), alpha=1 - d)
                        else:
                            pe.copy_(p)
            tl += loss.item() * len(y)
            tc += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        model = ema if ema is not None else net
        rec = {"epoch": epoch, "lr": lr_at(step - 1), "train_loss": tl / seen, "train_acc": tc / seen,
               "minutes": (time.time() - t0) / 60}
        for part in ("val", "test"):
            logits = predict(model, X[part], a.mean, a.std)
            rec[part] = metrics(Y[part], logits.argmax(1).numpy())
            rec[part]["loss"] = float(F.cross_entropy(logits, torch.from_numpy(Y[part])))
        history.append(rec)
        print(f"ep {epoch:2d} loss {rec['train_loss']:.3f} acc {rec['train_acc']:.3f} | val f1 "
              f"{rec['val']['macro_f1']:.3f} bacc {rec['val']['balanced_accuracy']:.3f} | test f1 "
              f"{rec['test']['macro_f1']:.3f} bacc {rec['test']['balanced_accuracy']:.3f} "
              f"rec {rec['test']['recall']} | {rec['minutes']:.1f} min", flush=True)
    wall, cpu = (time.time() - t0) / 60, (time.process_time() - c0) / 60
    # best on val: macro-F1, ties -> lower val loss
    best = max(history, key=lambda r: (round(r["val"]["macro_f1"], 4), -r["val"]["loss"]))
    return {"name": a.name, "config": {k: v for k, v in vars(a).items()
                                       if k not in ("name", "log", "write_log", "data")},
            "params": count_parameters(net), "train_n": int(n), "val_n": int(len(va_idx)),
            "minutes_wall": round(wall, 2), "minutes_cpu": round(cpu, 2),
            "images_per_second": round(step * a.bs / (wall * 60), 1),
            "best_epoch": best["epoch"], "best": {"val": best["val"], "test": best["test"]},
            "last": {"val": history[-1]["val"], "test": history[-1]["test"]},
            "history": history, "load": os.getloadavg()[0], "when": time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())}


def fmt(m):
    return f"{m['macro_f1']:.3f} / {m['balanced_accuracy']:.3f}"


def write_log(log_path, md_path):
    """bench/RECIPE_LOG.md = a fixed header, bench/RECIPE_NOTES.md (the text, by question), then the
    Python search's trials from the JSON-lines log as the last section. Same inputs, same bytes."""
    trials = [json.loads(l) for l in open(log_path) if l.strip()]
    lines = ["# Recipe log: how the default model's recipe was chosen", "",
             "Generated by `/usr/bin/python3 bench/recipe_search.py --write-log` from bench/RECIPE_NOTES.md "
             "(the text, one section per question) and `bench/results/recipe_trials.jsonl` (the last "
             "section's table); edit those, not this file.", ""]
    extra = os.path.join(os.path.dirname(md_path), "RECIPE_NOTES.md")
    if os.path.exists(extra):
        lines += [open(extra).read().rstrip(), ""]
    lines += ["## The Python search's trials", "",
              "One line of `bench/results/recipe_trials.jsonl` per trial, with every epoch.",
              "Every trial: the Python mirror of `small` (bench/reference_small.py), one torch thread on this",
              "2-vCPU machine, Kaggle-train minus a validation set, scored on all of Kaggle-test (1279).",
              "\"sel\" = the epoch with the best val macro-F1 (selection never looks at test); \"last\" = the final epoch.",
              "F1 = macro-F1, bacc = balanced accuracy; recall per class in the order Mild, Moderate, Non, VeryMild.",
              "Minutes are wall-clock of the whole trial incl. per-epoch val+test evaluation; `load` is the",
              "machine's 1-min load average at the end (> 1: other jobs shared the CPUs, so the trial ran slower",
              "than it would alone).", "",
              "| # | name | recipe | val F1 / bacc (sel) | test F1 / bacc (sel) | test recall (sel) | sel ep | test F1 / bacc (last) | min | load |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    keys = ["res", "width", "head", "epochs", "bs", "opt", "lr", "wd", "warmup", "sched", "ls", "sampler",
            "class_weights", "aug", "ema", "dropout", "val_mode", "seed"]
    for i, t in enumerate(trials, 1):
        c = t["config"]
        recipe = " ".join(f"{k}={c[k]}" for k in keys if k in c)
        lines.append(f"| {i} | {t['name']} | {recipe} | {fmt(t['best']['val'])} | {fmt(t['best']['test'])} | "
                     f"{t['best']['test']['recall']} | {t['best_epoch']}/{c['epochs']} | {fmt(t['last']['test'])} | "
                     f"{t['minutes_wall']:.1f} | {t['load']:.1f} |")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", default="trial")
    p.add_argument("--data", default=DEFAULT_DATA)
    p.add_argument("--log", default=DEFAULT_LOG)
    p.add_argument("--write-log", action="store_true", help="regenerate bench/RECIPE_LOG.md and exit")
    p.add_argument("--res", type=int, default=128)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--head", choices=["linear", "spatial"], default="linear",
                   help="linear = the contract (GAP + fc); spatial = flatten the last map (variant)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--bs", type=int, default=64)
    p.add_argument("--opt", choices=["adamw", "sgd"], default="adamw")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr", type=float, default=0.0)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--wd", type=float, default=0.05)
    p.add_argument("--warmup", type=float, default=1.0, help="epochs of linear warmup")
    p.add_argument("--sched", choices=["cosine", "none"], default="cosine")
    p.add_argument("--ls", type=float, default=0.1, help="label smoothing")
    p.add_argument("--sampler", choices=["balanced", "shuffle"], default="balanced")
    p.add_argument("--class-weights", choices=["none", "inverse"], default="none")
    p.add_argument("--aug", choices=sorted(AUG_PRESETS), default="seed")
    p.add_argument("--ema", type=float, default=0.0, help="EMA decay, 0 = off")
    p.add_argument("--mean", type=float, default=0.5)
    p.add_argument("--std", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--split-seed", type=int, default=0)
    p.add_argument("--val-fraction", type=float, default=0.15)
    p.add_argument("--val-mode", choices=["grouped", "random"], default="grouped")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    md = os.path.join(HERE, "RECIPE_LOG.md")
    if a.write_log:
        write_log(a.log, md)
        return
    torch.set_num_threads(a.threads)
    ds = load_dataset(a.data, "kaggle")
    data = {"train_images": ds["train"]["images"], "train_labels": ds["train"]["labels"],
            "test_images": ds["test"]["images"], "test_labels": ds["test"]["labels"]}
    data["groups"] = pseudo_subject_groups(data["train_images"], data["train_labels"])
    result = run_trial(a, data)
    os.makedirs(os.path.dirname(a.log), exist_ok=True)
    with open(a.log, "a") as f:
        f.write(json.dumps(result) + "\n")
    b = result["best"]
    print(f"RESULT {a.name}: sel ep {result['best_epoch']} val {fmt(b['val'])} test {fmt(b['test'])} "
          f"recall {b['test']['recall']} last test {fmt(result['last']['test'])} "
          f"{result['minutes_wall']:.1f} min", flush=True)
    write_log(a.log, md)


if __name__ == "__main__":
    main()
