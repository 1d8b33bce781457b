#!/usr/bin/python3
"""Learning-rate schedules equal PyTorch's schedulers step by step (Debian python3-torch).

tests/tools/print_schedule prints our rate per iteration; here the same settings run through
LinearLR, StepLR, CosineAnnealingLR, CyclicLR, CosineAnnealingWarmRestarts and SWALR, each
recorded before it steps, as a training loop sees the rate. Exit 77 without torch.
"""
import math
import os
import subprocess
import sys
import warnings

try:
    import torch
    from torch.optim import lr_scheduler as sched
    from torch.optim.swa_utils import SWALR
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

# The optimizer never steps here: only the rates are compared.
warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
TOOL = os.path.join(sys.argv[1], "print_schedule")
failures, passes = [], 0

DEFAULTS = dict(epochs=12, iterations_per_epoch=391, lr=0.1, warmup_epochs=0, schedule="constant",
                step_epochs=30, step_gamma=0.1, swa_start_epoch=-1, swa_schedule="cyclic",
                cycle_epochs=1, swa_lr_max=0.05, swa_lr_min=0.0005, restart_mult=1,
                cyclic_base_lr=0.001, cyclic_max_lr=0.1, cyclic_step_size_up=100, cyclic_gamma=1.0,
                swa_lr=0.05, anneal_epochs=10, anneal_strategy="cos")


def ours(cfg):
    out = subprocess.run([TOOL] + [f"{k}={v}" for k, v in cfg.items()], capture_output=True, text=True, check=True)
    rows = [line.split() for line in out.stdout.splitlines()]
    return [float(r[0]) for r in rows], [r[1] == "1" for r in rows]


def record(optimizer, scheduler, n, per=1):
    """Rates for n iterations, stepping the scheduler every `per` iterations."""
    lrs = []
    for i in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        if (i + 1) % per == 0:
            scheduler.step()
    return lrs


def sgd(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)


def pytorch(cfg):
    c = dict(DEFAULTS, **cfg)
    n_iter, epochs = c["iterations_per_epoch"], c["epochs"]
    warm = c["warmup_epochs"] * n_iter
    pre = (c["swa_start_epoch"] if c["swa_start_epoch"] >= 0 else epochs) * n_iter
    lrs = []
    if warm:
        o = sgd(c["lr"])
        lrs += record(o, sched.LinearLR(o, start_factor=1 / warm, end_factor=1.0, total_iters=warm - 1), warm)
    if c["schedule"] == "constant":
        lrs += [c["lr"]] * (pre - warm)
    elif c["schedule"] == "step":
        o = sgd(c["lr"])
        lrs += record(o, sched.StepLR(o, step_size=c["step_epochs"], gamma=c["step_gamma"]), pre, per=n_iter)[warm:]
    else:
        o = sgd(c["lr"])
        lrs += record(o, sched.CosineAnnealingLR(o, T_max=pre - warm), pre - warm)
    if c["swa_start_epoch"] < 0:
        return lrs
    swa_iters = epochs * n_iter - pre
    s = c["swa_schedule"]
    if s == "cyclic":  # the SWA paper's schedule (no PyTorch class): checked against its formula
        cycle = c["cycle_epochs"] * n_iter
        for i in range(swa_iters):
            t = ((i % cycle) + 1) / cycle
            lrs.append((1 - t) * c["swa_lr_max"] + t * c["swa_lr_min"])
    elif s in ("triangular", "triangular2", "exp_range"):
        o = sgd(c["cyclic_base_lr"])
        lrs += record(o, sched.CyclicLR(o, base_lr=c["cyclic_base_lr"], max_lr=c["cyclic_max_lr"],
                                        step_size_up=c["cyclic_step_size_up"], mode=s,
                                        gamma=c["cyclic_gamma"], cycle_momentum=False), swa_iters)
    elif s == "cosine-restarts":
        o = sgd(c["swa_lr_max"])
        lrs += record(o, sched.CosineAnnealingWarmRestarts(o, T_0=c["cycle_epochs"] * n_iter, T_mult=c["restart_mult"],
                                                           eta_min=c["swa_lr_min"]), swa_iters)
    else:
        o = sgd(lrs[-1] if lrs else c["lr"])
        lrs += record(o, SWALR(o, swa_lr=c["swa_lr"], anneal_epochs=c["anneal_epochs"],
                               anneal_strategy=c["anneal_strategy"]), swa_iters, per=n_iter)
    return lrs


CASES = {
    "reference recipe: warm-up, constant, 6 cyclic cycles": dict(
        epochs=12, iterations_per_epoch=50, warmup_epochs=1, swa_start_epoch=6, swa_schedule="cyclic",
        cycle_epochs=1, swa_lr_max=0.05, swa_lr_min=0.0005),
    "step schedule, no SWA": dict(epochs=10, iterations_per_epoch=7, warmup_epochs=1, schedule="step",
                                  step_epochs=3, step_gamma=0.5),
    "cosine then triangular": dict(epochs=8, iterations_per_epoch=9, warmup_epochs=2, schedule="cosine",
                                   swa_start_epoch=5, swa_schedule="triangular", cyclic_step_size_up=6),
    "triangular2": dict(epochs=10, iterations_per_epoch=10, swa_start_epoch=2, swa_schedule="triangular2",
                        cyclic_step_size_up=7),
    "exp_range": dict(epochs=10, iterations_per_epoch=10, swa_start_epoch=2, swa_schedule="exp_range",
                      cyclic_step_size_up=5, cyclic_gamma=0.99),
    "cosine restarts, T_mult 2": dict(epochs=10, iterations_per_epoch=5, swa_start_epoch=3,
                                      swa_schedule="cosine-restarts", cycle_epochs=1, restart_mult=2),
    "SWALR cos": dict(epochs=9, iterations_per_epoch=4, schedule="cosine", swa_start_epoch=3,
                      swa_schedule="constant", swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos"),
    "SWALR linear": dict(epochs=9, iterations_per_epoch=4, warmup_epochs=1, swa_start_epoch=2,
                         swa_schedule="constant", swa_lr=0.02, anneal_epochs=2, anneal_strategy="linear"),
    "SWALR without annealing": dict(epochs=5, iterations_per_epoch=3, swa_start_epoch=1,
                                    swa_schedule="constant", swa_lr=0.03, anneal_epochs=0),
}

for name, cfg in CASES.items():
    got, ends = ours(cfg)
    want = pytorch(cfg)
    worst = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(got, want)) if len(got) == len(want) else math.inf
    if len(got) == len(want) and worst <= 1e-9:
        passes += 1
        print(f"ok: {name}: {len(got)} iterations, rates {min(got):.3g}..{max(got):.3g}, "
              f"worst relative error {worst:.1e}")
    else:
        failures.append(name)
        bad = next((i for i, (a, b) in enumerate(zip(got, want)) if abs(a - b) > 1e-9 * max(abs(b), 1e-12)), None)
        print(f"FAIL: {name}: {len(got)} vs {len(want)} iterations, worst relative error {worst:.2e}, "
              f"first difference at iteration {bad}: {got[bad] if bad is not None else ''} vs "
              f"{want[bad] if bad is not None else ''}")

# Snapshots go at the low point of each cycle: six in the reference recipe, each at swa_lr_min.
got, ends = ours(CASES["reference recipe: warm-up, constant, 6 cyclic cycles"])
marks = [i for i, e in enumerate(ends) if e]
if len(marks) == 6 and all(abs(got[i] - 0.0005) < 1e-15 for i in marks) and marks[-1] == len(got) - 1:
    passes += 1
else:
    failures.append("cycle ends")
    print(f"FAIL: cycle ends at {marks}")

print(f"{passes} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
