#!/usr/bin/python3
"""Python baseline for swa-train's throughput: torchvision resnet50(num_classes=10), SGD
(momentum 0.9, weight decay 5e-4), batch 128, random crop + flip done on whole batches of
preloaded uint8 tensors (no DataLoader), cross-entropy. Prints images/s over the timed steps.
  py_train.py --data CIFAR_DIR [--images N] [--threads T]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from py_converged import MEAN, STD, augment  # noqa: E402  what both Python loops share


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--images", type=int, default=5120)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    sub = os.path.join(a.data, "cifar-10-batches-bin")
    folder = sub if os.path.isdir(sub) else a.data
    raw = np.fromfile(os.path.join(folder, "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    images = torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy())[: a.images]
    labels = torch.from_numpy(raw[:, 0].astype(np.int64))[: a.images]
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=10).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(images), generator=gen)
    t0, seen = None, 0
    for i, b in enumerate(range(0, len(images), 128)):
        if i == 2:  # the first steps warm up the allocator and oneDNN
            t0, seen = time.time(), 0
        idx = order[b:b + 128]
        x = (augment(images[idx], gen).float() / 255 - MEAN) / STD
        loss = torch.nn.functional.cross_entropy(model(x), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        seen += len(idx)
    print(f"python training: {seen / (time.time() - t0):.1f} images/s over {seen} images")


if __name__ == "__main__":
    main()
