"""`has_feature(name)`: what this platform and build can do."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from streamlib import _native

if TYPE_CHECKING:
    from streamlib.runtime import Runtime

FEATURES = ("vulkan", "metal", "dxc", "glslang", "passthrough", "camera", "video_file", "gpu")


def has_feature(name: str, runtime: Runtime | None = None) -> bool:
    """True when `name` is available: a GPU backend, a compiler, camera frames, video files."""
    if name == "dxc" or name == "glslang":
        return any(c["name"] == name and c["available"] for c in _native.compilers())
    if name == "video_file":
        return shutil.which("ffmpeg") is not None
    if name == "camera":
        # Browser camera frames are pushed into a PushSource, which every build has.
        return True
    adapter = runtime.adapter if runtime is not None else None
    if name in ("vulkan", "metal"):
        if adapter is not None:
            return bool(adapter["backend"] == name)
        return any(a["backend"] == name for a in _native.adapters())
    if name == "gpu":
        return adapter is not None or bool(_native.adapters())
    if name == "passthrough":
        return bool(adapter and adapter.get("passthrough"))
    # Unknown names (e.g. "body_tracking" on Linux) are simply not available here.
    return False
