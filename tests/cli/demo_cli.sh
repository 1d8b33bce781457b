#!/usr/bin/env bash
# The README's main command, scripts/demo.sh, end to end on a small configuration: a tiny
# network on a synthetic CIFAR-10 folder, the real pipeline (train, average, BatchNorm, evaluate,
# report). The full-size default runs in the same way with a bigger model and the real data.
source "$(dirname "$0")/cli_harness.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
make_cifar "$work/cifar" learnable
export SWA_BIN="$bin" DEMO_ARCH=resnet18-cifar-w4 DEMO_TRAIN_SAMPLES=1024 DEMO_VAL_SIZE=500 DEMO_BN_SAMPLES=500
check "the demo runs end to end and says where the report is" 0 "The report: $work/demo/report/report.md" -- \
  bash "$root/scripts/demo.sh" --data "$work/cifar" --out "$work/demo"
for f in run/snapshots/cycle-0004.h5 swa.h5 swa-bn.pt swa-eval.json report/report.md report/report.json; do
  [ -s "$work/demo/$f" ]; expect "the demo made $f" $?
done
check "the demo without data says how to get it" 1 "no CIFAR-10 binary files" -- \
  bash "$root/scripts/demo.sh" --data "$work/none" --out "$work/demo2"
check "an unknown argument" 2 "unknown argument" -- bash "$root/scripts/demo.sh" --bogus
finish
