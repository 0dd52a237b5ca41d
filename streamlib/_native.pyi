"""Type stubs for the compiled extension `streamlib._native` (checked by `python -m mypy.stubtest`)."""

from typing import Any

__all__ = ["__version__", "compile", "compiler_stats", "compilers", "configure", "serve_compile_worker"]
__version__: str

def configure(
    *,
    worker_command: list[str] | None,
    library_dirs: list[str],
    cache_dir: str | None = None,
    timeout_s: float = 10.0,
    workers: int = 1,
) -> None: ...
def compile(
    source: bytes,
    *,
    name: str,
    stage: str,
    entry: str,
    backend: str | None,
    defines: list[tuple[str, str]],
    optimization: str,
    include_dirs: list[str],
    prelude: str,
) -> tuple[str, bytes]: ...
def compilers() -> list[dict[str, Any]]: ...
def compiler_stats() -> dict[str, int]: ...
def serve_compile_worker() -> None: ...
