#!/usr/bin/env bash
# Runs the graph benchmark (and the compile benchmark, where glslangValidator exists) on a GPU machine
# with NO network, from the repository root of a copy of this working tree. Expects there:
#   streamlib/_native.abi3.so   the extension built on the dev machine (needs glibc >= 2.35)
#   .bench-deps/                numpy, wgpu, pillow, cffi… for THAT machine's CPython, made by
#                               benches/prepare_gpu_deps.sh 3.X (or .bench-deps.tar.xz, unpacked here)
#   .gl/*.deb                   where the machine has no Vulkan/EGL loader: Debian's libvulkan1 libegl1
#                               libglvnd0 libopengl0 libgl1 libglx0 libgles2, fetched on the dev machine with
#                               `apt-get download` (see the device tool's README); unpacked into / here
# Every step is printed, has its own time limit, and a failing step only skips what depends on it.
#
#   OUT=/some/dir bash benches/gpu_machine.sh     # results + log in $OUT (default bench-results)
#   GRAPH_ARGS="--quick" bash benches/gpu_machine.sh
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_machine.log") 2>&1
export PYTHONPATH=".:.bench-deps${PYTHONPATH:+:$PYTHONPATH}"
GRAPH_TIMEOUT=${GRAPH_TIMEOUT:-300}
COMPILE_TIMEOUT=${COMPILE_TIMEOUT:-180}
read -r -a GRAPH_ARGS <<<"${GRAPH_ARGS:-}"

step() { printf '\n== %s\n' "$*"; }
# run SECONDS CMD...: runs with a time limit, reports a failure, never stops the script.
run() {
    local limit=$1 rc
    shift
    timeout --kill-after=10 "$limit" "$@"
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "   !! timed out after ${limit} s: $*"
    elif [ "$rc" -ne 0 ]; then
        echo "   !! exit $rc: $*"
    fi
    return "$rc"
}
have() { command -v "$1" >/dev/null 2>&1; }
LDCONFIG=$(command -v ldconfig || echo /sbin/ldconfig)

step "python"
run 20 python3 --version || { echo "python3 missing: nothing can run"; exit 1; }
echo "PYTHONPATH=$PYTHONPATH  OUT=$OUT"

step "GPUs"
if have nvidia-smi; then
    run 30 nvidia-smi -L
    run 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
    echo "nvidia-smi not found"
fi

step "system"
echo "CPUs: $(nproc 2>/dev/null || echo ?)   $(ldd --version 2>/dev/null | head -n 1)"
echo "(streamlib/_native.abi3.so as built needs glibc >= 2.35; wgpu-py's wheel needs >= 2.28)"

step "Vulkan"
if have vulkaninfo; then
    timeout 60 vulkaninfo --summary 2>&1 | sed -n '/^Devices:/,$p' | head -n 40
else
    echo "vulkaninfo not found"
fi
"$LDCONFIG" -p 2>/dev/null | grep -E 'libvulkan\.so|libGLX_nvidia\.so|libEGL_nvidia\.so' || echo "no libvulkan / NVIDIA GL libraries in the ldconfig cache"
ICD_JSONS=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null)
echo "Vulkan ICD files: ${ICD_JSONS:-none}"

step "Vulkan loader"
# Some GPU containers ship the NVIDIA driver but no loader (libvulkan.so.1, libEGL.so.1): copies may be
# carried as Debian packages in .gl/ (unpacked into /, as the device tool's README advises) or in .vk-loader/.
if ! "$LDCONFIG" -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    if compgen -G '.gl/*.deb' >/dev/null; then
        for deb in .gl/*.deb; do run 30 dpkg -x "$deb" /; done
        "$LDCONFIG"
        echo "unpacked the carried loaders: $(cd .gl && echo *.deb)"
    elif [ -f .vk-loader/libvulkan.so.1 ]; then
        export LD_LIBRARY_PATH="$PWD/.vk-loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        echo "using the carried Vulkan loader in .vk-loader/"
    fi
fi
# The driver's own manifests sit in its read-only mount, where neither loader looks by default.
NVIDIA_SHARE=/usr/local/nvidia/share
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$NVIDIA_SHARE/vulkan/icd.d/nvidia_icd.json" ]; then
    export VK_DRIVER_FILES="$NVIDIA_SHARE/vulkan/icd.d/nvidia_icd.json"
    echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
fi
if [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ] && [ -f "$NVIDIA_SHARE/glvnd/egl_vendor.d/10_nvidia.json" ]; then
    export __EGL_VENDOR_LIBRARY_FILENAMES="$NVIDIA_SHARE/glvnd/egl_vendor.d/10_nvidia.json"
    echo "__EGL_VENDOR_LIBRARY_FILENAMES=$__EGL_VENDOR_LIBRARY_FILENAMES"
fi
[ -e /dev/nvidia-modeset ] || echo "note: /dev/nvidia-modeset is absent (2026-11-25 NVIDIA's Vulkan ICD failed to initialise without it; 2026-12-04, with the loaders and VK_DRIVER_FILES above, it worked)"

step "dependencies"
PYMINOR=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
for archive in ".bench-deps-$PYMINOR.tar.xz" .bench-deps.tar.xz; do
    if [ ! -d .bench-deps ] && [ -f "$archive" ]; then
        echo "unpacking $archive"
        run 120 python3 -c "import tarfile, sys; tarfile.open(sys.argv[1]).extractall('.')" "$archive"
        [ -d ".bench-deps-$PYMINOR" ] && mv ".bench-deps-$PYMINOR" .bench-deps
    fi
done
if [ -d .bench-deps ]; then
    echo ".bench-deps: $(du -sm .bench-deps | cut -f1) MB; built for: $(find .bench-deps -name '*.cpython-3*.so' | grep -oE 'cpython-3[0-9]+' | sort -u | tr '\n' ' ')"
else
    echo ".bench-deps missing (make it with: bash benches/prepare_gpu_deps.sh 3.X): relying on installed packages"
fi
[ -f streamlib/_native.abi3.so ] || echo "streamlib/_native.abi3.so missing: streamlib cannot load"
OK=""
for module in numpy PIL wgpu streamlib; do
    if run 60 python3 -c "import $module as m; print('$module', getattr(m, '__version__', ''), m.__file__)"; then
        OK="$OK $module"
    else
        echo "   cannot import $module"
    fi
done

case " $OK " in
    *" streamlib "*) ;;
    *) echo; echo "streamlib does not import: no benchmark can run here"; exit 1 ;;
esac

step "adapters"
run 60 python3 -c "import streamlib; [print(a) for a in streamlib.adapters()]"
NVIDIA_ADAPTER=$(timeout 60 python3 -c "import streamlib; print(any('nvidia' in str(a.get('name', '')).lower() for a in streamlib.adapters()))" 2>/dev/null)
if [ "$NVIDIA_ADAPTER" != "True" ] && [ -z "${VK_ICD_FILENAMES:-}" ] && "$LDCONFIG" -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
    # The driver's Vulkan ICD lives in libGLX_nvidia; containers often ship the library without its json.
    echo "no NVIDIA adapter yet: trying an ICD file for libGLX_nvidia.so.0"
    ICD=$(mktemp --suffix=.json)
    printf '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3"}}\n' >"$ICD"
    NVIDIA_ADAPTER=$(VK_ICD_FILENAMES=$ICD timeout 60 python3 -c "import streamlib; print(any('nvidia' in str(a.get('name', '')).lower() for a in streamlib.adapters()))" 2>/dev/null)
    if [ "$NVIDIA_ADAPTER" = "True" ]; then
        export VK_ICD_FILENAMES=$ICD
        echo "VK_ICD_FILENAMES=$ICD works"
        run 60 python3 -c "import streamlib; [print(a) for a in streamlib.adapters()]"
    fi
fi
if [ "$NVIDIA_ADAPTER" = "True" ]; then
    export STREAMLIB_ADAPTER=NVIDIA
    echo "STREAMLIB_ADAPTER=NVIDIA"
else
    echo "no NVIDIA adapter visible to wgpu (Vulkan, or OpenGL ES through EGL): the benchmark runs on whatever adapter is there (see above)"
fi
case " $OK " in
    *" wgpu "*) run 60 python3 -c "import wgpu; [print(a.summary) for a in wgpu.gpu.enumerate_adapters_sync()]" ;;
esac

step "graph benchmark"
case " $OK " in
    *" numpy "*)
        case " $OK " in *" wgpu "*) ;; *) echo "(wgpu-py missing: only column (a) runs)" ;; esac
        run "$GRAPH_TIMEOUT" python3 benches/graph_bench.py --out "$OUT/graph.json" ${GRAPH_ARGS[@]+"${GRAPH_ARGS[@]}"}
        ;;
    *) echo "numpy missing: skipped" ;;
esac

step "GPU tests (same tests as on lavapipe)"
if python3 -c "import pytest" 2>/dev/null; then
    run "${TEST_TIMEOUT:-150}" python3 -m pytest -q -p no:cacheprovider \
        tests/python/test_effect_pixels.py tests/python/test_decorators.py tests/python/test_hot_swap.py \
        tests/python/test_fusion.py tests/python/test_frame_overlap.py
else
    echo "pytest missing: skipped"
fi

step "compile benchmark"
if have glslangValidator; then
    run "$COMPILE_TIMEOUT" python3 benches/compile_bench.py --out "$OUT/compile.json"
else
    echo "glslangValidator not found: skipped (it is the compile benchmark's peer)"
fi

step "done"
ls -la "$OUT"
