#!/usr/bin/python3
"""Test top-1 and NLL of the prediction ensemble of snapshots (softmax probabilities averaged,
each member in eval mode with its own BatchNorm statistics), for bench/converged_run.sh.
  py_ensemble.py --data CIFAR_DIR SNAPSHOT.h5|.pt ...     (ResNet-18, CIFAR stem, width 8)
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from py_converged import CifarResNet, normalise, read_batches  # noqa: E402


def load(path):
    if path.endswith(".pt"):
        return torch.load(path)
    with h5py.File(path, "r") as f:
        return {k: torch.from_numpy(np.array(v[...])) for k, v in f["tensors"].items()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("snapshots", nargs="+")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    sub = os.path.join(a.data, "cifar-10-batches-bin")
    images, labels = read_batches(sub if os.path.isdir(sub) else a.data, ["test_batch.bin"])
    probs = torch.zeros(len(images), 10, dtype=torch.float64)
    with torch.no_grad():
        for path in a.snapshots:
            model = CifarResNet()
            state = load(path)
            model.load_state_dict({k: v for k, v in state.items() if k in model.state_dict()})
            model.eval()
            for b in range(0, len(images), 500):
                probs[b:b + 500] += model(normalise(images[b:b + 500])).double().softmax(1)
    probs /= len(a.snapshots)
    top1 = 100.0 * (probs.argmax(1) == labels).double().mean().item()
    nll = -probs[torch.arange(len(labels)), labels].clamp_min(1e-300).log().mean().item()
    print(json.dumps({"members": len(a.snapshots), "top1": round(top1, 2), "nll": round(nll, 4)}))


if __name__ == "__main__":
    main()
