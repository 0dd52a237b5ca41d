"""Graph nodes: thin handles over the core's nodes.

Node types, their params, defaults, checks and ports are the core's (`_native.node_types()`); a constructor
passes its arguments through. The classes here add only what Python does with a node: turn arrays into
frames, resolve a shader, read frames back. Node types that need nothing of the kind are made from the
core's table in `streamlib.node_types`. The frame loop that runs them all is in Rust.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlib import _native
from streamlib.errors import GraphError, ShaderCompileError, StreamlibError
from streamlib.graph import PortMap
from streamlib.registry import shaders
from streamlib.shader import Shader, compile, compile_file

if TYPE_CHECKING:
    import numpy as np

    from streamlib.remote import RemoteRuntime
    from streamlib.runtime import Runtime

_counters: dict[str, itertools.count[int]] = {}
_classes: dict[str, type[Node]] = {}
_catalog_classes = frozenset(entry["class"] for entry in _native.node_types())


def node_class(class_name: str) -> type[Node]:
    """The Python class of a node type, by the class name the core's catalog gives it."""
    try:
        return _classes[class_name]
    except KeyError:
        raise GraphError(f"no Python class for node type '{class_name}'") from None


class Node:
    """Base of every node: its params go to the core as given. A node joins at most one runtime."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # streamlib's class of each catalog node type stands for it; subclasses made elsewhere inherit it.
        if cls.__module__.startswith("streamlib.") and cls.__name__ in _catalog_classes:
            _classes[cls.__name__] = cls

    def __init__(self, *args: Any, name: str | None = None, **params: Any) -> None:
        self._bind(_native.NativeNodeSpec(self._type_class(), args, params), name)

    @classmethod
    def _type_class(cls) -> str:
        for klass in cls.__mro__:
            if klass in _classes.values():
                return klass.__name__
        raise GraphError(f"{cls.__name__} is not a node type")

    def _bind(self, spec: _native.NativeNodeSpec, name: str | None) -> None:
        self._spec = spec
        stem = spec.type_name
        self.name = name or f"{stem}_{next(_counters.setdefault(stem, itertools.count(1)))}"
        self._runtime: Runtime | None = None
        #: The remote runtime this node was added to (`RemoteRuntime.add_stream`/`connect`), if any.
        self.remote: RemoteRuntime | None = None
        self._graph: _native.NativeGraph | None = None
        self._id: int | None = None
        self.inputs = PortMap(self, "input")
        self.outputs = PortMap(self, "output")

    @classmethod
    def adopt(
        cls,
        runtime: Runtime,
        graph: _native.NativeGraph,
        node_id: int,
        name: str,
        spec: _native.NativeNodeSpec,
    ) -> Node:
        """The handle of a node already in `graph` (one a config made)."""
        node = cls.__new__(cls)
        node._bind(spec, name)
        node._joined(runtime, graph, node_id)
        return node

    def addition(self) -> str:
        """The JSON edit that adds this node to a remote runtime's graph (`PATCH /v1/graph`)."""
        return self._spec.addition(self.name)

    def join(self, runtime: Runtime, graph: _native.NativeGraph) -> None:
        """Adds this node to `runtime`'s `graph` (what `Runtime.add_stream` calls)."""
        self._joined(runtime, graph, graph.add(self.name, self._spec))

    def _joined(self, runtime: Runtime, graph: _native.NativeGraph, node_id: int) -> None:
        self._runtime, self._graph, self._id = runtime, graph, node_id

    @property
    def runtime(self) -> Runtime | None:
        """The runtime this node belongs to, None before `add_stream`."""
        return self._runtime

    @property
    def graph_id(self) -> int | None:
        return self._id

    @property
    def params(self) -> dict[str, Any]:
        """The params as a graph config writes them, defaults filled in."""
        return dict(self._spec.params())

    @property
    def resolution(self) -> tuple[int, int] | None:
        """(width, height) of a source's frames (a video file's, probed when the node was made); None for
        nodes whose size comes from their inputs."""
        return self._spec.resolution

    def __getattr__(self, name: str) -> Any:
        # `pattern.width`, `sink.path`: a param by name (only reached when no attribute has the name).
        if not name.startswith("_"):
            params = self._spec.params()
            if name in params:
                return params[name]
        raise AttributeError(f"{type(self).__name__!r} node has no attribute {name!r}")

    def port_names(self, direction: str) -> list[str]:
        if self._graph is not None and self._id is not None:
            if direction == "input":
                return self._graph.input_ports(self._id)
            return self._graph.output_ports(self._id)
        return self._spec.input_ports() if direction == "input" else self._spec.output_ports()

    def endpoints(self, direction: str, port: str) -> list[tuple[Node, str]]:
        """The graph nodes and ports a connection to `port` reaches (a composite node has several)."""
        return [(self, port)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --------------------------------------------------------------------------------------------- sources


class ImageSource(Node):
    """A still image (path, PIL image or (H, W, 3|4) uint8 array) repeated every frame."""

    def __init__(self, image: Any, *, name: str | None = None) -> None:
        if isinstance(image, (str, os.PathLike)):
            super().__init__(path=os.fspath(image), name=name)
            return
        import numpy as np
        from PIL import Image

        if isinstance(image, Image.Image):
            image = image.convert("RGBA")
        else:
            pixels = np.asarray(image)
            if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
                got = f"{pixels.shape} {pixels.dtype}"
                raise GraphError(f"image source '{name or 'image'}': expected (H, W, 3|4) uint8, got {got}")
            image = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
        # Exported configs carry such an image as an inline PNG; the core decodes it.
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        super().__init__(png_base64=base64.b64encode(buffer.getvalue()).decode("ascii"), name=name)

    def png_base64(self) -> str:
        """The image as a base64 PNG (RGBA): what an in-page preview draws its chain on."""
        params = self._spec.params()
        if "png_base64" in params:
            return str(params["png_base64"])
        from PIL import Image

        with Image.open(params["path"]) as image:
            buffer = io.BytesIO()
            image.convert("RGBA").save(buffer, format="PNG")
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    @property
    def width(self) -> int:
        return (self._spec.resolution or (0, 0))[0]

    @property
    def height(self) -> int:
        return (self._spec.resolution or (0, 0))[1]


class PushSource(Node):
    """Frames pushed from Python (or the browser camera): `source.push(array)`.

    `every_frame=True` makes `push` wait so that no frame is lost; by default only the newest is kept (a live
    camera). `fallback` is what shows until the first frame arrives: "test_pattern" (the default) or None.
    """

    def __init__(self, width: int, height: int, *, name: str | None = None, **params: Any) -> None:
        super().__init__(width, height, name=name, **params)

    @property
    def _slot(self) -> _native.NativePushSlot:
        slot = self._spec.push_slot()
        assert slot is not None  # a push source has one
        return slot

    def push(self, frame: np.ndarray | bytes, timeout: float = 5.0) -> None:
        """Pushes (H, W, 4) or (H, W, 3) uint8 pixels, or raw RGBA bytes."""
        import numpy as np

        width, height = self._spec.resolution or (0, 0)
        if isinstance(frame, bytes):
            data = frame
        else:
            pixels = np.asarray(frame, dtype=np.uint8)
            if pixels.shape == (height, width, 3):
                pixels = np.concatenate([pixels, np.full((height, width, 1), 255, np.uint8)], axis=2)
            if pixels.shape != (height, width, 4):
                raise GraphError(
                    f"push source '{self.name}': expected ({height}, {width}, 4) uint8, got {pixels.shape}"
                )
            data = np.ascontiguousarray(pixels).tobytes()
        self._slot.push(data, timeout)

    def push_encoded(self, data: bytes, timeout: float = 5.0) -> None:
        """Pushes a JPEG or PNG frame. Its header is checked now (a wrong size raises); the pixels are
        decoded in Rust when the graph takes the frame, on the frame loop's thread, and never for a frame
        a newer one replaced."""
        self._slot.push_encoded(data, timeout)

    @property
    def pushed(self) -> int:
        return self._slot.pushed

    @property
    def dropped(self) -> int:
        """Frames a newer one replaced before the graph took them."""
        return self._slot.dropped

    @property
    def rejected(self) -> int:
        """Encoded frames whose header read well and whose pixels did not decode (skipped by the graph)."""
        return self._slot.rejected


# ---------------------------------------------------------------------------------------------- effects


def _as_shader(shader: Shader | str | os.PathLike[str], name: str | None) -> Shader:
    if isinstance(shader, Shader):
        return shader
    text = str(shader)
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
    # A one-line string naming an .hlsl file, or a file the core reads as GLSL by its suffix.
    names_file = "\n" not in text and (text.endswith(".hlsl") or _native.language_of_path(text) == "glsl")
    if isinstance(shader, os.PathLike) or names_file:
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


def _python_values(values: Mapping[str, list[float]]) -> dict[str, Any]:
    return {k: (v[0] if len(v) == 1 else tuple(v)) for k, v in values.items()}


class Effect(Node):
    """A shader applied to every frame. `set()` takes effect on the next frame; `replace_shader()` hot-swaps.

    `on_error(err)` is called with the `ShaderCompileError` of a failed swap (the old shader keeps running).
    `fuse=False` keeps it out of the single passes the runtime draws effect chains in (`Runtime.fuse`).
    """

    _handle: _native.NativeEffect | None = None
    on_error: Callable[[StreamlibError], None] | None = None

    def __init__(
        self,
        shader: Shader | str | os.PathLike[str],
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        on_error: Callable[[StreamlibError], None] | None = None,
        fuse: bool = True,
    ) -> None:
        self.shader = _as_shader(shader, name)
        super().__init__(
            self.shader.native,
            values=dict(params or {}),
            fuse=fuse,
            name=name or Path(self.shader.name).stem,
        )
        # Effects made from a registered name (a %%hlsl cell) follow that name's later versions.
        registered = shader if isinstance(shader, str) and shader in shaders else None
        if registered is None and isinstance(shader, Shader):
            registered = next((n for n, s in shaders.items() if s is shader), None)
        if registered is not None:
            shaders.track(registered, self)
        elif (source_file := _shader_file(shader)) is not None:
            # Effects made from a file follow it when it is saved in JupyterLab (registry.reload_file).
            shaders.track_file(source_file, self)
        self.on_error = on_error

    def _joined(self, runtime: Runtime, graph: _native.NativeGraph, node_id: int) -> None:
        super()._joined(runtime, graph, node_id)
        self._handle = graph.effect(node_id)
        if "shader" not in self.__dict__ and self._handle is not None:  # adopted from a config
            self.shader = Shader(self._handle.shader())

    @property
    def parameters(self) -> list[Any]:
        return list(self.shader.parameters)

    @property
    def values(self) -> dict[str, Any]:
        """Current parameter values (defaults included once the effect is in a runtime)."""
        if self._handle is None:
            return _python_values(self._spec.params()["values"])
        return _python_values(self._handle.values())

    @property
    def gpu_path(self) -> str | None:
        return self._handle.gpu_path if self._handle is not None else None

    @property
    def swaps(self) -> int:
        """Shaders swapped in while in a runtime (hot swaps, `%%hlsl` re-runs, agents' replace_shader)."""
        return self._handle.swaps if self._handle is not None else 0

    @property
    def bypassed(self) -> dict[str, Any] | None:
        """Why the frame watchdog bypasses this effect (its input passes through): pass_ms, budget_ms, frame,
        message. None while it runs. A swap, or `resume()`, runs it again."""
        return self._handle.overrun if self._handle is not None else None

    def resume(self) -> None:
        """Runs an effect the watchdog bypassed again from the next frame (it is judged afresh)."""
        if self._handle is not None:
            self._handle.resume()

    def set(self, **params: Any) -> None:
        if self.remote is not None:
            self.remote.set(self.name, **params)
            return
        if self._handle is None:
            # Not running yet: the core checks the names and values as it would at construction.
            self._respec(self.shader, {**self._spec.params()["values"], **params})
            return
        # All or none: a bad name or value leaves every parameter as it was.
        self._handle.set_all(params)

    def replace_shader(self, source: Shader | str | os.PathLike[str]) -> Shader:
        """Compiles off the frame thread and swaps between frames. On failure the last good shader keeps
        running, `on_error` receives the error, and it is raised."""
        try:
            shader = _as_shader(source, self.name)
            if self.remote is not None:
                self.remote.replace_shader(self.name, shader.source)
            elif self._handle is not None:
                self._handle.replace(shader.native)
            else:
                names = {p.name for p in shader.parameters}
                kept = {k: v for k, v in self._spec.params()["values"].items() if k in names}
                self._respec(shader, kept)
        except (ShaderCompileError, StreamlibError) as err:
            if self.on_error is not None:
                self.on_error(err)
            raise
        self.shader = shader
        return shader

    def _respec(self, shader: Shader, values: dict[str, Any]) -> None:
        self._spec = _native.NativeNodeSpec(self._type_class(), (shader.native,), {"values": values})


# ------------------------------------------------------------------------------------------------ sinks


class NumpySink(Node):
    """Keeps the latest frame for Python: `sink.latest()` → (H, W, 4) uint8, or None before the first."""

    @property
    def _latest(self) -> _native.NativeLatestFrame:
        latest = self._spec.latest_frame()
        assert latest is not None  # a numpy sink has one
        return latest

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


class PreviewSink(Node):
    """JPEG frames encoded in Rust, in a queue of one: the newest frame wins, nothing piles up."""

    @property
    def _queue(self) -> _native.NativePreviewQueue:
        queue = self._spec.preview_queue()
        assert queue is not None  # a preview sink has one
        return queue

    def take(self, timeout: float = 1.0) -> tuple[int, int, int, str, bytes] | None:
        """(frame index, width, height, mime type, encoded bytes) of the newest frame, or None."""
        return self._queue.take(timeout)

    def set_lossless(self, lossless: bool) -> None:
        """PNG instead of JPEG (exact pixels, bigger frames)."""
        self._queue.set_lossless(lossless)

    def set_paced(self, paced: bool) -> None:
        """Lets the reader pace the graph: where every sink is a paced preview, a frame is made only when a
        `take` waits for one (at most at the graph's rate), so a slow page costs no frames it never shows."""
        self._queue.set_paced(paced)

    def set_display_size(self, width: int, height: int) -> None:
        """Frames are scaled down on the GPU to fit `width`×`height` (aspect kept) before they are read back
        and encoded; (0, 0) sends them at full size."""
        self._queue.set_display_size(width, height)

    @property
    def source_size(self) -> tuple[int, int]:
        """The size of the frames fed to this sink, before any scaling ((0, 0) before a run)."""
        return self._queue.source_size

    @property
    def dropped(self) -> int:
        return self._queue.dropped

    @property
    def delivered(self) -> int:
        return self._queue.delivered
