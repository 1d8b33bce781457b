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

finish() {
  echo "$pass passed, $failures failed"
  [ "$failures" -eq 0 ]
}
