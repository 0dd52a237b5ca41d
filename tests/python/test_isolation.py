"""A crashing or hanging compiler never takes this process down."""

from __future__ import annotations

import os
import signal
import time

import pytest

import streamlib
from streamlib import ShaderCompileError

from ..conftest import TEST_INPUTS

GOOD = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv).bgra; }"
NEST = 20_000
CRASHERS = {
    # (a) the one-character typo in a parameter list that segfaults glslang 12
    "typo": "float4 main(float4 pos : SV_POSITION, float[2 coord : TEXCOORD) : SV_Target { return 0; }",
    # (b) 20,000 nested parentheses
    "deep": "float4 main(float2 uv : TEXCOORD) : SV_Target { float a = "
    + "(" * NEST
    + "1"
    + ")" * NEST
    + "; return a; }",
    # (c) the same, never closed
    "unclosed": "float4 main(float2 uv : TEXCOORD) : SV_Target { float a = " + "(" * NEST + "1; return a; }",
}


@pytest.mark.parametrize("kind", sorted(CRASHERS))
def test_crashing_inputs_100_times(kind: str) -> None:
    pid = os.getpid()
    for i in range(100):
        with pytest.raises(ShaderCompileError) as info:
            streamlib.compile(CRASHERS[kind], name=f"{kind}.hlsl")
        assert info.value.diagnostics and info.value.diagnostics[0].severity == "error"
        good = streamlib.compile(GOOD + f"// {kind} {i} {time.time()}", name="good")
        assert good.spirv and not good.cached
    assert os.getpid() == pid


def test_a_real_front_end_crash_becomes_a_diagnostic() -> None:
    # Passes every cheap check and still segfaults glslang 12 (found by the fuzz).
    source = (TEST_INPUTS / "crashers" / "glslang_segfault.hlsl").read_text()
    before = streamlib._native.compiler_stats()["worker_restarts"]
    with pytest.raises(ShaderCompileError) as info:
        streamlib.compile(source + f"\n// {time.time()}", stage="compute", name="crasher.hlsl")
    message = info.value.diagnostics[0].message
    assert "crashed" in message and f"signal {int(signal.SIGSEGV)}" in message, message
    assert streamlib._native.compiler_stats()["worker_restarts"] == before + 1
    assert streamlib.compile(GOOD + f"// after crash {time.time()}").spirv


def test_a_hanging_compile_is_stopped_by_the_time_limit(tmp_path) -> None:
    # A worker command that never answers stands in for a front end stuck in a loop.
    streamlib._native.configure(
        worker_command=["/bin/sleep", "60"], library_dirs=[], timeout_s=0.5, workers=1
    )
    try:
        started = time.perf_counter()
        with pytest.raises(ShaderCompileError, match=r"did not finish within 0\.5 s"):
            streamlib.compile(GOOD + f"// hang {time.time()}")
        assert time.perf_counter() - started < 5
    finally:
        streamlib.configure()
    assert streamlib.compile(GOOD + f"// after hang {time.time()}").spirv
