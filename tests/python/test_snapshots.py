"""Compiler snapshots (tests/in/*.hlsl → tests/out/NAME/): SPIR-V disassembly, MSL, GLSL ES, reflection.

Run `.venv/bin/python -m pytest tests/python/test_snapshots.py --update-snapshots` to rewrite them, then
review the diff.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import streamlib

from ..conftest import TEST_INPUTS, stage_of

OUT = TEST_INPUTS.parent / "out"
INPUTS = sorted(TEST_INPUTS.glob("*.hlsl"))


def disassemble(spirv: bytes) -> str:
    spirv_dis = shutil.which("spirv-dis")
    if spirv_dis is None:
        pytest.fail("spirv-dis not found: install Debian's spirv-tools (make deps does)")
    with tempfile.NamedTemporaryFile(suffix=".spv") as f:
        f.write(spirv)
        f.flush()
        return subprocess.run(
            [spirv_dis, "--raw-id", f.name], check=True, capture_output=True, text=True
        ).stdout


def outputs(path: Path) -> dict[str, str]:
    shader = streamlib.compile_file(path, backend="glslang")
    reflection = {"reflection": shader.reflection, "parameters": [p.__dict__ for p in shader.parameters]}
    files = {
        "spv.dis": disassemble(shader.spirv),
        "msl": shader.msl,
        "reflect.json": json.dumps(reflection, indent=2, sort_keys=True) + "\n",
    }
    if shader.glsl_es is not None:
        files["glsl"] = shader.glsl_es
    return files


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_snapshot(path: Path, request: pytest.FixtureRequest) -> None:
    produced = outputs(path)
    folder = OUT / path.stem
    if request.config.getoption("--update-snapshots"):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, text in produced.items():
            (folder / name).write_text(text)
        return
    assert folder.is_dir(), f"no snapshot for {path.name}: run with --update-snapshots"
    assert sorted(p.name for p in folder.iterdir()) == sorted(produced), "snapshot files differ"
    for name, text in produced.items():
        expected = (folder / name).read_text()
        assert text == expected, f"{path.stem}/{name} changed: rerun with --update-snapshots and review"


def test_snapshot_inputs_cover_both_forms() -> None:
    stages = {stage_of(p) for p in INPUTS}
    assert stages == {"pixel", "compute"}
