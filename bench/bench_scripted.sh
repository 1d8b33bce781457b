#!/usr/bin/env bash
# Benchmark for --model (issue: any TorchScript model, any tensor data set): a scripted ResNet-50
# and a scripted MobileNetV2 (torchvision, 10 classes, random weights) on CIFAR-10-sized inputs
# from real CIFAR-10 (prepare.sh) stored as uint8 tensor files, against Python on the same model,
# images and batch size (bench/py_scripted.py): update_bn on the eager model, eval eager and
# scripted. The passes alone are compared (swa-bn's pass_seconds, swa-eval's forward_seconds);
# the ResNet-50 also against the built-in path's passes on the same number of images.
# Usage: bench/bench_scripted.sh [CIFAR_DIR]   (N_BN, N_EVAL, BATCH: images and batch size)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWA_BIN:-}" ]; then bash scripts/build.sh; fi
bin=${SWA_BIN:-${SWA_BUILD_DIR:-build}}
data=${1:-$(bash ../shared/data/cifar10/prepare.sh)}
work=${SWA_BENCH_DIR:-/tmp/swa-bench-scripted}
n_bn=${N_BN:-5000} n_eval=${N_EVAL:-10000} batch=${BATCH:-500}
threads=$(nproc)
mkdir -p "$work"

/usr/bin/python3 - "$data" "$work" "$n_bn" "$n_eval" <<'PY'
import os, sys
import h5py, numpy as np, torch, torchvision
data, work, n_bn, n_eval = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
folder = data if os.path.exists(f"{data}/test_batch.bin") else f"{data}/cifar-10-batches-bin"
def read(files, n):
    raw = np.concatenate([np.fromfile(f"{folder}/{f}", dtype=np.uint8).reshape(-1, 3073) for f in files])[:n]
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)
for name, files, n in [("train", [f"data_batch_{i}.bin" for i in range(1, 6)], n_bn), ("test", ["test_batch.bin"], n_eval)]:
    x, y = read(files, n)
    with h5py.File(f"{work}/{name}.h5", "w") as f:
        f["inputs"], f["labels"] = x, y
torch.manual_seed(0)
for arch in ["resnet50", "mobilenet_v2"]:
    m = getattr(torchvision.models, arch)(num_classes=10)
    torch.save(m.state_dict(), f"{work}/{arch}.pt")
    torch.jit.script(m).save(f"{work}/{arch}.ts")
PY

field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
norm=(--mean 0.4914,0.4822,0.4465 --std 0.2023,0.1994,0.2010)
echo "machine: $threads cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d); LibTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
echo "images: BatchNorm pass $n_bn, evaluation $n_eval, batch $batch"
echo
echo "| model | pass | ours, images/s | Python, images/s | ratio |"
echo "|---|---|---|---|---|"
for arch in resnet50 mobilenet_v2; do
  "$bin/swa-bn" "$work/$arch.pt" --model "$work/$arch.ts" --data "$work/train.h5" "${norm[@]}" \
    --batch-size "$batch" --threads "$threads" -q -o "$work/$arch-bn.pt" --json "$work/$arch-bn.json"
  "$bin/swa-eval" "$work/$arch-bn.pt" --model "$work/$arch.ts" --data "$work/test.h5" "${norm[@]}" \
    --batch-size "$batch" --threads "$threads" -q --json "$work/$arch-eval.json"
  /usr/bin/python3 bench/py_scripted.py "$arch" "$work" "$batch" "$threads" > "$work/$arch-py.json"
  ours_bn=$(field "$work/$arch-bn.json" "['images_per_second']")
  ours_eval=$(field "$work/$arch-eval.json" "['images_per_second']")
  py_bn=$(field "$work/$arch-py.json" "['update_bn_images_per_second']")
  py_eager=$(field "$work/$arch-py.json" "['eval_eager_images_per_second']")
  py_script=$(field "$work/$arch-py.json" "['eval_scripted_images_per_second']")
  py_eval=$(/usr/bin/python3 -c "print(max($py_eager, $py_script))")
  awk -v a="$arch" -v o="$ours_bn" -v p="$py_bn" 'BEGIN{printf "| %s | BatchNorm (update_bn) | %.0f | %.0f | %.2fx |\n", a, o, p, o/p}'
  awk -v a="$arch" -v o="$ours_eval" -v p="$py_eval" -v e="$py_eager" -v s="$py_script" \
    'BEGIN{printf "| %s | evaluation (Python: the faster of eager %.0f, scripted %.0f) | %.0f | %.0f | %.2fx |\n", a, e, s, o, p, o/p}'
done

# The built-in path on the same counts: swa-bn --samples N_BN, swa-eval on the N_EVAL test images.
"$bin/swa-bn" "$work/resnet50.pt" --arch resnet50 --data "$data" --val-size 0 --samples "$n_bn" \
  --batch-size "$batch" --threads "$threads" -q -o "$work/builtin-bn.pt" --json "$work/builtin-bn.json"
"$bin/swa-eval" "$work/builtin-bn.pt" --arch resnet50 --data "$data" --batch-size "$batch" \
  --threads "$threads" -q --json "$work/builtin-eval.json"
echo
echo "| ResNet-50 pass | --model, images/s | built-in, images/s | built-in / --model |"
echo "|---|---|---|---|"
for pass in bn eval; do
  o=$(field "$work/resnet50-$pass.json" "['images_per_second']")
  b=$(field "$work/builtin-$pass.json" "['images_per_second']")
  detail=$([ $pass = bn ] && field "$work/builtin-bn.json" "['layout']['name']" || field "$work/builtin-eval.json" "['engine']['name']")
  awk -v p="$pass" -v o="$o" -v b="$b" -v d="$detail" 'BEGIN{printf "| %s | %.0f | %.0f (%s) | %.2fx |\n", p, o, b, d, b/o}'
done
