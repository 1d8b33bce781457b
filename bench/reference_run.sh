#!/usr/bin/env bash
# The reference recipe (issue: training) on this machine's CPU, then everything after it:
# resnet50 (imagenet stem), --val-size 0, batch 128, SGD momentum 0.9, weight decay 5e-4, seed 0;
# warm-up to 0.1 over epoch 1, 0.1 through epoch 6, then 6 one-epoch cyclic cycles 0.05 -> 0.0005.
# Then swa-average of the 6 snapshots, swa-bn on the 50,000 training images, swa-eval of every
# snapshot and of the SWA model on the test set, and swa-report on the snapshots.
# Usage: bench/reference_run.sh [RUN_DIR] [CIFAR_DIR]   (a RUN_DIR with 6 snapshots is not retrained)
# About 40 minutes of training on two cores, then about 10 minutes. Prints the lines recorded in
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
run=${1:-/tmp/swa-reference}
data=${2:-$(bash scripts/get-cifar10.sh)}
t() { local s e rc; s=$(date +%s.%N); "$@" > /dev/null 2>&1; rc=$?; e=$(date +%s.%N)
      echo "TIME $(basename "$1") $(awk "BEGIN{printf \"%.1f\", $e-$s}") s rc=$rc"; }
if [ ! -f "$run/snapshots/cycle-0006.h5" ]; then
  t "$bin/swa-train" --data "$data" --out "$run" --overwrite --val-size 0 --epochs 12 --batch-size 128 --lr 0.1 \
    --momentum 0.9 --weight-decay 5e-4 --seed 0 --warmup-epochs 1 --swa-start 6 --swa-schedule cyclic \
    --cycle-epochs 1 --swa-lr-max 0.05 --swa-lr-min 0.0005
fi
t "$bin/swa-average" "$run/snapshots" -o "$run/swa.h5"
t "$bin/swa-bn" "$run/swa.h5" --data "$data" --val-size 0 -o "$run/swa-bn.h5"
for f in "$run"/snapshots/cycle-*.h5 "$run/swa.h5" "$run/swa-bn.h5"; do
  "$bin/swa-eval" "$f" --data "$data" --json "$run/eval.json" > /dev/null 2>&1
  /usr/bin/python3 - "$f" "$run/eval.json" <<'PY'
import json, os, sys
j = json.load(open(sys.argv[2])); m = j["metrics"]
print(f"EVAL {os.path.basename(sys.argv[1])} top1 {m['top1']:.2f} top5 {m['top5']:.2f} nll {m['nll']:.4f} "
      f"ece {m['ece']:.4f} bn_state {j['bn_state']} total {j['total_seconds']:.1f}s")
PY
done
t "$bin/swa-report" "$run" --data "$data" -o "$run/report"
echo "report: $run/report/report.md"
