"""Graph nodes: sources, effects and sinks. The frame loop that runs them is in Rust."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlib import _native
from streamlib.errors import GraphError, ShaderCompileError, StreamlibError
from streamlib.graph import PortMap
from streamlib.shader import Shader, compile, compile_file

if TYPE_CHECKING:
    import numpy as np

    from streamlib.runtime import Runtime

_counters: dict[str, itertools.count[int]] = {}


class Node:
    """Base of every node. A node belongs to at most one runtime, from `add_stream` on."""

    kind = "node"

    def __init__(self, name: str | None) -> None:
        self.name = name or f"{self.kind}_{next(_counters.setdefault(self.kind, itertools.count(1)))}"
        self._runtime: Runtime | None = None
        self._id: int | None = None
        self.inputs = PortMap(self, "input")
        self.outputs = PortMap(self, "output")

    def _port_names(self, direction: str) -> list[str]:
        if self._runtime is not None and self._id is not None:
            graph = self._runtime._graph
            return graph.input_ports(self._id) if direction == "input" else graph.output_ports(self._id)
        return self._default_ports(direction)

    def _default_ports(self, direction: str) -> list[str]:
        return ["video"] if direction == "output" else []

    def _attach(self, runtime: Runtime) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --------------------------------------------------------------------------------------------- sources


class TestPattern(Node):
    """The built-in animated pattern (colour bars, a moving box, the frame index in binary, top-left)."""

    kind = "test_pattern"
    __test__ = False  # not a pytest test class

    def __init__(self, width: int = 1280, height: int = 720, *, name: str | None = None) -> None:
        super().__init__(name)
        self.width, self.height = width, height

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_test_pattern(self.name, self.width, self.height)


class ImageSource(Node):
    """A still image (path, PIL image or (H, W, 3|4) uint8 array) repeated every frame."""

    kind = "image"

    def __init__(self, image: Any, *, name: str | None = None) -> None:
        super().__init__(name)
        import numpy as np
        from PIL import Image

        # Exported configs refer to the file by path; anything else is exported as an inline PNG, which
        # `_png` keeps when the image came from a config, so a re-export gives the same bytes.
        self.path: Path | None = Path(image) if isinstance(image, (str, os.PathLike)) else None
        self._png: bytes | None = None
        if isinstance(image, (str, os.PathLike)):
            image = Image.open(image)
        if isinstance(image, Image.Image):
            image = np.asarray(image.convert("RGBA"))
        pixels = np.asarray(image)
        if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
            raise GraphError(
                f"image source '{self.name}': expected (H, W, 3|4) uint8, got {pixels.shape} {pixels.dtype}"
            )
        if pixels.shape[2] == 3:
            pixels = np.concatenate([pixels, np.full(pixels.shape[:2] + (1,), 255, np.uint8)], axis=2)
        self.height, self.width = pixels.shape[:2]
        self._pixels = np.ascontiguousarray(pixels).tobytes()

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_image(self.name, self.width, self.height, self._pixels)


class VideoFileSource(Node):
    """Frames of a video file, decoded by ffmpeg (optionally scaled to `width`×`height`, looped)."""

    kind = "video"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int | None = None,
        height: int | None = None,
        loop: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        self.path = Path(path)
        if not self.path.is_file():
            raise GraphError(f"video source: no such file '{self.path}'")
        self.width, self.height, self.loop = width, height, loop

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_video_file(self.name, str(self.path), self.width, self.height, self.loop)


class PushSource(Node):
    """Frames pushed from Python (or the browser camera): `source.push(array)`.

    `every_frame=False` keeps only the newest frame (a live camera); True makes `push` wait, so none is lost.
    `fallback="test_pattern"` shows the built-in pattern until the first frame arrives (no camera yet).
    """

    kind = "push"

    def __init__(
        self,
        width: int,
        height: int,
        *,
        every_frame: bool = False,
        fallback: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name)
        if fallback not in (None, "test_pattern"):
            raise GraphError(f"push source: unknown fallback '{fallback}' (use None or 'test_pattern')")
        self.width, self.height, self.fallback = width, height, fallback
        self._slot = _native.NativePushSlot(width, height, every_frame)

    def push(self, frame: np.ndarray | bytes, timeout: float = 5.0) -> None:
        import numpy as np

        if isinstance(frame, bytes):
            data = frame
        else:
            pixels = np.asarray(frame, dtype=np.uint8)
            if pixels.shape == (self.height, self.width, 3):
                pixels = np.concatenate(
                    [pixels, np.full((self.height, self.width, 1), 255, np.uint8)], axis=2
                )
            if pixels.shape != (self.height, self.width, 4):
                raise GraphError(
                    f"push source '{self.name}': expected ({self.height}, {self.width}, 4) uint8, "
                    f"got {pixels.shape}"
                )
            data = np.ascontiguousarray(pixels).tobytes()
        self._slot.push(data, timeout)

    @property
    def pushed(self) -> int:
        return self._slot.pushed

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_push(self.name, self._slot, self.fallback == "test_pattern")


# ---------------------------------------------------------------------------------------------- effects


def _as_shader(shader: Shader | str | os.PathLike[str], name: str | None) -> Shader:
    if isinstance(shader, Shader):
        return shader
    text = str(shader)
    from streamlib.registry import shaders

    if text in shaders:
        return shaders[text]
    source_file = _shader_file(shader)
    if source_file is not None:
        return compile_file(source_file)
    return compile(text, name=name or "effect")


def _shader_file(shader: Shader | str | os.PathLike[str]) -> Path | None:
    """The file `_as_shader` compiles for `shader`, or None when it is not a file."""
    if isinstance(shader, Shader):
        return None
    text = str(shader)
    if isinstance(shader, os.PathLike) or (text.endswith(".hlsl") and "\n" not in text):
        return _find_shader_file(text)
    return None


def _find_shader_file(path: str) -> Path:
    """A path as given, else the same name in the shader library (`Effect("tint.hlsl")`)."""
    from streamlib._library import library_dirs

    candidate = Path(path)
    if candidate.exists() or candidate.is_absolute():
        return candidate
    for directory in library_dirs():
        if (directory / candidate).is_file():
            return directory / candidate
    searched = ", ".join(str(d) for d in library_dirs()) or "no library directories"
    raise GraphError(f"no shader file '{path}' here or in the shader library ({searched})")


class Effect(Node):
    """A shader applied to every frame. `set()` takes effect on the next frame; `replace_shader()` hot-swaps.

    `on_error(err)` is called with the `ShaderCompileError` of a failed swap (the old shader keeps running).
    """

    kind = "effect"

    def __init__(
        self,
        shader: Shader | str | os.PathLike[str],
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        on_error: Callable[[StreamlibError], None] | None = None,
    ) -> None:
        self.shader = _as_shader(shader, name)
        super().__init__(name or Path(self.shader.name).stem)
        from streamlib.registry import shaders

        # Effects made from a registered name (a %%hlsl cell) follow that name's later versions.
        registered = shader if isinstance(shader, str) and shader in shaders else None
        if registered is None and isinstance(shader, Shader):
            registered = next((n for n, s in shaders.items() if s is shader), None)
        if registered is not None:
            shaders.track(registered, self)
        elif (source_file := _shader_file(shader)) is not None:
            # Effects made from a file follow it when it is saved in JupyterLab (registry.reload_file).
            shaders.track_file(source_file, self)
        self._params: dict[str, Any] = dict(params or {})
        self._native: _native.NativeEffect | None = None
        self.on_error = on_error
        for parameter_name in self._params:
            self.shader.parameter(parameter_name)  # unknown names fail here, naming the effect's parameters

    def _default_ports(self, direction: str) -> list[str]:
        if direction == "output":
            return ["video"]
        textures = [r["name"] for r in self.shader.reflection["resources"] if r["kind"] == "texture"]
        return ["video", *textures[1:]]

    def _attach(self, runtime: Runtime) -> int:
        self._native = _native.NativeEffect(runtime._gpu, self.name, self.shader._native)
        for key, value in self._params.items():
            self._native.set(key, value)
        return runtime._graph.add_effect(self.name, self._native)

    @property
    def parameters(self) -> list[Any]:
        return list(self.shader.parameters)

    @property
    def values(self) -> dict[str, Any]:
        """Current parameter values (defaults included once the effect is in a runtime)."""
        if self._native is None:
            return dict(self._params)
        return {k: (v[0] if len(v) == 1 else tuple(v)) for k, v in self._native.values().items()}

    @property
    def gpu_path(self) -> str | None:
        return self._native.gpu_path if self._native is not None else None

    def set(self, **params: Any) -> None:
        for key, value in params.items():
            if self._native is not None:
                self._native.set(key, value)
            else:
                self.shader.parameter(key)
            self._params[key] = value

    def replace_shader(self, source: Shader | str | os.PathLike[str]) -> Shader:
        """Compiles off the frame thread and swaps between frames. On failure the last good shader keeps
        running, `on_error` receives the error, and it is raised."""
        try:
            shader = _as_shader(source, self.name)
            if self._native is not None:
                self._native.replace(shader._native)
        except (ShaderCompileError, StreamlibError) as err:
            if self.on_error is not None:
                self.on_error(err)
            raise
        self.shader = shader
        return shader


# ------------------------------------------------------------------------------------------------ sinks


class Sink(Node):
    def _default_ports(self, direction: str) -> list[str]:
        return ["video"] if direction == "input" else []


class NumpySink(Sink):
    """Keeps the latest frame for Python: `sink.latest()` → (H, W, 4) uint8, or None before the first."""

    kind = "numpy"

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name)
        self._latest = _native.NativeLatestFrame()

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_numpy_sink(self.name, self._latest)

    @staticmethod
    def _array(frame: tuple[int, int, int, bytes] | None) -> np.ndarray | None:
        import numpy as np

        if frame is None:
            return None
        _, width, height, pixels = frame
        return np.frombuffer(pixels, np.uint8).reshape(height, width, 4)

    def latest(self) -> np.ndarray | None:
        return self._array(self._latest.latest())

    def wait(self, frame_index: int = 0, timeout: float = 10.0) -> np.ndarray:
        frame = self._array(self._latest.wait_for(frame_index, timeout))
        if frame is None:
            raise GraphError(f"sink '{self.name}': no frame ≥ {frame_index} within {timeout} s")
        return frame

    @property
    def received(self) -> int:
        return self._latest.received


class ImageSequenceSink(Sink):
    """Writes every frame as `directory/{prefix}{index:06}.png` (never drops a frame)."""

    kind = "images"

    def __init__(
        self, directory: str | os.PathLike[str], *, prefix: str = "frame_", name: str | None = None
    ) -> None:
        super().__init__(name)
        self.directory, self.prefix = Path(directory), prefix

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_image_sequence(self.name, str(self.directory), self.prefix)


class VideoFileSink(Sink):
    """Encodes every frame into an MP4 (H.264 through ffmpeg)."""

    kind = "video_out"

    def __init__(self, path: str | os.PathLike[str], *, fps: float = 30.0, name: str | None = None) -> None:
        super().__init__(name)
        self.path, self.fps = Path(path), fps

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_video_sink(self.name, str(self.path), self.fps)


class PreviewSink(Sink):
    """JPEG frames encoded in Rust, in a queue of one: the newest frame wins, nothing piles up."""

    kind = "preview"

    def __init__(self, *, quality: int = 80, name: str | None = None) -> None:
        super().__init__(name)
        self.quality = quality
        self._queue = _native.NativePreviewQueue(quality)

    def _attach(self, runtime: Runtime) -> int:
        return runtime._graph.add_preview(self.name, self._queue)

    def take(self, timeout: float = 1.0) -> tuple[int, int, int, str, bytes] | None:
        """(frame index, width, height, mime type, encoded bytes) of the newest frame, or None."""
        return self._queue.take(timeout)

    @property
    def dropped(self) -> int:
        return self._queue.dropped
