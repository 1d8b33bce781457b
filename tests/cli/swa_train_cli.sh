#!/usr/bin/env bash
# swa-train as a user runs it: snapshots and metadata, bad flags refused before any work, and a
# run killed with SIGKILL that resumes to the same final weights as an uninterrupted one.
source "$(dirname "$0")/cli_harness.sh"

make_cifar "$work/cifar"
train=("$bin/swa-train" --data "$work/cifar" --arch resnet18-cifar-w4 --epochs 4 --swa-start 2
       --cycle-epochs 1 --train-samples 2048 --val-size 500 --batch-size 128 --lr 0.05 --threads 1)

check "help shows the reference recipe" 0 "--swa-start 6" -- "$bin/swa-train" --help
check "print-schedule" 0 "cycle-ends" -- "$bin/swa-train" --print-schedule --epochs 12 --swa-start 6 --warmup-epochs 1
check "a full run" 0 "2 snapshots" -- "${train[@]}" --out "$work/a"
for f in snapshots/cycle-0001.h5 snapshots/cycle-0002.h5 best.h5 last.h5 log.jsonl; do
  [ -f "$work/a/$f" ]; expect "run folder has $f" $?
done
[ "$(wc -l < "$work/a/log.jsonl")" -eq 4 ]; expect "one log line per epoch" $?
[ -f "$work/a/config.json" ]; expect "the run configuration is saved" $?
/usr/bin/python3 - "$work/a/snapshots/cycle-0002.h5" <<'PY'
import h5py, json, math, sys
f = h5py.File(sys.argv[1])
a = f.attrs
assert a["arch"] == "resnet18-cifar-w4" and a["epoch"] == 4 and a["cycle"] == 2, dict(a)
assert abs(a["lr"] - 0.0005) < 1e-12 and not math.isnan(a["val_acc"]) and not math.isnan(a["train_loss"])
assert json.loads(a["config"])["schedule"]["swa_start_epoch"] == 2
PY
expect "cycle-end snapshot metadata (epoch, cycle, lr at the low point, metrics, config)" $?

check "swa-start beyond epochs" 1 "--swa-start 4 is not before --epochs 4" -- "${train[@]}" --swa-start 4 --out "$work/x1"
check "a cycle longer than the SWA phase" 1 "longer than the SWA phase" -- "${train[@]}" --cycle-epochs 3 --out "$work/x2"
check "a non-positive rate" 1 "--lr must be positive" -- "${train[@]}" --lr 0 --out "$work/x3"
check "no data" 1 "prepare.sh" -- "$bin/swa-train" --data "$work/none" --out "$work/x4/deeper/run"
[ ! -e "$work/x1" ] && [ ! -e "$work/x2" ] && [ ! -e "$work/x3" ] && [ ! -e "$work/x4" ]
expect "a refused run leaves no folder behind (not even its lock)" $?
# A finished run's folder: a fresh run into it is refused and changes nothing; --overwrite starts
# again there, without the old run's snapshots.
before=$(cd "$work/a" && sha256sum config.json log.jsonl last.h5 snapshots/*.h5)
check "a fresh run into a finished run's folder is refused" 1 "already holds a training run (config.json, log.jsonl, last.h5, best.h5, 2 snapshots): continue it with swa-train --resume" -- \
  "${train[@]}" --out "$work/a"
[ "$(cd "$work/a" && sha256sum config.json log.jsonl last.h5 snapshots/*.h5)" = "$before" ]
expect "the refused run left the finished one as it was" $?
cp -r "$work/a" "$work/again"
check "--overwrite starts again in it" 0 "0 snapshots" -- "${train[@]}" --epochs 1 --swa-start -1 --train-samples 256 --overwrite --out "$work/again"
[ -z "$(ls "$work/again/snapshots")" ] && [ "$(wc -l < "$work/again/log.jsonl")" -eq 1 ]
expect "--overwrite removed the old run's snapshots and log" $?
check "--overwrite with --resume is refused" 108 "--resume excludes --overwrite" -- "$bin/swa-train" --resume "$work/a" --overwrite
check "a diverging run stops, naming the rule" 1 "chance level" -- "${train[@]}" --lr 30 --out "$work/x5"
[ -z "$(ls "$work/x5/snapshots" 2>/dev/null)" ]; expect "a diverging run writes no snapshot" $?
check "--amp bf16 trains under autocast on the CPU" 0 "snapshots" -- "${train[@]}" --epochs 3 --amp bf16 --out "$work/x7"
grep -q '"amp": "bf16"' "$work/x7/config.json"; expect "the run saves its precision" $?
check "--amp fp16 needs CUDA" 1 "--amp fp16 needs a CUDA device" -- "${train[@]}" --amp fp16 --device cpu --out "$work/x8"
check "an unknown --amp" 105 "int8" -- "${train[@]}" --amp int8 --out "$work/x9"
check "--init starts from a snapshot's weights" 0 "snapshots" -- "${train[@]}" --epochs 3 --init "$work/a/snapshots/cycle-0002.h5" --no-augment --out "$work/x6"

# Kill -9 a second run mid-way, resume it, and compare its final weights with the first run's.
"${train[@]}" --out "$work/b" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ -f "$work/b/last.h5" ] && break
  sleep 0.05
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
touch "$work/b/.last.h5.tmp-abc123"  # as a kill in the middle of writing last.h5 leaves
check "resume after kill -9" 0 "snapshots in" -- "$bin/swa-train" --resume "$work/b" --threads 1 --deterministic
/usr/bin/python3 - "$work/a" "$work/b" <<'PY'
import h5py, sys, numpy as np
a, b = (h5py.File(f"{d}/last.h5") for d in sys.argv[1:3])
keys = [k.decode() for k in a["meta"]["keys"][...]]
diff = [k for k in keys if not np.array_equal(a["tensors"][k][()], b["tensors"][k][()])]
assert not diff, f"{len(diff)} tensors differ, e.g. {diff[:3]}"
for name in ("cycle-0001.h5", "cycle-0002.h5"):
    x, y = h5py.File(f"{sys.argv[1]}/snapshots/{name}"), h5py.File(f"{sys.argv[2]}/snapshots/{name}")
    assert np.array_equal(x["tensors"]["fc.weight"][()], y["tensors"]["fc.weight"][()]), name
PY
expect "a resumed run ends with the same weights and snapshots as an uninterrupted one" $?
[ "$(wc -l < "$work/b/log.jsonl")" -eq 4 ]; expect "the resumed run's log has one line per epoch" $?
[ ! -e "$work/b/.last.h5.tmp-abc123" ]; expect "resume removes temporaries a kill left behind" $?
check "resume of a folder that is no run" 1 "not a swa-train run folder" -- "$bin/swa-train" --resume "$work/cifar"
# Killed before its first epoch ended: --resume starts over from config.json.
"${train[@]}" --out "$work/c" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ -f "$work/c/config.json" ] && break; sleep 0.02; done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
check "resume before any epoch ended" 0 "2 snapshots" -- "$bin/swa-train" --resume "$work/c" --threads 1
# Ctrl-C: the run stops between two steps, says how to continue, and --resume reaches the same
# weights as the uninterrupted run.
code=$(stop_when INT '[ -f "$work/d/last.h5" ]' "$work/d.out" -- "${train[@]}" --out "$work/d")
[ "$code" -eq 130 ] && grep -q "stopped by SIGINT in epoch .*swa-train --resume $work/d" "$work/d.out"
expect "SIGINT: exit 130 and how to resume (got $code: $(tail -1 "$work/d.out"))" $?
check "resume after SIGINT" 0 "snapshots in" -- "$bin/swa-train" --resume "$work/d" --threads 1
/usr/bin/python3 - "$work/a" "$work/d" <<'PY'
import h5py, sys, numpy as np
a, b = (h5py.File(f"{d}/last.h5") for d in sys.argv[1:3])
keys = [k.decode() for k in a["meta"]["keys"][...]]
diff = [k for k in keys if not np.array_equal(a["tensors"][k][()], b["tensors"][k][()])]
assert not diff, f"{len(diff)} tensors differ, e.g. {diff[:3]}"
PY
expect "a run stopped by SIGINT and resumed ends with the uninterrupted run's weights" $?

# One swa-train per run folder: a second one is refused with the first one's pid, and the lock
# goes with the process, however it ends.
"${train[@]}" --out "$work/e" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$work/e/.lock" ] && break; sleep 0.02; done
check "a second swa-train on a busy folder" 1 "is in use by another swa-train (pid $pid)" -- "${train[@]}" --out "$work/e"
check "a --resume of a busy folder" 1 "(pid $pid)" -- "$bin/swa-train" --resume "$work/e"
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
check "the lock is gone with a killed run" 0 "snapshots in" -- "$bin/swa-train" --resume "$work/e" --threads 1
nothing_left_behind
finish
