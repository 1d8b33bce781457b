#!/usr/bin/env bash
# What a hostile first hour with the tools found (issue "Trust first"), one check each: no output
# over an input, no average of the wrong tensors, no wrong number without a word, messages that
# name what is wrong. Torch-free tools only, plus swa-bn/swa-eval/swa-report refusing before they
# load any data; the metamorphic suite is tests/python/test_metamorphic.py.
source "$(dirname "$0")/cli_harness.sh"
py=/usr/bin/python3
samples="${SWA_SAMPLES_BIN:-$bin}"
"$samples/swa-make-samples" --arch resnet18-cifar-w4 --count 3 --out "$work/snaps" --threads 1 2>/dev/null
a="$work/snaps/cycle-0001.h5" b="$work/snaps/cycle-0002.h5" c="$work/snaps/cycle-0003.h5"
sums() { sha256sum "$@" | cut -c1-64; }
unchanged() {  # unchanged NAME FILE SHA: the file still holds those bytes
  [ "$(sums "$2")" = "$3" ]; expect "$1" $?
}

# --- Tensors matched by name, never by position ---------------------------------------------
$py - "$work" <<'PY'
import collections, sys, torch
d = sys.argv[1]
torch.save(collections.OrderedDict([("bn1.weight", torch.ones(4)), ("bn1.bias", torch.zeros(4))]), f"{d}/wb.pt")
torch.save(collections.OrderedDict([("bn1.bias", torch.zeros(4)), ("bn1.weight", torch.ones(4))]), f"{d}/bw.pt")
torch.save(collections.OrderedDict([("fc.bias", torch.zeros(3)), ("fc.weight", torch.ones(3, 5))]), f"{d}/shape1.pt")
torch.save(collections.OrderedDict([("fc.weight", torch.ones(3, 5)), ("fc.bias", torch.zeros(3))]), f"{d}/shape2.pt")
PY
check ".pt files whose keys are in another order" 0 "2 tensors averaged" -- "$bin/swa-average" "$work/wb.pt" "$work/bw.pt" -o "$work/avg.pt"
check "... average bn1.weight with bn1.weight (1.0, not 0.5)" 0 "" -- $py -c "
import torch, sys; s = torch.load('$work/avg.pt')
sys.exit(not (torch.equal(s['bn1.weight'], torch.ones(4)) and torch.equal(s['bn1.bias'], torch.zeros(4))))"
check "... keep the first input's key order" 0 "" -- $py -c "
import torch, sys; sys.exit(list(torch.load('$work/avg.pt')) != ['bn1.weight', 'bn1.bias'])"
check "tensors of other shapes in another order average, no internal error" 0 "2 tensors averaged" -- "$bin/swa-average" "$work/shape1.pt" "$work/shape2.pt" -o "$work/shapes.pt"
cp "$b" "$work/b-permuted.h5"
$py - "$work/b-permuted.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    keys, dtype = list(f["meta/keys"][()])[::-1], f["meta/keys"].dtype
    del f["meta/keys"]
    f.create_dataset("meta/keys", data=np.array(keys, dtype=object), dtype=dtype)
PY
"$bin/swa-average" "$a" "$b" -o "$work/ab.safetensors" 2>/dev/null
check ".h5 whose meta/keys are in another order: the same average" 0 "" -- bash -c "
  '$bin/swa-average' '$a' '$work/b-permuted.h5' -o '$work/ab-permuted.safetensors' 2>/dev/null &&
  '$bin/swa-average' '$work/ab-permuted.safetensors' -o '$work/ab-permuted.h5' 2>/dev/null &&
  '$bin/swa-average' '$work/ab-permuted.h5' -o '$work/ab-again.safetensors' 2>/dev/null &&
  $py -c '
import json, struct, sys
def tensors(p):
    f = open(p, \"rb\"); n = struct.unpack(\"<Q\", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
    return {k: data[e[\"data_offsets\"][0]:e[\"data_offsets\"][1]] for k, e in h.items() if k != \"__metadata__\"}
sys.exit(tensors(\"$work/ab.safetensors\") != tensors(\"$work/ab-again.safetensors\"))'"

# --- No output over an input ----------------------------------------------------------------
before=$(sums "$a")
check "swa-inspect --json before a glob (the '-' forgotten): refused, naming the snapshot" 1 "--json $a: exists and holds no JSON" -- "$bin/swa-inspect" --json "$a" "$b" "$c"
unchanged "... and the snapshot is untouched" "$a" "$before"
check "swa-average --json naming an input" 1 "is an input of this command" -- "$bin/swa-average" "$a" "$b" -o "$work/x.pt" --json "$b"
check "swa-average --json naming an existing snapshot that is no input" 1 "holds no JSON" -- "$bin/swa-average" "$a" "$b" -o "$work/x.pt" --json "$c"
unchanged "... untouched" "$c" "$(sums "$c")"
check "swa-bn --json naming its input: refused before any data is read" 1 "--json $a: is an input of this command" -- "$bin/swa-bn" "$a" --data "$work/no-data" -o "$work/x.h5" --json "$a"
check "swa-eval --json naming its input: refused before any data is read" 1 "--json $a: is an input of this command" -- "$bin/swa-eval" "$a" --data "$work/no-data" --json "$a"
check "swa-bn -o naming its input through a link" 1 "is an input of this command" -- bash -c "ln -sf '$a' '$work/link.h5' && '$bin/swa-bn' '$a' --data '$work/no-data' -o '$work/link.h5'"
cp "$c" "$work/base.h5"
before=$(sums "$work/base.h5")
check "swa-average -o naming --base" 1 "-o $work/base.h5: is an input of this command" -- "$bin/swa-average" "$a" "$b" --base "$work/base.h5" -o "$work/base.h5"
unchanged "... and the base is untouched" "$work/base.h5" "$before"
check "--json into a missing folder is refused before the average is written" 1 "the folder '$work/missing' does not exist" -- "$bin/swa-average" "$a" "$b" -o "$work/x.pt" --json "$work/missing/x.json"
check "a JSON file is replaced as before" 0 "" -- bash -c "echo '{}' > '$work/old.json' && '$bin/swa-average' '$a' '$b' -o '$work/j.pt' --json '$work/old.json' 2>/dev/null && grep -q provenance '$work/old.json'"
check "-o with a trailing slash names a folder: swa-average writes one file" 1 "names a folder" -- "$bin/swa-average" "$a" "$b" -o "$work/out/"
check "swa-train --init from the run folder --overwrite would empty" 1 "would replace $work/run/last.h5" -- bash -c "
  mkdir -p '$work/run' && cp '$a' '$work/run/last.h5' &&
  '$bin/swa-train' --out '$work/run' --overwrite --init '$work/run/last.h5' --data '$work/no-data'"
check "swa-report -o report/ (the README's own form) is created, not refused" 1 "no such folder" -- "$bin/swa-report" "$work/snaps" --data "$work/no-data" -o "$work/new/report/"
check "... and a refused report leaves no folder behind" 0 "" -- test ! -e "$work/new"

# --- No wrong number without a word ---------------------------------------------------------
check "--weights 1e308,1e308,1: normalised without overflow" 0 "3 snapshots (explicit)" -- "$bin/swa-average" "$a" "$b" "$c" --weights 1e308,1e308,1 -o "$work/big.pt"
check "... the average of the first two, not zeros" 0 "" -- bash -c "
  '$bin/swa-average' '$a' '$b' -o '$work/ab.pt' 2>/dev/null && $py -c '
import torch, sys
x, y = torch.load(\"$work/big.pt\"), torch.load(\"$work/ab.pt\")
floats = [k for k in y if y[k].is_floating_point()]
sys.exit(not all(torch.allclose(x[k].double(), y[k].double(), atol=1e-6) for k in floats) or bool(x[\"conv1.weight\"].abs().sum() == 0))'"
check "--ema nan is refused, not a uniform average" 1 "--ema: DECAY must be a number in [0, 1), got nan" -- "$bin/swa-average" "$a" "$b" --ema nan -o "$work/x.pt"
check "--weights inf is refused" 1 "must be a finite" -- "$bin/swa-average" "$a" "$b" --weights inf,1 -o "$work/x.pt"
check "--layers matching nothing is an error" 1 "--layers '^nothing\\.': matches no floating tensor" -- "$bin/swa-average" "$a" "$b" --layers '^nothing\.' -o "$work/x.pt"
check "--soft-threshold that zeroes every weight warns" 0 "WARNING: --soft-threshold 1000 zeroes every conv/linear weight" -- "$bin/swa-average" "$a" "$b" --soft-threshold 1000 -o "$work/zero.pt"
cp -r "$work/snaps" "$work/folder"
ln -s "$work/not-fetched/cycle-0009.h5" "$work/folder/cycle-0009.h5"
check "a dangling link in a folder (an un-fetched DVC file) is an error naming it" 1 "cycle-0009.h5: a link to '$work/not-fetched/cycle-0009.h5', which does not exist" -- "$bin/swa-average" "$work/folder" -o "$work/x.pt"
check "... --skip-bad-files goes on with a warning naming it" 0 "WARNING: skipped $work/folder/cycle-0009.h5" -- "$bin/swa-average" "$work/folder" --skip-bad-files -o "$work/skipped.pt"
rm "$work/folder/cycle-0009.h5"
echo "not a snapshot" > "$work/folder/notes.pt"
check "a file with a snapshot's extension that holds no snapshot is an error naming it" 1 "notes.pt" -- "$bin/swa-average" "$work/folder" -o "$work/x.pt"
rm "$work/folder/notes.pt"
"$bin/swa-average" "$work/folder" -o "$work/folder/swa.pt" 2>/dev/null
check "an earlier average in the snapshot folder is left out, with a line saying so" 0 "left out 1 file this toolkit wrote" -- "$bin/swa-average" "$work/folder" -o "$work/again.pt"
check "... and it is not averaged in (3 snapshots, not 4)" 0 "3 snapshots" -- "$bin/swa-average" "$work/folder" -o "$work/again2.pt"
check "... named, it is taken" 0 "4 snapshots" -- "$bin/swa-average" "$work/folder" "$work/folder/swa.pt" -o "$work/named.pt"

# An input replaced, or rewritten in place, while it is read. The average is held still (SIGSTOP)
# once its output's temporary file exists, the input changed, and the average let go on: it must
# refuse, or, had it already passed its last check, have recorded the digest of what it read.
"$samples/swa-make-samples" --arch resnet18 --count 3 --out "$work/big" --threads 1 2>/dev/null
changed_while_read() {  # changed_while_read NAME CHANGE
  local name="$1" change="$2" input="$work/big/cycle-0002.h5" out="$work/changing.h5"
  cp "$work/big/cycle-0002.h5" "$work/keep.h5"
  local read_sha; read_sha=$(sums "$input")
  SWA_DIGEST_CACHE=0 "$bin/swa-average" "$work/big" -o "$out" --threads 1 --json "$work/changing.json" >"$work/changing.log" 2>&1 &
  local pid=$!
  for _ in $(seq 6000); do
    compgen -G "$work/.changing.h5.tmp-*" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  kill -STOP "$pid" 2>/dev/null
  eval "$change"
  kill -CONT "$pid" 2>/dev/null
  wait "$pid"; local code=$?
  if [ "$code" -eq 1 ] && grep -q "cycle-0002.h5: changed while it was being read" "$work/changing.log" && [ ! -e "$out" ]; then
    pass=$((pass + 1))
  elif [ "$code" -eq 0 ] && grep -q "$read_sha" "$work/changing.json"; then
    pass=$((pass + 1))  # it had finished reading before the change: the digest is of what it read
  else
    echo "FAIL: $name: exit $code"; cat "$work/changing.log"; failures=$((failures + 1))
  fi
  cp "$work/keep.h5" "$input"
  rm -f "$out" "$work/changing.json"
}
changed_while_read "an input replaced during the average" "cp '$work/big/cycle-0003.h5' '$work/new.h5' && mv '$work/new.h5' '$work/big/cycle-0002.h5'"
changed_while_read "an input rewritten in place during the average" "cat '$work/big/cycle-0003.h5' > '$work/big/cycle-0002.h5'"

# --- safetensors as strict as its reference -------------------------------------------------
"$bin/swa-average" "$a" -o "$work/good.safetensors" 2>/dev/null
$py - "$work" <<'PY'
import json, struct, sys
d = sys.argv[1]
raw = open(f"{d}/good.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
def write(name, text, body):
    text = text.encode()
    open(f"{d}/{name}.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + body)
first = next(k for k in header if k != "__metadata__")
# A second entry for the first key, pointing at hidden bytes appended after the data.
dup = json.dumps(header)[:-1] + ', "%s": {"dtype": "U8", "shape": [4], "data_offsets": [%d, %d]}}' % (first, len(data), len(data) + 4)
write("duplicate", dup, data + b"hide")
gap = {k: (v if k == "__metadata__" else dict(v, data_offsets=[v["data_offsets"][0] + 8, v["data_offsets"][1] + 8])) for k, v in header.items()}
write("gap", json.dumps(gap), b"\0" * 8 + data)
write("trailing", json.dumps(header), data + b"\0" * 16)
write("extra-field", json.dumps({k: (v if k != first else dict(v, note="x")) for k, v in header.items()}), data)
write("newline-padding", json.dumps(header) + "\n", data)
write("metadata-number", json.dumps(dict(header, __metadata__={"format": 1})), data)
PY
check "safetensors: a key twice in the header" 1 "names '" -- "$bin/swa-average" "$work/duplicate.safetensors" -o "$work/x.pt"
check "safetensors: bytes between tensors" 1 "bytes that no tensor holds before it" -- "$bin/swa-average" "$work/gap.safetensors" -o "$work/x.pt"
check "safetensors: bytes after the last tensor" 1 "16 bytes after the last tensor" -- "$bin/swa-average" "$work/trailing.safetensors" -o "$work/x.pt"
check "safetensors: an entry with a field beyond dtype, shape, data_offsets" 1 "exactly dtype, shape and data_offsets" -- "$bin/swa-average" "$work/extra-field.safetensors" -o "$work/x.pt"
check "safetensors: padding other than spaces" 1 "padded with spaces only" -- "$bin/swa-average" "$work/newline-padding.safetensors" -o "$work/x.pt"
check "safetensors: __metadata__ that is not string to string" 1 "is not a string" -- "$bin/swa-average" "$work/metadata-number.safetensors" -o "$work/x.pt"
check "swa-inspect --verify applies the same rule" 1 "bytes after the last tensor" -- "$bin/swa-inspect" --verify "$work/trailing.safetensors"
check "our own safetensors pass it" 0 "verify       ok" -- "$bin/swa-inspect" --verify "$work/good.safetensors"

# --- Messages and conventions ---------------------------------------------------------------
mkdir -p "$work/many"
for i in $(seq 1 40); do cp "$a" "$work/many/s$i.h5"; done
check "a soft open-file limit below what the inputs need is raised to the hard limit" 0 "40 snapshots" -- bash -c "ulimit -Sn 50 && '$bin/swa-average' '$work/many' -o '$work/many.pt'"
check "a hard limit too low: one line saying so, not 'corrupt'" 1 "40 inputs need about 72 open files; too many open files: this process may open 50" -- bash -c "ulimit -n 50 && '$bin/swa-average' '$work/many' -o '$work/x.pt'"
check "swa-inspect takes a folder" 0 "cycle-0003.h5" -- "$bin/swa-inspect" "$work/snaps"
check "swa-inspect takes a quoted glob" 0 "cycle-0002.h5" -- "$bin/swa-inspect" "$work/snaps/*.h5"
check "swa-average shows progress on a terminal" 0 "averaging bytes [####" -- bash -c "script -qec \"'$bin/swa-average' '$work/big' -o '$work/tty.h5'\" /dev/null"
check "... and none in a log" 0 "" -- bash -c "! '$bin/swa-average' '$work/big' -o '$work/log.h5' 2>&1 | grep -q 'averaging bytes'"
check "one snapshot is 'snapshot'" 0 "1 snapshot (uniform)" -- "$bin/swa-average" "$a" -o "$work/one.pt"
for tool in swa-average swa-bn swa-eval swa-inspect swa-report swa-train; do
  check "$tool without arguments: CLI11's usage error" 106 "required" -- "$bin/$tool"
  check "$tool --help fits 100 columns" 0 "" -- bash -c "'$bin/$tool' --help | awk 'length > 100 { print; bad = 1 } END { exit bad }'"
done

nothing_left_behind
finish
