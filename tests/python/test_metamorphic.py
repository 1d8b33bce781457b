#!/usr/bin/python3
"""Metamorphic tests of swa-average: what must not change the average.

Three snapshots are averaged once as written (HDF5, distinct epochs); then every variant a user
may hand over must give the same tensor bytes:
  * each input's keys stored in another (seeded random) order, in every format: HDF5's
    meta/keys, the .pt pickle's dict order, safetensors' header and data order;
  * inputs converted h5 -> pt -> safetensors -> h5, and mixed formats (every pair of formats);
  * paths aliased (a symbolic link, "./", a hard link) and the inputs given in another order.
The output keeps the first input's key order (or --base's). Then the numbers against Debian's
torch as the oracle, bit for bit: the uniform average is the float64 sum divided once, rounded as
tensor.to(dtype) rounds a float64 tensor (bf16 inputs whose mean is exactly 0 give exactly 0);
and the same file named twice is refused.
Exit 77 (skipped) when torch or h5py is not installed.
"""
import collections
import json
import os
import random
import shutil
import struct
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, run_tool  # noqa: E402

FORMATS = ("h5", "pt", "safetensors")


def run(*args, expect=0):
    return run_tool(BIN, *args, expect=expect)


def read_safetensors(path):
    """(header dict in file order, data bytes), by the format's specification."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n), object_pairs_hook=collections.OrderedDict)
        return header, f.read()


def tensors_of(d, path):
    """Every tensor swa-average reads from `path`, as {key: (dtype, shape, bytes)} in its order."""
    out = os.path.join(d, "read-back.safetensors")
    run("swa-average", path, "-o", out)
    header, data = read_safetensors(out)
    os.remove(out)
    return collections.OrderedDict(
        (k, (e["dtype"], e["shape"], data[e["data_offsets"][0]:e["data_offsets"][1]]))
        for k, e in header.items() if k != "__metadata__")


def permuted(keys, seed):
    keys = list(keys)
    random.Random(seed).shuffle(keys)
    return keys


def permute_h5(src, dst, seed):
    """A copy whose meta/keys (the state_dict order readers take) is shuffled."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        keys = [k.decode() if isinstance(k, bytes) else k for k in f["meta/keys"][()]]
        order = permuted(keys, seed)
        dtype = f["meta/keys"].dtype
        del f["meta/keys"]
        f.create_dataset("meta/keys", data=np.array(order, dtype=object), dtype=dtype)


def permute_pt(src, dst, seed, d):
    """torch.save of the tensors in another order, wrapped as trainers save (epoch, global_step)."""
    state = torch.load(convert(src, "pt", d))
    meta = read_meta(src, d)
    shuffled = collections.OrderedDict((k, state[k]) for k in permuted(state.keys(), seed))
    torch.save({"state_dict": shuffled, "epoch": meta["epoch"], "global_step": meta["step"]}, dst)


def permute_safetensors(src, dst, seed, d):
    """The header's entries and the data both in another order, __metadata__ kept."""
    header, data = read_safetensors(convert(src, "safetensors", d))
    entries = [(k, e) for k, e in header.items() if k != "__metadata__"]
    order = permuted([k for k, _ in entries], seed)
    by_key = dict(entries)
    new_header = collections.OrderedDict()
    new_header["__metadata__"] = header["__metadata__"]
    chunks, offset = [], 0
    for k in order:
        b, end = by_key[k]["data_offsets"]
        chunks.append(data[b:end])
        new_header[k] = {"dtype": by_key[k]["dtype"], "shape": by_key[k]["shape"],
                         "data_offsets": [offset, offset + end - b]}
        offset += end - b
    text = json.dumps(new_header).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def convert(src, fmt, d):
    dst = os.path.join(d, "conv", os.path.basename(src).rsplit(".", 1)[0] + "." + fmt)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(dst):
        run("swa-average", src, "-o", dst)
    return dst


def read_meta(path, d):
    p = run("swa-inspect", "--json", "-", path)
    return json.loads(p.stdout)[0]["meta"]


def same_average(name, d, reference, *args):
    """swa-average ARGS gives `reference`'s tensors, byte for byte."""
    out = os.path.join(d, "variant.safetensors")
    if os.path.exists(out):
        os.remove(out)
    run("swa-average", *args, "-o", out)
    got = tensors_of(d, out) if os.path.exists(out) else {}
    ok = sorted(got) == sorted(reference) and all(got[k] == reference[k] for k in reference)
    bad = [k for k in reference if got.get(k) != reference[k]][:3]
    check(f"{name}: the same tensor bytes", ok, f"(differ: {bad})")
    return got


with tempfile.TemporaryDirectory() as d:
    run("swa-make-samples", "--arch", "resnet18-cifar-w4", "--count", "3", "--out", d, "--threads", "1")
    snaps = [os.path.join(d, f"cycle-000{i}.h5") for i in (1, 2, 3)]
    run("swa-average", *snaps, "-o", os.path.join(d, "reference.safetensors"))
    reference = tensors_of(d, os.path.join(d, "reference.safetensors"))
    check("the reference average has tensors", len(reference) > 100)
    first_keys = list(tensors_of(d, snaps[0]).keys())
    check("the output keeps the first input's key order", list(reference.keys()) == first_keys)

    # Keys in another order, every format.
    for fmt in FORMATS:
        shuffled = []
        for i, s in enumerate(snaps):
            dst = os.path.join(d, f"perm-{fmt}-{i}.{fmt}")
            if fmt == "h5":
                permute_h5(s, dst, seed=i)
            elif fmt == "pt":
                permute_pt(s, dst, seed=i, d=d)
            else:
                permute_safetensors(s, dst, seed=i, d=d)
            shuffled.append(dst)
        got = same_average(f"{fmt} inputs with keys in another order", d, reference, *shuffled)
        check(f"{fmt}: the output keeps the first input's key order",
              list(got.keys()) == list(tensors_of(d, shuffled[0]).keys()))
        same_average(f"{fmt}: a shuffled first input and --base of the original", d, reference,
                     shuffled[0], *snaps[1:], "--base", snaps[2])

    # Converted through every format and back; every pair of formats mixed.
    chain = snaps
    for fmt in ("pt", "safetensors", "h5"):
        chain = [convert(s, fmt, d) for s in chain]
        same_average(f"converted h5 -> ... -> {fmt}", d, reference, *chain)
    for a in FORMATS:
        for b in FORMATS:
            mixed = [convert(snaps[0], a, d), convert(snaps[1], b, d), convert(snaps[2], a, d)]
            same_average(f"mixed formats {a}+{b}", d, reference, *mixed)

    # Paths spelled otherwise, inputs reordered.
    link, hard = os.path.join(d, "link.h5"), os.path.join(d, "hard.h5")
    os.symlink(snaps[0], link)
    os.link(snaps[1], hard)
    here = os.getcwd()
    os.chdir(d)
    same_average("a symbolic link, './', a hard link", d, reference, link, "./cycle-0003.h5", hard)
    os.chdir(here)
    for order in ([2, 0, 1], [1, 2, 0], [2, 1, 0]):
        same_average(f"inputs in the order {order}", d, reference, *[snaps[i] for i in order])

    # The same file twice, by any spelling: refused, naming both.
    for name, pair in (("a symbolic link", [snaps[0], link]), ("a hard link", [snaps[1], hard]),
                       ("'/./'", [snaps[0], os.path.join(d, ".", "cycle-0001.h5")])):
        p = run("swa-average", *pair, snaps[2], "-o", os.path.join(d, "x.pt"), expect=1)
        check(f"named twice through {name}: refused naming both",
              "names the same file as" in p.stderr and pair[0] in p.stderr and pair[1] in p.stderr,
              p.stderr)
    check("a refused average leaves no output", not os.path.exists(os.path.join(d, "x.pt")))

    # Debian's torch as the oracle: float32 and bf16, float64 sum divided once.
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.bfloat16, torch.float16):
        x = [torch.randn(4096, 17).to(dtype) for _ in range(3)]
        x[2][:1000] = -(x[0][:1000].double() * 2).to(dtype)  # rows whose mean is exactly 0:
        x[1][:1000] = x[0][:1000]                           # x + x - 2x
        files = []
        for i, t in enumerate(x):
            files.append(os.path.join(d, f"oracle-{i}.pt"))
            torch.save({"w": t, "b": t[0].clone()}, files[-1])
        out = os.path.join(d, "oracle-avg.pt")
        run("swa-average", *files, "-o", out)
        got = torch.load(out)["w"]
        expected = ((x[0].double() + x[1].double() + x[2].double()) / 3).to(dtype)
        check(f"{dtype}: equals torch's float64 mean rounded by .to(), bit for bit",
              torch.equal(got.view(torch.int16 if dtype != torch.float32 else torch.int32),
                          expected.view(torch.int16 if dtype != torch.float32 else torch.int32)))
        check(f"{dtype}: a mean of exactly 0 gives exactly +0",
              bool((got[:1000].view(torch.int16 if dtype != torch.float32 else torch.int32) == 0).all()))
        w = os.path.join(d, "oracle-w.pt")
        run("swa-average", *files, "--weights", "1e308,1e308,1", "-o", w)
        ws = torch.load(w)["w"].double()
        mean2 = ((x[0].double() + x[1].double()) / 2).to(dtype).double()
        check(f"{dtype}: --weights 1e308,1e308,1 is the mean of the first two, not zeros",
              torch.allclose(ws, mean2, rtol=1e-2, atol=1e-2) and bool(ws.abs().sum() > 0))
finish()
