#!/usr/bin/python3
"""PyTorch checkpoints as users really save them, read by our own zip + data-only pickle reader.

Debian's python3-torch is the oracle: it writes every kind of file in this test, the tools read
it (swa-average converts each to .safetensors, which is parsed here by its specification, so
every tensor is compared byte for byte), and torch.load reads what we write. Exit 77 (skipped)
when torch/torchvision are not installed.
"""
import argparse
import collections
import inspect
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

try:
    import torch
    import torchvision
    from torch.optim.swa_utils import AveragedModel
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, read_safetensors, run_tool  # noqa: E402


def run(*args, expect=0, env=None):
    if env is None:
        return run_tool(BIN, *args, expect=expect)
    p = subprocess.run([os.path.join(BIN, args[0]), *args[1:]], capture_output=True, text=True, env=env)
    check(f"{args[0]} exits {expect}", p.returncode == expect, f"(got {p.returncode}) {p.stderr[-2000:]}")
    return p


def raw(t):
    return bytes(t.detach().reshape(-1).contiguous().view(torch.uint8).numpy())


ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
             torch.int64: "I64", torch.uint8: "U8", torch.bool: "BOOL", torch.int32: "I32"}


def read_back(d, name, path, *extra):
    """Every tensor our reader takes from `path`, through swa-average -> .safetensors."""
    out = os.path.join(d, name + ".safetensors")
    run("swa-average", path, *extra, "-o", out)
    return read_safetensors(out) if os.path.exists(out) else {}


def check_bit_exact(name, got, expected):
    ok = list(got.keys()) == list(expected.keys())
    detail = f"keys {list(got)[:4]} vs {list(expected)[:4]}"
    for k, t in expected.items():
        if not ok:
            break
        dtype, shape, data = got[k]
        if dtype != ST_DTYPES[t.dtype] or shape != list(t.shape) or data != raw(t):
            ok, detail = False, f"tensor {k}: {dtype} {shape} vs {t.dtype} {list(t.shape)}"
    check(f"{name}: read bit-exactly", ok, detail)


def inspect_json(path, *extra):
    p = run("swa-inspect", "--json", "-", path, *extra)
    return json.loads(p.stdout)[0] if p.returncode == 0 else {}


class Boom:
    """Unpickling this runs os.system in Python; our reader must never run it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


torch.manual_seed(0)
small = collections.OrderedDict([
    ("conv.weight", torch.randn(4, 3, 3, 3)),
    ("conv.bias", torch.randn(4)),
    ("bn.running_mean", torch.randn(4)),
    ("bn.num_batches_tracked", torch.tensor(7)),
])
all_dtypes = collections.OrderedDict([
    ("f32", torch.randn(3, 5)),
    ("f16", torch.randn(7).half()),
    ("bf16", torch.randn(2, 3).bfloat16()),
    ("f64", torch.randn(4, dtype=torch.float64)),
    ("i64", torch.arange(-3, 3, dtype=torch.int64)),
    ("u8", torch.arange(0, 250, 7, dtype=torch.uint8)),
    ("flag", torch.tensor([True, False, True])),
    ("scalar", torch.tensor(2.5)),
    ("empty", torch.zeros(0, 3)),
])

with tempfile.TemporaryDirectory() as d:
    def save(name, obj, **kw):
        p = os.path.join(d, name)
        torch.save(obj, p, **kw)
        return p

    # What torch.save(model.state_dict()) writes: an OrderedDict (with its _metadata).
    check_bit_exact("OrderedDict", read_back(d, "od", save("od.pt", small)), small)
    check_bit_exact("plain dict", read_back(d, "dict", save("dict.pt", dict(small))), small)
    check_bit_exact("every dtype, 0-d and empty tensors", read_back(d, "dtypes", save("dtypes.pt", all_dtypes)),
                    all_dtypes)
    check_bit_exact("legacy format (_use_new_zipfile_serialization=False)",
                    read_back(d, "legacy", save("legacy.pt", all_dtypes, _use_new_zipfile_serialization=False)),
                    all_dtypes)
    many = collections.OrderedDict((f"layer.{i}.weight", torch.full((2,), float(i))) for i in range(20000))
    check_bit_exact("legacy format whose pickles pass 1 MiB",
                    read_back(d, "legacy-big", save("legacy-big.pt", many, _use_new_zipfile_serialization=False)),
                    many)
    check_bit_exact(".pth and .bin names", read_back(d, "bin", save("pytorch_model.bin", small)), small)

    # The common wrappers, as training scripts, Lightning and timm save.
    for wrapper in ("state_dict", "model_state_dict", "model", "module", "net"):
        p = save(f"wrapped-{wrapper}.pth", {"epoch": 4, wrapper: small, "optimizer": {"state": {}, "lr": 0.1}})
        check_bit_exact(f"wrapper '{wrapper}'", read_back(d, f"w-{wrapper}", p), small)

    # A Lightning-like .ckpt: hyper-parameters hold an object of a class we never build, an optimizer
    # state with tensors, keys under "model.".
    opt = torch.optim.SGD([torch.nn.Parameter(torch.randn(3))], lr=0.1, momentum=0.9)
    opt.param_groups[0]["params"][0].grad = torch.ones(3)
    opt.step()
    ckpt = {"epoch": 9, "global_step": 900, "pytorch-lightning_version": "2.1.0",
            "state_dict": collections.OrderedDict((f"model.{k}", v) for k, v in small.items()),
            "optimizer_states": [opt.state_dict()], "lr_schedulers": [],
            "hyper_parameters": {"args": argparse.Namespace(lr=0.1, depth=50)}}
    p = save("lightning.ckpt", ckpt)
    check_bit_exact("Lightning .ckpt", read_back(d, "ckpt", p), small)
    info = inspect_json(p)
    sd = info.get("state_dict", {})
    check("inspect: the state dict taken, the prefix stripped",
          sd.get("object") == "state_dict" and sd.get("stripped_prefixes") == ["model."], sd)
    check("inspect: what was not taken is listed",
          "hyper_parameters (dict)" in sd.get("skipped", []) and "optimizer_states (list)" in sd.get("skipped", []), sd)
    check("the checkpoint's epoch and step become metadata",
          info.get("meta", {}).get("epoch") == 9 and info.get("meta", {}).get("step") == 900, info.get("meta"))

    # Prefixes: DDP / AveragedModel "module.", torch.compile "_orig_mod.", both at once.
    for prefix in ("module.", "_orig_mod.", "module._orig_mod."):
        p = save(f"prefix-{prefix}pt", collections.OrderedDict((prefix + k, v) for k, v in small.items()))
        check_bit_exact(f"prefix '{prefix}' stripped", read_back(d, f"p-{prefix}", p), small)
    net = torch.nn.Sequential(collections.OrderedDict(conv=torch.nn.Conv2d(3, 4, 3)))
    swa = AveragedModel(net)
    swa.update_parameters(net)
    p = save("averaged_model.pt", swa.state_dict())
    expected = collections.OrderedDict((k, v) for k, v in net.state_dict().items())
    check_bit_exact("AveragedModel state_dict (module., n_averaged dropped)", read_back(d, "swa", p), expected)
    check("inspect: n_averaged reported as dropped", inspect_json(p).get("state_dict", {}).get("dropped") == ["n_averaged"])

    # Views: non-contiguous, at an offset in a larger storage, and tied weights sharing one.
    big = torch.randn(10, 6)
    tied = torch.randn(5, 2)
    views = collections.OrderedDict([("transposed", big.t()), ("rows", big[2:5]), ("column", big[:, 1]),
                                     ("embed.weight", tied), ("head.weight", tied)])
    check_bit_exact("views, offsets and tied weights", read_back(d, "views", save("views.pt", views)),
                    collections.OrderedDict((k, v.contiguous()) for k, v in views.items()))

    # --key: timm's EMA weights, and a nested path.
    ema = collections.OrderedDict((k, v + 1 if v.is_floating_point() else v) for k, v in small.items())
    p = save("timm.pth", {"state_dict": small, "state_dict_ema": ema, "epoch": 2})
    check_bit_exact("default takes state_dict over state_dict_ema", read_back(d, "timm", p), small)
    check_bit_exact("--key state_dict_ema", read_back(d, "timm-ema", p, "--key", "state_dict_ema"), ema)
    p = save("nested.pt", {"ema": {"model": small}, "step": 5})
    check_bit_exact("--key ema.model (nested)", read_back(d, "nested", p, "--key", "ema.model"), small)
    r = run("swa-average", p, "-o", os.path.join(d, "no.pt"), expect=1)
    check("no state dict found: the message lists what the file holds and names --key",
          "ema (dict)" in r.stderr and "--key" in r.stderr, r.stderr)

    # A pickle that runs os.system when Python loads it: never run, refused only where it matters.
    marker = os.path.join(d, "PWNED")
    p = save("boom-outside.pt", {"state_dict": small, "callback": Boom(marker)})
    check_bit_exact("an object outside the state dict is skipped", read_back(d, "boom-out", p), small)
    p = save("boom-inside.pt", collections.OrderedDict([("conv.weight", small["conv.weight"]), ("evil", Boom(marker))]))
    r = run("swa-average", p, "-o", os.path.join(d, "boom.pt"), expect=1)
    check("an object inside the state dict is refused, naming the entry and the function",
          "evil" in r.stderr and "system" in r.stderr, r.stderr)
    check("nothing in the file was ever run", not os.path.exists(marker))
    check("no output after the refusal", not os.path.exists(os.path.join(d, "boom.pt")))

    # Whole pickled models and TorchScript archives are not state dicts: say what to do.
    p = save("whole-model.pt", net)
    r = run("swa-average", p, "-o", os.path.join(d, "x.pt"), expect=1)
    check("torch.save(model) is refused with what to save instead", "state_dict()" in r.stderr, r.stderr)
    p = os.path.join(d, "scripted.pt")
    torch.jit.save(torch.jit.script(net), p)
    r = run("swa-average", p, "-o", os.path.join(d, "x.pt"), expect=1)
    check("a TorchScript archive is named as such", "TorchScript" in r.stderr, r.stderr)

    # Our .pt: torch.load with and without weights_only, torchvision strictly, the same bytes twice.
    torch.manual_seed(1)
    models = [torchvision.models.resnet18(num_classes=10) for _ in range(2)]
    inputs = [save(f"r18-{i}.pt", m.state_dict()) for i, m in enumerate(models)]
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    outs = [os.path.join(d, f"out-{i}.pt") for i in range(2)]
    for out in outs:
        run("swa-average", *inputs, "-o", out, env=env)
    with open(outs[0], "rb") as a, open(outs[1], "rb") as b:
        check("writing twice gives the same bytes", a.read() == b.read())
    plain = torch.load(outs[0])
    safe = torch.load(outs[0], weights_only=True)
    check("torch.load returns a plain dict", type(plain) is dict and type(safe) is dict)
    check("weights_only=True reads the same tensors", all(torch.equal(plain[k], safe[k]) for k in plain))
    try:
        torchvision.models.resnet18(num_classes=10).load_state_dict(safe, strict=True)
        check("torchvision load_state_dict(strict=True)", True)
    except RuntimeError as e:
        check("torchvision load_state_dict(strict=True)", False, str(e)[:300])
    if "mmap" in inspect.signature(torch.load).parameters:
        mm = torch.load(outs[0], mmap=True, weights_only=True)
        check("torch.load(mmap=True) reads it", all(torch.equal(mm[k], plain[k]) for k in plain))
    with zipfile.ZipFile(outs[0]) as z, open(outs[0], "rb") as f:
        blob = f.read()
        unaligned = []
        for e in z.infolist():
            n, x = struct.unpack("<HH", blob[e.header_offset + 26:e.header_offset + 30])
            if "/data/" in e.filename and (e.header_offset + 30 + n + x) % 64:
                unaligned.append(e.filename)
        stored = all(e.compress_type == zipfile.ZIP_STORED for e in z.infolist())
        check("tensor entries start on 64-byte boundaries, every entry stored", not unaligned and stored,
              unaligned[:3])
    zip64 = os.path.join(d, "zip64.pt")
    run("swa-average", *inputs, "-o", zip64, env=dict(env, SWA_PT_ZIP64="always"))
    check("the zip64 layout is read by torch.load", all(torch.equal(torch.load(zip64)[k], plain[k]) for k in plain))

    # Damaged files: exit 1 naming the file (and the tensor), no output left.
    def damaged(name, mutate, needle):
        p = os.path.join(d, name)
        shutil.copy(inputs[0], p)
        mutate(p)
        out = os.path.join(d, "damaged-out.pt")
        r = run("swa-average", p, inputs[1], "-o", out, expect=1)
        check(f"{name}: the message names the file and says what is wrong", p in r.stderr and needle in r.stderr,
              r.stderr[-400:])
        check(f"{name}: no output left", not any(f.startswith(".damaged-out") or f == "damaged-out.pt"
                                                 for f in os.listdir(d)))

    def flip_in(entry_suffix, at=10):
        def mutate(p):
            with zipfile.ZipFile(p) as z:
                e = next(e for e in z.infolist() if e.filename.endswith(entry_suffix))
            with open(p, "r+b") as f:
                f.seek(e.header_offset + 26)
                n, x = struct.unpack("<HH", f.read(4))
                f.seek(e.header_offset + 30 + n + x + at)
                b = f.read(1)
                f.seek(-1, 1)
                f.write(bytes([b[0] ^ 0x55]))
        return mutate

    def truncate(p):
        os.truncate(p, os.path.getsize(p) // 2)

    damaged("truncated.pt", truncate, "zip")
    damaged("flipped-pickle.pt", flip_in("/data.pkl", 40), "data.pkl")
    damaged("flipped-tensor.pt", flip_in("/data/0", 100), "conv1.weight")  # storage 0: the first tensor

    # Mutated files (bit flips, truncations, zeroed and duplicated ranges) of both containers are
    # refused or read, never a crash: exit 0 or 1, nothing else. (Systematic fuzzing: issue #13.)
    import random
    rng = random.Random(7)
    codes = {}
    for base in (os.path.join(d, "wrapped-state_dict.pth"), os.path.join(d, "legacy.pt")):
        data = open(base, "rb").read()
        for i in range(150):
            b = bytearray(data)
            kind = rng.choice(["flip", "truncate", "zero", "duplicate"])
            p = rng.randrange(len(b))
            if kind == "flip":
                for _ in range(rng.randint(1, 8)):
                    b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            elif kind == "truncate":
                del b[p:]
            elif kind == "zero":
                n = min(rng.randint(1, 64), len(b) - p)
                b[p:p + n] = bytes(n)
            else:
                q = rng.randrange(len(b))
                b[p:p] = b[q:q + rng.randint(1, 32)]
            mutated = os.path.join(d, "mutated.pt")
            open(mutated, "wb").write(bytes(b))
            r = subprocess.run([os.path.join(BIN, "swa-average"), mutated, "-o", os.path.join(d, "mutated.safetensors")],
                               capture_output=True, timeout=60)
            codes[r.returncode] = codes.get(r.returncode, 0) + 1
            if r.returncode not in (0, 1):
                shutil.copy(mutated, os.path.join(tempfile.gettempdir(), f"swa-crash-{i}.pt"))
    check("300 mutated .pt files: exit 0 or 1, never a crash", set(codes) <= {0, 1}, codes)

    # The bytes decide the container: a name that disagrees is an error that says what the bytes are.
    h5 = os.path.join(d, "really-hdf5.pt")
    run("swa-average", inputs[0], "-o", os.path.join(d, "x.h5"))
    shutil.copy(os.path.join(d, "x.h5"), h5)
    r = run("swa-inspect", h5, expect=1)
    check("an .h5 named .pt: the message says the bytes are HDF5", "hdf5" in r.stderr.lower(), r.stderr)

finish()
