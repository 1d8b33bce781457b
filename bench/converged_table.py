#!/usr/bin/python3
"""The converged recipe's table for bench/README.md from bench/converged_run.sh's summary.json
files: per seed and mean +- std (sample standard deviation), test top-1 % and NLL.
  converged_table.py RUN_DIR/summary.json ...
"""
import json
import statistics
import sys

ROWS = [("last SGD snapshot (epoch 25)", lambda s: s["last_sgd"]),
        ("best snapshot (on validation)", lambda s: s["best_snapshot"]),
        ("SWA, BatchNorm averaged", lambda s: s["swa_bn_averaged"]),
        ("SWA, BatchNorm recomputed", lambda s: s["swa_bn_recomputed"]),
        ("greedy soup (swa-report)", lambda s: s["greedy_soup"]),
        ("prediction ensemble of the 8", lambda s: s["ensemble"]),
        ("Python loop: SGD (epoch 25)", lambda s: s["python"]["last_sgd"]),
        ("Python loop: SWA, BatchNorm averaged", lambda s: s["python"]["swa_bn_averaged"]),
        ("Python loop: SWA, update_bn", lambda s: s["python"]["swa_bn_recomputed"])]


def spread(values, digits):
    if not values:
        return "–"
    if len(values) < 2:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


summaries = [json.load(open(p)) for p in sys.argv[1:]]
seeds = " | ".join(f"seed {s['seed']}" for s in summaries)
print(f"| test top-1 % / NLL | {seeds} | mean ± std top-1 | mean ± std NLL |")
print("|---|" + "---|" * (len(summaries) + 2))
for label, pick in ROWS:
    values = [pick(s) if "python" in s or not label.startswith("Python") else None for s in summaries]
    cells = " | ".join(f"{v['top1']:.2f} / {v['nll']:.4f}" if v else "–" for v in values)
    top1 = [v["top1"] for v in values if v]
    nll = [v["nll"] for v in values if v]
    print(f"| {label} | {cells} | {spread(top1, 2)} | {spread(nll, 4)} |")
print()
for s in summaries:
    r = s["recommendation"]
    print(f"- seed {s['seed']}: swa-report recommends {r['name']} ({r['members']} snapshots), "
          f"validation {r['validation_top1']:.2f} % against the best single snapshot's "
          f"{r['best_single_validation_top1']:.2f} %")
