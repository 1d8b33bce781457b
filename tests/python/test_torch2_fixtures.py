#!/usr/bin/python3
"""Files only a PyTorch 2.x writes (tests/fixtures/torch2/, written by PyTorch 2.11 with
make_fixtures.py there), read by the tools built against Debian's LibTorch 1.13:

  * tiny-state.pt (torch.save of 2.11: .format_version, .storage_alignment, byteorder records)
    gives the tensor bytes safetensors wrote from the same tensors in 2.11 (tiny-state.safetensors);
  * tiny.ts (torch.jit.script of 2.11) loads: swa-inspect --model says the snapshot fits it, and
    swa-bn --model re-estimates its BatchNorm as Python's update_bn does on the eager model;
  * swa-eval --model runs it and gives the logits Debian's torch gives for the same module.
Exit 77 (skipped) when torch is not installed."""
import json
import os
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, read_safetensors, run_tool  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "torch2")
sys.path.insert(0, FIXTURES)
from tiny_model import Tiny  # noqa: E402  (make_fixtures.py's)


def fixture(name):
    return os.path.join(FIXTURES, name)


def write_data(path):
    """64 float32 images [3, 8, 8] with labels 0..2, as a .pt tensor file."""
    g = torch.Generator().manual_seed(5)
    inputs = torch.randn(64, 3, 8, 8, generator=g) * 2 + 0.5
    labels = torch.randint(0, 3, (64,), generator=g)
    torch.save({"inputs": inputs, "labels": labels}, path)
    return inputs, labels


with tempfile.TemporaryDirectory() as d:
    out = os.path.join(d, "read.safetensors")
    run_tool(BIN, "swa-average", fixture("tiny-state.pt"), "-o", out)
    ours, theirs = read_safetensors(out), read_safetensors(fixture("tiny-state.safetensors"))
    check("a PyTorch 2.11 .pt: the same keys as 2.11's safetensors", set(ours) == set(theirs),
          f"{sorted(ours)} vs {sorted(theirs)}")
    check("a PyTorch 2.11 .pt: every tensor's dtype, shape and bytes equal",
          all(ours.get(k) == v for k, v in theirs.items()))

    p = run_tool(BIN, "swa-inspect", fixture("tiny-state.pt"), "--model", fixture("tiny.ts"))
    check("swa-inspect: the 2.11 snapshot fits the 2.11 TorchScript file",
          "fits" in p.stdout and "__torch__.Tiny" in p.stdout, p.stdout[-500:])

    data = os.path.join(d, "data.pt")
    inputs, labels = write_data(data)
    bn = os.path.join(d, "bn.pt")
    run_tool(BIN, "swa-bn", fixture("tiny-state.pt"), "--model", fixture("tiny.ts"), "--data", data,
             "--batch-size", "16", "-o", bn, "-q")
    eager = Tiny()
    eager.load_state_dict(torch.load(fixture("tiny-state.pt")))
    torch.optim.swa_utils.update_bn(torch.utils.data.DataLoader(inputs, batch_size=16), eager)
    got = torch.load(bn)
    got = got.get("state_dict", got)
    for key in ("bn.running_mean", "bn.running_var"):
        want = eager.state_dict()[key]
        err = ((got[key].double() - want.double()).norm() / want.double().norm()).item()
        check(f"swa-bn --model on the 2.11 file: {key} as update_bn's (relative {err:.1e})",
              err <= 1e-5)
    check("swa-bn --model: num_batches_tracked as update_bn's",
          int(got["bn.num_batches_tracked"]) == int(eager.bn.num_batches_tracked))

    report = os.path.join(d, "eval.json")
    run_tool(BIN, "swa-eval", bn, "--model", fixture("tiny.ts"), "--data", data, "--json", report,
             "-q")
    eager.eval()
    with torch.no_grad():
        predicted = eager(inputs).argmax(1)
    top1 = 100.0 * (predicted == labels).double().mean().item()
    metrics = json.load(open(report))["metrics"]
    check(f"swa-eval --model on the 2.11 file: top-1 as the eager model's ({top1:.2f})",
          abs(metrics["top1"] - top1) < 1e-9, f"got {metrics['top1']}")
finish()
