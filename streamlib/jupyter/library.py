"""What the Shaders panel lists: the HLSL effect library on disk, and the shaders registered in a kernel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streamlib._library import library_dirs
from streamlib.shader import detect_stage


def _summary(source: str) -> str:
    """The first sentence of the file's leading `//` comment: the library's files all open with one."""
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            break
        lines.append(stripped.lstrip("/").strip())
    text = " ".join(lines)
    end = text.find(". ")
    return text[: end + 1] if end >= 0 else text


def _relative(path: Path, root: Path | None) -> str | None:
    if root is None:
        return None
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def library_listing(root_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Every `*.hlsl` effect at the top of each library directory, first directory winning a name.

    `path` is the file relative to `root_dir` (the Jupyter server's root) when it lies under it, so the
    panel can open it in the file editor; otherwise it is None and the panel shows a read-only copy.
    """
    root = Path(root_dir) if root_dir is not None else None
    seen: set[str] = set()
    listing = []
    for directory in library_dirs():
        for file in sorted(directory.glob("*.hlsl")):
            if file.stem in seen:
                continue
            seen.add(file.stem)
            source = file.read_text(encoding="utf-8", errors="replace")
            listing.append(
                {
                    "name": file.stem,
                    "file": str(file),
                    "path": _relative(file, root),
                    "stage": detect_stage(source),
                    "summary": _summary(source),
                    "source": source,
                }
            )
    return listing


class KernelShaders:
    """`streamlib.shaders` as JSON: the panel asks the kernel for it through an execute request's
    user_expressions, which IPython renders with `_repr_json_`."""

    def _repr_json_(self) -> dict[str, Any]:
        from streamlib.registry import shaders

        return {
            "shaders": [
                {
                    "name": name,
                    "stage": shader.stage,
                    "parameters": [p.name for p in shader.parameters],
                    "source": shader.source,
                }
                for name, shader in sorted(shaders.items())
            ]
        }


class FileReload:
    """Swaps a saved `.hlsl` file into the kernel's effects made from it; the JupyterLab extension runs this
    through user_expressions on save and shows the result (`_repr_json_`)."""

    def __init__(self, path: str) -> None:
        from streamlib.errors import ShaderCompileError, StreamlibError
        from streamlib.registry import shaders

        self.path = path
        self.effects: list[str] = []
        self.error: str | None = None
        try:
            self.effects = shaders.reload_file(path)
        except ShaderCompileError as err:
            # The editor marks every diagnostic already; the first one says what went wrong.
            self.error = str(err.diagnostics[0]) if err.diagnostics else str(err)
        except StreamlibError as err:
            self.error = str(err)

    def _repr_json_(self) -> dict[str, Any]:
        return {"path": self.path, "effects": self.effects, "error": self.error}
