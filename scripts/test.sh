#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit, CLI, Python interop) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# The tree follows .clang-format: a file that drifts fails the tests (clang-format -i FILE fixes it).
sources=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find formats lib tools tests samples -name '*.cpp' -o -name '*.h')
if ! clang-format --dry-run -Werror $sources 2>/tmp/swa-format.txt; then
  grep -o '^[^:]*:[0-9]*:[0-9]*: warning: code should be clang-formatted' /tmp/swa-format.txt | sort -u -t: -k1,1 | head -20 >&2
  echo "test: the files above differ from .clang-format; run clang-format -i on them" >&2
  exit 1
fi
build=${SWA_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)"
