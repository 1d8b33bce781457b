#!/usr/bin/env bash
# The GPU issue's device check, ONE call of under 10 minutes on one H100/H200, everything under
# $OUT (or ./gpu-out). Needs a CUDA PyTorch (python3) and .gpu/ beside the repo's files:
#   .gpu/deps   made by `bash scripts/bundle-deps.sh .gpu/deps` on a Debian machine (HDF5 & co.)
#   .gpu/data   cifar10-jpg.tar.xz, decode.py and SHA256SUMS (../shared/data/cifar10/)
# Steps, each logged with the seconds since the start (log.txt), each under its own timeout:
#   1. build (scripts/configure.sh finds python3's CUDA LibTorch and NCCL); a build that fails
#      with NCCL is redone without it (-DSWA_NCCL=OFF) so the call is not lost; meanwhile the
#      PyTorch 2.x fixtures (tests/fixtures/torch2/make_fixtures.py -> fixtures.tar.gz)
#   2. passes: swa-eval (auto twice: measured, then remembered; reference; frozen) and swa-bn on
#      ResNet-50 against PyTorch's variants (bench/gpu/py_gpu_passes.py), warm and cold
#   3. NCCL: a group of one (WORLD_SIZE=1, --dist-backend nccl) for swa-eval, swa-bn, swa-train
#      against the plain run; two ranks on the one GPU (NCCL refuses that, expected)
#   4. fp16: a 2-epoch --amp fp16 run, swa-eval --precision fp16
#   5. --model on CUDA: a scripted torchvision ResNet-50 through swa-bn/swa-eval
#   6. the converged recipe in the time left: resnet50-cifar, bf16, SWA phase; average,
#      BatchNorm, eval, report (report.tar.gz)
set -uo pipefail
out=${OUT:-$PWD/gpu-out}
res=/tmp/res  # everything but the log, fixtures and report: results.tar.gz at the end (8 files come back)
mkdir -p "$out" $res
exec > >(tee "$out/log.txt") 2>&1
root=$PWD
start=$(date +%s)
budget=${SWA_GPU_BUDGET:-575}  # seconds for the whole script
since() { echo $(($(date +%s) - start)); }
stamp() { echo "[$(since)s] $*"; }
nvidia-smi -L
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
nproc
export PYTHONUNBUFFERED=1

stamp "decode CIFAR-10 and write the PyTorch 2.x fixtures (background)"
data=${SWA_GPU_DATA:-/tmp/cifar}  # a dry run on the CPU gives a small CIFAR-10 folder here
[ -n "${SWA_GPU_DATA:-}" ] || (python3 .gpu/data/decode.py .gpu/data/cifar10-jpg.tar.xz $data && cd $data &&
  sha256sum -c --quiet "$root/.gpu/data/SHA256SUMS" && echo "decode: ok") > "$res/decode.txt" 2>&1 &
decode=$!
[ "${SWA_GPU_FIXTURES:-1}" = 1 ] && (timeout 120 python3 tests/fixtures/torch2/make_fixtures.py /tmp/fixtures > /tmp/fixtures.txt 2>&1;
  echo "fixtures rc $?" >> /tmp/fixtures.txt; tar -czf "$out/fixtures.tar.gz" -C /tmp fixtures fixtures.txt) &
fixtures=$!

stamp "1. build"
b=${SWA_GPU_BUILD:-/tmp/build}  # a dry run on the CPU gives its build folder and skips the build
targets=(swa-train swa-average swa-bn swa-eval swa-report swa-make-samples swa-launch swa-inspect)
if [ -z "${SWA_GPU_BUILD:-}" ]; then
SWA_BUILD_DIR=$b bash scripts/configure.sh --deps-prefix .gpu/deps > "$res/build.txt" 2>&1
grep "SWA_NCCL" $b/CMakeCache.txt | grep -v "^//" | head -5
if ! cmake --build $b -j"$(nproc)" --target "${targets[@]}" -- -k 0 >> "$res/build.txt" 2>&1; then
  stamp "build FAILED; the errors, then again without NCCL"
  grep -E "error|FAILED" -A3 "$res/build.txt" | head -40
  SWA_BUILD_DIR=$b bash scripts/configure.sh --deps-prefix .gpu/deps -DSWA_NCCL=OFF >> "$res/build.txt" 2>&1
  cmake --build $b -j"$(nproc)" --target "${targets[@]}" -- -k 0 >> "$res/build.txt" 2>&1 ||
    { stamp "build FAILED again"; grep -E "error|FAILED" -A3 "$res/build.txt" | tail -40; }
fi
fi
stamp "built: $(cd $b && ls swa-* 2>/dev/null | tr '\n' ' ')"
wait $decode
cat "$res/decode.txt" 2>/dev/null
[ -z "${SWA_GPU_BUILD:-}" ] && export LD_LIBRARY_PATH=$root/.gpu/deps/lib
val=${SWA_GPU_VAL:-5000}  # the recipe's validation images
small=${SWA_GPU_SMALL:-5000}  # training images of the short NCCL and fp16 runs (a dry run: fewer)
# A dry run on the CPU: SWA_GPU_BUILD=build SWA_GPU_DATA=cifar10/ SWA_GPU_ARCH=resnet18-cifar-w4
# SWA_RECIPE_ARCH=resnet18-cifar-w4 SWA_GPU_SMALL=500 SWA_RECIPE_EPOCHS=2 SWA_RECIPE_MIN_EPOCHS=1
# (the PyTorch parts need a CUDA PyTorch and fail there).
export SWA_CACHE_DIR=/tmp/swa-cache
j() { python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); m=d.get('metrics',{}); e=d.get('engine',{})
print(sys.argv[2], {k: d.get(k) for k in ('setup_seconds','forward_seconds','pass_seconds','images_per_second','total_seconds') if k in d},
      'engine', *([e.get(k) for k in ('name', 'chosen_by', 'frozen_images_per_second', 'reference_images_per_second')] if isinstance(e, dict) else [e]),
      'top1', m.get('top1'), 'nll', m.get('nll'))" "$@"; rm -f /tmp/e.json; }  # a failed run shows no stale figures
wall() { local s=$(date +%s.%N); "$@"; echo "  rc $? wall $(awk "BEGIN{printf \"%.2f\", $(date +%s.%N) - $s}") s"; }
bn_error() {  # bn_error CKPT LABEL: the worst relative error of its statistics against update_bn's
  python3 - "$1" "$2" <<'PY'
import sys, torch
ours, ref = torch.load(sys.argv[1], weights_only=False), torch.load("/tmp/py-bn.pt")
ours = ours.get("state_dict", ours)
worst = max(((ours[k].double() - ref[k].double()).norm() / ref[k].double().norm()).item()
            for k in ref if k.endswith("running_mean") or k.endswith("running_var"))
print(sys.argv[2] + ", worst relative error against update_bn:", worst)
PY
}

if [ "${SWA_GPU_PASSES:-1}" = 1 ]; then
stamp "2. passes: ResNet-50 (imagenet stem, random weights), 10,000 test / 50,000 train images"
$b/swa-make-samples --arch ${SWA_GPU_ARCH:-resnet50} --count 1 --out /tmp/snap --format h5 > /dev/null
$b/swa-average /tmp/snap/cycle-0001.h5 -o /tmp/snap/model.pt -q
for run in 1 2; do
  wall timeout 60 $b/swa-bn /tmp/snap/cycle-0001.h5 --data $data --val-size 0 -o /tmp/snap/bn$run.h5 --json $res/bn$run.json -q
  j $res/bn$run.json "swa-bn run $run"
done
cp /tmp/snap/bn1.h5 /tmp/snap/bn.h5
$b/swa-average /tmp/snap/bn.h5 -o /tmp/snap/bn.pt -q
k=0
for engine in auto auto reference frozen; do
  k=$((k + 1))
  wall timeout 60 $b/swa-eval /tmp/snap/bn.h5 --data $data --engine $engine --json $res/eval$k-$engine.json -q
  j $res/eval$k-$engine.json "swa-eval --engine $engine"
done
cat /tmp/swa-cache/measured-choices.json 2>/dev/null | head -30
wall timeout 60 $b/swa-eval /tmp/snap/bn.h5 --data $data --precision bf16 --json /tmp/e.json -q
j /tmp/e.json "swa-eval --precision bf16"
stamp "PyTorch's variants (one process)"
wall timeout 120 python3 bench/gpu/py_gpu_passes.py /tmp/snap/bn.pt $data | tee $res/py-passes.jsonl
bn_error /tmp/snap/bn.pt "BatchNorm statistics"
fi

stamp "3. NCCL: a group of one against the plain run; two ranks on one GPU"
one=(env WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29517)
wall timeout 60 "${one[@]}" $b/swa-eval /tmp/snap/bn.h5 --data $data --dist-backend nccl --engine reference --json /tmp/e-nccl.json -q
timeout 60 $b/swa-eval /tmp/snap/bn.h5 --data $data --engine reference --json /tmp/e-plain.json -q
j /tmp/e-nccl.json "swa-eval nccl group of one"; j /tmp/e-plain.json "swa-eval plain"
wall timeout 60 "${one[@]}" $b/swa-bn /tmp/snap/cycle-0001.h5 --data $data --val-size 0 --dist-backend nccl -o /tmp/snap/bn-nccl.h5 -q
$b/swa-average /tmp/snap/bn-nccl.h5 -o /tmp/snap/bn-nccl.pt -q
python3 - <<'PY'
import torch
a = torch.load("/tmp/snap/bn.pt", weights_only=False); b = torch.load("/tmp/snap/bn-nccl.pt", weights_only=False)
a, b = a.get("state_dict", a), b.get("state_dict", b)
worst = max(((a[k].double() - b[k].double()).abs().max().item()) for k in a if a[k].is_floating_point())
print("swa-bn nccl group of one vs plain:", len(a), "tensors, worst absolute difference", worst)
PY
wall timeout 90 "${one[@]}" $b/swa-train --data $data --arch resnet18-cifar --train-samples $small --val-size $((small / 5)) --epochs 1 --batch-size 256 --dist-backend nccl --out /tmp/train-nccl -q --overwrite
timeout 90 $b/swa-train --data $data --arch resnet18-cifar --train-samples $small --val-size $((small / 5)) --epochs 1 --batch-size 256 --out /tmp/train-plain -q --overwrite
echo "nccl:  $(head -c 400 /tmp/train-nccl/log.jsonl 2>/dev/null)"
echo "plain: $(head -c 400 /tmp/train-plain/log.jsonl 2>/dev/null)"
wall timeout 25 $b/swa-launch --nproc 2 $b/swa-eval /tmp/snap/bn.h5 --data $data --dist-backend nccl --engine reference --json /tmp/e-nccl2.json -q 2>&1 | tail -5
[ -f /tmp/e-nccl2.json ] && j /tmp/e-nccl2.json "swa-eval nccl 2 ranks on one GPU"

stamp "4. fp16"
wall timeout 90 $b/swa-train --data $data --arch resnet18-cifar --train-samples $((small * 2)) --val-size $((small / 5)) --epochs 2 --batch-size 256 --amp fp16 --out /tmp/fp16 -q --overwrite
cat /tmp/fp16/log.jsonl 2>/dev/null | cut -c1-300
wall timeout 60 $b/swa-eval /tmp/snap/bn.h5 --data $data --precision fp16 --json /tmp/e.json -q
j /tmp/e.json "swa-eval --precision fp16"

stamp "5. --model on CUDA (scripted torchvision ResNet-50, the same weights)"
python3 -c "import torch, torchvision; torch.jit.script(torchvision.models.resnet50(num_classes=10)).save('/tmp/r50.ts')"
wall timeout 60 $b/swa-bn /tmp/snap/model.pt --model /tmp/r50.ts --data $data --val-size 0 -o /tmp/snap/bn-ts.pt --json /tmp/bn-ts.json -q
j /tmp/bn-ts.json "swa-bn --model"
for run in 1 2; do
  wall timeout 60 $b/swa-eval /tmp/snap/bn-ts.pt --model /tmp/r50.ts --data $data --json /tmp/e.json -q
  j /tmp/e.json "swa-eval --model run $run"
done
bn_error /tmp/snap/bn-ts.pt "--model BatchNorm statistics"
wait $fixtures

run=/tmp/recipe
common=(--data $data --arch ${SWA_RECIPE_ARCH:-resnet50-cifar} --val-size $val --batch-size 512 --amp bf16 --lr 0.2
        --momentum 0.9 --nesterov --weight-decay 5e-4 --warmup-epochs 2 --schedule cosine -q)
# 2026-11-28, H200: 3.9 s an epoch (45,000 images, validation included) after a first epoch of
# 12 s (cuDNN timing its kernels). The last 25 % are the SWA phase.
after=${SWA_GPU_AFTER:-75}  # average + BatchNorm + evals + report
left=$((budget - $(since) - after))
epochs=${SWA_RECIPE_EPOCHS:-$(( (left - 14) * 10 / 40 ))}
[ "$epochs" -gt 72 ] && epochs=72
[ "$epochs" -lt 2 ] && epochs=2
swa_epochs=$((epochs / 4)); [ $swa_epochs -lt 1 ] && swa_epochs=1
stamp "6. converged recipe: resnet50-cifar, bf16, batch 512: $epochs epochs, SWA phase $swa_epochs, stopped after $left s at the latest"
if [ "$epochs" -ge ${SWA_RECIPE_MIN_EPOCHS:-8} ]; then
cmd=($b/swa-train "${common[@]}" --out $run --overwrite --epochs $epochs --swa-start $((epochs - swa_epochs))
     --swa-schedule cyclic --cycle-epochs 1 --swa-lr-max ${SWA_LR_MAX:-0.02} --swa-lr-min 0.002)
echo "${cmd[*]}" | tee "$res/recipe-command.txt"
t0=$(date +%s)
timeout -s TERM $left "${cmd[@]}"
stamp "trained (rc $?) in $(($(date +%s) - t0)) s"
cp $run/log.jsonl "$res/recipe-log.jsonl" 2>/dev/null
$b/swa-average $run/snapshots -o $run/swa.h5 -q
# BatchNorm re-estimated on the training images as training saw them (random crop + flip), as
# swa-report does.
$b/swa-bn $run/swa.h5 --data $data --val-size $val --augment -o $run/swa-bn.h5 -q
for f in $run/snapshots/cycle-*.h5 $run/swa.h5 $run/swa-bn.h5; do
  rm -f /tmp/e.json; $b/swa-eval "$f" --data $data --val-size $val --json /tmp/e.json -q
  python3 -c "import json; d=json.load(open('/tmp/e.json')); m=d['metrics']; print('TEST', '$(basename $f)', round(m['top1'],2), round(m['nll'],4))"
done | tee "$res/recipe-test.txt"
stamp "swa-report"
timeout $((budget - $(since) + 10)) $b/swa-report $run --data $data -o /tmp/report --json $res/report.json -q
stamp "report rc $?"
tar -czf "$out/report.tar.gz" -C /tmp report 2>/dev/null
fi
tar -czf "$out/results.tar.gz" -C /tmp res
stamp done
