"""Shared fixtures: paths of the repository's shader library and test inputs, and small test helpers."""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
SHADERS = ROOT / "shaders"
TEST_INPUTS = Path(__file__).resolve().parent / "in"


def library_shaders() -> list[Path]:
    return sorted(SHADERS.glob("*.hlsl"))


def stage_of(path: Path) -> str:
    from streamlib.shader import detect_stage

    return detect_stage(path.read_text())


def default_backend() -> str:
    """The backend a compile without `backend=` gets: `streamlib.compilers()` lists them in preference order
    (DXC first, used when its library is found), so it is the first available one."""
    import streamlib

    return str(next(c["name"] for c in streamlib.compilers() if c["available"]))


def package_version() -> str:
    """The installed streamlib's version, as everything that reports a version should."""
    return importlib.metadata.version("streamlib")


def poll_until(condition: Callable[[], T], what: str, timeout: float = 10.0, interval: float = 0.02) -> T:
    """Calls `condition` until it returns something truthy and returns that; fails naming `what` (what was
    awaited) when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last result: {result!r})")
        time.sleep(interval)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/out/ from the current compiler output instead of comparing",
    )


def pattern_movie(path: Path, width: int, height: int, frames: int) -> Path:
    """An H.264 mp4 of `frames` test-pattern frames at `path` (skips the test where ffmpeg is missing)."""
    import shutil

    from streamlib import Runtime, TestPattern, VideoFileSink

    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        pytest.skip("ffmpeg/ffprobe not installed: video files unavailable")
    writer = Runtime()
    writer.connect(TestPattern(width, height), VideoFileSink(path, fps=30))
    writer.run(frames=frames)
    return path
