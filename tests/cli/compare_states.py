"""compare_states.py A B MAX: the largest relative difference (norm of the difference over the
norm of A) over the numeric tensors A and B share (.h5 snapshots, or .pt state dicts); exits 1
when it passes MAX (or the tensor names differ), 0 otherwise. MAX may be '>X': then exit 1 unless
the difference is larger than X (a check that can fail the other way)."""
import sys
import numpy as np


def tensors(path):
    if path.endswith(".h5"):
        import h5py
        with h5py.File(path, "r") as f:
            return {k: np.asarray(v[()], dtype=np.float64) for k, v in f["tensors"].items()
                    if v.dtype.kind in "fiu"}
    import torch
    return {k: v.double().numpy() for k, v in torch.load(path).items()}


a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
if a.keys() != b.keys():
    print("different tensors:", sorted(set(a) ^ set(b))[:5])
    sys.exit(1)
worst, where = 0.0, ""
for k in a:
    if "num_batches_tracked" in k:
        if not np.array_equal(a[k], b[k]):
            print(f"{k}: {a[k]} != {b[k]}")
            sys.exit(1)
        continue
    e = float(np.linalg.norm(a[k] - b[k]) / max(np.linalg.norm(a[k]), 1e-12))
    if e > worst:
        worst, where = e, k
print(f"worst relative difference {worst:.3g} ({where})")
bound = sys.argv[3]
sys.exit(int(worst <= float(bound[1:])) if bound.startswith(">") else int(worst > float(bound)))
