# Sourced by the CLI tests: a scratch folder, pass/fail counting, and check().
# shellcheck shell=bash
set -u
bin="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
pass=0

check() {  # check NAME EXPECTED_CODE EXPECTED_TEXT -- command...
  local name="$1" want="$2" text="$3"
  shift 4
  local out code
  out=$("$@" 2>&1); code=$?
  if [ "$code" -ne "$want" ] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL: $name: exit $code (want $want), output:"; echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  else
    pass=$((pass + 1))
  fi
}

expect() {  # expect NAME STATUS: passes when STATUS is 0
  if [ "$2" -eq 0 ]; then pass=$((pass + 1)); else echo "FAIL: $1"; failures=$((failures + 1)); fi
}

nothing_left_behind() {  # no x.* output and no temporary file in $work
  if ls -a "$work" | grep -q -e '^x\.' -e '\.tmp-'; then
    echo "FAIL: a failed run left a file behind:"; ls -a "$work"; failures=$((failures + 1))
  fi
}

make_cifar() {  # make_cifar DIR: a CIFAR-10 folder in the official layout (labels 0..9, noise)
  /usr/bin/python3 - "$1" <<'PY'
import os, sys, random
d = sys.argv[1]; os.makedirs(d)
rnd = random.Random(0)
for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]:
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"".join(bytes([i % 10]) + rnd.randbytes(3072) for i in range(10000)))
open(os.path.join(d, "batches.meta.txt"), "w").write("\n".join("abcdefghij") + "\n")
PY
}

finish() {
  echo "$pass passed, $failures failed"
  [ "$failures" -eq 0 ]
}
