"""Summarise alzscan run directories (metrics.jsonl) as one markdown table row per run.

    python3 bench/sweep_summary.py runs/sweep-*            # or a folder holding run folders

Per run: epochs done / planned, the selected epoch (what `best.pt` holds: the final line's epoch,
or for a run cut short the epoch with the best validation macro-F1), validation and Kaggle-test macro-F1 / balanced accuracy at that epoch, Moderate recall,
the mean validation macro-F1 of the last three epochs (steadier than one epoch), test macro-F1 of
the last epoch, and the median training images/s. Reads only what alzscan wrote; selection never
looks at test. Standard library only, so it runs with any python3.
"""
import json
import os
import statistics
import sys


def is_run(path):
    return any(os.path.isfile(os.path.join(path, f)) for f in ("metrics.jsonl", "config.json"))


def epochs_of(run_dir):
    """(planned epochs, per-epoch lines, the final line or None)"""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.isfile(path):
        return None, [], None
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    planned = None
    config = os.path.join(run_dir, "config.json")
    if os.path.isfile(config):
        with open(config) as f:
            planned = json.load(f).get("train", {}).get("epochs")
    final = next((r for r in rows if r.get("final")), None)
    return planned, [r for r in rows if not r.get("final") and "epoch" in r], final


def row(run_dir):
    planned, epochs, final = epochs_of(run_dir)
    name = os.path.basename(os.path.normpath(run_dir))
    if not epochs:
        return f"| {name} | no epoch finished | | | | | | | |"
    if final is not None:
        best = next(r for r in epochs if r["epoch"] == final["epoch"])
    else:
        best = max(epochs, key=lambda r: r["val"]["macro_f1"])
    last3 = statistics.mean(r["val"]["macro_f1"] for r in epochs[-3:])
    rate = statistics.median(r.get("images_per_second", 0.0) for r in epochs)
    moderate = best["test"]["per_class"]["Moderate_Demented"]
    return (f"| {name} | {len(epochs)}/{planned or '?'} | {best['epoch']} | "
            f"{best['val']['macro_f1']:.3f} / {best['val']['balanced_accuracy']:.3f} | "
            f"{best['test']['macro_f1']:.3f} / {best['test']['balanced_accuracy']:.3f} | "
            f"{round(moderate['recall'] * moderate['support'])}/{moderate['support']} | "
            f"{last3:.3f} | {epochs[-1]['test']['macro_f1']:.3f} | {rate:.0f} |")


def main(paths):
    dirs = []
    for p in paths:
        if is_run(p):
            dirs.append(p)
        elif os.path.isdir(p):
            dirs += sorted(os.path.join(p, d) for d in os.listdir(p) if is_run(os.path.join(p, d)))
    if not dirs:
        sys.exit("sweep_summary: no run folders in " + " ".join(paths) + "; hint: pass runs/NAME or a folder of runs")
    print("| run | epochs | sel. epoch | val macro-F1 / bal. acc | test macro-F1 / bal. acc | "
          "test Moderate | val F1 last 3 | test F1 last | img/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d in dirs:
        print(row(d))


if __name__ == "__main__":
    main(sys.argv[1:] or ["runs"])
