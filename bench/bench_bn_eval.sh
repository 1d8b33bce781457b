#!/usr/bin/env bash
# Benchmark for swa-bn and swa-eval (issue: CIFAR-10 data, BN and evaluation) on this machine:
# full-size ResNet-50 (imagenet stem, random weights), real CIFAR-10 from prepare.sh, against
# Python PyTorch on the same checkpoint and images (bench/py_bn_eval.py): preloaded tensors,
# channels_last, TorchScript-frozen (eval), and the usual per-image DataLoader pipeline.
# Whole command against whole script: start-up, loading and the pass included. swa-bn runs once
# with its layout measured (--layout auto) and once in each layout it can choose.
# Usage: bench/bench_bn_eval.sh [CIFAR_DIR]   (default: prepare.sh's cache folder)
#        EVAL_ONLY=1 bench/bench_bn_eval.sh ...  the evaluation rows only (the BatchNorm ones take
#        most of the time)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
data=${1:-$(bash ../shared/data/cifar10/prepare.sh)}
work=${SWA_BENCH_DIR:-/tmp/swa-bench-bn}
mkdir -p "$work"
threads=$(nproc)

[ -f "$work/snap/cycle-0001.h5" ] || "$bin/swa-make-samples" --arch resnet50 --count 1 --out "$work/snap" 2>/dev/null
"$bin/swa-average" "$work/snap/cycle-0001.h5" -o "$work/model.pt" 2>/dev/null

row() {  # row LABEL JSON_FILE WALL: one table row from a tool's or script's JSON
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
label, path, wall = sys.argv[1], sys.argv[2], float(sys.argv[3])
d = json.load(open(path))
ips = d.get("images_per_second", d.get("images_per_s"))
m = d.get("metrics", d)
extra = f"top-1 {m['top1']:.2f} %, NLL {m['nll']:.4f}" if "top1" in m else ""
if "layout" in d:
    extra = f"layout {d['layout']['name']} ({d['layout']['chosen_by']})"
print(f"| {label} | {wall:.1f} | {ips:.0f} | {extra} |")
PY
}
timed() {  # timed LABEL OUT_JSON -- command...
  local label=$1 json=$2; shift 3
  local t0 t1; t0=$(date +%s.%N)
  "$@" > "$json" 2> "$work/stderr.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  t1=$(date +%s.%N)
  row "$label" "$json" "$(awk "BEGIN{print $t1 - $t0}")"
}

echo "machine: $threads cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d); data: $data"
echo
echo "| command | whole command, s | pass images/s | result |"
echo "|---|---|---|---|"
tuned() { GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456 "$@"; }
if [ "${EVAL_ONLY:-0}" = 1 ]; then
  [ -f "$work/bn.h5" ] || "$bin/swa-bn" "$work/snap/cycle-0001.h5" --data "$data" --val-size 0 \
    --samples 2000 -o "$work/bn.h5" --quiet
else
  timed "swa-bn (50,000 train images)" "$work/bn.json" -- "$bin/swa-bn" "$work/snap/cycle-0001.h5" --data "$data" --val-size 0 -o "$work/bn.h5" --json -
  for layout in channels_last onednn contiguous; do
    timed "swa-bn --layout $layout" "$work/bn-$layout.json" -- "$bin/swa-bn" "$work/snap/cycle-0001.h5" --data "$data" --val-size 0 --layout "$layout" -o "$work/bn-$layout.pt" --json -
  done
  timed "Python update_bn, preloaded" "$work/py-bn.json" -- /usr/bin/python3 bench/py_bn_eval.py bn --ckpt "$work/model.pt" --data "$data" --threads "$threads" --out "$work/py-bn.pt"
  timed "Python update_bn, preloaded, our malloc settings" "$work/py-bn-t.json" -- tuned /usr/bin/python3 bench/py_bn_eval.py bn --ckpt "$work/model.pt" --data "$data" --threads "$threads"
  timed "Python update_bn, preloaded, channels_last" "$work/py-bn-cl.json" -- /usr/bin/python3 bench/py_bn_eval.py bn --ckpt "$work/model.pt" --data "$data" --threads "$threads" --variant channels_last
  timed "Python update_bn, DataLoader" "$work/py-bn-dl.json" -- /usr/bin/python3 bench/py_bn_eval.py bn --ckpt "$work/model.pt" --data "$data" --threads "$threads" --variant dataloader
fi
"$bin/swa-average" "$work/bn.h5" -o "$work/bn.pt" 2>/dev/null
timed "swa-eval (10,000 test images; frozen engine)" "$work/eval.json" -- "$bin/swa-eval" "$work/bn.h5" --data "$data" --json -
timed "swa-eval --engine reference" "$work/eval-ref.json" -- "$bin/swa-eval" "$work/bn.h5" --data "$data" --engine reference --json -
timed "Python eval, preloaded" "$work/py-eval.json" -- /usr/bin/python3 bench/py_bn_eval.py eval --ckpt "$work/bn.pt" --data "$data" --threads "$threads"
timed "Python eval, preloaded, our malloc settings" "$work/py-eval-t.json" -- tuned /usr/bin/python3 bench/py_bn_eval.py eval --ckpt "$work/bn.pt" --data "$data" --threads "$threads"
timed "Python eval, preloaded, channels_last" "$work/py-eval-cl.json" -- /usr/bin/python3 bench/py_bn_eval.py eval --ckpt "$work/bn.pt" --data "$data" --threads "$threads" --variant channels_last
timed "Python eval, TorchScript frozen" "$work/py-eval-fr.json" -- /usr/bin/python3 bench/py_bn_eval.py eval --ckpt "$work/bn.pt" --data "$data" --threads "$threads" --variant frozen
timed "Python eval, DataLoader" "$work/py-eval-dl.json" -- /usr/bin/python3 bench/py_bn_eval.py eval --ckpt "$work/bn.pt" --data "$data" --threads "$threads" --variant dataloader
[ "${EVAL_ONLY:-0}" = 1 ] && exit 0
/usr/bin/python3 - "$work" <<'PY'
import sys, torch
w = sys.argv[1]
ref = torch.load(f"{w}/py-bn.pt")
print()
for name in ("bn", "bn-channels_last", "bn-onednn", "bn-contiguous"):
    ours = torch.load(f"{w}/{name}.pt")
    worst = max(((ours[k].double() - ref[k].double()).norm() / ref[k].double().norm()).item()
                for k in ref if k.endswith(("running_mean", "running_var")))
    print(f"BN statistics, {name} vs update_bn on the same images and order: worst relative error {worst:.2e}")
PY
