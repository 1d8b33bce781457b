#!/usr/bin/env bash
# Installs what is missing and builds the tools into build/ (or $SWA_BUILD_DIR). On a machine with
# a CUDA-enabled PyTorch it builds against that PyTorch's LibTorch (the GPU build); options
# (--torch DIR, --deps-prefix DIR, --build-dir DIR) as in scripts/configure.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(bash scripts/configure.sh "$@")
cmake --build "$build" -j"$(nproc)" >&2
