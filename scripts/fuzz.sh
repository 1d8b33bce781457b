#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes with libFuzzer (clang-14, AddressSanitizer and
# UndefinedBehaviorSanitizer), SECONDS per target (default 60), from the seed corpora in
# tests/fuzz/corpus/. What a run finds (a crash, a hang over 10 s, a leak, an allocation over
# 1 GiB) lands in build-fuzz/findings/TARGET/: fix it, then copy the input into
# tests/fuzz/regressions/TARGET/, which every build replays as a test.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
bash scripts/install-deps.sh --fuzz
build=${SWA_FUZZ_BUILD_DIR:-build-fuzz}
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSWA_WITH_TORCH=OFF -DSWA_FUZZ=ON -DSWA_SANITIZE=ON \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_torch_save fuzz_pickle fuzz_safetensors fuzz_hdf5
                                      fuzz_snapshot_meta fuzz_cifar_batch)
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
status=0
printf '%-20s %8s %9s %6s %6s %s\n' target seconds runs cov corpus findings
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t" findings="$build/findings/$t"
  rm -rf "$findings"  # what this run finds; past findings live in tests/fuzz/regressions/
  mkdir -p "$corpus" "$findings"
  cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  log="$build/$t.log"
  # Leaks in libraries we cannot fix are suppressed one by one (tests/fuzz/lsan.supp), matched by
  # function name: the slow unwinder sees through libhdf5, which keeps no frame pointers.
  LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 TMPDIR="$build" "$build/tests/fuzz/$t" "$corpus" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1024 \
    -max_len=70000 -artifact_prefix="$findings/" -print_final_stats=1 >"$log" 2>&1 || status=1
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  printf '%-20s %8s %9s %6s %6s %s\n' "$t" "$seconds" "$runs" "$cov" "$(ls "$corpus" | wc -l)" \
    "$(ls "$findings" | wc -l)"
done
[ "$status" -eq 0 ] || echo "fuzz: findings above; logs in $build/*.log" >&2
exit "$status"
