#!/usr/bin/env bash
# swa-bn and swa-eval as a user runs them: messages and exit codes on bad input, the warning on
# averaged BatchNorm statistics, nothing written on failure.
source "$(dirname "$0")/cli_harness.sh"

"$bin/swa-make-samples" --arch resnet18-cifar-w4 --count 2 --out "$work/run" --threads 1 2>/dev/null
"$bin/swa-average" "$work/run" -o "$work/swa.h5" 2>/dev/null
make_cifar "$work/cifar"

check "swa-bn help" 0 "update_bn" -- "$bin/swa-bn" --help
check "swa-bn writes recomputed statistics" 0 "bn_state=recomputed" -- \
  "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" --samples 1000 -o "$work/bn.pt"
check "swa-bn --layout onednn runs in oneDNN's layout and says so" 0 '"chosen_by": "--layout"' -- \
  "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" --samples 500 --layout onednn -o "$work/bn-onednn.pt" --json -
check "swa-bn's JSON names the layout" 0 '"name": "onednn"' -- \
  "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" --samples 500 --layout onednn -o "$work/bn-onednn.pt" --json -
check "an unknown layout is refused by the parser" 105 "--layout: nhwc not in" -- \
  "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" --layout nhwc -o "$work/x.pt"
/usr/bin/python3 -c "import torch,sys; sd=torch.load(sys.argv[1]); torch.save(dict(sd), sys.argv[2])" "$work/bn.pt" "$work/bare.pt" 2>/dev/null || true
check "swa-eval warns about averaged statistics" 0 "WARNING: BatchNorm statistics" -- \
  "$bin/swa-eval" "$work/swa.h5" --data "$work/cifar" --split val --val-size 1000
check "swa-eval prints the table" 0 "top-1" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar"
# --key reaches every reader of the tool: a checkpoint whose "state_dict" is zeros and whose
# "state_dict_ema" is bn.pt's weights evaluates as bn.pt with --key state_dict_ema, not without.
/usr/bin/python3 -c "
import sys, torch
sd = torch.load(sys.argv[1]); sd = sd.get('state_dict', sd)
zeros = {k: torch.zeros_like(v) if v.is_floating_point() else v for k, v in sd.items()}
torch.save({'state_dict': zeros, 'state_dict_ema': dict(sd), 'epoch': 3}, sys.argv[2])" "$work/bn.pt" "$work/ema.pt"
"$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --json "$work/plain.json" -q
"$bin/swa-eval" "$work/ema.pt" --key state_dict_ema --data "$work/cifar" --json "$work/ema.json" -q
"$bin/swa-eval" "$work/ema.pt" --data "$work/cifar" --json "$work/zeros.json" -q 2>/dev/null
/usr/bin/python3 -c "
import json, sys
plain, ema, zeros = (json.load(open(p))['metrics'] for p in sys.argv[1:])
sys.exit(0 if ema == plain and zeros != plain else 1)" "$work/plain.json" "$work/ema.json" "$work/zeros.json"
expect "swa-eval --key state_dict_ema evaluates the EMA weights (and without --key, state_dict)" $?
check "swa-bn --key state_dict_ema reads the EMA weights" 0 "bn_state=recomputed" -- \
  "$bin/swa-bn" "$work/ema.pt" --key state_dict_ema --data "$work/cifar" --samples 500 -o "$work/ema-bn.pt"
check "swa-inspect --key names the object it took" 0 '"object": "state_dict_ema"' -- \
  "$bin/swa-inspect" "$work/ema.pt" --key state_dict_ema --json -
check "swa-eval json" 0 '"top1"' -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --json -
check "swa-eval --precision bf16 says what it changes against float32" 0 "bf16 against float32 on the same images" -- \
  "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --precision bf16
check "swa-eval --precision bf16 json carries the change" 0 '"top1_change"' -- \
  "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --precision bf16 --json -
check "swa-eval --precision fp16 on the CPU: a clear error, not LibTorch's" 1 \
  "--precision fp16 needs a CUDA device (on the CPU use --precision bf16)" -- \
  "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --precision fp16 --device cpu
check "data from SWA_DATA" 0 "top-1" -- env SWA_DATA="$work/cifar" "$bin/swa-eval" "$work/bn.pt"

check "missing data folder" 1 "prepare.sh" -- "$bin/swa-bn" "$work/swa.h5" --data "$work/nope" -o "$work/x.pt"
check "no data given" 1 "--data" -- env -u SWA_DATA "$bin/swa-eval" "$work/bn.pt"
check "a batch size of 0 is refused in words" 105 "--batch-size: must be at least 1, got 0" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --batch-size 0
check "unknown split" 105 "--split: dev not in {test,val,train}" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --split dev
check "cuda without cuda" 1 "no CUDA device" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --device cuda
check "an unknown device is refused by the parser" 105 "is not auto, cpu, cuda or cuda:N" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar" --device gpu
check "missing output folder" 1 "does not exist" -- "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" -o "$work/no/x.pt"
check "output equal to input" 1 "is an input of this command" -- "$bin/swa-bn" "$work/swa.h5" --data "$work/cifar" -o "$work/swa.h5"
check "a bare .pt: the architecture comes from its tensors" 0 '"arch": "resnet18-cifar-w4"' -- \
  "$bin/swa-eval" "$work/bare.pt" --data "$work/cifar" --json - -q
/usr/bin/python3 -c "import torch,sys; sd=torch.load(sys.argv[1]); torch.save({k: v for k, v in sd.items() if not k.startswith('layer4.1.')}, sys.argv[2])" "$work/bare.pt" "$work/cut.pt" 2>/dev/null || true
check "a bare .pt that fits no ResNet needs --arch" 1 "cut.pt: has no architecture in its metadata, and its tensors fit none of the ResNets (basic blocks per stage 2, 2, 2, 1 are no ResNet-18/34/50/101/152); pass --arch" -- \
  "$bin/swa-eval" "$work/cut.pt" --data "$work/cifar"
/usr/bin/python3 -c "import torch,torchvision,sys; torch.save(torchvision.models.resnet18(num_classes=5).state_dict(), sys.argv[1])" "$work/five.pt" 2>/dev/null || true
check "a model with 5 outputs is refused for CIFAR-10's 10 classes" 1 "gives 5 outputs, but CIFAR-10 has 10 classes" -- \
  "$bin/swa-eval" "$work/five.pt" --data "$work/cifar"
truncate -s 1000 "$work/cifar/test_batch.bin"
check "truncated batch file" 1 "test_batch.bin: is 1000 bytes" -- "$bin/swa-eval" "$work/bn.pt" --data "$work/cifar"

nothing_left_behind
finish
