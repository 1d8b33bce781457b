#!/usr/bin/env bash
# The environment's faults, as the tools meet them unattended: a full disk (a file-size limit
# always; a small tmpfs where this machine lets us mount one), a read-only output folder, SIGINT and
# SIGTERM in the middle of swa-average, swa-bn and swa-report, and several swa-average runs sharing
# one digest cache. Each ends with a clear error (or the signal's exit code), the file named, and
# nothing half-written or temporary left.
source "$(dirname "$0")/cli_harness.sh"

no_temporaries() {  # no_temporaries DIR NAME: nothing named .*.tmp-* anywhere under DIR
  if find "$1" -name '.*.tmp-*' | grep -q .; then
    echo "FAIL: $2: temporary files left:"; find "$1" -name '.*.tmp-*'; failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}

"$bin/swa-make-samples" --arch resnet18 --count 2 --out "$work/r18" --threads 1 >/dev/null 2>&1
"$bin/swa-make-samples" --arch resnet50 --count 3 --out "$work/r50" --threads 1 >/dev/null 2>&1

# A full disk, as a file-size limit (RLIMIT_FSIZE, 8 MB; each output is about 45 MB): the write
# fails part-way, after the space check, so every writer's failure path runs.
mkdir "$work/limited"
for format in h5 pt safetensors; do
  check "file-size limit while writing .$format" 1 "$work/limited/out.$format: " -- \
    bash -c "ulimit -f 8000; exec \"$bin/swa-average\" \"$work/r18\" -o \"$work/limited/out.$format\""
  check "file-size limit while writing .$format: the reason" 1 "File too large" -- \
    bash -c "ulimit -f 8000; exec \"$bin/swa-average\" \"$work/r18\" -o \"$work/limited/out.$format\""
done
[ -z "$(ls -A "$work/limited")" ]; expect "a write cut short by the size limit leaves nothing" $?

# A full disk, as a full file system: an 8 MB tmpfs (needs root and a mount the container allows).
small="$work/small"
mkdir "$small"
if mount -t tmpfs -o size=8m tmpfs "$small" 2>/dev/null; then
  trap 'umount "$small" 2>/dev/null; rm -rf "$work"' EXIT
  for format in h5 pt safetensors; do
    check "a full disk while writing .$format" 1 "$small/out.$format: No space left on device" -- \
      "$bin/swa-average" "$work/r18" -o "$small/out.$format"
  done
  head -c 5000000 /dev/zero >"$small/filler"  # room for the space check to pass on a tiny model
  "$bin/swa-make-samples" --arch resnet18-cifar-w8 --count 2 --out "$work/w8" --threads 1 >/dev/null 2>&1
  check "a tiny model fits" 0 "-> $small/w8.h5" -- "$bin/swa-average" "$work/w8" -o "$small/w8.h5"
  rm -f "$small/filler" "$small/w8.h5"
  [ -z "$(ls -A "$small")" ]; expect "a full disk leaves nothing behind" $?
  mount -o remount,ro "$small"
  check "a read-only output folder" 1 "-o $small/out.h5: the folder '$small' is not writable" -- \
    "$bin/swa-average" "$work/r18" -o "$small/out.h5"
  umount "$small"
elif [ "$(id -u)" -ne 0 ]; then
  chmod 555 "$small"
  check "a read-only output folder" 1 "-o $small/out.h5: the folder '$small' is not writable" -- \
    "$bin/swa-average" "$work/r18" -o "$small/out.h5"
  chmod 755 "$small"
  echo "note: no tmpfs mount here (not root): the full file system case was not run"
else
  echo "note: this container refuses mounts: the full file system and read-only cases were not run"
fi

# Signals (stop_when: cli_harness.sh).
temp_in() { compgen -G "$1/.*.tmp-*" >/dev/null; }

mkdir "$work/sig"
for sig in INT TERM; do
  want=$([ "$sig" = INT ] && echo 130 || echo 143)
  code=$(stop_when "$sig" 'temp_in "$work/sig"' "$work/signal.out" -- "$bin/swa-average" "$work/r50" -o "$work/sig/avg.h5" --threads 1)
  [ "$code" -eq "$want" ] && [ ! -e "$work/sig/avg.h5" ]
  expect "SIG$sig while swa-average writes: exit $want (got $code), no output" $?
  no_temporaries "$work/sig" "SIG$sig while swa-average writes"
done

make_cifar "$work/cifar"
"$bin/swa-make-samples" --arch resnet18-cifar-w8 --count 3 --out "$work/run" --threads 1 >/dev/null 2>&1
# Each signal lands at a state the test sees (a progress line, a step of the report), not after a
# sleep: the same on a fast machine and a slow one.
code=$(stop_when INT 'grep -q "^batchnorm: 25%" "$work/signal.out"' "$work/signal.out" -- "$bin/swa-bn" "$work/run/cycle-0001.h5" --data "$work/cifar" \
  --val-size 500 -o "$work/sig/bn.h5" --threads 1)
[ "$code" -eq 130 ] && [ ! -e "$work/sig/bn.h5" ]; expect "SIGINT during swa-bn: exit 130 (got $code), no output" $?
code=$(stop_when TERM 'temp_in "$work/sig"' "$work/signal.out" -- "$bin/swa-bn" "$work/run/cycle-0001.h5" --data "$work/cifar" \
  --val-size 500 -o "$work/sig/bn.h5" --threads 1)
# The rename is the last thing swa-bn does: a signal that lands after it ends the process with 143
# and a whole file, one that lands before it with 143 and none.
if [ -e "$work/sig/bn.h5" ]; then
  { [ "$code" -eq 0 ] || [ "$code" -eq 143 ]; } && "$bin/swa-inspect" --verify -q "$work/sig/bn.h5"
else
  [ "$code" -eq 143 ]
fi
expect "SIGTERM as swa-bn writes: a whole file or none (exit $code)" $?
no_temporaries "$work/sig" "signals during swa-bn"
code=$(stop_when INT 'grep -q "^swa-report \[.*\] leave-one-out" "$work/signal.out"' "$work/signal.out" -- "$bin/swa-report" "$work/run" --data "$work/cifar" --val-size 500 \
  --bn-samples 1000 --no-test --threads 1 -o "$work/sig/report")
[ "$code" -eq 130 ] && [ ! -e "$work/sig/report/report.json" ]
expect "SIGINT during swa-report: exit 130 (got $code), no report" $?
code=$(stop_when TERM 'temp_in "$work/sig/report"' "$work/signal.out" -- "$bin/swa-report" "$work/run" --data "$work/cifar" \
  --val-size 500 --bn-samples 1000 --no-test --threads 1 -o "$work/sig/report")
files=$(ls "$work/sig/report" 2>/dev/null | wc -l)
# The files are renamed into place as one group that the signal waits for: none of them, or all
# (the signal may still land after the group, as the process ends: exit 143 with every file).
[ "$files" -eq 0 ] || { [ -e "$work/sig/report/report.json" ] && [ -e "$work/sig/report/report.md" ]; }
expect "SIGTERM as swa-report writes: every file or none (exit $code, $files files)" $?
no_temporaries "$work/sig" "signals during swa-report"

# A signal ignored by the parent (nohup's SIGHUP) stays ignored: the run completes.
check "an inherited SIG_IGN is kept" 0 "-> $work/sig/nohup.h5" -- \
  bash -c "trap '' HUP; \"$bin/swa-average\" \"$work/r18\" -o \"$work/sig/nohup.h5\" & pid=\$!; sleep 0.05; kill -HUP \$pid; wait \$pid"

# Four swa-average runs at once on the same inputs, one digest cache: all succeed with the same
# bytes, and every cache entry is whole and right.
export SWA_CACHE_DIR="$work/shared-cache" SOURCE_DATE_EPOCH=1700000000
pids=()
for i in 1 2 3 4; do
  "$bin/swa-average" "$work/r50" -o "$work/parallel-$i.safetensors" --threads 1 >/dev/null 2>&1 &
  pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" || ok=1; done
expect "four runs sharing a digest cache all succeed" $ok
[ "$(sha256sum "$work"/parallel-*.safetensors | awk '{print $1}' | sort -u | wc -l)" -eq 1 ]
expect "and write identical files" $?
bad=0
for entry in "$SWA_CACHE_DIR"/sha256/*; do
  read -r size mtime ctime digest extra <"$entry"
  [ -z "$extra" ] && [ "$(wc -l <"$entry")" -eq 1 ] || bad=1
  sha256sum "$work"/r50/*.h5 | grep -q "^$digest " || bad=1
done
[ "$(ls "$SWA_CACHE_DIR/sha256" | wc -l)" -eq 3 ] && [ "$bad" -eq 0 ]
expect "the shared cache holds one whole, correct line per input" $?
no_temporaries "$SWA_CACHE_DIR" "the shared digest cache"
finish
