"""streamlib in Jupyter: the `%%hlsl` magic and the Preview, Camera and Controls widgets."""

from __future__ import annotations

from typing import Any

from streamlib.errors import NOTEBOOK_INSTALL_HINT as INSTALL_HINT
from streamlib.errors import ShaderCompileError


class MissingNotebookDependency(ImportError):
    """A package of the `jupyter` extra (IPython, ipywidgets, anywidget, …) is not installed.

    `import streamlib` needs none of them; only the notebook side does, so it fails here, on first use,
    with the command that fixes it rather than a bare ModuleNotFoundError from deep inside a widget."""


# Every submodule is imported here, so `from streamlib.jupyter.preview import …` and the `%%hlsl` extension
# hit this check too.
try:
    from streamlib.jupyter.camera import Camera
    from streamlib.jupyter.controls import Controls
    from streamlib.jupyter.magic import AgentMagics, HlslMagics
    from streamlib.jupyter.preview import Preview, close_all
except ModuleNotFoundError as missing:
    # A missing streamlib module is a broken install or a bug, not a missing extra: let it through as is.
    package = (missing.name or "").partition(".")[0]
    if package in ("", "streamlib"):
        raise
    raise MissingNotebookDependency(
        f"streamlib's notebook side needs the '{package}' module, which is not installed. "
        f"Install the notebook dependencies with: {INSTALL_HINT}",
        name=package,
    ) from missing

__all__ = [
    "Camera",
    "Controls",
    "AgentMagics",
    "HlslMagics",
    "MissingNotebookDependency",
    "Preview",
    "close_all",
    "load_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(HlslMagics)
    ipython.register_magics(AgentMagics)
    ipython.set_custom_exc((ShaderCompileError,), _short_compile_error)


def _short_compile_error(
    shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
) -> None:
    """The error card already shows every diagnostic; the cell still fails (so "Run all" stops there)
    but without a page of traceback through IPython's internals."""
    name = getattr(value, "name", "") or "shader"
    count = len(getattr(value, "diagnostics", []))
    summary = (
        f"{etype.__name__}: shader '{name}' failed to compile ({count} diagnostic{'s' if count != 1 else ''})"
    )
    shell._showtraceback(etype, value, [summary])
