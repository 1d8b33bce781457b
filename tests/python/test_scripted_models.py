#!/usr/bin/python3
"""Any TorchScript model, any tensor data set: swa-bn and swa-eval with --model against PyTorch.

Models scripted here with Debian's torch (torchvision families that are not ResNets, a hand-written
model with BatchNorm1d, a model without BatchNorm, a ResNet), data as tensor files (.pt, .h5):
  * swa-bn's statistics equal torch.optim.swa_utils.update_bn's on the eager model (relative norm
    per tensor at most 1e-4), every other tensor unchanged;
  * swa-eval's top-1 and NLL equal PyTorch's evaluation of the same module;
  * the snapshot's weights run, never those inside the .ts file;
  * for a ResNet the TorchScript path gives the built-in path's statistics and metrics;
  * what does not fit is exit 1 with a message naming it, and nothing is written.
Exit 77 (skipped) when torch/torchvision/h5py are not installed.
"""
import copy
import json
import os
import sys
import tempfile

try:
    import h5py
    import torch
    import torchvision
    from torch.optim.swa_utils import update_bn
except ImportError as e:  # pragma: no cover
    print(f"skipped: {e}")
    sys.exit(77)

BIN = sys.argv[1]
BATCH = 100
torch.set_num_threads(2)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, finish, run_tool, write_cifar  # noqa: E402


def run(*args, expect=0):
    return run_tool(BIN, *args, expect=expect)


class Tabular(torch.nn.Module):
    """BatchNorm1d with a fixed and a None momentum, nested; a LayerNorm; a non-persistent buffer;
    a dict for output."""

    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleDict({
            "a": torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU()),
            "b": torch.nn.Sequential(torch.nn.Linear(16, 16), torch.nn.BatchNorm1d(16, momentum=None)),
        })
        self.norm = torch.nn.LayerNorm(16)
        self.head = torch.nn.Linear(16, 7)
        self.register_buffer("scale", torch.full((7,), 2.0), persistent=False)

    def forward(self, x):
        x = self.blocks["b"](self.blocks["a"](x))
        return {"features": x, "logits": self.head(self.norm(x)) * self.scale}


def models():
    torch.manual_seed(0)
    return {
        "mobilenet_v2": (torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.25), (3, 32, 32), 10),
        "shufflenet_v2": (torchvision.models.shufflenet_v2_x0_5(num_classes=10), (3, 32, 32), 10),
        "tabular": (Tabular(), (12,), 7),
    }


def save_tensors(path, inputs, labels=None):
    data = {"inputs": inputs} if labels is None else {"inputs": inputs, "labels": labels}
    if path.endswith(".h5"):
        with h5py.File(path, "w") as f:
            for k, v in data.items():
                f[k] = v.numpy()
    else:
        torch.save(data, path)


def make_data(shape, classes, n, seed):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn((n, *shape), generator=g) * 1.5 + 0.3
    return inputs, torch.randint(0, classes, (n,), generator=g)


def relative(a, b):
    a, b = a.double(), b.double()
    return ((a - b).norm() / max(b.norm().item(), 1e-12)).item()


def python_update_bn(model, inputs):
    loader = [inputs[i:i + BATCH] for i in range(0, len(inputs), BATCH)]
    update_bn(loader, model)
    return model.state_dict()


def python_eval(model, inputs, labels):
    model.eval()
    with torch.no_grad():
        out = torch.cat([model(inputs[i:i + BATCH]) if not isinstance(model, Tabular)
                         else model(inputs[i:i + BATCH])["logits"] for i in range(0, len(inputs), BATCH)])
    top1 = (out.argmax(1) == labels).double().mean().item() * 100
    nll = torch.nn.functional.cross_entropy(out.double(), labels).item()
    return top1, nll


def compare_states(name, ours_path, reference, original):
    ours = torch.load(ours_path)
    check(f"{name}: same keys as the input", list(ours.keys()) == list(original.keys()))
    worst = 0.0
    for key, value in original.items():
        if "running_" in key:
            worst = max(worst, relative(ours[key], reference[key]))
        elif key.endswith("num_batches_tracked"):
            check(f"{name}: {key} counts the batches", ours[key].item() == reference[key].item(),
                  f"{ours[key]} vs {reference[key]}")
        else:
            check(f"{name}: {key} unchanged", torch.equal(ours[key], value))
    check(f"{name}: statistics equal update_bn's (relative <= 1e-4)", worst <= 1e-4, f"worst {worst}")


def test_model(d, name, model, shape, classes):
    ts = os.path.join(d, f"{name}.ts")
    # The .ts holds other weights than the snapshot: the snapshot's must be what runs.
    torch.manual_seed(123)
    other = type(model)() if isinstance(model, Tabular) else None
    scripted = torch.jit.script(other if other is not None else copy.deepcopy(model))
    if other is None:  # perturb the scripted copy's weights
        with torch.no_grad():
            for p in scripted.parameters():
                p.add_(1.0)
    scripted.save(ts)
    snapshot = os.path.join(d, f"{name}.pt")
    original = {k: v.clone() for k, v in model.state_dict().items()}
    torch.save(original, snapshot)
    train = os.path.join(d, f"{name}-train.h5")
    test = os.path.join(d, f"{name}-test.pt")
    train_x, _ = make_data(shape, classes, 400, 1)
    test_x, test_y = make_data(shape, classes, 300, 2)
    save_tensors(train, train_x)
    save_tensors(test, test_x, test_y)

    out = os.path.join(d, f"{name}-bn.pt")
    p = run("swa-bn", snapshot, "--model", ts, "--data", train, "--batch-size", str(BATCH), "-o", out,
            "--json", os.path.join(d, f"{name}-bn.json"))
    reference = python_update_bn(model, train_x)
    compare_states(name, out, reference, original)
    if isinstance(model, Tabular):
        check("tabular: the LayerNorm is named as left alone", "norm (LayerNorm)" in p.stderr, p.stderr)
        check("tabular: the non-persistent buffer is named as kept", "scale" in p.stderr, p.stderr)
    top1, nll = python_eval(model, test_x, test_y)
    for engine in ["auto", "frozen", "reference"]:
        p = run("swa-eval", out, "--model", ts, "--data", test, "--batch-size", str(BATCH), "--engine", engine,
                "--json", "-")
        doc = json.loads(p.stdout)
        check(f"{name}, engine {engine}: top-1 equals PyTorch's", abs(doc["metrics"]["top1"] - top1) < 1e-9,
              f"{doc['metrics']['top1']} vs {top1}")
        check(f"{name}, engine {engine}: NLL equals PyTorch's", abs(doc["metrics"]["nll"] - nll) <= 1e-4 * abs(nll),
              f"{doc['metrics']['nll']} vs {nll}")
        check(f"{name}, engine {engine}: says which ran", doc["engine"]["name"] in ("frozen", "reference"))
    fit = json.loads(run("swa-inspect", out, "--model", ts, "--json", "-").stdout)[0]["model_fit"]
    check(f"{name}: swa-inspect --model says the output fits", fit["fits"] is True, str(fit))
    check(f"{name}: top-5 {'reported' if classes >= 5 else 'absent'}",
          (doc["metrics"]["top5"] is not None) == (classes >= 5))
    return ts, snapshot, train, test


def test_ranks(d, ts, snapshot, train, test):
    """Two ranks (swa-launch, Gloo over loopback) share the passes: the statistics and the metrics
    of one process."""
    one, two = os.path.join(d, "rank-one.pt"), os.path.join(d, "rank-two.pt")
    common = ["--model", ts, "--data", train, "--batch-size", "50", "--threads", "1"]
    run("swa-bn", snapshot, *common, "-o", one)
    run("swa-launch", "--nproc", "2", "--no-announce", "swa-bn", snapshot, *common, "-o", two)
    a, b = torch.load(one), torch.load(two)
    worst = max(relative(b[k], a[k]) for k in a if "running_" in k)
    check("two ranks: statistics of one process (relative <= 1e-5)", worst <= 1e-5, f"worst {worst}")
    check("two ranks: num_batches_tracked counts every rank's batches",
          all(torch.equal(a[k], b[k]) for k in a if k.endswith("num_batches_tracked")))
    ev = ["--model", ts, "--data", test, "--batch-size", "50", "--threads", "1", "--json", "-"]
    e1 = json.loads(run("swa-eval", one, *ev).stdout)["metrics"]
    e2 = json.loads(run("swa-launch", "--nproc", "2", "--no-announce", "swa-eval", one, *ev).stdout)["metrics"]
    check("two ranks: the metrics of one process", e1["top1"] == e2["top1"] and abs(e1["nll"] - e2["nll"]) < 1e-9,
          f"{e1} vs {e2}")


def test_many_classes(d):
    """Past 20 classes the table summarises the confusion matrix; --json keeps it whole."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 25))
    ts, snapshot, data = (os.path.join(d, f) for f in ("wide.ts", "wide.pt", "wide-test.pt"))
    torch.jit.script(model).save(ts)
    torch.save(model.state_dict(), snapshot)
    save_tensors(data, *make_data((6,), 25, 200, 31))
    p = run("swa-eval", snapshot, "--model", ts, "--data", data)
    check("25 classes: the most confused pairs, not the matrix", "most confused (of 25 classes" in p.stdout,
          p.stdout[-800:])
    doc = json.loads(run("swa-eval", snapshot, "--model", ts, "--data", data, "--json", "-").stdout)
    check("25 classes: --json has the whole matrix", len(doc["metrics"]["confusion"]) == 25)


def test_no_batchnorm(d):
    torch.manual_seed(0)
    model = torchvision.models.squeezenet1_1(num_classes=10)
    ts = os.path.join(d, "squeezenet.ts")
    torch.jit.script(model).save(ts)
    snapshot = os.path.join(d, "squeezenet.pt")
    torch.save(model.state_dict(), snapshot)
    data = os.path.join(d, "squeeze-train.pt")
    save_tensors(data, make_data((3, 32, 32), 10, 50, 3)[0])
    out = os.path.join(d, "squeezenet-bn.safetensors")
    p = run("swa-bn", snapshot, "--model", ts, "--data", data, "-o", out, "--json", "-")
    doc = json.loads(p.stdout)
    check("no BatchNorm: bn_state none", doc["bn_state"] == "none", p.stdout)
    check("no BatchNorm: said so", "no BatchNorm" in p.stderr, p.stderr)
    back = os.path.join(d, "squeezenet-back.pt")
    run("swa-average", out, "-o", back)
    ours = torch.load(back)
    check("no BatchNorm: tensors unchanged",
          all(torch.equal(ours[k], v) for k, v in model.state_dict().items()))


def test_resnet_matches_builtin(d):
    data = os.path.join(d, "cifar")
    write_cifar(data)
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10)
    snapshot = os.path.join(d, "resnet18.pt")
    torch.save(model.state_dict(), snapshot)
    ts = os.path.join(d, "resnet18.ts")
    torch.jit.script(model).save(ts)
    common = ["--data", data, "--samples", "1000", "--batch-size", "250"]
    builtin, scripted = os.path.join(d, "r-builtin.pt"), os.path.join(d, "r-scripted.pt")
    run("swa-bn", snapshot, *common, "--layout", "contiguous", "-o", builtin)
    run("swa-bn", snapshot, *common, "--model", ts, "-o", scripted)
    a, b = torch.load(builtin), torch.load(scripted)
    worst = max(relative(b[k], a[k]) for k in a if "running_" in k)
    check("resnet18: TorchScript statistics equal the built-in path's", worst <= 1e-4, f"worst {worst}")
    ev = ["--split", "val", "--batch-size", "250", "--json", "-"]
    e1 = json.loads(run("swa-eval", builtin, "--data", data, *ev).stdout)["metrics"]
    e2 = json.loads(run("swa-eval", builtin, "--data", data, "--model", ts, *ev).stdout)["metrics"]
    check("resnet18: TorchScript top-1 equals the built-in path's", abs(e1["top1"] - e2["top1"]) < 0.05,
          f"{e1['top1']} vs {e2['top1']}")
    check("resnet18: TorchScript NLL equals the built-in path's",
          abs(e1["nll"] - e2["nll"]) <= 1e-4 * e1["nll"], f"{e1['nll']} vs {e2['nll']}")


def refused(name, args, words, writes=True):
    """Exit 1, the words in the message, no output file."""
    out = args[args.index("-o") + 1] if "-o" in args and writes else None
    p = run(*args, expect=1)
    check(f"{name}: message says {words!r}", all(w in p.stderr for w in words), p.stderr[-600:])
    if out:
        check(f"{name}: nothing written", not os.path.exists(out))


def test_refusals(d, ts, snapshot, train, test):
    state = torch.load(snapshot)
    out = os.path.join(d, "refused.pt")
    missing = dict(state)
    del missing["blocks.a.1.running_mean"]
    del missing["head.weight"]
    torch.save(missing, os.path.join(d, "missing.pt"))
    refused("missing keys", ["swa-bn", os.path.join(d, "missing.pt"), "--model", ts, "--data", train, "-o", out],
            ["2 missing", "head.weight", "blocks.a.1.running_mean"])
    extra = dict(state)
    extra["surprise.weight"] = torch.zeros(3)
    torch.save(extra, os.path.join(d, "extra.pt"))
    refused("unexpected key", ["swa-bn", os.path.join(d, "extra.pt"), "--model", ts, "--data", train, "-o", out],
            ["not in the model", "surprise.weight"])
    shaped = dict(state)
    shaped["head.bias"] = torch.zeros(8)
    shaped["head.weight"] = state["head.weight"].double()
    torch.save(shaped, os.path.join(d, "shaped.pt"))
    refused("shape and dtype", ["swa-eval", os.path.join(d, "shaped.pt"), "--model", ts, "--data", test],
            ["2 of another shape or dtype", "head.bias", "float64"])

    # swa-inspect --model (no LibTorch) judges as swa-bn and swa-eval judge.
    fit = json.loads(run("swa-inspect", snapshot, "--model", ts, "--json", "-").stdout)[0]["model_fit"]
    check("inspect --model: the snapshot fits", fit["fits"] is True, str(fit))
    check("inspect --model: the non-persistent buffer is named as kept", fit["kept"] == ["scale"], str(fit))
    for name, words in [("missing.pt", ["2 missing", "head.weight", "blocks.a.1.running_mean"]),
                        ("extra.pt", ["not in the model", "surprise.weight"]),
                        ("shaped.pt", ["2 of another shape or dtype", "head.bias", "float64"])]:
        p = run("swa-inspect", os.path.join(d, name), "--model", ts, expect=1)
        check(f"inspect --model {name}: says {words!r}", all(w in p.stdout for w in ["does NOT fit", *words]),
              p.stdout[-600:])
    refused("inspect --model of no TorchScript file", ["swa-inspect", snapshot, "--model", snapshot],
            ["not a TorchScript file"])

    model = Tabular().eval()
    model.load_state_dict(state)
    frozen = os.path.join(d, "frozen.ts")
    torch.jit.freeze(torch.jit.script(model)).save(frozen)
    refused("frozen", ["swa-bn", snapshot, "--model", frozen, "--data", train, "-o", out], ["frozen", "torch.jit.freeze"])

    x = make_data((12,), 7, 20, 4)[0]
    traced_eval = os.path.join(d, "traced-eval.ts")
    torch.jit.trace(Tabular().eval(), x, strict=False, check_trace=False).save(traced_eval)
    refused("traced in eval mode", ["swa-bn", snapshot, "--model", traced_eval, "--data", train, "-o", out],
            ["traced in eval mode", "torch.jit.script"])
    traced_train = os.path.join(d, "traced-train.ts")
    torch.jit.trace(Tabular().train(), x, strict=False, check_trace=False).save(traced_train)
    refused("traced in train mode", ["swa-eval", snapshot, "--model", traced_train, "--data", test],
            ["traced in train mode"])

    pixels = os.path.join(d, "pixels.h5")
    save_tensors(pixels, torch.randint(0, 256, (40, 3, 8, 8), dtype=torch.uint8), torch.zeros(40, dtype=torch.long))
    refused("uint8 without --mean/--std", ["swa-bn", snapshot, "--model", ts, "--data", pixels, "-o", out],
            [pixels, "inputs", "--mean", "--std"])
    bad_labels = os.path.join(d, "bad-labels.pt")
    test_x, test_y = make_data((12,), 7, 30, 5)
    test_y[17] = 7
    save_tensors(bad_labels, test_x, test_y)
    refused("label out of range", ["swa-eval", snapshot, "--model", ts, "--data", bad_labels],
            [bad_labels, "labels", "label 7 at row 17", "0..6"])
    short = os.path.join(d, "short.pt")
    save_tensors(short, test_x, test_y[:29])
    refused("N differs", ["swa-eval", snapshot, "--model", ts, "--data", short], [short, "29 labels for 30 inputs"])
    refused("wrong shape", ["swa-eval", snapshot, "--model", ts, "--data", os.path.join(d, "mobilenet_v2-test.pt")],
            [ts, "failed on inputs float32 [16, 3, 32, 32]"])
    no_labels = os.path.join(d, "no-labels.pt")
    save_tensors(no_labels, test_x)
    refused("no labels to score", ["swa-eval", snapshot, "--model", ts, "--data", no_labels], ["labels"])
    refused("tensor file without --model", ["swa-eval", snapshot, "--data", test], ["--model"])
    refused("not TorchScript", ["swa-eval", snapshot, "--model", snapshot, "--data", test], ["cannot load this TorchScript"])
    before = open(ts, "rb").read()
    refused("output over the model", ["swa-bn", snapshot, "--model", ts, "--data", train, "-o", ts], [ts],
            writes=False)
    check("output over the model: the model file unchanged", open(ts, "rb").read() == before)


def test_pixels(d):
    """uint8 inputs scaled by 1/255 and normalised with --mean/--std, as a Python pipeline does."""
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.25)
    ts = os.path.join(d, "pix.ts")
    torch.jit.script(model).save(ts)
    snapshot = os.path.join(d, "pix.pt")
    torch.save(model.state_dict(), snapshot)
    g = torch.Generator().manual_seed(9)
    u8 = torch.randint(0, 256, (200, 3, 32, 32), dtype=torch.uint8, generator=g)
    labels = torch.randint(0, 10, (200,), generator=g)
    data = os.path.join(d, "pixels-ok.h5")
    save_tensors(data, u8, labels)
    mean, std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]
    out = os.path.join(d, "pix-bn.pt")
    run("swa-bn", snapshot, "--model", ts, "--data", data, "--mean", ",".join(map(str, mean)), "--std",
        ",".join(map(str, std)), "--batch-size", str(BATCH), "-o", out)
    x = (u8.float() / 255 - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    reference = python_update_bn(model, x)
    ours = torch.load(out)
    worst = max(relative(ours[k], reference[k]) for k in reference if "running_" in k)
    check("uint8 pixels: statistics equal update_bn's on normalised inputs", worst <= 1e-4, f"worst {worst}")


def test_report(d, ts, snapshot):
    """swa-report --model on a folder of train/val/test tensor files: each snapshot's score is
    swa-eval's, the uniform average's is swa-average + swa-bn + swa-eval's."""
    state = torch.load(snapshot)
    snaps = os.path.join(d, "report-snaps")
    os.makedirs(snaps)
    g = torch.Generator().manual_seed(11)
    files = []
    for i in range(3):
        perturbed = {k: (v + 0.2 * torch.randn(v.shape, generator=g) if v.is_floating_point() else v)
                     for k, v in state.items()}
        files.append(os.path.join(snaps, f"snap-{i}.pt"))
        torch.save(perturbed, files[-1])
    data = os.path.join(d, "report-data")
    os.makedirs(data)
    for name, n, seed in [("train", 300, 21), ("val", 200, 22), ("test", 200, 23)]:
        save_tensors(os.path.join(data, f"{name}.pt"), *make_data((12,), 7, n, seed))
    out = os.path.join(d, "report")
    run("swa-report", snaps, "--model", ts, "--data", data, "--batch-size", str(BATCH), "-o", out)
    report = json.load(open(os.path.join(out, "report.json")))
    val = os.path.join(data, "val.pt")
    for entry in report["snapshots"]:
        e = json.loads(run("swa-eval", entry["path"], "--model", ts, "--data", val, "--batch-size",
                           str(BATCH), "--json", "-").stdout)["metrics"]
        check(f"report --model: {entry['name']} scored as swa-eval scores it",
              abs(entry["validation"]["top1"] - e["top1"]) < 1e-9 and
              abs(entry["validation"]["nll"] - e["nll"]) <= 1e-6 * e["nll"], f"{entry['validation']} vs {e}")
    avg, bn = os.path.join(d, "report-avg.pt"), os.path.join(d, "report-avg-bn.pt")
    run("swa-average", *files, "-o", avg)
    run("swa-bn", avg, "--model", ts, "--data", os.path.join(data, "train.pt"), "--batch-size", str(BATCH), "-o", bn)
    e = json.loads(run("swa-eval", bn, "--model", ts, "--data", val, "--batch-size", str(BATCH),
                       "--json", "-").stdout)["metrics"]
    u = report["uniform_average"]["validation"]
    check("report --model: the uniform average scored as the pipeline scores it",
          abs(u["top1"] - e["top1"]) < 1e-9 and abs(u["nll"] - e["nll"]) <= 1e-6 * e["nll"], f"{u} vs {e}")
    check("report --model: test split scored", report["data"]["test_images"] == 200, str(report["data"]))
    check("report --model: no augmentation claimed for a tensor file", report["data"]["bn_augment"] is False)
    check("report --model: arch is the scripted class", "Tabular" in report["arch"], report["arch"])


with tempfile.TemporaryDirectory() as d:
    kept = None
    for name, (model, shape, classes) in models().items():
        files = test_model(d, name, model, shape, classes)
        if name == "tabular":
            kept = files
    test_refusals(d, *kept)
    test_report(d, kept[0], kept[1])
    test_ranks(d, *kept)
    test_many_classes(d)
    test_no_batchnorm(d)
    test_pixels(d)
    test_resnet_matches_builtin(d)
finish()
