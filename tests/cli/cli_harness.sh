# Sourced by the CLI tests: a scratch folder, pass/fail counting, and check().
# shellcheck shell=bash
set -u
bin="$1"
work=$(mktemp -d)
export SWA_CACHE_DIR="$work/cache"  # digests of test files stay with the test
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

make_cifar() {  # make_cifar DIR [learnable]: a CIFAR-10 folder in the official layout, labels 0..9;
  # pixels are noise, or with "learnable" a colour per class plus noise (a tiny net learns it in an
  # epoch). The writer is tests/python/interop_checks.py's, the tests' only one in Python.
  PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../python" && pwd)" /usr/bin/python3 -c \
    'import sys, interop_checks; interop_checks.write_cifar(sys.argv[1], sys.argv[2])' "$1" "${2:-noise}"
}

# Starts a command in the background, waits (at most 30 s, or until it exits) for the shell
# condition WAIT_FOR, sends it SIGNAL and prints its exit code; its output goes to OUTPUT.
# `set -m` gives the background job the default SIGINT (a script's jobs otherwise ignore it).
stop_when() {  # stop_when SIGNAL WAIT_FOR OUTPUT -- command...
  local sig="$1" ready="$2" output="$3"
  shift 4
  set -m
  "$@" >"$output" 2>&1 &
  local pid=$!
  set +m
  for _ in $(seq 6000); do
    if eval "$ready"; then break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.005
  done
  kill "-$sig" "$pid" 2>/dev/null
  wait "$pid"
  echo $?
}

# A loopback port the kernel hands out as free (bound to port 0, then released), for a
# rendezvous the test starts by hand: no two parallel tests draw the same one by chance.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

finish() {
  echo "$pass passed, $failures failed"
  [ "$failures" -eq 0 ]
}
