#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, CLI, Python interop) with CTest.
#   scripts/test.sh              the whole suite (what CI runs first); --torch DIR, --deps-prefix DIR,
#                                --build-dir DIR as in scripts/configure.sh (a GPU machine's build)
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build of everything
#                                that needs no LibTorch (build-sanitize/): the readers' limits, the
#                                fuzz corpora and past findings, swa-average's CLI test
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--sanitize" ]; then
  bash scripts/install-deps.sh
  samples=${SWA_BUILD_DIR:-build}
  if [ ! -x "$samples/swa-make-samples" ]; then  # the CLI test's inputs come from a full build
    cmake -S . -B "$samples" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$samples" -j"$(nproc)" --target swa-make-samples
  fi
  build=build-sanitize
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWA_WITH_TORCH=OFF \
    -DSWA_SANITIZE=ON -DSWA_SAMPLES_BIN="$(cd "$samples" && pwd)" >/dev/null
  cmake --build "$build" -j"$(nproc)"
  LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
  exit 0
fi
# The tree follows .clang-format: a file that drifts fails the tests (clang-format -i FILE fixes it).
sources=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find formats lib tools tests samples -name '*.cpp' -o -name '*.h')
if ! clang-format --dry-run -Werror $sources 2>/tmp/swa-format.txt; then
  grep -o '^[^:]*:[0-9]*:[0-9]*: warning: code should be clang-formatted' /tmp/swa-format.txt | sort -u -t: -k1,1 | head -20 >&2
  echo "test: the files above differ from .clang-format; run clang-format -i on them" >&2
  exit 1
fi
# Functions fit on a screen (100 lines) and files in lib/ and formats/ hold one idea (600 lines).
python3 scripts/check-function-size.py >&2 || exit 1
build=$(bash scripts/configure.sh "$@")  # options as in scripts/configure.sh
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
