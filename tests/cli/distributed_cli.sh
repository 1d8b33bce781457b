#!/usr/bin/env bash
# Several processes on one machine (Gloo over loopback), as torchrun or swa-launch start them:
# every tool's results equal the single-process ones, only rank 0 writes, and a rank that dies
# or never arrives makes the others exit non-zero within the timeout instead of hanging.
source "$(dirname "$0")/cli_harness.sh"
compare="/usr/bin/python3 $(dirname "$0")/compare_states.py"

"$bin/swa-make-samples" --arch resnet18-cifar-w4 --count 3 --out "$work/run" --threads 1 2>/dev/null
"$bin/swa-average" "$work/run" -o "$work/swa.h5" 2>/dev/null
make_cifar "$work/cifar"
launch=("$bin/swa-launch" --no-announce)

check "swa-launch help" 0 "LOCAL_WORLD_SIZE" -- "$bin/swa-launch" --help
check "every tool takes --dist-timeout" 0 "--dist-timeout" -- "$bin/swa-bn" --help

# swa-bn: per-rank statistics combined by batch count equal update_bn's single pass (7 batches of
# 300 images over 2 and 3 ranks; the augmentation draws as one process takes them).
bn=(swa-bn "$work/swa.h5" --data "$work/cifar" --samples 2100 --batch-size 300 --augment --threads 1)
"$bin/${bn[0]}" "${bn[@]:1}" -o "$work/bn1.pt" -q
check "swa-bn on 2 ranks" 0 "" -- "${launch[@]}" --nproc 2 "${bn[@]}" -o "$work/bn2.pt" -q
check "swa-bn on 2 ranks equals one process" 0 "worst" -- $compare "$work/bn1.pt" "$work/bn2.pt" 1e-5
check "swa-bn on 3 ranks" 0 "" -- "${launch[@]}" --nproc 3 "${bn[@]}" -o "$work/bn3.pt" -q
check "swa-bn on 3 ranks equals one process" 0 "worst" -- $compare "$work/bn1.pt" "$work/bn3.pt" 1e-5

# swa-eval: every metric equal (each image meets the batch it meets in one process).
ev=(swa-eval "$work/bn1.pt" --data "$work/cifar" --threads 1 --batch-size 300)
"$bin/${ev[0]}" "${ev[@]:1}" --json "$work/e1.json" -q
check "swa-eval on 2 ranks" 0 "" -- "${launch[@]}" --nproc 2 "${ev[@]}" --json "$work/e2.json" -q
check "swa-eval on 3 ranks prints one table" 0 "top-1" -- "${launch[@]}" --nproc 3 "${ev[@]}" --json "$work/e3.json"
/usr/bin/python3 - "$work"/e{1,2,3}.json <<'PY'
import json, sys
one, *others = [json.load(open(p)) for p in sys.argv[1:]]
for other in others:
    assert other["metrics"] == one["metrics"], "metrics differ"
PY
expect "swa-eval on 2 and 3 ranks: metrics equal to one process's" $?
# A backend named with one rank: a group of one, its collectives through Gloo, the same metrics.
check "swa-eval --dist-backend gloo on one rank: a group of one" 0 "" -- "${launch[@]}" --nproc 1 \
  "${ev[@]}" --dist-backend gloo --json "$work/e1g.json" -q
/usr/bin/python3 -c "import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); sys.exit(a['metrics']!=b['metrics'])" "$work/e1.json" "$work/e1g.json"
expect "swa-eval in a group of one: metrics equal to one process's" $?
check "swa-bn --dist-backend gloo on one rank" 0 "" -- "${launch[@]}" --nproc 1 "${bn[@]}" \
  --dist-backend gloo -o "$work/bn1g.pt" -q
check "swa-bn in a group of one equals one process" 0 "worst" -- $compare "$work/bn1.pt" "$work/bn1g.pt" 1e-6
check "--dist-backend nccl in a CPU build says it has none" 1 "this build has no NCCL" -- \
  "${launch[@]}" --nproc 1 "${ev[@]}" --dist-backend nccl -q
out=$("${launch[@]}" --nproc 2 "${ev[@]}" 2>&1)
[ "$(grep -c 'top-1' <<<"$out")" -eq 1 ]; expect "only rank 0 prints" $?
# torchrun itself, where it works (Debian bookworm's, torch 1.13 on Python 3.11, fails in its own
# argument handling before starting anything: Std.from_str("0") is None there).
if [ -x /usr/bin/torchrun ] && /usr/bin/torchrun --no_python --nproc_per_node 1 true >/dev/null 2>&1; then
  check "torchrun --no-python runs the same binary" 0 "" -- env PATH="$bin:$PATH" \
    /usr/bin/torchrun --no_python --nproc_per_node 2 --master_port $(free_port) swa-eval "$work/bn1.pt" --data "$work/cifar" \
    --threads 1 --batch-size 300 --json "$work/e4.json" -q
  /usr/bin/python3 -c "import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); sys.exit(a['metrics']!=b['metrics'])" "$work/e1.json" "$work/e4.json"
  expect "swa-eval under torchrun: metrics equal to one process's" $?
else
  echo "skipped: torchrun does not start here"
fi

# swa-report: every pass shared out, one report written, the same numbers.
rep=(swa-report "$work/run" --data "$work/cifar" --bn-samples 1000 --threads 1 --no-test -q)
"$bin/${rep[0]}" "${rep[@]:1}" -o "$work/rep1"
check "swa-report on 2 ranks" 0 "" -- "${launch[@]}" --nproc 2 "${rep[@]}" -o "$work/rep2"
/usr/bin/python3 - "$work/rep1/report.json" "$work/rep2/report.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
def numbers(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            if "second" not in k and k not in ("created_utc", "source", "commands", "ledger"):
                yield from numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(x, float):
        yield path, x
na, nb = dict(numbers(a)), dict(numbers(b))
assert na.keys() == nb.keys(), set(na) ^ set(nb)
assert len(na) > 50, f"only {len(na)} numbers compared"
bad = [(k, na[k], nb[k]) for k in na if abs(na[k] - nb[k]) > 1e-4 * max(1.0, abs(na[k]))]
assert not bad, bad[:5]
assert a["recommendation"] == b["recommendation"]
PY
expect "swa-report on 2 ranks: the same report as one process" $?

# swa-train: the global batch split over ranks. With --sync-bn two steps equal one process's
# (weights, BatchNorm statistics and momentum), as close as a change of thread count comes; without
# it each rank's BatchNorm sees its part of the batch only, which the check sees. Un-augmented
# images: augmentation's zero padding makes many activations exactly equal, so float rounding in
# the statistics can flip a ReLU for all of them at once (seed-dependent, as with a change of thread
# count); later steps amplify rounding the same way.
make_cifar "$work/noise"
train=(swa-train --data "$work/noise" --arch resnet18-cifar-w4 --swa-start -1 --no-augment
       --batch-size 48 --val-size 500 --lr 0.02 --threads 1 -q)
"$bin/${train[0]}" "${train[@]:1}" --train-samples 96 --epochs 1 --out "$work/t1"
check "swa-train on 3 ranks with --sync-bn" 0 "" -- "${launch[@]}" --nproc 3 "${train[@]}" --train-samples 96 --epochs 1 --sync-bn --out "$work/t2"
check "3 ranks with --sync-bn equal one process after two steps" 0 "worst" -- \
  $compare "$work/t1/last.h5" "$work/t2/last.h5" 1e-4
[ "$(wc -l < "$work/t2/log.jsonl")" -eq 1 ] && grep -q '"ranks":3' "$work/t2/log.jsonl"
expect "rank 0 alone writes the log, with the ranks and the gradient-sum wait" $?
"$bin/${train[0]}" "${train[@]:1}" --train-samples 48 --epochs 2 --out "$work/t3"
"${launch[@]}" --nproc 2 "${train[@]}" --train-samples 48 --epochs 2 --out "$work/t4"
check "2 ranks without --sync-bn differ (per-rank BatchNorm)" 0 "worst" -- \
  $compare "$work/t3/last.h5" "$work/t4/last.h5" ">1e-3"
"${launch[@]}" --nproc 2 "${train[@]}" --train-samples 48 --epochs 1 --sync-bn --out "$work/t5"
check "a 2-rank run resumed on one rank" 0 "" -- "$bin/swa-train" --resume "$work/t5" --epochs 2 --threads 1 -q
check "the resumed run equals the one-process run" 0 "worst" -- \
  $compare "$work/t3/last.h5" "$work/t5/last.h5" 1e-4
# SIGTERM to swa-launch: every rank gets it, all agree on the step to stop at (a collective), exit
# 143 and say how to resume; the resumed run finishes.
code=$(stop_when TERM '[ -f "$work/t6/last.h5" ]' "$work/t6.out" -- \
  "$bin/swa-launch" --nproc 2 "${train[@]:0:${#train[@]}-1}" --train-samples 960 --epochs 4 --out "$work/t6")
[ "$code" -eq 143 ] && grep -q "stopped by SIGTERM in epoch" "$work/t6.out"
expect "SIGTERM to swa-launch: the ranks stop together, exit 143 (got $code: $(tail -1 "$work/t6.out"))" $?
check "and the run resumes on one rank" 0 "" -- "$bin/swa-train" --resume "$work/t6" --threads 1 -q
[ "$(wc -l < "$work/t6/log.jsonl")" -eq 4 ]; expect "the resumed run has a log line per epoch" $?
check "a batch smaller than the ranks is refused" 1 "at least one image per rank" -- \
  "${launch[@]}" --nproc 3 "${train[@]}" --train-samples 49 --epochs 1 --out "$work/x-train"

# Failures: no hang, exit 5 naming the rank, nothing written. No wall-clock bound: a rank that
# waited out its timeout instead of noticing would outlast this test's CTest timeout.
check "a rank that never arrives is named" 5 "rank 1 of 2 did not arrive" -- env RANK=0 WORLD_SIZE=2 \
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) "$bin/swa-eval" "$work/bn1.pt" \
  --data "$work/cifar" --threads 1 --dist-timeout 3
check "no rank 0: the rendezvous times out" 5 "no rendezvous at" -- env RANK=1 WORLD_SIZE=2 \
  MASTER_ADDR=127.0.0.1 MASTER_PORT=$(free_port) "$bin/swa-eval" "$work/bn1.pt" \
  --data "$work/cifar" --threads 1 --dist-timeout 3
# A rank killed mid-pass (once rank 0 has said the pass is a quarter done): the other stops at its
# next collective and names it (rank 0 serves the rendezvous, so its loss is known at once).
common=(swa-bn "$work/swa.h5" --data "$work/cifar" --batch-size 25 --threads 1 -o "$work/x-bn.pt"
        --dist-timeout 300)
for victim in 1 0; do
  port=$(free_port)
  env RANK=$victim WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$bin/${common[0]}" \
    "${common[@]:1}" >"$work/victim.out" 2>&1 &
  victim_pid=$!
  env RANK=$((1 - victim)) WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$bin/${common[0]}" \
    "${common[@]:1}" >"$work/survivor.out" 2>&1 &
  survivor_pid=$!
  rank0_out="$work/survivor.out"
  [ "$victim" -eq 0 ] && rank0_out="$work/victim.out"
  for _ in $(seq 6000); do
    grep -q "^batchnorm: 25%" "$rank0_out" && break
    kill -0 "$survivor_pid" 2>/dev/null || break
    sleep 0.005
  done
  kill -KILL "$victim_pid" 2>/dev/null
  wait "$victim_pid" 2>/dev/null
  wait "$survivor_pid"
  code=$?
  [ "$code" -eq 5 ] && grep -q "rank $victim stopped" "$work/survivor.out"
  expect "rank $victim killed mid-pass: the other exits 5 naming it (got $code: $(tail -1 "$work/survivor.out"))" $?
done
# Under swa-launch: the launcher names the rank and stops the others.
check "swa-launch: a killed rank is named, the job fails" 137 "rank 1 (pid" -- "$bin/swa-launch" --nproc 2 \
  bash -c 'if [ "$RANK" = 1 ]; then kill -9 $$; fi; exec "$0" "$@"' "$bin/swa-bn" "$work/swa.h5" \
  --data "$work/cifar" --threads 1 -o "$work/x-launch.pt" -q
check "the environment is checked" 1 "without the other" -- env RANK=0 "$bin/swa-eval" "$work/bn1.pt" --data "$work/cifar"

nothing_left_behind
finish
