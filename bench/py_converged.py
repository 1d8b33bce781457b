#!/usr/bin/python3
"""The converged CPU recipe of bench/converged_run.sh as a plain PyTorch loop: the reference that
swa-train's results are compared with, seed for seed.

Model: ResNet-18, CIFAR stem (3x3 stride-1 conv, no max-pool), base width 8, built from
torchvision's BasicBlock so its state_dict keys are torchvision's (swa-eval reads its snapshots).
Data: the 45,000 training images left after swa-train's --val-size 5000 hold-out (the same
stratified split: mt19937_64 seeded 0x5fa5fa, lib/data/cifar10.cpp), random crop (pad 4) + flip.
Recipe: SGD momentum 0.9, weight decay 5e-4, batch 128 (last batch partial), LinearLR warm-up
over epoch 1 per iteration, cosine from 0.1 to 0 per iteration until epoch 24, then SWALR
(swa_lr 0.02, anneal 1 epoch, cos) stepped per epoch for 8 epochs, AveragedModel updated at the
end of each of them (use_buffers=True keeps the averaged BatchNorm statistics too), then
swa_utils.update_bn over the augmented training images. Prints one JSON line of test metrics.
  py_converged.py --data CIFAR_DIR --seed S [--threads T] [--out DIR] [--epochs 32 --swa-start 24]
  [--images N]
"""
import argparse
import copy
import json
import math
import os
import time
import warnings

import numpy as np
import torch
import torchvision
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn
from torchvision.models.resnet import BasicBlock, ResNet

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)
VALIDATION_SEED = 0x5FA5FA
MASK64 = (1 << 64) - 1


class CifarResNet(ResNet):
    """torchvision's ResNet with a CIFAR stem and a chosen base width (our resnet18-cifar-wW)."""

    def __init__(self, width=8, layers=(2, 2, 2, 2), num_classes=10):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes, self.dilation, self.groups, self.base_width = width, 1, 1, 64
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity()
        self.layer1 = self._make_layer(BasicBlock, width, layers[0])
        self.layer2 = self._make_layer(BasicBlock, 2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(BasicBlock, 4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(BasicBlock, 8 * width, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width, num_classes)
        for m in self.modules():  # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)


class MT19937_64:
    """std::mt19937_64, for the same validation hold-out as swa-train."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK64
        for i in range(1, 312):
            prev = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (prev ^ (prev >> 62)) + i) & MASK64
        self.index = 312

    def __call__(self):
        if self.index >= 312:
            for i in range(312):
                x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
                xa = x >> 1
                if x & 1:
                    xa ^= 0xB5026F5AA96619E9
                self.mt[i] = self.mt[(i + 156) % 312] ^ xa
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK64


def validation_indices(labels, size):
    rng, chosen = MT19937_64(VALIDATION_SEED), []
    for c in range(10):
        members = [i for i in range(len(labels)) if labels[i] == c]
        for i in range(len(members) - 1, 0, -1):
            j = rng() % (i + 1)
            members[i], members[j] = members[j], members[i]
        chosen += members[: size // 10]
    return sorted(chosen)


def read_batches(folder, names):
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073)
                          for n in names])
    return (torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()),
            torch.from_numpy(raw[:, 0].astype(np.int64)))


def augment(u8, gen):
    b = u8.shape[0]
    padded = nn.functional.pad(u8, (4, 4, 4, 4))
    oy = torch.randint(0, 9, (b,), generator=gen)
    ox = torch.randint(0, 9, (b,), generator=gen)
    flip = torch.randint(0, 2, (b,), generator=gen).bool()
    ramp = torch.arange(32)
    rows = oy[:, None] + ramp[None]
    cols = torch.where(flip[:, None], ox[:, None] + 31 - ramp[None], ox[:, None] + ramp[None])
    return padded[torch.arange(b)[:, None, None, None], torch.arange(3)[None, :, None, None],
                  rows[:, None, :, None], cols[:, None, None, :]]


def normalise(u8):
    return (u8.float().div_(255.0) - MEAN).div_(STD)


def augmented_batches(images, gen, batch):
    order = torch.randperm(len(images), generator=gen)
    for b in range(0, len(images), batch):
        yield normalise(augment(images[order[b:b + batch]], gen))


@torch.no_grad()
def evaluate(model, images, labels):
    model.eval()
    correct, nll = 0, 0.0
    for b in range(0, len(images), 500):
        logits = model(normalise(images[b:b + 500]))
        correct += (logits.argmax(1) == labels[b:b + 500]).sum().item()
        nll += nn.functional.cross_entropy(logits, labels[b:b + 500], reduction="sum").item()
    return {"top1": 100.0 * correct / len(images), "nll": nll / len(images)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", help="folder for each SWA epoch's state_dict (.pt)")
    p.add_argument("--epochs", type=int, default=32)
    p.add_argument("--swa-start", type=int, default=24)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--swa-lr", type=float, default=0.02)
    p.add_argument("--images", type=int, default=0, help="train on the first N only (smoke runs)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    warnings.filterwarnings("ignore", message="The epoch parameter")  # SequentialLR, PyTorch 1.13
    warnings.filterwarnings("ignore", message="Detected call of")  # SWALR made mid-run
    sub = os.path.join(a.data, "cifar-10-batches-bin")
    folder = sub if os.path.isdir(sub) else a.data
    images, labels = read_batches(folder, [f"data_batch_{i}.bin" for i in range(1, 6)])
    held = set(validation_indices(labels.tolist(), 5000))
    keep = torch.tensor([i for i in range(len(labels)) if i not in held])
    images, labels = images[keep], labels[keep]
    if a.images:
        images, labels = images[: a.images], labels[: a.images]
    test_images, test_labels = read_batches(folder, ["test_batch.bin"])

    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    model = CifarResNet()
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    per_epoch = math.ceil(len(images) / 128)
    warm, pre = per_epoch, a.swa_start * per_epoch
    warmup = torch.optim.lr_scheduler.LinearLR(opt, 1 / warm, 1.0, total_iters=warm - 1)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(pre - warm, 1))
    schedule = torch.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[warm])
    swa_model = AveragedModel(model, use_buffers=True)
    swa_scheduler = None
    results, start = {"seed": a.seed}, time.time()
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(len(images), generator=gen)
        total, steps = 0.0, 0
        for b in range(0, len(images), 128):
            idx = order[b:b + 128]
            loss = nn.functional.cross_entropy(model(normalise(augment(images[idx], gen))),
                                               labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if epoch < a.swa_start:
                schedule.step()
            total, steps = total + loss.item(), steps + 1
        if epoch >= a.swa_start:
            if swa_scheduler is None:  # SWALR starts from the rate the cosine ended at
                swa_scheduler = SWALR(opt, swa_lr=a.swa_lr, anneal_epochs=1, anneal_strategy="cos")
            swa_model.update_parameters(model)
            swa_scheduler.step()
            if a.out:
                os.makedirs(a.out, exist_ok=True)
                torch.save(model.state_dict(), os.path.join(a.out, f"epoch-{epoch + 1:03d}.pt"))
        if epoch == a.swa_start:  # the first SWA epoch runs at the cosine's end rate: the SGD solution
            results["last_sgd"] = evaluate(model, test_images, test_labels)
        print(f"epoch {epoch + 1}/{a.epochs} train loss {total / steps:.4f} "
              f"({time.time() - start:.0f} s)", flush=True)
    results["final_sgd"] = evaluate(model, test_images, test_labels)
    results["swa_bn_averaged"] = evaluate(swa_model.module, test_images, test_labels)
    recomputed = copy.deepcopy(swa_model.module)
    update_bn(augmented_batches(images, gen, 128), recomputed)
    results["swa_bn_recomputed"] = evaluate(recomputed, test_images, test_labels)
    results["seconds"] = round(time.time() - start, 1)
    if a.out:
        torch.save(recomputed.state_dict(), os.path.join(a.out, "swa-bn.pt"))
    print("RESULT " + json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
