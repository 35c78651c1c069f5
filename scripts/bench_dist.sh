#!/usr/bin/env bash
# scripts/bench_dist.sh ALZSCAN DATA (make bench-dist): training throughput of 2 ranks x 1 compute
# thread (alzscan train --nproc 2, Gloo over loopback) against 1 rank x 2 threads, the same model and
# recipe (configs/default.json, 2 epochs, fold 0 of SUBJECTS.tsv held out), in one run, twice each,
# alternating. Prints the images/s of each epoch (metrics.jsonl) and the ratio of the medians.
set -euo pipefail
ALZSCAN=${1:?usage: bench_dist.sh ALZSCAN DATA}
DATA=${2:?usage: bench_dist.sh ALZSCAN DATA}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--config configs/default.json --data "$DATA" --split-file "$DATA/SUBJECTS.tsv" --split-column subject_fold
        --test-fold 0 --groups "$DATA/SUBJECTS.tsv" --epochs 2 --quiet)
for round in 1 2; do
  "$ALZSCAN" train "${common[@]}" --threads 2 --out "$tmp/one_$round" > "$tmp/one_$round.log"
  "$ALZSCAN" train "${common[@]}" --threads 1 --nproc 2 --out "$tmp/two_$round" > "$tmp/two_$round.log"
done
python3 - "$tmp" <<'PY'
import json, pathlib, statistics, sys
tmp = pathlib.Path(sys.argv[1])
def rates(kind):
    out = []
    for run in sorted(tmp.glob(f"{kind}_*")):
        if run.is_dir():
            out += [json.loads(l)["images_per_second"] for l in open(run / "metrics.jsonl") if '"epoch"' in l and '"final"' not in l]
    return out
one, two = rates("one"), rates("two")
print("1 rank x 2 threads  images/s per epoch:", ", ".join(f"{r:.0f}" for r in one), f"(median {statistics.median(one):.0f})")
print("2 ranks x 1 thread  images/s per epoch:", ", ".join(f"{r:.0f}" for r in two), f"(median {statistics.median(two):.0f})")
print(f"2 ranks / 1 rank: {statistics.median(two) / statistics.median(one):.2f}x")
PY
