#!/usr/bin/env bash
# The main job end to end on an embedded default, about 4 minutes on two cores after the build:
#   1. swa-train: ResNet-50 (torchvision's keys) on a 2,500-image subset of CIFAR-10, one warm-up
#      epoch, then four one-epoch cyclic-rate cycles -> four snapshots
#   2. swa-average of the snapshots -> swa.h5
#   3. swa-bn: BatchNorm statistics for the averaged weights -> swa-bn.pt (a PyTorch file)
#   4. swa-eval on the CIFAR-10 test set
#   5. swa-report: which snapshots help (leave-one-out, greedy soup, ensemble, covariance)
#   6. Python: torch.load + torchvision resnet50, strict=True (when python3-torch is installed)
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
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
arch=${DEMO_ARCH:-resnet50}
train_samples=${DEMO_TRAIN_SAMPLES:-2500}
val_size=${DEMO_VAL_SIZE:-5000}
bn_samples=${DEMO_BN_SAMPLES:-2000}
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

step "1. swa-train: $arch on $train_samples images, 1 warm-up epoch + 4 one-epoch cycles -> $out/run"
"$bin/swa-train" --data "$data" --out "$out/run" --arch "$arch" --val-size "$val_size" \
  --train-samples "$train_samples" --epochs 5 --batch-size 128 --lr 0.05 --warmup-epochs 1 \
  --swa-start 1 --swa-schedule cyclic --cycle-epochs 1 --swa-lr-max 0.05 --swa-lr-min 0.0005

step "2. swa-average of every snapshot -> $out/swa.h5"
"$bin/swa-average" "$out/run/snapshots" -o "$out/swa.h5" --json "$out/swa-average.json"

step "3. swa-bn: BatchNorm statistics for the averaged weights ($bn_samples training images) -> $out/swa-bn.pt"
"$bin/swa-bn" "$out/swa.h5" --data "$data" --val-size "$val_size" --samples "$bn_samples" \
  -o "$out/swa-bn.pt" --json "$out/swa-bn.json"

step "4. swa-eval on the CIFAR-10 test set"
"$bin/swa-eval" "$out/swa-bn.pt" --data "$data" --val-size "$val_size" --json "$out/swa-eval.json"

step "5. swa-report: which snapshots help -> $out/report"
"$bin/swa-report" "$out/run" --data "$data" --val-size "$val_size" --bn-samples "$bn_samples" -o "$out/report"

step "6. Python: torch.load + torchvision $arch, strict=True"
if [[ "$arch" == resnet50 ]] && /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 - "$out/swa-bn.pt" <<'PY'
import sys, torch, torchvision
sd = torch.load(sys.argv[1])
net = torchvision.models.resnet50(num_classes=10)
net.load_state_dict(sd, strict=True)
print(f"torchvision accepted {len(sd)} tensors from {sys.argv[1]} (strict=True)")
PY
else
  echo "skipped (needs python3-torch and python3-torchvision, and the resnet50 default)" >&2
fi
echo "demo done in $(( $(date +%s) - start )) s. The report: $out/report/report.md" >&2
echo "  (the SWA model: $out/swa-bn.pt; its test metrics: $out/swa-eval.json)" >&2
