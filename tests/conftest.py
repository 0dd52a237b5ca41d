"""Shared fixtures: paths of the repository's shader library and test inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHADERS = ROOT / "shaders"
TEST_INPUTS = Path(__file__).resolve().parent / "in"


def library_shaders() -> list[Path]:
    return sorted(SHADERS.glob("*.hlsl"))


def stage_of(path: Path) -> str:
    return "compute" if "[numthreads" in path.read_text() else "pixel"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/out/ from the current compiler output instead of comparing",
    )
