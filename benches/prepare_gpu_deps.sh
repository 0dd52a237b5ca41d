#!/usr/bin/env bash
# Builds .bench-deps/ here for benches/gpu_machine.sh: numpy, wgpu (wgpu-py with its bundled
# wgpu-native), pillow (streamlib's ImageSource imports it) and their pure-Python dependencies, unpacked
# from manylinux x86_64 wheels for ONE CPython version — the one of the GPU machine, which has no network.
#
#   bash benches/prepare_gpu_deps.sh 3.10              # -> .bench-deps/ (or .bench-deps.tar.xz, below)
#   bash benches/prepare_gpu_deps.sh 3.12 /tmp/deps    # another destination
#   PACKAGES="wgpu cffi pycparser sniffio rendercanvas" bash benches/prepare_gpu_deps.sh 3.12
#                                                      # only what that machine lacks (the H200 image
#                                                      # has numpy, pillow and pytest), about 10 MB;
#                                                      # with PACKAGES, no dependency is fetched unnamed
#
# Size: unpacked, numpy + wgpu + pillow come to about 80 MB (numpy's bundled OpenBLAS alone is 25 MB,
# wgpu-native 9 MB). Test suites, caches, headers and the pillow codecs the benchmark never loads (AVIF,
# WebP, FreeType, LittleCMS, Tk) are pruned, which leaves about 70 MB — still over the 60 MB budget, so
# then the directory is packed into DEST.tar.xz (about 17 MB) and removed; gpu_machine.sh unpacks it.
# The .so files are not stripped: they were rewritten by auditwheel's patchelf, and stripping those
# can break them.
#
# The wgpu wheel is manylinux_2_28 (glibc >= 2.28 there); streamlib/_native.abi3.so as built here needs
# glibc >= 2.35, so the GPU machine needs that anyway.
set -euo pipefail

PYVER=${1:?usage: bash benches/prepare_gpu_deps.sh 3.X [destination, default .bench-deps]}
cd "$(dirname "$0")/.."
DEST=${2:-.bench-deps}
LIMIT_MB=60

case "$PYVER" in
    3.[0-9] | 3.[0-9][0-9]) ;;
    *) echo "expected a CPython version like 3.11, got '$PYVER'" >&2; exit 2 ;;
esac

DEPS_FLAG=()
[ -n "${PACKAGES:-}" ] && DEPS_FLAG=(--no-deps)
PACKAGES=${PACKAGES:-numpy wgpu cffi pycparser sniffio pillow pytest pluggy iniconfig packaging rendercanvas}
read -r -a PACKAGE_LIST <<<"$PACKAGES"
WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT

python3 -m pip download --quiet --disable-pip-version-check ${DEPS_FLAG[@]+"${DEPS_FLAG[@]}"} \
    --only-binary=:all: --implementation cp --python-version "$PYVER" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$WHEELS" "${PACKAGE_LIST[@]}"

rm -rf "$DEST" "$DEST.tar.xz"
mkdir -p "$DEST"
for wheel in "$WHEELS"/*.whl; do
    echo "  $(basename "$wheel")"
    python3 -m zipfile -e "$wheel" "$DEST"
done
unpacked_mb=$(du -sm "$DEST" | cut -f1)

# What the benchmark never imports.
find "$DEST" -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} +
rm -rf "$DEST"/numpy/_core/include "$DEST"/numpy/_core/lib
rm -f "$DEST"/numpy/_core/_simd.*.so "$DEST"/numpy/_core/_*_tests.*.so
rm -f "$DEST"/PIL/_avif.*.so "$DEST"/PIL/_webp.*.so "$DEST"/PIL/_imagingft.*.so "$DEST"/PIL/_imagingcms.*.so \
    "$DEST"/PIL/_imagingtk.*.so
rm -f "$DEST"/pillow.libs/libavif-* "$DEST"/pillow.libs/libwebp* "$DEST"/pillow.libs/libsharpyuv-* \
    "$DEST"/pillow.libs/libfreetype-* "$DEST"/pillow.libs/libharfbuzz-* "$DEST"/pillow.libs/libbrotli* \
    "$DEST"/pillow.libs/libpng16-* "$DEST"/pillow.libs/liblcms2-*
# zipfile keeps no file modes; shared libraries only need to be readable.
chmod -R u+rwX,go+rX "$DEST"

size_mb=$(du -sm "$DEST" | cut -f1)
echo "$DEST: ${size_mb} MB for CPython $PYVER (${unpacked_mb} MB before pruning, $(find "$DEST" -type f | wc -l) files)"
if [ "$size_mb" -lt "$LIMIT_MB" ]; then
    exit 0
fi
echo "over the ${LIMIT_MB} MB budget: numpy + wgpu + pillow exceed it even pruned; packing $DEST.tar.xz"
python3 - "$DEST" <<'EOF'
import sys
import tarfile
from pathlib import Path

dest = Path(sys.argv[1])
with tarfile.open(f"{dest}.tar.xz", "w:xz", preset=9) as archive:
    archive.add(dest, arcname=".bench-deps")  # the name gpu_machine.sh expects, whatever DEST was
EOF
rm -rf "$DEST"
packed_mb=$(du -sm "$DEST.tar.xz" | cut -f1)
echo "$DEST.tar.xz: ${packed_mb} MB (gpu_machine.sh unpacks it into $DEST)"
if [ "$packed_mb" -ge "$LIMIT_MB" ]; then
    echo "ERROR: even packed it is over ${LIMIT_MB} MB" >&2
    exit 1
fi
