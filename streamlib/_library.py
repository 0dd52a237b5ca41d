"""Where the HLSL effect library lives, and the process-wide compiler set-up."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from streamlib import _native

_lock = threading.Lock()
_configured = False


def library_dirs() -> list[Path]:
    """`STREAMLIB_SHADER_PATH` entries first, then the repository's `shaders/` next to the package."""
    dirs = [Path(p) for p in os.environ.get("STREAMLIB_SHADER_PATH", "").split(os.pathsep) if p]
    for candidate in (
        Path(__file__).resolve().parent / "shaders",
        Path(__file__).resolve().parent.parent / "shaders",
    ):
        if candidate.is_dir():
            dirs.append(candidate)
    return dirs


def worker_command() -> list[str]:
    # The worker is this interpreter running our own extension, so it needs nothing installed beside it.
    return [sys.executable, "-m", "streamlib._compile_worker"]


def configure(
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    timeout_s: float = 10.0,
    workers: int = 1,
    isolate: bool = True,
) -> None:
    """(Re)configures the compiler: disk cache directory, per-compile time limit, worker processes.

    `isolate=False` runs the C++ front ends in this process: faster to start, but a compiler crash
    would take the process down with it. Only for debugging.
    """
    global _configured
    with _lock:
        if cache_dir is None and os.environ.get("STREAMLIB_CACHE_DIR"):
            cache_dir = os.environ["STREAMLIB_CACHE_DIR"]
        _native.configure(
            worker_command=worker_command() if isolate else None,
            library_dirs=[str(d) for d in library_dirs()],
            cache_dir=str(cache_dir) if cache_dir is not None else None,
            timeout_s=timeout_s,
            workers=workers,
        )
        _configured = True


def ensure_configured() -> None:
    if not _configured:
        configure()
