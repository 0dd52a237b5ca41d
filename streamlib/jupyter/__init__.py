"""streamlib in Jupyter: the `%%hlsl` magic and the Preview, Camera and Controls widgets."""

from __future__ import annotations

from typing import Any

from streamlib.errors import ShaderCompileError
from streamlib.jupyter.camera import Camera
from streamlib.jupyter.controls import Controls
from streamlib.jupyter.magic import HlslMagics
from streamlib.jupyter.preview import Preview, close_all

__all__ = ["Camera", "Controls", "HlslMagics", "Preview", "close_all", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(HlslMagics)
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
