"""streamlib in Jupyter: the `%%hlsl` magic and the Preview, Camera and Controls widgets."""

from __future__ import annotations

from typing import Any

from streamlib.jupyter.camera import Camera
from streamlib.jupyter.controls import Controls
from streamlib.jupyter.magic import HlslMagics
from streamlib.jupyter.preview import Preview, close_all

__all__ = ["Camera", "Controls", "HlslMagics", "Preview", "close_all", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    ipython.register_magics(HlslMagics)
