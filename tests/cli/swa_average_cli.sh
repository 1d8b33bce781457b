#!/usr/bin/env bash
# swa-average as a user runs it: exit codes, messages, and nothing half-written.
source "$(dirname "$0")/cli_harness.sh"

"${SWA_SAMPLES_BIN:-$bin}/swa-make-samples" --arch resnet18-cifar-w4 --count 4 --out "$work/run" --threads 1 2>/dev/null
"${SWA_SAMPLES_BIN:-$bin}/swa-make-samples" --arch resnet18-cifar-w8 --count 1 --out "$work/other" --threads 1 2>/dev/null

check "help lists examples" 0 "Examples:" -- "$bin/swa-average" --help
check "a folder averages to .pt" 0 "4 snapshots (uniform)" -- "$bin/swa-average" "$work/run" -o "$work/swa.pt"
check "bn warning" 0 "run swa-bn" -- "$bin/swa-average" "$work/run" -o "$work/swa.h5"
check "a quoted glob with --last" 0 "2 snapshots" -- "$bin/swa-average" "$work/run/*.h5" --last 2 -o "$work/last2.safetensors"
check "ema" 0 "ema:0.9" -- "$bin/swa-average" "$work/run" --ema 0.9 -o "$work/ema.h5"
check "softmax weighting" 0 "softmax:val_acc:0.5" -- "$bin/swa-average" "$work/run" --weighting softmax:val_acc:0.5 -o "$work/soft.h5"
check "soft threshold reports sparsity" 0 "sparsity" -- "$bin/swa-average" "$work/run" --soft-threshold 0.01 -o "$work/st.h5"
check "json on stdout" 0 '"bn_state": "averaged"' -- "$bin/swa-average" "$work/run" -o "$work/j.h5" --json -
check "layers + base" 0 "from base" -- "$bin/swa-average" "$work/run" --layers '^fc\.' --base "$work/run/cycle-0001.h5" -o "$work/fc.pt"

check "missing input" 1 "no such file" -- "$bin/swa-average" "$work/nope.h5" -o "$work/x.pt"
check "architecture mismatch" 1 "architecture" -- "$bin/swa-average" "$work/run/cycle-0001.h5" "$work/other/cycle-0001.h5" -o "$work/x.pt"
check "output is an input" 1 "is an input of this command" -- "$bin/swa-average" "$work/run" -o "$work/run/cycle-0002.h5"
check "missing output folder" 1 "does not exist" -- "$bin/swa-average" "$work/run" -o "$work/missing/x.pt"
check "unknown output extension" 1 "unknown snapshot extension" -- "$bin/swa-average" "$work/run" -o "$work/x.weights"
check "wrong weight count" 1 "3 weights for 4" -- "$bin/swa-average" "$work/run" --weights 1,2,3 -o "$work/x.pt"
check "conflicting weightings" 1 "exclude each other" -- "$bin/swa-average" "$work/run" --weights 1,2,3,4 --ema 0.5 -o "$work/x.pt"
check "bad regex" 1 "not a valid regex" -- "$bin/swa-average" "$work/run" --layers '(' -o "$work/x.pt"
check "usage error keeps CLI11's code" 106 "output is required" -- "$bin/swa-average" "$work/run"

# swa-average leaves LibTorch out (its start-up costs about a second), .pt files included: it
# reads and writes them itself, without any plugin or library of LibTorch's.
check "swa-average does not link LibTorch" 0 "" -- bash -c "! ldd '$bin/swa-average' | grep -q libtorch"
check ".pt in and out" 0 "2 snapshots" -- "$bin/swa-average" "$work/swa.pt" "$work/fc.pt" -o "$work/pt2.pt"
check ".pt in and out: no LibTorch library is ever mapped" 0 "" -- bash -c "
  SWA_DIGEST_CACHE=0 strace -f -e trace=openat '$bin/swa-average' '$work/swa.pt' '$work/fc.pt' -o '$work/pt3.pt' 2>&1 |
  grep -v ENOENT | grep -c 'libtorch\|libc10' | grep -qx 0"
check "the digest cache gives the same provenance" 0 "" -- bash -c "
  '$bin/swa-average' '$work/run' -o '$work/d1.h5' --json '$work/d1.json' 2>/dev/null &&
  '$bin/swa-average' '$work/run' -o '$work/d2.h5' --json '$work/d2.json' 2>/dev/null &&
  SWA_DIGEST_CACHE=0 '$bin/swa-average' '$work/run' -o '$work/d3.h5' --json '$work/d3.json' 2>/dev/null &&
  test -n \"\$(ls '$work/cache/sha256')\" &&
  for f in d1 d2 d3; do python3 -c 'import json,sys; print([i[\"sha256\"] for i in json.load(open(sys.argv[1]))[\"meta\"][\"provenance\"][\"inputs\"]])' '$work/'\$f.json; done | uniq | wc -l | grep -qx 1"
mkdir -p "$work/alone"
cp "$bin/swa-average" "$work/alone/"
check "the binary alone reads and writes .pt" 0 "4 snapshots" -- "$work/alone/swa-average" "$work/run" -o "$work/alone.pt"

cp "$work/run/cycle-0001.h5" "$work/trunc.h5"
truncate -s 20000 "$work/trunc.h5"
check "truncated input" 1 "trunc.h5" -- "$bin/swa-average" "$work/run/cycle-0002.h5" "$work/trunc.h5" -o "$work/x.pt"

nothing_left_behind
finish
