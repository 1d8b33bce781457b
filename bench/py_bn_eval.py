#!/usr/bin/python3
"""Python baselines for swa-bn and swa-eval: the same torchvision model, checkpoint and images.

  py_bn_eval.py eval|bn --ckpt FILE.pt --data CIFAR_DIR [--variant V] [--device D] [--threads N]

Variants:
  preloaded      the whole split as one uint8 tensor, batches are slices (the fastest plain path)
  channels_last  as preloaded, model and inputs channels_last
  frozen         eval only: TorchScript freeze + optimize_for_inference (BatchNorm folded, oneDNN)
  dataloader     the usual pipeline: a Dataset of images, ToTensor + Normalize per image, DataLoader
Prints one JSON line: seconds for loading and for the pass, images/s, and the metrics.
"""
import argparse
import json
import os
import time

T_START = time.time()
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch.optim.swa_utils import update_bn  # noqa: E402

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2023, 0.1994, 0.2010)


def read_split(folder, split):
    sub = os.path.join(folder, "cifar-10-batches-bin")
    folder = sub if os.path.isdir(sub) else folder
    files = ["test_batch.bin"] if split == "test" else [f"data_batch_{i}.bin" for i in range(1, 6)]
    raw = np.concatenate([np.fromfile(os.path.join(folder, f), dtype=np.uint8).reshape(-1, 3073) for f in files])
    return torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()), torch.from_numpy(raw[:, 0].astype(np.int64))


class ImageDataset(torch.utils.data.Dataset):
    def __init__(self, images, labels):
        self.images = images.permute(0, 2, 3, 1).numpy()  # HWC, as image files decode
        self.labels = labels
        self.transform = torchvision.transforms.Compose(
            [torchvision.transforms.ToTensor(), torchvision.transforms.Normalize(MEAN, STD)])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def batches(images, labels, batch_size, device, variant):
    if variant == "dataloader":
        loader = torch.utils.data.DataLoader(ImageDataset(images, labels), batch_size=batch_size,
                                             shuffle=False, num_workers=2)
        for x, y in loader:
            yield x.to(device), y
        return
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    images = images.to(device)
    for i in range(0, len(images), batch_size):
        x = (images[i:i + batch_size].float() / 255 - mean) / std
        if variant == "channels_last":
            x = x.contiguous(memory_format=torch.channels_last)
        yield x, labels[i:i + batch_size]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["eval", "bn"])
    p.add_argument("--ckpt", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--variant", default="preloaded",
                   choices=["preloaded", "channels_last", "frozen", "dataloader"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--out", help="bn: where to save the re-estimated state dict")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    model = getattr(torchvision.models, a.arch)(num_classes=10)
    model.load_state_dict(torch.load(a.ckpt, map_location="cpu"))
    model.to(device)
    if a.variant == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    images, labels = read_split(a.data, "test" if a.mode == "eval" else "train")
    t_loaded = time.time()
    if a.mode == "bn":
        update_bn((x for x, _ in batches(images, labels, a.batch_size, device, a.variant)), model, device)
        if device.type == "cuda":
            torch.cuda.synchronize()
        t_done = time.time()
        if a.out:
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, a.out)
        result = {}
    else:
        model.eval()
        if a.variant == "frozen":
            with torch.no_grad():
                example = torch.zeros(a.batch_size, 3, 32, 32, device=device)
                model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
                model(example)
            t_loaded = time.time()  # scripting and freezing belong to set-up, not the pass
        outs = []
        with torch.inference_mode():
            for x, _ in batches(images, labels, a.batch_size, device, a.variant):
                outs.append(model(x).float().cpu())
        if device.type == "cuda":
            torch.cuda.synchronize()
        t_done = time.time()
        logits = torch.cat(outs)
        result = {"top1": 100 * (logits.argmax(1) == labels).double().mean().item(),
                  "nll": torch.nn.functional.cross_entropy(logits.double(), labels).item()}
    n = len(labels)
    print(json.dumps({"mode": a.mode, "variant": a.variant, "device": a.device, "images": n,
                      "startup_and_load_s": round(t_loaded - T_START, 3),
                      "pass_s": round(t_done - t_loaded, 3),
                      "images_per_s": round(n / (t_done - t_loaded), 1), **result}))


if __name__ == "__main__":
    main()
