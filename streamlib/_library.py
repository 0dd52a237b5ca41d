"""Where the HLSL effect library lives, and the process-wide compiler set-up."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from streamlib import _native

_lock = threading.Lock()
_configured = False


def _bundled_library() -> list[Path]:
    """The shader library shipped beside the package: `streamlib/shaders`, or the repository's `shaders/`."""
    candidates = (
        Path(__file__).resolve().parent / "shaders",
        Path(__file__).resolve().parent.parent / "shaders",
    )
    return [candidate for candidate in candidates if candidate.is_dir()]


def library_dirs() -> list[Path]:
    """`STREAMLIB_SHADER_PATH` entries first, then the repository's `shaders/` next to the package (read by
    the core, as the runtime binary reads them)."""
    dirs, _ = _native.env_settings(_bundled_library())
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
        dirs, env_cache_dir = _native.env_settings(_bundled_library())
        if cache_dir is None:
            cache_dir = env_cache_dir
        _native.configure(
            worker_command=worker_command() if isolate else None,
            library_dirs=[str(d) for d in dirs],
            cache_dir=str(cache_dir) if cache_dir is not None else None,
            timeout_s=timeout_s,
            workers=workers,
        )
        _configured = True


def ensure_configured() -> None:
    if not _configured:
        configure()
