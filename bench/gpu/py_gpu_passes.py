"""PyTorch's variants of the GPU passes of issue 16, in one process (one start-up): evaluation of
10,000 test images (eager, channels_last, frozen TorchScript, bf16 autocast + channels_last) and
BatchNorm re-estimation over 50,000 training images (update_bn: eager, channels_last). Each
variant runs twice; the first pass pays cuDNN's set-up, the second is the steady state.
Prints one JSON line per pass.
  python3 bench/gpu/py_gpu_passes.py CKPT.pt CIFAR_DIR"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision

ckpt, data = sys.argv[1], sys.argv[2]
dev = torch.device("cuda")
MEAN = torch.tensor([0.4914, 0.4822, 0.4465], device=dev).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010], device=dev).view(1, 3, 1, 1)


def read(names):
    raw = np.concatenate([np.fromfile(os.path.join(data, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    return (torch.from_numpy(raw[:, 1:].reshape(-1, 3, 32, 32).copy()).to(dev),
            torch.from_numpy(raw[:, 0].astype(np.int64)).to(dev))


test_x, test_y = read(["test_batch.bin"])
train_x, _ = read([f"data_batch_{i}.bin" for i in range(1, 6)])
state = torch.load(ckpt, map_location="cpu", weights_only=False)
state = state.get("state_dict", state)


def model_for(channels_last):
    m = torchvision.models.resnet50(num_classes=10)
    m.load_state_dict(state)
    m.to(dev)
    return m.to(memory_format=torch.channels_last) if channels_last else m


def batches(x, channels_last, size=500):
    for b in range(0, x.size(0), size):
        t = (x[b:b + size].float().div_(255) - MEAN).div_(STD)
        yield t.contiguous(memory_format=torch.channels_last) if channels_last else t


def eval_pass(model, channels_last, autocast):
    torch.cuda.synchronize()
    t0 = time.time()
    outs = []
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
        for x in batches(test_x, channels_last):
            outs.append(model(x).float())
    logits = torch.cat(outs)
    torch.cuda.synchronize()
    s = time.time() - t0
    return s, 100 * (logits.argmax(1) == test_y).double().mean().item(), \
        torch.nn.functional.cross_entropy(logits.double(), test_y).item()


def report(**kw):
    print(json.dumps(kw), flush=True)


for variant in ["eager", "channels_last", "frozen", "bf16_channels_last"]:
    cl = variant in ("channels_last", "bf16_channels_last")
    model = model_for(cl).eval()
    t0 = time.time()
    if variant == "frozen":
        with torch.no_grad():
            model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model)))
            model(torch.zeros(500, 3, 32, 32, device=dev))
    setup = time.time() - t0
    for run in ("first", "second"):
        s, top1, nll = eval_pass(model, cl, variant.startswith("bf16"))
        report(mode="eval", variant=variant, run=run, pass_s=round(s, 4), images_per_s=round(10000 / s),
               top1=top1, nll=round(nll, 5), setup_s=round(setup, 2))

for variant in ["eager", "channels_last"]:
    cl = variant == "channels_last"
    for run in ("first", "second"):
        model = model_for(cl)
        torch.cuda.synchronize()
        t0 = time.time()
        torch.optim.swa_utils.update_bn(batches(train_x, cl), model)
        torch.cuda.synchronize()
        s = time.time() - t0
        report(mode="bn", variant=variant, run=run, pass_s=round(s, 4), images_per_s=round(50000 / s))
        if run == "second" and variant == "eager":
            torch.save({k: v.cpu() for k, v in model.state_dict().items()}, "/tmp/py-bn.pt")
