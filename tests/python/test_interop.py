#!/usr/bin/python3
"""Interop with Python's PyTorch, torchvision and h5py (Debian packages), on full-size ResNet-50.

Python writes the inputs the way users do (torch.save of a state_dict), swa-average averages
them, and Python checks that
  * torch.load returns a plain dict that torchvision's resnet50(num_classes=10) accepts with
    strict=True;
  * the average equals torch.optim.swa_utils.AveragedModel's on the same inputs;
  * h5py reads our .h5 (tensors, key order, metadata) with no project code;
  * our .safetensors is laid out as the format specifies;
  * wrapped ({"state_dict": ...}) files are read (every other checkpoint form:
    test_torch_checkpoints.py).
Exit 77 (skipped) when torch/torchvision/h5py are not installed.
"""
import json
import os
import struct
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import torchvision
    from torch.optim.swa_utils import AveragedModel
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, run_tool  # noqa: E402


def run(*args, expect=0):
    return run_tool(BIN, *args, expect=expect)


def make_model(seed):
    torch.manual_seed(seed)
    m = torchvision.models.resnet50(num_classes=10)
    with torch.no_grad():  # BN statistics that differ per snapshot
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_()
                mod.running_var.uniform_(0.5, 2.0)
                mod.num_batches_tracked.fill_(seed)
    return m


with tempfile.TemporaryDirectory() as d:
    models = [make_model(s) for s in (1, 2, 3)]
    paths = []
    for i, m in enumerate(models):
        p = os.path.join(d, f"py-{i}.pt")
        sd = dict(m.state_dict())
        torch.save({"state_dict": sd, "epoch": 3} if i == 1 else sd, p)  # one wrapped, as trainers save
        paths.append(p)

    # Reference: AveragedModel (parameters), plain mean for the BN buffers.
    swa = AveragedModel(models[0])  # a copy; n_averaged=0, so the first update copies too
    for m in models:
        swa.update_parameters(m)
    ref = swa.module.state_dict()
    keys = list(models[0].state_dict().keys())

    for ext in ("pt", "h5", "safetensors"):
        out = os.path.join(d, f"avg.{ext}")
        run("swa-average", *paths, "-o", out)

    # .pt: plain dict that torchvision accepts strictly, equal to AveragedModel.
    loaded = torch.load(os.path.join(d, "avg.pt"))
    check("torch.load returns a plain dict", type(loaded) is dict)
    check(".pt keys in torchvision order", list(loaded.keys()) == keys)
    net = torchvision.models.resnet50(num_classes=10)
    try:
        net.load_state_dict(loaded, strict=True)
        check("torchvision load_state_dict(strict=True)", True)
    except RuntimeError as e:
        check("torchvision load_state_dict(strict=True)", False, str(e)[:300])
    worst = 0.0
    for name, _ in models[0].named_parameters():
        worst = max(worst, (loaded[name] - ref[name]).abs().max().item())
    check("parameters equal AveragedModel's to float precision", worst <= 1e-6, f"max |diff| {worst}")
    for k in keys:
        if k.endswith("running_mean") or k.endswith("running_var"):
            mean = sum(m.state_dict()[k].double() for m in models) / 3
            if not torch.allclose(loaded[k].double(), mean, rtol=0, atol=1e-6):
                check(f"BN statistic {k} is the mean", False)
                break
    else:
        check("BN running statistics are the mean of the inputs", True)
    # The latest input by metadata: py-1.pt (epoch 3) after the two whose epoch is unknown.
    check("num_batches_tracked comes from the latest input",
          loaded["bn1.num_batches_tracked"].item() == 2)

    # .h5: h5py alone reads it.
    with h5py.File(os.path.join(d, "avg.h5"), "r") as f:
        check("h5py: format attribute", f.attrs["format"] == "swa-snapshot")
        check("h5py: bn_state recorded", f.attrs["bn_state"] == "averaged")
        stored_keys = [k.decode() if isinstance(k, bytes) else k for k in f["meta"]["keys"][...]]
        check("h5py: /meta/keys keeps state_dict order", stored_keys == keys)
        fc = f["tensors"]["fc.weight"][...]
        check("h5py: tensor equals the .pt output", np.array_equal(fc, loaded["fc.weight"].numpy()))
        check("h5py: fletcher32 on", f["tensors"]["fc.weight"].fletcher32)
        check("h5py: 0-d num_batches_tracked", f["tensors"]["bn1.num_batches_tracked"][()] == 2)
        prov = json.loads(f.attrs["provenance"])
        check("h5py: provenance lists the inputs with SHA-256",
              [i["path"] for i in prov["inputs"]] == paths and len(prov["inputs"][0]["sha256"]) == 64)

    # .safetensors: parsed by the specification, no project code.
    with open(os.path.join(d, "avg.safetensors"), "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    e = header["layer4.2.conv3.weight"]
    begin, end = e["data_offsets"]
    arr = np.frombuffer(data[begin:end], dtype=np.float32).reshape(e["shape"])
    check("safetensors: tensor equals the .pt output",
          np.array_equal(arr, loaded["layer4.2.conv3.weight"].numpy()))

    # Our own .h5 re-averaged with the Python .pt files: formats mix.
    run("swa-average", os.path.join(d, "avg.h5"), paths[0], "-o", os.path.join(d, "mix.pt"))

    # An OrderedDict (what state_dict() returns, saved as is) averages like the plain dicts.
    od = os.path.join(d, "ordered.pt")
    torch.save(models[0].state_dict(), od)
    run("swa-average", od, paths[0], "-o", os.path.join(d, "x.pt"))
    check("OrderedDict input: the average of a file with itself is that file",
          all(torch.equal(torch.load(os.path.join(d, "x.pt"))[k], models[0].state_dict()[k]) for k in keys))

finish()
