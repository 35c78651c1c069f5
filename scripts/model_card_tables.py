#!/usr/bin/env python3
"""Markdown tables for MODEL_CARD.md from `alzscan eval --out FILE.json` results.

  python3 scripts/model_card_tables.py MAIN.json [SEED.json ...]

MAIN is the shipped checkpoint's evaluation (per-class table, confusion matrix); every file given
(MAIN included) enters the mean ± spread line. Standard library only.
"""
import json
import statistics
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def main(paths):
    runs = [load(p) for p in paths]
    main_run = runs[0]
    t = main_run["test"]
    classes = main_run["classes"]
    print(f"Test split: **{main_run['data']['split']}**, {t['count']} images "
          f"(checkpoint `{main_run['checkpoint']}`).\n")
    print("| metric | value |\n| --- | ---: |")
    for key in ["accuracy", "balanced_accuracy", "macro_f1", "weighted_f1", "macro_precision",
                "macro_recall", "ece", "log_loss"]:
        print(f"| {key} | {t[key]:.4f} |")
    print("\n| class | precision | recall | recall 95 % CI (Wilson) | F1 | support |")
    print("| --- | ---: | ---: | :---: | ---: | ---: |")
    for name in classes:
        c = t["per_class"][name]
        lo, hi = c["recall_ci"]
        print(f"| {name} | {c['precision']:.4f} | {c['recall']:.4f} | {lo:.3f}–{hi:.3f} | "
              f"{c['f1']:.4f} | {c['support']} |")
    print("\nConfusion matrix (rows: true, columns: predicted):\n")
    print("| true \\ predicted | " + " | ".join(classes) + " |")
    print("| --- |" + " ---: |" * len(classes))
    for name, row in zip(classes, t["confusion"]):
        print(f"| {name} | " + " | ".join(str(v) for v in row) + " |")
    if len(runs) > 1:
        print(f"\nOver {len(runs)} seeds (mean ± sample standard deviation; min–max):\n")
        print("| metric | mean ± sd | min–max |\n| --- | ---: | :---: |")
        for key in ["accuracy", "balanced_accuracy", "macro_f1", "ece"]:
            vals = [r["test"][key] for r in runs]
            print(f"| {key} | {statistics.mean(vals):.4f} ± {statistics.stdev(vals):.4f} | "
                  f"{min(vals):.4f}–{max(vals):.4f} |")
        vals = [r["test"]["per_class"]["Moderate_Demented"]["recall"] for r in runs]
        print(f"| Moderate_Demented recall | {statistics.mean(vals):.4f} ± {statistics.stdev(vals):.4f} | "
              f"{min(vals):.4f}–{max(vals):.4f} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: model_card_tables.py MAIN.json [SEED.json ...]")
    main(sys.argv[1:])
