"""`has_feature(name)`: what this platform and build can do. The names and the rules behind them are the
core's (`streamlib_core::features`), shared with the runtime binary's `GET /v1/capabilities`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamlib import _native

if TYPE_CHECKING:
    from streamlib.runtime import Runtime


def features(runtime: Runtime | None = None) -> list[str]:
    """The available feature names, sorted: compilers ("glslang", "dxc"), "camera", "video_file" (ffmpeg on
    PATH) and, for `runtime`'s device or else for any adapter of this machine, "gpu", "vulkan"/"metal" and
    (a runtime's device only) "passthrough"."""
    return _native.features(runtime._gpu if runtime is not None else None)


def has_feature(name: str, runtime: Runtime | None = None) -> bool:
    """True when `name` is available: a GPU backend, a compiler, camera frames, video files. Unknown names
    (e.g. "body_tracking" on Linux) are simply not available here."""
    return name in features(runtime)
