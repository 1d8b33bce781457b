#!/usr/bin/env bash
# Benchmark for several processes (issue: torch.distributed): the same work on one process with
# every core and on N ranks of swa-launch sharing them (Gloo over loopback), real CIFAR-10.
#   swa-train: --train-samples images of one epoch, no validation; wall time per step and the
#              gradient-sum wait per step (log.jsonl: the all-reduce time backward did not hide),
#              with and without --sync-bn;
#   swa-bn:    --samples training images; swa-eval: the 10,000 test images (full-size ResNet-50).
# On a machine with as many cores as ranks no speed-up is expected: this measures the overhead.
# Usage: bench/bench_distributed.sh [RANKS] [CIFAR_DIR]   (SWA_TRAIN_ARCH, _SAMPLES, _LR)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
ranks=${1:-2}
data=${2:-$(bash scripts/get-cifar10.sh)}
work=${SWA_BENCH_DIR:-/tmp/swa-bench-distributed}
arch=${SWA_TRAIN_ARCH:-resnet18-cifar-w8}
samples=${SWA_TRAIN_SAMPLES:-4096}
cores=$(nproc)
per_rank=$(( cores / ranks > 0 ? cores / ranks : 1 ))
rm -rf "$work" && mkdir -p "$work"
echo "machine: $cores cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d); $ranks ranks x $per_rank threads against 1 x $cores"
"$bin/swa-make-samples" --arch resnet50 --count 1 --out "$work/r50" 2>/dev/null

seconds() { /usr/bin/time -f "%e" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { tail "$work/err" >&2; exit 1; }; cat "$work/t"; }
train=(swa-train --data "$data" --arch "$arch" --epochs 1 --swa-start -1 --val-size 0
       --train-samples "$samples" --batch-size 128 --lr "${SWA_TRAIN_LR:-0.05}" -q)
steps=$(( (samples + 127) / 128 ))
step_figures() {  # RUN_DIR WALL: seconds per step (wall, including start-up) and the waits
  /usr/bin/python3 - "$1/log.jsonl" "$2" "$steps" <<'PY'
import json, sys
line = json.loads(open(sys.argv[1]).readline()); wall = float(sys.argv[2]); steps = int(sys.argv[3])
wait = line.get("gradient_sum_wait_seconds")
print(f"{line['seconds'] / steps * 1000:.0f} ms/step (epoch {line['seconds']:.1f} s, command {wall:.1f} s)"
      + ("" if wait is None else f", gradient-sum wait {wait / steps * 1000:.1f} ms/step"))
PY
}
echo "| what | 1 process | $ranks ranks |"
echo "|---|---|---|"
t1=$(seconds "$bin/${train[0]}" "${train[@]:1}" --threads "$cores" --out "$work/t1")
t2=$(seconds "$bin/swa-launch" --no-announce --nproc "$ranks" "${train[@]}" --threads "$per_rank" --out "$work/t2")
t3=$(seconds "$bin/swa-launch" --no-announce --nproc "$ranks" "${train[@]}" --threads "$per_rank" --sync-bn --out "$work/t3")
echo "| swa-train $arch, batch 128, $steps steps | $(step_figures "$work/t1" "$t1") | $(step_figures "$work/t2" "$t2"); with --sync-bn: $(step_figures "$work/t3" "$t3") |"
# The engine and layout choices are measured once per thread count (lib/runtime/measured_choice.h):
# small warm-up runs make both timed commands find them remembered.
for threads in "$cores" "$per_rank"; do
  "$bin/swa-bn" "$work/r50/cycle-0001.h5" --data "$data" --samples 1000 -q --threads "$threads" -o "$work/warm.h5"
  "$bin/swa-eval" "$work/warm.h5" --data "$data" --split val --val-size 1000 -q --threads "$threads" >/dev/null
done
bn=(swa-bn "$work/r50/cycle-0001.h5" --data "$data" --samples 10000 -q)
t1=$(seconds "$bin/${bn[0]}" "${bn[@]:1}" --threads "$cores" -o "$work/bn1.h5")
t2=$(seconds "$bin/swa-launch" --no-announce --nproc "$ranks" "${bn[@]}" --threads "$per_rank" -o "$work/bn2.h5")
echo "| swa-bn resnet50, 10,000 images (command) | $t1 s | $t2 s |"
ev=(swa-eval "$work/bn1.h5" --data "$data" -q --json "$work/e.json")
t1=$(seconds "$bin/${ev[0]}" "${ev[@]:1}" --threads "$cores")
t2=$(seconds "$bin/swa-launch" --no-announce --nproc "$ranks" "${ev[@]}" --threads "$per_rank")
echo "| swa-eval resnet50, 10,000 test images (command) | $t1 s | $t2 s |"
