#!/usr/bin/env bash
# swa-report as a user and a CI job run it: on a tiny trained run plus a deliberately broken
# snapshot, on identical snapshots, in batch mode with the --fail-if-worse gate, and on bad input.
source "$(dirname "$0")/cli_harness.sh"
golden="$(dirname "$0")/../golden"
py=/usr/bin/python3

make_cifar "$work/cifar" learnable
"$bin/swa-train" --data "$work/cifar" --out "$work/run" --arch resnet18-cifar-w4 --epochs 5 --swa-start 1 \
  --cycle-epochs 1 --train-samples 2048 --val-size 500 --batch-size 64 --lr 0.05 --threads 1 >/dev/null 2>&1
expect "a tiny run to report on" $?
# The broken snapshot: the last one with its classifier negated (confidently wrong), one epoch later.
mkdir -p "$work/broken"
cp "$work/run/snapshots/"*.h5 "$work/broken/"
cp "$work/run/snapshots/cycle-0004.h5" "$work/broken/cycle-0005.h5"
$py - "$work/broken/cycle-0005.h5" <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
f["tensors"]["fc.weight"][...] = -3 * f["tensors"]["fc.weight"][...]
f.attrs["epoch"], f.attrs["cycle"] = 6, 5
PY
report=("$bin/swa-report" --data "$work/cifar" --val-size 500 --bn-samples 1000 --threads 2)

check "report on a run with a broken snapshot" 0 "report in $work/rep/report.md" -- "${report[@]}" "$work/broken" -o "$work/rep"
for f in report.md report.json accuracy.svg leave-one-out.svg disagreement.svg spectrum.svg; do
  [ -s "$work/rep/$f" ]; expect "the report folder has $f" $?
done
$py - "$work/rep" <<'PY'
import json, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
r = json.load(open(f"{d}/report.json"))
names = [s["name"] for s in r["snapshots"]]
assert names == [f"cycle-000{i}.h5" for i in range(1, 6)], names
harmful = [e["dropped"] for e in r["leave_one_out"] if e["harmful"]]
assert harmful == ["cycle-0005.h5"], f"leave-one-out flags {harmful}"
assert "cycle-0005.h5" not in r["greedy_soup"]["members"], r["greedy_soup"]
assert "cycle-0005.h5" not in r["recommendation"]["members"], r["recommendation"]
assert r["snapshots"][4]["validation"]["top1"] < 20, "the broken snapshot scores low on its own"
assert r["swa_vs_best_single"]["shortfall_points"] > 5, "the broken snapshot drags the uniform average down"
rec = r["recommendation"]
assert rec["command"].startswith("swa-average " if len(rec["members"]) > 1 else "cp "), rec
assert r["best_single"]["test"]["images"] == 10000 and r["uniform_average"]["test"]["top1"] >= 0
assert r["data"]["bn_samples"] == 1000 and r["data"]["validation_images"] == 500
assert abs(sum(e["importance"] for e in r["output_covariance"]["importance"]) - 1) < 1e-9
# BatchNorm is re-estimated once per averaged subset, never again for its test pass.
subsets = {frozenset(names)} | {frozenset(n for n in names if n != e["dropped"]) for e in r["leave_one_out"]}
soup = []
for step in r["greedy_soup"]["steps"]:
    trial = frozenset(soup + [step["candidate"]])
    subsets.add(trial)
    if step["kept"]:
        soup.append(step["candidate"])
subsets.add(frozenset(r["output_covariance"]["top_subset"]["members"]))
# Tail averages: the last k for k = 2 .. N-1, each re-estimated; the averaged-BatchNorm SWA is not.
tails = r["tail_averages"]
assert [t["last"] for t in tails] == list(range(2, len(names))), tails
assert all(t["members"] == names[-t["last"]:] and t["bn_recomputed"] for t in tails), tails
subsets |= {frozenset(t["members"]) for t in tails}
assert not r["uniform_average_bn_averaged"]["bn_recomputed"]
assert r["uniform_average_bn_averaged"]["test"]["images"] == 10000
averaged = [s for s in subsets if len(s) > 1]
assert r["compute"]["stages"]["batchnorm re-estimation"]["passes"] == len(averaged), (r["compute"], len(averaged))
assert r["compute"]["total_seconds"] > 0
for svg in ("accuracy", "leave-one-out", "disagreement", "spectrum"):
    ET.parse(f"{d}/{svg}.svg")  # well-formed
md = open(f"{d}/report.md").read()
for text in ("## Recommendation", "**hurts the average**", "](accuracy.svg)", "## Compute",
             "validation points below the best single snapshot", "BatchNorm averaged", "| last k |"):
    assert text in md, text
PY
expect "leave-one-out flags the broken snapshot, the soup and the recommendation leave it out" $?

# The recommended command writes the model the report scored: the same average, the same
# BatchNorm images (seeded subset, seeded augmentation), so the same test top-1.
mkdir -p "$work/cmd"
(abs_bin=$(cd "$bin" && pwd); cd "$work/cmd" && PATH="$abs_bin:$PATH" bash -c "$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["recommendation"]["command"])' "$work/rep/report.json")") >"$work/cmd/log.txt" 2>&1 || { cat "$work/cmd/log.txt"; false; }
expect "the recommended command runs" $?
scored=$(ls "$work/cmd"/swa-bn.h5 "$work/cmd"/best.h5 2>/dev/null | head -n 1)
"$bin/swa-eval" "$scored" --data "$work/cifar" --val-size 500 --json "$work/cmd/eval.json" >/dev/null 2>&1
$py - "$work/rep/report.json" "$work/cmd/eval.json" <<'PY'
import json, math, sys
rec = json.load(open(sys.argv[1]))["recommendation"]
ours = json.load(open(sys.argv[2]))["metrics"]
assert len(rec["members"]) > 1, f"this run should recommend an average: {rec['name']}"
assert ours["top1"] == rec["test"]["top1"], (ours["top1"], rec["test"]["top1"])
assert math.isclose(ours["nll"], rec["test"]["nll"], rel_tol=1e-5), (ours["nll"], rec["test"]["nll"])
PY
expect "swa-eval of the command's output reproduces the report's test top-1 exactly and its NLL" $?
$py "$golden/report_schema.py" "$work/rep/report.json" | diff -u "$golden/report_schema.txt" - >"$work/schema.diff"
expect "report.json keeps its schema (tests/golden/report_schema.txt)" $?
[ -s "$work/schema.diff" ] && cat "$work/schema.diff"

# Snapshots as Python saves them (bare state dicts, DDP's module. prefix): no metadata, and swa-report
# has no --arch: the architecture comes from the tensors.
mkdir -p "$work/bare"
$py - "$work/run/snapshots" "$work/bare" <<'PY'
import glob, os, sys
import h5py, numpy as np, torch
for i, path in enumerate(sorted(glob.glob(os.path.join(sys.argv[1], "*.h5")))[:2]):
    with h5py.File(path) as f:
        sd = {"module." + k: torch.from_numpy(np.array(f["tensors"][k][...])) for k in f["tensors"]}
    torch.save({"state_dict": sd}, os.path.join(sys.argv[2], f"epoch-{i}.pt"))
PY
check "report on bare .pt snapshots" 0 "report in" -- "${report[@]}" "$work/bare" -o "$work/bare-rep" --no-test
grep -q '"arch": "resnet18-cifar-w4"' "$work/bare-rep/report.json"; expect "the report names the architecture the tensors fit" $?
# --key reaches the report's readers (the folder's listing included): EMA weights alone.
mkdir -p "$work/ema"
$py - "$work/bare" "$work/ema" <<'PY'
import glob, os, sys, torch
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.pt"))):
    torch.save({"ema": torch.load(path)["state_dict"]}, os.path.join(sys.argv[2], os.path.basename(path)))
PY
check "report --key ema on checkpoints that hold only EMA weights" 0 "report in" -- \
  "${report[@]}" "$work/ema" --key ema -o "$work/ema-rep" --no-test
check "without --key they are refused, naming --key" 1 "--key" -- \
  "${report[@]}" "$work/ema" -o "$work/x-ema" --no-test

# Three copies of one snapshot: nothing to tell them apart.
mkdir -p "$work/same"
for i in 1 2 3; do cp "$work/run/snapshots/cycle-0004.h5" "$work/same/copy-$i.h5"; done
check "report on identical snapshots" 0 "report in" -- "${report[@]}" "$work/same" -o "$work/same-rep" --no-test
$py - "$work/same-rep/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert all(v == 0 for row in r["pairwise"]["disagreement"] for v in row)
assert all(v == 0 for row in r["pairwise"]["weight_distance"] for v in row)
assert all(e["delta_top1"] == 0 and abs(e["delta_nll"]) < 1e-6 and not e["harmful"] for e in r["leave_one_out"])
assert r["best_single"]["test"] is None, "--no-test evaluates no test images"
PY
expect "identical snapshots: zero disagreement, zero distance, zero leave-one-out change" $?

# CI batch mode: two run folders, a summary, the gate and JSON on stdout.
check "batch within the gate" 0 "summary in" -- "${report[@]}" "$work/run" "$work/same" -o "$work/batch" --fail-if-worse 50 --no-test
for f in summary.md summary.json run/report.md same/report.md; do
  [ -s "$work/batch/$f" ]; expect "batch output has $f" $?
done
check "the gate fails on the broken run" 3 "GATE FAILED: $work/broken" -- "${report[@]}" "$work/same" "$work/broken" -o "$work/gate" --fail-if-worse 1 --no-test
"${report[@]}" "$work/same" "$work/broken" -o "$work/gate2" --fail-if-worse 1 --no-test --json - 2>/dev/null >"$work/stdout.json"
[ $? -eq 3 ]; expect "--json - keeps the gate's exit code" $?
$py - "$work/stdout.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert [r["status"] for r in s["runs"]] == ["ok", "worse"], s["runs"]
assert s["failed_gate"] == [s["runs"][1]["source"]] and len(s["reports"]) == 2
PY
expect "--json - prints the summary with every report, and nothing else, on stdout" $?

# The example CI job (samples/ci): one batch over a folder of runs, the summary published.
mkdir -p "$work/runs"
cp -r "$work/same" "$work/runs/a"
cp -r "$work/broken" "$work/runs/b"
check "samples/ci/report-runs.sh reports every run and fails the gate" 3 "report-runs: exit 3" -- \
  env SWA_BIN="$bin" SWA_DATA="$work/cifar" GITHUB_STEP_SUMMARY="$work/step-summary.md" \
  SWA_REPORT_FLAGS="--val-size 500 --bn-samples 1000 --no-test --threads 2 -q" \
  bash "$(dirname "$0")/../../samples/ci/report-runs.sh" "$work/runs" "$work/ci-reports" 1
grep -q "SWA reports: summary of 2 run folders" "$work/step-summary.md"; expect "the summary reaches the CI page" $?
[ -s "$work/ci-reports.json" ] && [ -s "$work/ci-reports/b/report.md" ]; expect "the CI job's reports and JSON" $?

# Bad input: named, exit 1, the other folders still reported, no half-written files.
mkdir -p "$work/corrupt"
cp "$work/run/snapshots/cycle-0001.h5" "$work/corrupt/"
head -c 5000 "$work/run/snapshots/cycle-0002.h5" >"$work/corrupt/cycle-0002.h5"
check "a corrupt snapshot in a batch" 1 "cycle-0002.h5" -- "${report[@]}" "$work/corrupt" "$work/same" -o "$work/bad" --no-test
[ -s "$work/bad/same/report.json" ] && [ ! -e "$work/bad/corrupt/report.json" ]; expect "the healthy folder is still reported" $?
grep -q '"status": "error"' "$work/bad/summary.json"; expect "the summary records the error" $?
check "no data" 1 "prepare.sh" -- "$bin/swa-report" "$work/run" --data "$work/none" -o "$work/x-nodata"
check "an empty folder" 1 "holds no snapshot files" -- "${report[@]}" "$work/bad/same" -o "$work/x-empty"
check "a bad --cpis-top" 105 "--cpis-top: must be between 1 and 100, got 0" -- "${report[@]}" "$work/run" --cpis-top 0
[ ! -e "$work/x-nodata" ] && [ ! -e "$work/x-empty/report.json" ]; expect "failed reports wrote nothing" $?
if find "$work" -name '.*tmp-*' | grep -q .; then echo "FAIL: temporaries left behind"; failures=$((failures + 1)); fi
finish
