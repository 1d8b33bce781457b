#!/usr/bin/env bash
# The main job end to end on an embedded default, about 4 minutes on two cores after the build:
#   1. swa-train: a narrow ResNet-18 (torchvision's keys, CIFAR stem, width 8) on the 45,000
#      CIFAR-10 training images outside the validation hold-out: a warm-up epoch, two epochs of a
#      cosine rate from 0.2, then an SWA epoch of four triangular cycles -> four snapshots
#   2. swa-average of the snapshots -> swa.h5
#   3. swa-bn: BatchNorm statistics for the averaged weights, on the training images with the
#      training augmentation -> swa-bn.pt (a PyTorch file)
#   4. swa-eval on the CIFAR-10 test set
#   5. swa-report: which snapshots help (leave-one-out, greedy soup, ensemble, covariance)
#   6. Python: torch.load(weights_only=True) of swa-bn.pt (when python3-torch is installed)
#   7. a table: last snapshot, best snapshot, SWA, the report's recommendation (test top-1, NLL)
# Usage: scripts/demo.sh [--data DIR] [--out DIR]      (default out: out/demo)
# CIFAR-10 comes from --data / $SWA_DATA, the cache ~/.cache/swa, or is fetched (get-cifar10.sh).
# The tests run it small: DEMO_ARCH, DEMO_TRAIN_SAMPLES, DEMO_VAL_SIZE, DEMO_BN_SAMPLES,
# and SWA_BIN (prebuilt binaries: no build) override the defaults.
set -euo pipefail
caller=$PWD
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
cd "$(dirname "$0")/.."
out=$PWD/out/demo
data=${SWA_DATA:+$(absolute "$SWA_DATA")}
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$(absolute "$2"); shift 2 ;;
    --out) out=$(absolute "$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
# ResNet-50 is the card's model, but on two cores it trains at about 250 images/s: five minutes
# are 1.5 epochs, not enough to learn. The narrow ResNet-18 has torchvision's keys and trains at
# about 1,000 images/s, four epochs of the 45,000 training images in under three minutes.
arch=${DEMO_ARCH:-resnet18-cifar-w8}
train_samples=${DEMO_TRAIN_SAMPLES:-0}
val_size=${DEMO_VAL_SIZE:-5000}
bn_samples=${DEMO_BN_SAMPLES:-0}
if [ -n "${SWA_BIN:-}" ]; then
  bin=$(absolute "$SWA_BIN")
else
  bash scripts/build.sh
  bin=${SWA_BUILD_DIR:-build}
fi
data=$(bash scripts/get-cifar10.sh ${data:+"$data"})
step() { echo "== $*" >&2; }
start=$(date +%s)
rm -rf "$out/run" "$out/report"
mkdir -p "$out"

images=$train_samples
[ "$images" -gt 0 ] || images=$((50000 - val_size))
batch=128
cycle_steps=$(( (images + batch - 1) / batch / 8 ))  # half a cycle: four cycles in the SWA epoch
[ "$cycle_steps" -gt 0 ] || cycle_steps=1
step "1. swa-train: $arch on $images images: 1 warm-up epoch, 2 epochs of cosine rate, 1 SWA epoch of 4 cycles -> $out/run"
"$bin/swa-train" --data "$data" --out "$out/run" --arch "$arch" --val-size "$val_size" \
  --train-samples "$train_samples" --epochs 4 --batch-size "$batch" --lr 0.2 --warmup-epochs 1 \
  --schedule cosine --swa-start 3 --swa-schedule triangular --base-lr 0.01 --max-lr 0.1 \
  --step-size-up "$cycle_steps"

step "2. swa-average of every snapshot -> $out/swa.h5"
"$bin/swa-average" "$out/run/snapshots" -o "$out/swa.h5" --json "$out/swa-average.json"

step "3. swa-bn: BatchNorm statistics for the averaged weights (training images, augmented as in training) -> $out/swa-bn.pt"
"$bin/swa-bn" "$out/swa.h5" --data "$data" --val-size "$val_size" --samples "$bn_samples" --augment \
  -o "$out/swa-bn.pt" --json "$out/swa-bn.json"

step "4. swa-eval on the CIFAR-10 test set"
"$bin/swa-eval" "$out/swa-bn.pt" --data "$data" --val-size "$val_size" --json "$out/swa-eval.json"

step "5. swa-report: which snapshots help -> $out/report"
report_bn=$bn_samples
[ "$report_bn" -gt 0 ] || report_bn=5000
"$bin/swa-report" "$out/run" --data "$data" --val-size "$val_size" --bn-samples "$report_bn" -o "$out/report"

step "6. Python: torch.load(weights_only=True) of the SWA model"
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 - "$out/swa-bn.pt" <<'PY'
import sys, torch, torchvision
sd = torch.load(sys.argv[1], weights_only=True)
keys = list(torchvision.models.resnet18(num_classes=10).state_dict().keys())
same = "the keys of torchvision's resnet18" if list(sd.keys()) == keys else "its own keys"
print(f"torch.load read {len(sd)} tensors from {sys.argv[1]}: {same}")
PY
else
  echo "skipped (needs python3-torch and python3-torchvision)" >&2
fi

step "7. test set: the snapshots, SWA and the report's recommendation"
last=$(ls "$out"/run/snapshots/cycle-*.h5 | tail -n 1)
best=$("$bin/swa-inspect" --json - "$out"/run/snapshots/cycle-*.h5 |
  /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin); print(max(s, key=lambda r: r["meta"]["val_acc"] or -1)["path"])')
"$bin/swa-eval" "$last" --data "$data" --val-size "$val_size" --json "$out/last-eval.json" >/dev/null 2>&1
"$bin/swa-eval" "$best" --data "$data" --val-size "$val_size" --json "$out/best-eval.json" >/dev/null 2>&1
/usr/bin/python3 - "$out" "$(basename "$last")" "$(basename "$best")" <<'PY'
import json, sys
out, last, best = sys.argv[1:4]
def metrics(name):
    m = json.load(open(f"{out}/{name}"))["metrics"]
    return m["top1"], m["nll"]
rec = json.load(open(f"{out}/report/report.json"))["recommendation"]
rows = [(f"last snapshot ({last})", *metrics("last-eval.json")),
        (f"best snapshot on validation ({best})", *metrics("best-eval.json")),
        ("SWA, BatchNorm recomputed (swa-bn.pt)", *metrics("swa-eval.json")),
        (f"recommended by swa-report: {rec['name']} ({len(rec['members'])} snapshots)",
         rec["test"]["top1"], rec["test"]["nll"])]
width = max(len(r[0]) for r in rows)
print(f"\n{'model':<{width}}  test top-1   test NLL")
for name, top1, nll in rows:
    print(f"{name:<{width}}  {top1:8.2f} %  {nll:9.4f}")
PY
echo "demo done in $(( $(date +%s) - start )) s. The report: $out/report/report.md" >&2
echo "  (the SWA model: $out/swa-bn.pt; its test metrics: $out/swa-eval.json)" >&2
