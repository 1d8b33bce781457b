#!/usr/bin/env bash
# swa-inspect as a user runs it.
source "$(dirname "$0")/cli_harness.sh"

"${SWA_SAMPLES_BIN:-$bin}/swa-make-samples" --arch resnet18-cifar-w4 --count 2 --out "$work/run" --threads 1 2>/dev/null
out=$("$bin/swa-inspect" --verify "$work/run/cycle-0001.h5"); code=$?
expect "verify ok exits 0" $code
grep -q "resnet18-cifar-w4" <<<"$out"; expect "shows the architecture" $?
grep -q "verify       ok" <<<"$out"; expect "says verification passed" $?

json=$("$bin/swa-inspect" --json - "$work/run/cycle-0002.h5")
/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["tensor_count"]==122 and d[0]["meta"]["cycle"]==2, d' <<<"$json"
expect "json has tensor count and metadata" $?

# A bare state dict saved from Python has no metadata: swa-inspect says which ResNet its tensors fit.
/usr/bin/python3 - "$work/run/cycle-0001.h5" "$work/bare.pt" <<'PY'
import sys
import h5py, numpy as np, torch
with h5py.File(sys.argv[1]) as f:
    torch.save({k: torch.from_numpy(np.array(f["tensors"][k][...])) for k in f["tensors"]}, sys.argv[2])
PY
out=$("$bin/swa-inspect" "$work/bare.pt")
grep -qF "arch         resnet18-cifar-w4 (no metadata: the ResNet its tensors fit), 10 classes" <<<"$out"
expect "a bare .pt: the ResNet its tensors fit" $?
"$bin/swa-inspect" --json - "$work/bare.pt" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; assert d["architecture_from_tensors"] == {"arch": "resnet18-cifar-w4", "num_classes": 10}, d'
expect "and its JSON says so" $?

# Corrupt one tensor's stored bytes (located with h5py): --verify must exit 1 and name it.
cp "$work/run/cycle-0001.h5" "$work/bad.h5"
offset=$(/usr/bin/python3 -c 'import h5py,sys; print(h5py.File(sys.argv[1])["tensors"]["layer4.1.conv2.weight"].id.get_chunk_info(0).byte_offset + 100)' "$work/bad.h5")
printf '\xff\xff\xff\xff' | dd of="$work/bad.h5" bs=1 seek="$offset" conv=notrunc status=none
out=$("$bin/swa-inspect" --verify "$work/bad.h5" 2>&1); code=$?
[ $code -eq 1 ]; expect "corrupt file exits 1 (got $code)" $?
grep -q "layer4.1.conv2.weight.*checksum" <<<"$out"; expect "names the tensor and the checksum failure" $?

"$bin/swa-inspect" "$work/missing.h5" >/dev/null 2>&1; code=$?
[ $code -eq 1 ]; expect "missing file exits 1" $?
finish
