#!/usr/bin/env bash
# The converged CPU recipe where SWA wins (issue: show SWA helping), one seed, then everything after
# it, and the same recipe as a plain PyTorch loop (bench/py_converged.py) beside it.
# resnet18-cifar-w8 on the 45,000 training images (--val-size 5000): 24 epochs of SGD (warm-up
# over epoch 1, cosine from 0.1 to 0), then 8 epochs at SWALR's constant 0.02, one snapshot per
# epoch. Then: swa-average of the 8 snapshots (BatchNorm averaged), swa-bn --augment over the
# 45,000 images (recomputed), swa-eval of each on the test set, swa-report on the run, the test
# metrics of the prediction ensemble (bench/py_ensemble.py), and the Python loop of the same seed.
# Usage: bench/converged_run.sh SEED [RUN_DIR] [CIFAR_DIR]     (steps already done are skipped;
#        PYTHON_LOOP=0 leaves the Python loop out, to run it later)
# About 23 minutes of swa-train and 23 of the Python loop per seed on two cores. Writes
# RUN_DIR/summary.json; bench/converged_table.py turns several of them into the README's table.
set -euo pipefail
cd "$(dirname "$0")/.."
seed=$1
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
run=${2:-/tmp/swa-converged-$seed}
data=${3:-$(bash scripts/get-cifar10.sh)}
threads=${THREADS:-2}
py=/usr/bin/python3
if [ ! -f "$run/snapshots/cycle-0008.h5" ]; then
  "$bin/swa-train" --data "$data" --out "$run" --overwrite --arch resnet18-cifar-w8 --val-size 5000 \
    --epochs 32 --batch-size 128 --lr 0.1 --warmup-epochs 1 --schedule cosine --swa-start 24 \
    --swa-schedule constant --swa-lr 0.02 --anneal-epochs 1 --seed "$seed" --threads "$threads"
fi
[ -f "$run/swa.h5" ] || "$bin/swa-average" "$run/snapshots" -o "$run/swa.h5" > /dev/null
[ -f "$run/swa-bn.h5" ] || "$bin/swa-bn" "$run/swa.h5" --data "$data" --val-size 5000 --augment \
  --threads "$threads" -o "$run/swa-bn.h5"
for name in snapshots/cycle-0001 swa swa-bn; do
  "$bin/swa-eval" "$run/$name.h5" --data "$data" --threads "$threads" \
    --json "$run/eval-$(basename $name).json" > /dev/null 2>&1
done
[ -f "$run/report/report.json" ] || "$bin/swa-report" "$run" --data "$data" --threads "$threads" \
  -o "$run/report"
"$py" bench/py_ensemble.py --data "$data" --threads "$threads" "$run"/snapshots/cycle-*.h5 \
  > "$run/ensemble.json"
if [ "${PYTHON_LOOP:-1}" != 0 ] && [ ! -s "$run/python.json" ]; then
  "$py" bench/py_converged.py --data "$data" --seed "$seed" --threads "$threads" \
    --out "$run/python" | tee "$run/python.log" | grep '^RESULT ' | sed 's/^RESULT //' \
    > "$run/python.json"
fi
"$py" - "$run" "$seed" <<'PY'
import json, os, sys
run, seed = sys.argv[1], int(sys.argv[2])
def load(name): return json.load(open(os.path.join(run, name)))
def metrics(m): return {"top1": m["top1"], "nll": m["nll"]}
r = load("report/report.json")
summary = {
    "seed": seed,
    "last_sgd": metrics(load("eval-cycle-0001.json")["metrics"]),
    "best_snapshot": dict(metrics(r["best_single"]["test"]), name=r["best_single"]["name"]),
    "swa_bn_averaged": metrics(load("eval-swa.json")["metrics"]),
    "swa_bn_recomputed": metrics(load("eval-swa-bn.json")["metrics"]),
    "greedy_soup": dict(metrics(r["greedy_soup"]["test"]), members=r["greedy_soup"]["members"]),
    "ensemble": metrics(load("ensemble.json")),
    "recommendation": {"name": r["recommendation"]["name"],
                       "members": len(r["recommendation"]["members"]),
                       "validation_top1": r["recommendation"]["validation"]["top1"],
                       "best_single_validation_top1": r["best_single"]["validation"]["top1"]},
}
if os.path.exists(os.path.join(run, "python.json")) and os.path.getsize(os.path.join(run, "python.json")):
    summary["python"] = load("python.json")
json.dump(summary, open(os.path.join(run, "summary.json"), "w"), indent=1)
print(json.dumps(summary))
PY
