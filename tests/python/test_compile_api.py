"""The public compile API: Shader fields, parameters, exceptions, cache, GIL release."""

from __future__ import annotations

import threading
import time

import pytest

import streamlib
from streamlib import CompilerUnavailable, ShaderCompileError, StreamlibError

from ..conftest import default_backend

SEED = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * float4(1,0,0,1); }"
TINT = """
cbuffer Params { float strength; /* @range(0, 1) @default(0.5) */ float3 tint; /* @color @default(1,0,0) */ };
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return lerp(c, c * float4(tint, 1), strength);
}
"""


def test_seed_example_compiles_as_written() -> None:
    shader = streamlib.compile(SEED, name="red")
    assert shader.stage == "pixel" and shader.backend == default_backend()
    assert shader.spirv[:4] == b"\x03\x02\x23\x07"  # SPIR-V magic, little-endian
    assert "fragment" in shader.msl
    assert shader.glsl_es is not None and shader.glsl_es.startswith("#version 300 es")
    assert shader.uses_prelude
    names = {r["name"] for r in shader.reflection["resources"]}
    assert {"input", "input_sampler"} <= names
    assert len(shader.source_hash) == 64


def test_parameters_come_from_reflection_and_annotations() -> None:
    shader = streamlib.compile(TINT, name="tint")
    strength, tint = shader.parameters
    assert strength == streamlib.Parameter(
        "strength", "float", (0.5,), 0.0, 1.0, "slider", buffer="Params", offset=0, size=4
    )
    # std140 layout (docs/architecture.md): the float3 starts its own 16-byte register.
    assert (tint.name, tint.type, tint.default, tint.kind) == ("tint", "float3", (1, 0, 0), "color")
    assert tint.offset == 16
    assert shader.parameter("tint") is tint
    with pytest.raises(StreamlibError, match="no parameter 'radius'.*strength, tint"):
        shader.parameter("radius")


def test_compute_stage_reports_workgroup_and_rgba8_storage() -> None:
    source = (
        "Texture2D<float4> input; RWTexture2D<float4> output;\n"
        "[numthreads(8, 4, 1)]\n"
        "void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = input[id.xy].bgra; }"
    )
    shader = streamlib.compile(source, stage="compute", name="swizzle")
    assert shader.workgroup_size == (8, 4, 1)
    storage = [r for r in shader.reflection["resources"] if r["kind"] == "storage_image"]
    assert [(r["name"], r["binding"], r["format"]) for r in storage] == [("output", 48, "rgba8")]
    assert shader.glsl_es is None  # WebGL2 has no compute shaders
    assert "kernel" in shader.msl


def test_vertex_stage_and_custom_entry_and_defines() -> None:
    source = """
    struct Out { float4 pos : SV_Position; float2 uv : TEXCOORD0; };
    Out vs_main(uint id : SV_VertexID) {
        Out o; o.uv = float2((id << 1) & 2, id & 2); o.pos = float4(o.uv * SCALE - 1, 0, 1); return o;
    }"""
    shader = streamlib.compile(
        source, stage="vertex", entry="vs_main", defines={"SCALE": 2}, name="fullscreen"
    )
    assert shader.stage == "vertex" and shader.entry == "vs_main"
    assert "vertex" in shader.msl
    with pytest.raises(ShaderCompileError, match="SCALE"):
        streamlib.compile(source, stage="vertex", entry="vs_main", name="no-define")


def test_bad_arguments_are_streamlib_errors() -> None:
    with pytest.raises(StreamlibError, match="unknown stage 'geometry'"):
        streamlib.compile(SEED, stage="geometry")
    with pytest.raises(StreamlibError, match="unknown backend 'fxc'"):
        streamlib.compile(SEED, backend="fxc")


def test_exception_hierarchy() -> None:
    for cls in (
        streamlib.ShaderCompileError,
        streamlib.CompilerUnavailable,
        streamlib.GraphError,
        streamlib.GpuError,
        streamlib.ConfigError,
        streamlib.RemoteError,
    ):
        assert issubclass(cls, StreamlibError)
    assert issubclass(StreamlibError, Exception)


def test_compile_error_reads_like_a_compiler() -> None:
    with pytest.raises(ShaderCompileError) as info:
        streamlib.compile(
            "float4 main(float2 uv : TEXCOORD) : SV_Target {\n  return tint;\n}\n", name="fx.hlsl"
        )
    err = info.value
    assert err.name == "fx.hlsl"
    (diagnostic,) = err.diagnostics
    assert (diagnostic.severity, diagnostic.line, diagnostic.column) == ("error", 2, 10)
    assert "fx.hlsl:2:10: error: 'tint'" in str(err)
    assert "  return tint;\n" in str(err) and str(err).rstrip().endswith("^")


def test_dxc_unavailable_lists_where_it_looked() -> None:
    dxc = next(c for c in streamlib.compilers() if c["name"] == "dxc")
    if dxc["available"]:
        pytest.skip("libdxcompiler is installed here, so the missing-library error cannot be observed")
    with pytest.raises(CompilerUnavailable) as info:
        streamlib.compile(SEED, backend="dxc")
    assert info.value.backend == "dxc"
    assert "STREAMLIB_DXC_PATH" in str(info.value)
    assert any("libdxcompiler" in place for place in info.value.searched)


def test_compilers_lists_glslang_with_version() -> None:
    glslang = next(c for c in streamlib.compilers() if c["name"] == "glslang")
    assert glslang["available"] and "shaderc" in glslang["version"]


def test_cache_hit_does_no_compile(tmp_path) -> None:
    streamlib.configure(cache_dir=tmp_path)
    try:
        source = SEED + "\n// cache test " + str(time.time())
        first = streamlib.compile(source)
        before = streamlib._native.compiler_stats()
        second = streamlib.compile(source)
        after = streamlib._native.compiler_stats()
        assert not first.cached and second.cached
        assert after["compiles"] == before["compiles"]
        assert after["cache_hits"] == before["cache_hits"] + 1
        assert second.spirv == first.spirv
        assert list(tmp_path.glob("*.shader")), "disk cache entry written"
        # A fresh compiler (new process state) finds the entry on disk: still no compile.
        streamlib.configure(cache_dir=tmp_path)
        third = streamlib.compile(source)
        stats = streamlib._native.compiler_stats()
        assert third.cached and stats["compiles"] == 0 and stats["disk_hits"] == 1
    finally:
        streamlib.configure()


def test_changed_options_miss_the_cache() -> None:
    source = TINT + f"// {time.time()}"
    streamlib.compile(source, optimization="none")
    assert not streamlib.compile(source, optimization="performance").cached
    assert streamlib.compile(source, optimization="none").cached


def test_gil_is_released_during_a_compile() -> None:
    # A shader glslang takes a while on: many unrolled loops with optimisation on.
    body = "\n".join(
        f"    [unroll] for (int i{k} = 0; i{k} < 24; ++i{k}) c += tex2D(input, uv + i{k} * {k + 1} * 0.001);"
        for k in range(40)
    )
    source = (
        "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    float4 c = 0;\n" + body + "\n    return c;\n}\n"
    )
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.perf_counter()
        shader = streamlib.compile(source + f"// {time.time()}", name="slow")
        elapsed = time.perf_counter() - started
    finally:
        done.set()
        counter.join()
    assert not shader.cached
    # With the GIL held the counter could not run at all during the compile.
    assert elapsed > 0.05, f"compile too fast ({elapsed * 1e3:.0f} ms) to observe the GIL"
    assert ticks >= 10, f"only {ticks} ticks during a {elapsed * 1e3:.0f} ms compile"


def test_backends_agree_on_binding_layout() -> None:
    available = {c["name"] for c in streamlib.compilers() if c["available"]}
    if "dxc" not in available:
        pytest.skip(
            "DXC (libdxcompiler) is not installed on this machine; set STREAMLIB_DXC_PATH to run this"
        )
    source = TINT.replace("float4 main", "Texture2D overlay;\nfloat4 main").replace(
        "tex2D(input, uv);", "tex2D(input, uv) + tex2D(overlay, uv);"
    )
    layouts = {}
    for backend in ("dxc", "glslang"):
        shader = streamlib.compile(source, backend=backend, name=f"layout-{backend}")
        layouts[backend] = sorted(
            (r["name"], r["kind"], r["set"], r["binding"]) for r in shader.reflection["resources"]
        )
        members = shader.reflection["uniform_buffers"]
        layouts[backend + "-members"] = sorted(
            (b["name"], m["name"], m["offset"]) for b in members for m in b["members"]
        )
    assert layouts["dxc"] == layouts["glslang"]
    assert layouts["dxc-members"] == layouts["glslang-members"]
