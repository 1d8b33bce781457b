#!/usr/bin/env bash
# Benchmark for swa-average (issue: foundation). Averages N full-size ResNet-50 snapshots (random
# weights) with a warm page cache and compares wall time and peak RSS against the Python paths:
#   (a) torch.load each .pt + AveragedModel    (b) h5py + numpy on the .h5 files
# Usage: bench/bench_average.sh [N...]   (default: 10 40). Needs ~0.1 GB of disk per snapshot and format.
# swa-average records every input's SHA-256; rows say whether the digests were computed
# (SWA_DIGEST_CACHE=0, a first run) or found in its digest cache (a repeat run on unchanged files).
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("${@:-10 40}")
[ $# -gt 0 ] || counts=(10 40)
# SWA_BIN: a folder with already-built tools (skips the build).
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
work=${SWA_BENCH_DIR:-/tmp/swa-bench}
repeats=${REPEATS:-3}
mkdir -p "$work"
export SWA_CACHE_DIR="$work/cache"

# measure LABEL -- command...: best wall time of $repeats runs and the largest peak RSS (MB).
measure() {
  local label="$1"; shift 2
  local best="" rss=0
  for _ in $(seq "$repeats"); do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/err.txt" || {
      cat "$work/err.txt" >&2; exit 1; }
    read -r t m <"$work/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  printf '| %s | %s | %d |\n' "$label" "$best" $((rss / 1024))
}

max=0
for n in "${counts[@]}"; do [ "$n" -gt "$max" ] && max=$n; done
for fmt in h5 pt; do
  have=$( (find "$work/$fmt" -name "cycle-*" 2>/dev/null || true) | wc -l)
  if [ "$have" -lt "$max" ]; then
    rm -rf "$work/$fmt"
    "$bin/swa-make-samples" --arch resnet50 --count "$max" --out "$work/$fmt" --format "$fmt" 2>/dev/null
  fi
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d)"
echo "one model: $(stat -c %s "$work/h5/cycle-0001.h5") bytes (.h5), $(stat -c %s "$work/pt/cycle-0001.pt") bytes (.pt)"
echo
echo "| command | wall s (best of $repeats) | peak RSS MB |"
echo "|---|---|---|"
measure "start-up: swa-average --help (no LibTorch)" -- "$bin/swa-average" --help
measure "LibTorch start-up: swa-inspect --help" -- "$bin/swa-inspect" --help
measure "Python start-up: import torch" -- /usr/bin/python3 -c "import torch"
for n in "${counts[@]}"; do
  h5=$(ls "$work"/h5/cycle-*.h5 | head -n "$n")
  pt=$(ls "$work"/pt/cycle-*.pt | head -n "$n")
  cat $h5 $pt >/dev/null  # warm the page cache
  measure "N=$n read floor: cat .h5 | wc -c" -- bash -c "cat $(echo $h5) | wc -c"
  measure "N=$n swa-average .h5 -> .h5, digests computed" -- env SWA_DIGEST_CACHE=0 "$bin/swa-average" $h5 -o "$work/out.h5"
  measure "N=$n swa-average .h5 -> .h5, digests cached" -- "$bin/swa-average" $h5 -o "$work/out.h5"
  measure "N=$n swa-average .h5 -> .pt, digests computed" -- env SWA_DIGEST_CACHE=0 "$bin/swa-average" $h5 -o "$work/out.pt"
  measure "N=$n swa-average .h5 -> .pt, digests cached" -- "$bin/swa-average" $h5 -o "$work/out.pt"
  measure "N=$n swa-average .pt -> .pt, digests computed" -- env SWA_DIGEST_CACHE=0 "$bin/swa-average" $pt -o "$work/out.pt"
  measure "N=$n swa-average .pt -> .pt, digests cached" -- "$bin/swa-average" $pt -o "$work/out.pt"
  measure "N=$n swa-average .pt -> .h5, digests cached" -- "$bin/swa-average" $pt -o "$work/out.h5"
  measure "N=$n swa-average .h5 -> .safetensors, digests cached" -- "$bin/swa-average" $h5 -o "$work/out.safetensors"
  measure "N=$n Python (a) torch.load + AveragedModel" -- /usr/bin/python3 bench/py_average_torch.py "$work/py.pt" $pt
  measure "N=$n Python (b) h5py + numpy" -- /usr/bin/python3 bench/py_average_h5py.py "$work/py.h5" $h5
done
