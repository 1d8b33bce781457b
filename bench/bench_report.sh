#!/usr/bin/env bash
# Benchmark for swa-report (issue: which snapshots help): N full-size ResNet-50 snapshots, real
# CIFAR-10, the default settings (5,000 validation images, --bn-samples 10000, test split for the
# final candidates). Target: 6 snapshots in under 8 minutes on this machine.
# Usage: bench/bench_report.sh [SNAPSHOT_OR_RUN_DIR] [CIFAR_DIR]
#   without a folder: 6 random-weight ResNet-50 snapshots from swa-make-samples (the passes cost
#   the same as for trained weights). Prints a table row; the report lands in $SWA_BENCH_DIR/report.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
work=${SWA_BENCH_DIR:-/tmp/swa-bench-report}
mkdir -p "$work"
snapshots=${1:-}
data=${2:-$(bash scripts/get-cifar10.sh)}
if [ -z "$snapshots" ]; then
  snapshots=$work/samples
  [ -f "$snapshots/cycle-0006.h5" ] || "$bin/swa-make-samples" --arch resnet50 --count 6 --out "$snapshots" 2>/dev/null
fi
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d); snapshots: $snapshots"
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin/swa-report" "$snapshots" --data "$data" -o "$work/report" \
  2> "$work/stderr.txt" || { tail -20 "$work/stderr.txt" >&2; exit 1; }
read -r wall rss_kb < "$work/time.txt"
/usr/bin/python3 - "$work/report/report.json" "$wall" "$rss_kb" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); wall = float(sys.argv[2]); rss = int(sys.argv[3]) / 1024
st = r["compute"]["stages"]
def s(name): return st.get(name, {}).get("seconds", 0.0)
def p(name): return st.get(name, {}).get("passes", 0)
print("| snapshots | wall s | BN passes (s) | val passes (s) | test passes (s) | peak RSS MB | SWA val % | recommended |")
print("|---|---|---|---|---|---|---|---|")
print(f"| {len(r['snapshots'])} | {wall:.0f} | {p('batchnorm re-estimation')} ({s('batchnorm re-estimation'):.0f}) | "
      f"{p('validation forward')} ({s('validation forward'):.0f}) | {p('test forward')} ({s('test forward'):.0f}) | "
      f"{rss:.0f} | {r['uniform_average']['validation']['top1']:.2f} | {r['recommendation']['name']} "
      f"({len(r['recommendation']['members'])}) |")
PY
