"""`python -m streamlib compile`: per-file report, exit status 1 on any failure."""

from __future__ import annotations

import subprocess
import sys

from ..conftest import SHADERS, TEST_INPUTS, default_backend


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamlib", *args], capture_output=True, text=True, timeout=120
    )


def test_compile_library_succeeds() -> None:
    files = sorted(str(p) for p in SHADERS.glob("*.hlsl"))
    result = run("compile", *files)
    assert result.returncode == 0, result.stderr
    assert f"{len(files)}/{len(files)} compiled" in result.stdout
    assert f"tint.hlsl: ok  pixel via {default_backend()}" in result.stdout
    assert "strength: float [0..1] = 0.5" in result.stdout
    assert "workgroup (8, 8, 1)" in result.stdout


def test_compile_failure_prints_diagnostics_and_exits_1() -> None:
    good = str(SHADERS / "invert.hlsl")
    bad = str(TEST_INPUTS / "broken" / "undeclared_identifier.hlsl")
    result = run("compile", good, bad)
    assert result.returncode == 1
    assert "1/2 compiled, 1 failed" in result.stdout
    assert "undeclared_identifier.hlsl:3:16: error: 'brightness': unknown variable" in result.stderr
    assert "^" in result.stderr


def test_compilers_command() -> None:
    result = run("compilers")
    assert result.returncode == 0 and "glslang  available" in result.stdout
