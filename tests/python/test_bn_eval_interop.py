#!/usr/bin/python3
"""swa-bn and swa-eval against PyTorch on the same files, images, order and batch size.

A synthetic CIFAR-10 folder (official binary layout) and a torchvision resnet18(num_classes=10)
snapshot written from Python; then
  * swa-bn's statistics equal torch.optim.swa_utils.update_bn's (relative error <= 1e-4) in each of
    its memory layouts (contiguous, channels_last, onednn),
  * swa-eval's accuracy and NLL equal a plain PyTorch evaluation of the same checkpoint.
Exit 77 (skipped) when torch/torchvision are not installed.
"""
import json
import os
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torchvision
    from torch.optim.swa_utils import update_bn
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
torch.set_num_threads(2)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, run_tool, write_cifar  # noqa: E402


def run(*args):
    return run_tool(BIN, *args)


def read_split(folder, files):
    raw = np.concatenate([np.fromfile(os.path.join(folder, f), dtype=np.uint8).reshape(-1, 3073)
                          for f in files])
    images = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy())
    return images, torch.from_numpy(raw[:, 0].astype(np.int64))


def normalize(u8):
    return (u8.float() / 255 - MEAN) / STD


with tempfile.TemporaryDirectory() as d:
    data = os.path.join(d, "cifar")
    write_cifar(data)
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    ckpt = os.path.join(d, "model.pt")
    torch.save(dict(model.state_dict()), ckpt)

    # swa-bn on 2,000 seeded training images (validation hold-out off), batch 250, in each memory
    # layout the tool can choose: the statistics must not depend on it.
    train_images, _ = read_split(data, [f"data_batch_{i}.bin" for i in range(1, 6)])
    subset = torch.randperm(50000, generator=torch.Generator().manual_seed(7))[:2000]
    batches = [normalize(train_images[subset[i:i + 250]]) for i in range(0, 2000, 250)]
    update_bn(batches, model)
    for layout in ("contiguous", "channels_last", "onednn"):
        out = os.path.join(d, f"bn-{layout}.pt")
        run("swa-bn", ckpt, "--arch", "resnet18", "--data", data, "--val-size", "0",
            "--samples", "2000", "--seed", "7", "--batch-size", "250", "--layout", layout, "-o", out)
        ours = torch.load(out)
        worst = 0.0
        for key, ref in model.state_dict().items():
            if key.endswith("running_mean") or key.endswith("running_var"):
                # Relative error of the tensor: ||ours - ref|| / ||ref||.
                rel = ((ours[key].double() - ref.double()).norm() / ref.double().norm()).item()
                worst = max(worst, rel)
            elif key.endswith("num_batches_tracked"):
                check(f"{layout}: {key} counts batches", ours[key].item() == ref.item() == 8,
                      f"{ours[key]} vs {ref}")
            else:
                check(f"{layout}: {key} unchanged", torch.equal(ours[key], ref))
        check(f"{layout}: BN statistics equal update_bn's (rel. error <= 1e-4)", worst <= 1e-4,
              f"worst {worst:.2e}")
        print(f"BN statistics, layout {layout}: worst relative error {worst:.2e} over "
              f"{sum(k.endswith('running_var') for k in ours)} BatchNorms")

    # swa-eval on the test split against a plain PyTorch evaluation of the same file.
    report = json.loads(run("swa-eval", out, "--arch", "resnet18", "--data", data,
                            "--batch-size", "500", "--json", "-").stdout)
    test_images, test_labels = read_split(data, ["test_batch.bin"])
    model.load_state_dict(ours)
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(normalize(test_images[i:i + 500])) for i in range(0, 10000, 500)])
    acc = 100 * (logits.argmax(1) == test_labels).double().mean().item()
    nll = torch.nn.functional.cross_entropy(logits.double(), test_labels).item()
    m = report["metrics"]
    check("accuracy equals PyTorch's (within one image)", abs(m["top1"] - acc) <= 0.01,
          f"{m['top1']} vs {acc}")
    check("NLL equals PyTorch's (rel. 1e-4)", abs(m["nll"] - nll) <= 1e-4 * nll, f"{m['nll']} vs {nll}")
    check("bn_state recorded as recomputed", report["bn_state"] == "recomputed")

finish()
