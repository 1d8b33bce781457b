"""Shared by the Python interop tests: counting checks, the closing line CTest reads, a CIFAR maker."""
import os
import subprocess
import sys

failures, passes = [], 0


def check(name, ok, detail=""):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(name)
        print(f"FAIL: {name} {detail}")


def run_tool(bin_dir, *args, expect=0):
    """Runs one of our binaries; a different exit code is a failed check."""
    p = subprocess.run([os.path.join(bin_dir, args[0]), *args[1:]], capture_output=True, text=True)
    check(f"{args[0]} exits {expect}", p.returncode == expect, f"(got {p.returncode}) {p.stderr[-2000:]}")
    return p


def read_safetensors(path):
    """{key: (dtype, shape, bytes)} of a .safetensors file, by the format's specification, in the
    header's order."""
    import json
    import struct

    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    return {k: (e["dtype"], e["shape"], data[e["data_offsets"][0]:e["data_offsets"][1]])
            for k, e in header.items() if k != "__metadata__"}


def write_cifar(folder, kind="smooth"):
    """A CIFAR-10 folder in the official binary layout, labels 0..9, the one synthetic writer of
    the tests (tests/cli/cli_harness.sh's make_cifar calls it). Pixels by `kind`:
      smooth     smooth random images (4x4 blocks plus noise): BatchNorm statistics not trivial
      noise      uniform noise
      learnable  a colour per class plus noise: a tiny net learns it in an epoch"""
    import numpy as np

    rng = np.random.default_rng(0)
    os.makedirs(folder)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    if kind == "smooth":
        for name in names:
            labels = rng.integers(0, 10, 10000, dtype=np.uint8)
            base = rng.integers(0, 256, (10000, 3, 4, 4)).astype(np.float32)
            images = np.kron(base, np.ones((1, 1, 8, 8), dtype=np.float32))
            images += rng.normal(0, 20, images.shape)
            pixels = np.clip(images, 0, 255).astype(np.uint8).reshape(10000, 3072)
            with open(os.path.join(folder, name), "wb") as f:
                f.write(np.concatenate([labels[:, None], pixels], axis=1).tobytes())
        with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
            f.write("\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                               "horse", "ship", "truck"]) + "\n")
        return
    labels = np.arange(10000, dtype=np.uint8) % 10
    colour = np.array([[25 * ((k * (c + 3)) % 10) for c in range(3)] for k in range(10)],
                      dtype=np.uint8)
    for name in names:
        if kind == "learnable":
            pixels = rng.integers(0, 30, size=(10000, 3, 1024), dtype=np.uint8) + colour[labels][:, :, None]
        else:
            pixels = rng.integers(0, 256, size=(10000, 3, 1024), dtype=np.uint8)
        records = np.concatenate([labels[:, None], pixels.reshape(10000, 3072)], axis=1)
        records.tofile(os.path.join(folder, name))
    with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
        f.write("\n".join("abcdefghij") + "\n")


def finish():
    print(f"{passes} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
