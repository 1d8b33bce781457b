#!/usr/bin/env bash
# The main job end to end on an embedded default: six ResNet-50 snapshots of a cyclic run ->
# swa-average -> swa-bn -> swa-eval on CIFAR-10 -> a .pt that Python's torch.load and
# torchvision read. The snapshots come from swa-make-samples (random weights) until swa-train
# lands, so the accuracy is chance level; the pipeline is the real one.
# CIFAR-10: --data DIR / $SWA_DATA, else ~/.cache/swa/cifar-10-batches-bin, else this project's
# ../shared/data/cifar10/prepare.sh lays it out there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
bash scripts/build.sh
bin=${SWA_BUILD_DIR:-build}
data=${SWA_DATA:-$HOME/.cache/swa/cifar-10-batches-bin}
if [ ! -f "$data/test_batch.bin" ] && [ ! -f "$data/cifar-10-batches-bin/test_batch.bin" ]; then
  if [ -x ../shared/data/cifar10/prepare.sh ]; then
    data=$(bash ../shared/data/cifar10/prepare.sh "$data")
  else
    echo "CIFAR-10 not found in $data. Download cifar-10-binary.tar.gz from" >&2
    echo "https://www.cs.toronto.edu/~kriz/cifar.html, unpack it there (or set SWA_DATA), and rerun." >&2
    exit 1
  fi
fi
mkdir -p "$out"
rm -rf "$out/snapshots"

echo "== 1. snapshots: 6 cycle ends of resnet50 (10 classes) in $out/snapshots" >&2
"$bin/swa-make-samples" --arch resnet50 --count 6 --out "$out/snapshots" --format h5

echo "== 2. swa-average of the last 4 cycles -> $out/swa.h5" >&2
"$bin/swa-average" "$out/snapshots" --last 4 -o "$out/swa.h5" --json "$out/swa-average.json"

echo "== 3. swa-bn: BatchNorm statistics for the averaged weights (10,000 training images)" >&2
"$bin/swa-bn" "$out/swa.h5" --data "$data" --samples 10000 -o "$out/swa-bn.pt" --json "$out/swa-bn.json"

echo "== 4. swa-eval on the CIFAR-10 test set" >&2
"$bin/swa-eval" "$out/swa-bn.pt" --data "$data" --json "$out/swa-eval.json"

echo "== 5. swa-inspect --verify" >&2
"$bin/swa-inspect" --verify "$out/swa-bn.pt"

echo "== 6. Python: torch.load + torchvision resnet50(num_classes=10), strict=True" >&2
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 - "$out/swa-bn.pt" <<'PY'
import sys, torch, torchvision
sd = torch.load(sys.argv[1])
net = torchvision.models.resnet50(num_classes=10)
net.load_state_dict(sd, strict=True)
print(f"torchvision accepted {len(sd)} tensors from {sys.argv[1]} (strict=True)")
PY
else
  echo "python3-torch/torchvision not installed: skipped" >&2
fi
echo "done: $out/swa-bn.pt; metrics in $out/swa-eval.json" >&2
