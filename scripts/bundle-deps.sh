#!/usr/bin/env bash
# Gathers the toolkit's non-torch dependencies (HDF5, OpenSSL, zlib, minizip, libdeflate, CLI11,
# nlohmann-json, Catch2, Gloo's headers) from this Debian machine into one folder PREFIX/{include,lib}, with the
# shared libraries they load (everything but glibc and the compiler's runtime), for a machine that
# has a compiler and a CUDA PyTorch but no package manager to install them with (an offline GPU
# node). There: `scripts/build.sh --deps-prefix PREFIX` builds against it and records the folder
# as the tools' run path.
#   bash scripts/bundle-deps.sh PREFIX
set -euo pipefail
prefix=${1:?usage: bundle-deps.sh PREFIX}
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$prefix/include" "$prefix/lib"

# Headers, each from where Debian puts it.
cp -r /usr/include/hdf5/serial/. "$prefix/include/"
cp -r /usr/include/CLI /usr/include/nlohmann /usr/include/openssl /usr/include/minizip \
  /usr/include/catch2 /usr/include/gloo "$prefix/include/"
cp /usr/include/"$arch"/openssl/*.h "$prefix/include/openssl/"
cp /usr/include/libdeflate.h /usr/include/zlib.h /usr/include/zconf.h "$prefix/include/"
mkdir -p "$prefix/lib/cmake"
cp -r /usr/lib/cmake/Catch2 "$prefix/lib/cmake/"
cp /usr/lib/libCatch2WithMain.a "$prefix/lib/"

# The libraries the build links, under the names the linker looks for, and the libraries those
# load in turn (ldd's closure), except the C library and the compiler's runtime, which the target
# machine has in a version at least as new.
link_as() {  # link_as SONAME_PATH NAME.so
  cp -L "$1" "$prefix/lib/$(basename "$1")"
  ln -sf "$(basename "$1")" "$prefix/lib/$2"
}
lib=/usr/lib/$arch
link_as "$lib/libhdf5_serial.so.103" libhdf5.so
link_as "$lib/libhdf5_serial_hl.so.100" libhdf5_hl.so
link_as "$lib/libssl.so.3" libssl.so
link_as "$lib/libcrypto.so.3" libcrypto.so
link_as "$lib/libz.so.1" libz.so
link_as "$lib/libminizip.so.1" libminizip.so
link_as "$lib/libdeflate.so.0" libdeflate.so
system='^(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64|libstdc\+\+|libgcc_s)\.so'
for so in "$prefix"/lib/*.so.*; do
  ldd "$so" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
done | sort -u | while read -r dep; do
  name=$(basename "$dep")
  [[ $name =~ $system ]] && continue
  [ -e "$prefix/lib/$name" ] || cp -L "$dep" "$prefix/lib/$name"
done
echo "bundle-deps: $(ls "$prefix/lib" | wc -l) libraries, $(du -sh "$prefix" | cut -f1) in $prefix" >&2
