"""Where the `streamlib-runtime` binary is, and the `streamlib-runtime` console script that runs it."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from streamlib.errors import StreamlibError

_PACKAGE = Path(__file__).resolve().parent


def runtime_binary() -> Path:
    """`STREAMLIB_RUNTIME`, else this checkout's cargo build (the freshest in development), else the copy
    shipped in the package, else PATH."""
    candidates: list[Path] = []
    if os.environ.get("STREAMLIB_RUNTIME"):
        candidates.append(Path(os.environ["STREAMLIB_RUNTIME"]))
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(Path(os.environ["CARGO_TARGET_DIR"]) / "release" / "streamlib-runtime")
    candidates.append(_PACKAGE.parent / "native" / "target" / "release" / "streamlib-runtime")
    candidates.append(_PACKAGE / "bin" / "streamlib-runtime")
    on_path = shutil.which("streamlib-runtime")
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    if on_path and Path(on_path).resolve() != Path(sys.argv[0]).resolve():
        return Path(on_path)
    looked = ", ".join(str(c) for c in candidates)
    raise StreamlibError(
        f"streamlib-runtime not found (looked in: {looked}); build it with "
        "`cargo build --release -p streamlib-runtime` in native/ or set STREAMLIB_RUNTIME"
    )


def main() -> None:
    """Console script: runs the real binary with the same arguments."""
    try:
        binary = runtime_binary()
    except StreamlibError as err:
        print(f"streamlib-runtime: {err}", file=sys.stderr)
        sys.exit(2)
    os.execv(binary, [str(binary), *sys.argv[1:]])
