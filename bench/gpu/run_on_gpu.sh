#!/usr/bin/env bash
# GPU run of swa-bn and swa-eval against PyTorch on the same card (bench/README.md, GPU table).
# Runs on a machine with a CUDA PyTorch (python3) and no network: builds the tools against that
# PyTorch's LibTorch, with HDF5, CLI11, nlohmann-json, OpenSSL, minizip and libdeflate carried in .gpu/ (see
# bench/gpu/README.md), decodes CIFAR-10 from the carried JPEG archive, then times each step.
# Writes logs and JSON to $OUT (or ./gpu-out).
set -uo pipefail
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1
root=$PWD
carried=$root/.gpu
stamp() { echo "[$(date +%T)] $*"; }
nvidia-smi -L
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'

stamp "decode CIFAR-10 (background)"
(python3 "$carried/data/decode.py" "$carried/data/cifar10-jpg.tar.xz" /tmp/cifar > "$out/decode.txt" 2>&1;
 cd /tmp/cifar && sha256sum -c --quiet "$carried/data/SHA256SUMS" >> "$out/decode.txt" 2>&1; echo "decode rc=$?" >> "$out/decode.txt") &
decode_pid=$!

torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
configure() {
  cmake -S "$root" -B /tmp/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$carried" -DHDF5_ROOT="$carried" -DOPENSSL_ROOT_DIR="$carried" \
    -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$carried/lib -Wl,-rpath,$carried/lib" "$@" > "$out/cmake.txt" 2>&1
}
build() { cmake --build /tmp/build -j16 --target swa-bn swa-eval swa-average swa-make-samples swa-inspect > "$out/build.txt" 2>&1; }
stamp "configure + build against $torch_prefix"
if ! (configure && build); then
  stamp "full build failed (see build.txt); retrying without .pt support"
  cp "$out/build.txt" "$out/build-full-failed.txt"
  configure -DSWA_WITH_TORCH_PICKLE=OFF && build || { stamp "build failed"; tail -50 "$out/build.txt"; exit 1; }
fi
stamp "built"
bin=/tmp/build
wait $decode_pid
cat "$out/decode.txt"
data=/tmp/cifar

stamp "ResNet-50 snapshot (random weights) and its .pt twin for Python"
"$bin/swa-make-samples" --arch resnet50 --count 1 --out /tmp/snap --format h5
"$bin/swa-average" /tmp/snap/cycle-0001.h5 -o /tmp/snap/model.safetensors
python3 - <<'PY'
import json, struct, torch, numpy as np
with open("/tmp/snap/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n)); data = f.read()
dt = {"F32": np.float32, "I64": np.int64}
sd = {k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dt[v["dtype"]]).reshape(v["shape"]).copy())
      for k, v in header.items() if k != "__metadata__"}
torch.save(sd, "/tmp/snap/model.pt")
PY

timed() { local name=$1; shift; local t0=$(date +%s.%N); "$@" > "$out/$name.json" 2> "$out/$name.err"; local rc=$?;
          local t1=$(date +%s.%N); echo "$name rc=$rc wall=$(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"; tail -2 "$out/$name.err"; }
for dev in cuda cpu; do
  [ "$dev" = cpu ] && continue  # the CPU figures come from the 2-core machine
  stamp "ours on $dev"
  timed swa-bn-warm env LD_LIBRARY_PATH="$carried/lib" "$bin/swa-bn" /tmp/snap/cycle-0001.h5 --data $data --val-size 0 --device $dev -o /tmp/snap/bn0.h5 --json -
  timed swa-bn env LD_LIBRARY_PATH="$carried/lib" "$bin/swa-bn" /tmp/snap/cycle-0001.h5 --data $data --val-size 0 --device $dev -o /tmp/snap/bn.h5 --json -
  timed swa-eval env LD_LIBRARY_PATH="$carried/lib" "$bin/swa-eval" /tmp/snap/bn.h5 --data $data --device $dev --json -
  "$bin/swa-average" /tmp/snap/bn.h5 -o /tmp/snap/bn.safetensors 2>/dev/null
  stamp "PyTorch on $dev"
  timed py-bn python3 "$root/bench/py_bn_eval.py" bn --ckpt /tmp/snap/model.pt --data $data --device $dev --out /tmp/snap/py-bn.pt
  timed py-bn-cl python3 "$root/bench/py_bn_eval.py" bn --ckpt /tmp/snap/model.pt --data $data --device $dev --variant channels_last
  timed py-eval python3 "$root/bench/py_bn_eval.py" eval --ckpt /tmp/snap/py-bn.pt --data $data --device $dev
  timed py-eval-cl python3 "$root/bench/py_bn_eval.py" eval --ckpt /tmp/snap/py-bn.pt --data $data --device $dev --variant channels_last
  timed py-eval-dl python3 "$root/bench/py_bn_eval.py" eval --ckpt /tmp/snap/py-bn.pt --data $data --device $dev --variant dataloader
done
stamp "compare our BN statistics with update_bn's"
python3 - "$out" <<'PY'
import json, struct, sys, torch, numpy as np
def load_st(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    dt = {"F32": np.float32, "I64": np.int64}
    return {k: torch.from_numpy(np.frombuffer(d[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dt[v["dtype"]]).reshape(v["shape"]).copy()) for k, v in h.items() if k != "__metadata__"}
ours, ref = load_st("/tmp/snap/bn.safetensors"), torch.load("/tmp/snap/py-bn.pt")
worst = max(((ours[k].double() - ref[k].double()).norm() / ref[k].double().norm()).item()
            for k in ref if k.endswith("running_mean") or k.endswith("running_var"))
print(json.dumps({"bn_worst_relative_error_vs_update_bn": worst}))
PY
stamp "done"
