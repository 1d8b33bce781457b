#!/usr/bin/python3
"""Python's side of bench_scripted.sh: the same model, images and batch size as swa-bn/swa-eval
with --model, timed the way PyTorch users run them.

  python3 py_scripted.py ARCH WORK_DIR BATCH THREADS
reads WORK_DIR/{ARCH}.pt (the state dict), WORK_DIR/train.h5 and WORK_DIR/test.h5 (uint8 inputs,
int64 labels), normalises with CIFAR's mean and std, and prints JSON: the update_bn pass on the
eager model (preloaded, normalised batches), and eval passes eager and scripted (no_grad), each
the best of two after a warm-up batch.
"""
import json
import sys
import time

import h5py
import torch
import torchvision

arch, work, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)


def load(path):
    with h5py.File(path, "r") as f:
        x = torch.from_numpy(f["inputs"][()])
        y = torch.from_numpy(f["labels"][()])
    x = (x.float() / 255 - MEAN) / STD
    return [x[i:i + batch] for i in range(0, len(x), batch)], y


def model():
    m = getattr(torchvision.models, arch)(num_classes=10)
    m.load_state_dict(torch.load(f"{work}/{arch}.pt"))
    return m


def timed(fn, repeats=2):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


train, _ = load(f"{work}/train.h5")
test, _ = load(f"{work}/test.h5")
n_train, n_test = sum(len(b) for b in train), sum(len(b) for b in test)
eager = model()
eager.train()
with torch.no_grad():
    eager(train[0])  # warm-up
bn = timed(lambda: torch.optim.swa_utils.update_bn(train, eager))


def evaluate(m):
    m.eval()
    with torch.no_grad():
        m(test[0])
        return timed(lambda: [m(b) for b in test])


out = {
    "update_bn_images_per_second": n_train / bn,
    "eval_eager_images_per_second": n_test / evaluate(model()),
    "eval_scripted_images_per_second": n_test / evaluate(torch.jit.script(model())),
}
print(json.dumps(out))
