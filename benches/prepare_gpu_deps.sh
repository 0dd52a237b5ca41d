#!/usr/bin/env bash
# Builds .bench-deps/ here: numpy, wgpu (wgpu-py with its bundled wgpu-native), pillow (streamlib's
# ImageSource needs it) and their pure-Python dependencies, unpacked from manylinux x86_64 wheels for ONE
# CPython version — the one of the GPU machine that runs benches/gpu_machine.sh without network.
#
#   bash benches/prepare_gpu_deps.sh 3.10            # -> .bench-deps/
#   bash benches/prepare_gpu_deps.sh 3.12 /tmp/deps  # another destination
#
# The wgpu wheel is manylinux_2_28 (glibc >= 2.28 there); streamlib/_native.abi3.so as built here needs
# glibc >= 2.35, so the GPU machine needs that anyway. Test suites and bytecode caches are pruned.
set -euo pipefail

PYVER=${1:?usage: bash benches/prepare_gpu_deps.sh 3.X [destination, default .bench-deps]}
cd "$(dirname "$0")/.."
DEST=${2:-.bench-deps}
LIMIT_MB=60

case "$PYVER" in
    3.[0-9] | 3.[0-9][0-9]) ;;
    *) echo "expected a CPython version like 3.11, got '$PYVER'" >&2; exit 2 ;;
esac

WHEELS=$(mktemp -d)
trap 'rm -rf "$WHEELS"' EXIT

python3 -m pip download --quiet --disable-pip-version-check \
    --only-binary=:all: --implementation cp --python-version "$PYVER" \
    --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
    -d "$WHEELS" numpy wgpu cffi pycparser sniffio pillow

rm -rf "$DEST"
mkdir -p "$DEST"
for wheel in "$WHEELS"/*.whl; do
    echo "  $(basename "$wheel")"
    python3 -m zipfile -e "$wheel" "$DEST"
done

# Nothing the benchmark imports: test suites, caches, C headers and static libraries.
find "$DEST" -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} +
rm -rf "$DEST"/numpy/_core/include "$DEST"/numpy/_core/lib "$DEST"/numpy/typing/tests
# zipfile does not keep file modes; the shared libraries only need to be readable, the scripts are unused.
chmod -R u+rwX,go+rX "$DEST"

size_mb=$(du -sm "$DEST" | cut -f1)
echo "$DEST: ${size_mb} MB for CPython $PYVER ($(find "$DEST" -type f | wc -l) files)"
if [ "$size_mb" -ge "$LIMIT_MB" ]; then
    echo "WARNING: $DEST is ${size_mb} MB, over the ${LIMIT_MB} MB budget: numpy + wgpu + pillow exceed it" >&2
    exit 1
fi
