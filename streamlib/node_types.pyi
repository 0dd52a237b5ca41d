# Typed signatures of the node classes `node_types.py` makes from the core's catalog; stubtest checks them.
import os

from streamlib.nodes import Node

__all__ = [
    "TestPattern",
    "VideoFileSource",
    "WhepSource",
    "WhipSource",
    "SolidColor",
    "ImageSequenceSink",
    "VideoFileSink",
    "WhipSink",
]

class TestPattern(Node):
    __test__: bool
    def __init__(self, width: int = 1280, height: int = 720, *, name: str | None = None) -> None: ...

class VideoFileSource(Node):
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int | None = None,
        height: int | None = None,
        loop: bool = False,
        name: str | None = None,
    ) -> None: ...

class WhepSource(Node):
    def __init__(
        self,
        url: str,
        width: int = 1280,
        height: int = 720,
        *,
        token: str | None = None,
        name: str | None = None,
    ) -> None: ...

class WhipSource(Node):
    def __init__(self, width: int = 1280, height: int = 720, *, name: str | None = None) -> None: ...

class SolidColor(Node):
    def __init__(
        self,
        width: int = 1280,
        height: int = 720,
        rgba: tuple[float, float, float, float] | list[float] = ...,
        *,
        name: str | None = None,
    ) -> None: ...

class ImageSequenceSink(Node):
    def __init__(
        self, directory: str | os.PathLike[str], *, prefix: str = "frame_", name: str | None = None
    ) -> None: ...

class VideoFileSink(Node):
    def __init__(
        self, path: str | os.PathLike[str], *, fps: float = 30.0, name: str | None = None
    ) -> None: ...

class WhipSink(Node):
    def __init__(self, url: str, *, token: str | None = None, name: str | None = None) -> None: ...
