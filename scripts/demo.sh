#!/usr/bin/env bash
# The main job end to end on an embedded default: six ResNet-50 snapshots of a cyclic run ->
# swa-average -> a .pt that Python's torch.load and torchvision read.
# The snapshots come from swa-make-samples (random weights) until swa-train lands.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
bash scripts/build.sh
bin=${SWA_BUILD_DIR:-build}
mkdir -p "$out"
rm -rf "$out/snapshots"

echo "== 1. snapshots: 6 cycle ends of resnet50 (10 classes) in $out/snapshots" >&2
"$bin/swa-make-samples" --arch resnet50 --count 6 --out "$out/snapshots" --format h5

echo "== 2. swa-average of the last 4 cycles -> $out/swa.pt" >&2
"$bin/swa-average" "$out/snapshots" --last 4 -o "$out/swa.pt" --json "$out/swa-average.json"

echo "== 3. swa-inspect --verify" >&2
"$bin/swa-inspect" --verify "$out/swa.pt"

echo "== 4. Python: torch.load + torchvision resnet50(num_classes=10), strict=True" >&2
if /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  /usr/bin/python3 - "$out/swa.pt" <<'PY'
import sys, torch, torchvision
sd = torch.load(sys.argv[1])
net = torchvision.models.resnet50(num_classes=10)
net.load_state_dict(sd, strict=True)
print(f"torchvision accepted {len(sd)} tensors from {sys.argv[1]} (strict=True)")
PY
else
  echo "python3-torch/torchvision not installed: skipped" >&2
fi
echo "done: $out/swa.pt (metadata: $out/swa-average.json)" >&2
