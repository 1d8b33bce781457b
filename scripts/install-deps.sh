#!/usr/bin/env bash
# Installs every Debian package the toolkit builds, tests and benchmarks with.
# This list is the single source of truth for dependencies (README, CI and the demo call it).
set -euo pipefail

packages=(
  build-essential cmake ninja-build
  libtorch-dev            # LibTorch 1.13 (CPU)
  libgloo-dev             # headers of Gloo, the collectives LibTorch's c10d runs on (several ranks)
  libhdf5-dev             # HDF5, the native snapshot format
  libcli11-dev            # command-line parsing
  nlohmann-json3-dev      # JSON: metadata, --json, safetensors header
  libssl-dev              # SHA-256 of input files (OpenSSL EVP)
  libminizip-dev          # the zip container of PyTorch .pt files (zlib's minizip)
  libdeflate-dev          # CRC-32 of .pt entries at memory speed
  catch2                  # unit tests (v2)
  python3-torch python3-torchvision python3-h5py python3-numpy  # interop tests and benchmarks
  strace                  # CLI tests: which libraries a tool opens
  clang-format            # scripts/test.sh: the tree follows .clang-format
  curl ca-certificates    # scripts/get-cifar10.sh: the official CIFAR-10 download
)
# scripts/fuzz.sh only: libFuzzer comes with clang.
[ "${1:-}" = "--fuzz" ] && packages+=(clang-14 libfuzzer-14-dev)
# A build against another LibTorch (a CUDA one: scripts/configure.sh --torch) needs no Debian torch.
if [ "${1:-}" = "--without-torch" ]; then
  kept=()
  for p in "${packages[@]}"; do [[ $p == libtorch-dev || $p == python3-torch* ]] || kept+=("$p"); done
  packages=("${kept[@]}")
fi
if ! command -v dpkg-query >/dev/null; then
  echo "install-deps: not a Debian/Ubuntu machine; install the equivalents of: ${packages[*]}" >&2
  echo "install-deps: or, with no package manager at hand, copy the folder that" \
       "scripts/bundle-deps.sh makes on a Debian machine and build with --deps-prefix" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
