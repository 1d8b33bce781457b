#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/): small real files of every
form the readers take. PyTorch's own torch.save (zip and legacy, bare state dicts and training
checkpoints), our writers' .pt, .h5 and .safetensors (through swa-average), the pickles and
metadata inside them, and CIFAR-10 records. Run once; the outputs are committed.
  make_corpus.py BUILD_DIR
"""
import collections
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import torch

BIN = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def saved(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, b"", 0
    for k, t in tensors.items():
        raw = t.contiguous().numpy().tobytes()
        code = {torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}[t.dtype]
        header[k] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs += raw
        offset += len(raw)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blobs


torch.manual_seed(0)
state = collections.OrderedDict([
    ("conv1.weight", torch.randn(2, 1, 3, 3)),
    ("bn1.weight", torch.ones(2)), ("bn1.bias", torch.zeros(2)),
    ("bn1.running_mean", torch.zeros(2)), ("bn1.running_var", torch.ones(2)),
    ("bn1.num_batches_tracked", torch.tensor(5)),
    ("fc.weight", torch.randn(3, 2).half()), ("fc.bias", torch.randn(3)[1:]),  # a view
])
put("fuzz_torch_save", "state_dict.pt", saved(state))
put("fuzz_torch_save", "legacy.pt", saved(state, _use_new_zipfile_serialization=False))
put("fuzz_torch_save", "checkpoint.pt", saved({"epoch": 3, "global_step": 120, "state_dict": state,
                                               "optimizer": {"lr": 0.1}}))
put("fuzz_torch_save", "nested.pt", saved({"model": {"module.fc.weight": torch.randn(2, 2)}}))
put("fuzz_safetensors", "plain.safetensors", safetensors({k: v for k, v in state.items() if v.dim()}))

with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "in.safetensors")
    with open(src, "wb") as f:
        f.write(safetensors({k: v.float() for k, v in state.items() if v.dim()}))
    for ext in ("h5", "pt", "safetensors"):
        out = os.path.join(d, f"ours.{ext}")
        subprocess.run([os.path.join(BIN, "swa-average"), src, src, "-o", out], check=True,
                       capture_output=True, env=dict(os.environ, SWA_DIGEST_CACHE="0"))
        target = {"h5": "fuzz_hdf5", "pt": "fuzz_torch_save", "safetensors": "fuzz_safetensors"}[ext]
        with open(out, "rb") as f:
            put(target, f"swa-average.{ext}", f.read())
    out = os.path.join(d, "compressed.h5")
    subprocess.run([os.path.join(BIN, "swa-average"), src, "-o", out, "--compress"], check=True,
                   capture_output=True, env=dict(os.environ, SWA_DIGEST_CACHE="0"))
    shutil.copy(out, os.path.join(CORPUS, "fuzz_hdf5", "compressed.h5"))
    with zipfile.ZipFile(os.path.join(d, "ours.pt")) as z:
        for name in z.namelist():
            if name.endswith("data.pkl"):
                put("fuzz_pickle", "ours-data.pkl", z.read(name))
            if name.endswith("swa_meta.json"):
                put("fuzz_snapshot_meta", "swa_meta.json", z.read(name))

for name in ("state_dict.pt", "checkpoint.pt", "nested.pt"):
    with zipfile.ZipFile(os.path.join(CORPUS, "fuzz_torch_save", name)) as z:
        pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        put("fuzz_pickle", name.replace(".pt", ".pkl"), z.read(pkl))
put("fuzz_snapshot_meta", "minimal.json", json.dumps({"arch": "resnet18", "num_classes": 10}).encode())
records = bytes([3]) + bytes(range(256)) * 12  # one record: label 3, 3,072 pixels
put("fuzz_cifar_batch", "one-record.bin", records)
put("fuzz_cifar_batch", "cifar100-record.bin", bytes([3, 87]) + records[2:])
print("corpus:", {t: len(os.listdir(os.path.join(CORPUS, t))) for t in sorted(os.listdir(CORPUS))})
