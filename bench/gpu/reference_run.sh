#!/usr/bin/env bash
# The reference recipe (issue: training) on a CUDA machine: resnet50 (imagenet stem), --val-size 0,
# batch 128, SGD momentum 0.9, weight decay 5e-4, seed 0; linear warm-up to 0.1 over epoch 1,
# 0.1 through epoch 6, then 6 one-epoch cycles, cyclic 0.05 -> 0.0005. Then swa-average of the 6
# snapshots, swa-bn on the 50,000 training images, and swa-eval of every snapshot and of the SWA
# model on the test set. Builds like run_on_gpu.sh (carried libraries in .gpu/deps, data in
# .gpu/data: bench/gpu/README.md). Output in $OUT.
set -uo pipefail
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/reference.txt") 2>&1
root=$PWD
carried=$root/.gpu
stamp() { echo "[$(date +%T)] $*"; }
python3 "$carried/data/decode.py" "$carried/data/cifar10-jpg.tar.xz" /tmp/cifar > /dev/null 2>&1 &
decode=$!
SWA_BUILD_DIR=/tmp/build bash scripts/configure.sh --deps-prefix .gpu/deps > "$out/cmake.txt" 2>&1
cmake --build /tmp/build -j16 --target swa-train swa-average swa-bn swa-eval > "$out/build.txt" 2>&1 || { tail -30 "$out/build.txt"; exit 1; }
wait $decode
stamp "built; data decoded: $(ls /tmp/cifar | tr '\n' ' ')"
b=/tmp/build
t() { local s e; s=$(date +%s.%N); "$@"; local rc=$?; e=$(date +%s.%N); echo "TIME $(basename "$1") $(awk "BEGIN{printf \"%.1f\", $e-$s}") s rc=$rc"; }
stamp "swa-train (reference recipe)"
t "$b/swa-train" --data /tmp/cifar --out /tmp/ref --overwrite --device cuda --val-size 0 --epochs 12 --batch-size 128 \
  --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --seed 0 --warmup-epochs 1 --swa-start 6 \
  --swa-schedule cyclic --cycle-epochs 1 --swa-lr-max 0.05 --swa-lr-min 0.0005 2>&1 | grep -v "/s, "
cp /tmp/ref/log.jsonl "$out/log.jsonl"
stamp "swa-average + swa-bn"
t "$b/swa-average" /tmp/ref/snapshots -o /tmp/ref/swa.h5
t "$b/swa-bn" /tmp/ref/swa.h5 --data /tmp/cifar --val-size 0 --device cuda -o /tmp/ref/swa-bn.h5 2>&1 | grep -v "/s, "
stamp "swa-eval of every snapshot, the SWA model (cycle-0006 is the final weights) (test set)"
for f in /tmp/ref/snapshots/cycle-*.h5 /tmp/ref/swa.h5 /tmp/ref/swa-bn.h5; do
  "$b/swa-eval" "$f" --data /tmp/cifar --device cuda --json /tmp/eval.json > /dev/null 2>&1
  python3 - "$f" <<'PY'
import json, os, sys
j = json.load(open("/tmp/eval.json")); m = j["metrics"]
print(f"EVAL {os.path.basename(sys.argv[1])} top1 {m['top1']:.2f} top5 {m['top5']:.2f} nll {m['nll']:.4f} "
      f"ece {m['ece']:.4f} bn_state {j['bn_state']} forward {j['forward_seconds']:.2f}s total {j['total_seconds']:.2f}s")
PY
done | tee "$out/evals.txt"
stamp done
