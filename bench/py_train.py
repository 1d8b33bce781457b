#!/usr/bin/python3
"""Python baseline for swa-train's throughput: torchvision resnet50(num_classes=10), SGD
(momentum 0.9, weight decay 5e-4), batch 128, random crop + flip done on whole batches of
preloaded uint8 tensors (no DataLoader), cross-entropy. Prints images/s over the timed steps.
  py_train.py --data CIFAR_DIR [--images N] [--threads T]
"""
import argparse
import os
import time

import numpy as np
import torch
import torchvision

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)


def augment(u8, gen):
    b = u8.shape[0]
    padded = torch.nn.functional.pad(u8, (4, 4, 4, 4))
    oy = torch.randint(0, 9, (b,), generator=gen)
    ox = torch.randint(0, 9, (b,), generator=gen)
    flip = torch.randint(0, 2, (b,), generator=gen).bool()
    ramp = torch.arange(32)
    rows = oy[:, None] + ramp[None]
    cols = torch.where(flip[:, None], ox[:, None] + 31 - ramp[None], ox[:, None] + ramp[None])
    return padded[torch.arange(b)[:, None, None, None], torch.arange(3)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


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
