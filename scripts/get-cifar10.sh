#!/usr/bin/env bash
# Finds CIFAR-10 (binary version) or fetches it, and prints the folder to use with --data.
#   scripts/get-cifar10.sh [DIR]
# Looks in DIR (or $SWA_DATA), then the cache ~/.cache/swa/cifar-10-batches-bin. When it is in
# neither: this project's offline copy (../shared/data/cifar10/prepare.sh) if there is one,
# else the official cifar-10-binary.tar.gz from the dataset's authors, checked against its
# published MD5 (as torchvision's download=True does) and unpacked into the cache. Offline and
# without the copy, it says how to get the data and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
url=https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
md5=c32a1d4ab5d03f1284b67883e8d87530
cache=${XDG_CACHE_HOME:-$HOME/.cache}/swa
wanted=${1:-${SWA_DATA:-}}

has_cifar() { [ -f "$1/test_batch.bin" ] && [ -f "$1/data_batch_5.bin" ]; }

if [ -n "$wanted" ]; then
  for dir in "$wanted" "$wanted/cifar-10-batches-bin"; do
    if has_cifar "$dir"; then echo "$dir"; exit 0; fi
  done
  echo "get-cifar10: no CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin) in $wanted" >&2
  exit 1
fi
if has_cifar "$cache/cifar-10-batches-bin"; then echo "$cache/cifar-10-batches-bin"; exit 0; fi
mkdir -p "$cache"
if [ -x ../shared/data/cifar10/prepare.sh ]; then
  echo "get-cifar10: laying out CIFAR-10 from this project's offline copy" >&2
  bash ../shared/data/cifar10/prepare.sh "$cache/cifar-10-batches-bin"
  exit 0
fi
fetch() {
  if command -v curl >/dev/null; then curl -fsSL --connect-timeout 20 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q --timeout=20 -O "$2" "$1"
  else return 1; fi
}
tmp=$(mktemp -d "$cache/download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "get-cifar10: downloading $url (162 MB)" >&2
if ! fetch "$url" "$tmp/cifar-10-binary.tar.gz"; then
  cat >&2 <<MSG
get-cifar10: CIFAR-10 is not here and cannot be downloaded (offline?).
  Download $url on a machine with internet access (MD5 $md5),
  then either unpack it into $cache (tar -xzf cifar-10-binary.tar.gz -C $cache)
  or pass the unpacked folder with --data DIR / SWA_DATA=DIR.
MSG
  exit 1
fi
got=$(md5sum "$tmp/cifar-10-binary.tar.gz" | cut -d' ' -f1)
if [ "$got" != "$md5" ]; then
  echo "get-cifar10: $url has MD5 $got, expected $md5: corrupt or tampered download, not used" >&2
  exit 1
fi
tar -xzf "$tmp/cifar-10-binary.tar.gz" -C "$tmp"
has_cifar "$tmp/cifar-10-batches-bin" || { echo "get-cifar10: the archive lacks the expected files" >&2; exit 1; }
rm -rf "$cache/cifar-10-batches-bin"
mv "$tmp/cifar-10-batches-bin" "$cache/cifar-10-batches-bin"
echo "$cache/cifar-10-batches-bin"
