#!/usr/bin/env bash
# Configures a build folder, finding LibTorch and the other dependencies (build.sh and test.sh
# call it; the options below work for both).
#   --torch DIR          a LibTorch to build against: an unpacked LibTorch archive, or any folder
#                        holding TorchConfig.cmake (also $Torch_DIR)
#   --deps-prefix DIR    HDF5, OpenSSL, minizip, libdeflate, CLI11, nlohmann-json and Catch2 from
#                        DIR/{include,lib} (made by scripts/bundle-deps.sh) instead of the system's;
#                        the tools then load those libraries from DIR
#   --build-dir DIR      where to build (default build/, or $SWA_BUILD_DIR)
# Without --torch: the LibTorch of the machine's CUDA-enabled PyTorch (`python3 -c "import torch;
# print(torch.utils.cmake_prefix_path)"`) when there is one, else Debian's CPU LibTorch.
# Prints the build folder's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
torch_dir=${Torch_DIR:-}
deps=${SWA_DEPS_PREFIX:-}
build=${SWA_BUILD_DIR:-build}
cmake_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --torch) torch_dir=$2; shift 2 ;;
    --deps-prefix) deps=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    -D*) cmake_args+=("$1"); shift ;;
    *) echo "configure: unknown option $1 (see the top of scripts/configure.sh)" >&2; exit 2 ;;
  esac
done

if [ -z "$torch_dir" ] && command -v python3 >/dev/null; then
  torch_dir=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path if torch.version.cuda else "")' \
    2>/dev/null || true)
  [ -n "$torch_dir" ] && echo "configure: LibTorch of python3's CUDA PyTorch: $torch_dir" >&2
fi
if [ -n "$deps" ]; then
  [ -d "$deps/include" ] && [ -d "$deps/lib" ] || {
    echo "configure: --deps-prefix $deps: no include/ and lib/ there (make it with scripts/bundle-deps.sh)" >&2
    exit 1
  }
  deps=$(cd "$deps" && pwd)
  cmake_args+=(-DHDF5_ROOT="$deps" -DOPENSSL_ROOT_DIR="$deps" -DZLIB_ROOT="$deps"
    "-DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,$deps/lib -Wl,-rpath,$deps/lib")
  prefix_path="$deps"
else
  # Debian's packages; with a LibTorch of its own the build needs no libtorch-dev.
  bash scripts/install-deps.sh ${torch_dir:+--without-torch}
  prefix_path=""
fi
if [ -n "$torch_dir" ]; then
  # NCCL's header and library, where PyTorch's wheel keeps them (nvidia/nccl), for --dist-backend nccl
  nccl=$(python3 -c 'import nvidia.nccl as n; print(list(n.__path__)[0])' 2>/dev/null || true)
  [ -n "$nccl" ] && cmake_args+=(-DSWA_NCCL_ROOT="$nccl")
  prefix_path="$torch_dir${prefix_path:+;$prefix_path}"
  echo "configure: LibTorch from $torch_dir" >&2
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${prefix_path:+"-DCMAKE_PREFIX_PATH=$prefix_path"} \
  ${cmake_args[@]+"${cmake_args[@]}"} >/dev/null
echo "$build"
