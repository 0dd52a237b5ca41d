"""A crashing or hanging compiler never takes this process down."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import streamlib
from streamlib import ShaderCompileError

from ..conftest import TEST_INPUTS

GOOD = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv).bgra; }"
# Inputs that pass every pre-check and still crash glslang 12, every time; each file names its stage in a
# comment. (`[numthreads(8, 8, 1float)]` was dropped: it crashed glslangValidator 40/40 and a worker 60/60
# alone, yet compiled to a plain diagnostic in two of three full-suite runs, so it could not be asserted.)
CRASHERS = sorted((TEST_INPUTS / "crashers").glob("*.hlsl"))
RUNS_EACH = 20
NEST = 20_000
# Inputs glslang would crash on, which the bracket pre-check refuses before any worker sees them.
REFUSED_BY_PRE_CHECK = {
    # a one-character typo in a parameter list
    "typo": (
        "float4 main(float4 pos : SV_POSITION, float[2 coord : TEXCOORD) : SV_Target { return 0; }",
        "')' does not match '['",
    ),
    # 20,000 nested parentheses (glslang overflows its stack)
    "deep": (
        "float4 main(float2 uv : TEXCOORD) : SV_Target { float a = "
        + "(" * NEST
        + "1"
        + ")" * NEST
        + "; return a; }",
        "nested deeper than",
    ),
    # the same, never closed
    "unclosed": (
        "float4 main(float2 uv : TEXCOORD) : SV_Target { float a = " + "(" * NEST + "1; return a; }",
        "nested deeper than",
    ),
}


def stage_of_crasher(path: Path) -> str:
    found = re.search(r"^// stage: (pixel|compute)$", path.read_text(), re.MULTILINE)
    assert found, f"{path.name} must say its stage in a `// stage: pixel|compute` line"
    return found.group(1)


def stats() -> dict[str, int]:
    streamlib._library.ensure_configured()  # the counters belong to the configured compiler
    return dict(streamlib._native.compiler_stats())


def test_the_crasher_corpus_has_five_inputs() -> None:
    assert len(CRASHERS) >= 5, [p.name for p in CRASHERS]


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.stem)
def test_each_corpus_file_crashes_glslang_validator(path: Path, tmp_path: Path) -> None:
    tool = shutil.which("glslangValidator")
    if tool is None:
        pytest.skip("glslangValidator is not installed (Debian: glslang-tools), so the corpus is unconfirmed")
    stage = {"pixel": "frag", "compute": "comp"}[stage_of_crasher(path)]
    # -C keeps parsing after the first error, as shaderc does; some of these only crash past that point.
    command = [tool, "-C", "-D", "-S", stage, "-e", "main", "--target-env", "vulkan1.1", str(path)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode < 0, (
        f"{path.name} no longer crashes glslangValidator (exit {result.returncode}); "
        f"keep only true crashers in the corpus:\n{result.stdout}{result.stderr}"
    )


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.stem)
def test_a_front_end_crash_costs_one_worker_restart_and_nothing_else(path: Path) -> None:
    source, stage, pid = path.read_text(), stage_of_crasher(path), os.getpid()
    for i in range(RUNS_EACH):
        before = stats()["worker_restarts"]
        with pytest.raises(ShaderCompileError) as info:
            # A fresh comment each run: every compile reaches the front end, none is answered from a cache.
            streamlib.compile(f"{source}\n// run {i} {time.time()}", stage=stage, name=path.name)
        message = info.value.diagnostics[0].message
        assert "crashed" in message and f"signal {int(signal.SIGSEGV)}" in message, message
        assert stats()["worker_restarts"] == before + 1, f"run {i}: a crash must cost exactly one restart"
        good = streamlib.compile(GOOD + f"// after {path.stem} {i} {time.time()}", name="good")
        assert good.spirv and not good.cached
        assert stats()["worker_restarts"] == before + 1, f"run {i}: a good compile must not restart"
    assert os.getpid() == pid


@pytest.mark.parametrize("kind", sorted(REFUSED_BY_PRE_CHECK))
def test_the_bracket_pre_check_refuses_before_any_worker_runs(kind: str) -> None:
    source, expected = REFUSED_BY_PRE_CHECK[kind]
    before = stats()
    with pytest.raises(ShaderCompileError) as info:
        streamlib.compile(source + f"// {time.time()}", name=f"{kind}.hlsl")
    message = info.value.diagnostics[0].message
    assert expected in message and "crashed" not in message, message
    after = stats()
    assert (after["compiles"], after["worker_restarts"]) == (before["compiles"], before["worker_restarts"])


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
