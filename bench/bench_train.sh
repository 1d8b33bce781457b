#!/usr/bin/env bash
# Training throughput of swa-train against a Python loop (bench/py_train.py): ResNet-50
# (imagenet stem), batch 128, SGD momentum 0.9 + weight decay, batched crop + flip on preloaded
# tensors. Both are timed as whole commands at two sizes; the difference of the two runs is the
# steady-state rate (start-up, loading and warm-up cancel out).
# Usage: bench/bench_train.sh [CIFAR_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
data=${1:-$(bash ../shared/data/cifar10/prepare.sh)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
small=1280 large=3840
wall() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); awk "BEGIN{print $t1 - $t0}"; }
ours() { rm -rf "$work/run"; wall "$bin/swa-train" --data "$data" --out "$work/run" --val-size 0 --epochs 1 \
           --train-samples "$1" --batch-size 128 --lr 0.05; }
py() { wall /usr/bin/python3 bench/py_train.py --data "$data" --images "$1"; }
# Our tools keep freed MB-sized buffers on the heap (lib/runtime/buffer_reuse.h); Python given the
# same glibc malloc settings shows how much of the gap that alone is.
tuned() { GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456 "$@"; }
o1=$(ours $small); o2=$(ours $large); p1=$(py $small); p2=$(py $large); t1=$(tuned py $small); t2=$(tuned py $large)
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d)"
echo
echo "| | $small images, s | $large images, s | steady state, images/s |"
echo "|---|---|---|---|"
awk -v a="$o1" -v b="$o2" -v n=$((large - small)) 'BEGIN{printf "| swa-train | %.1f | %.1f | %.0f |\n", a, b, n / (b - a)}'
awk -v a="$p1" -v b="$p2" -v n=$((large - small)) 'BEGIN{printf "| Python loop | %.1f | %.1f | %.0f |\n", a, b, n / (b - a)}'
awk -v a="$t1" -v b="$t2" -v n=$((large - small)) 'BEGIN{printf "| Python loop, our malloc settings | %.1f | %.1f | %.0f |\n", a, b, n / (b - a)}'
