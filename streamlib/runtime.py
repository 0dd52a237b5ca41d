"""`Runtime`: the GPU device and the one-shot primitives (textures, shaders, `run_shader`)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlib import _library, _native
from streamlib.errors import ConfigError, EffectError, GraphError
from streamlib.features import has_feature
from streamlib.graph import Port, Stream
from streamlib.nodes import Node, node_class
from streamlib.remote_node import RemoteNode
from streamlib.shader import Shader, compile, detect_stage
from streamlib.tracing import Trace, TracedTexture

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

# Loading a config makes handles of every node type, so the classes made from the catalog must exist.
import streamlib.node_types  # noqa: E402, F401, I001


class Texture:
    """An image on the GPU. `to_numpy()` reads it back as an (H, W, 4) array."""

    def __init__(self, native: _native.NativeTexture) -> None:
        self._native = native

    @property
    def width(self) -> int:
        return self._native.width

    @property
    def height(self) -> int:
        return self._native.height

    @property
    def format(self) -> str:
        return self._native.format

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, 4)

    def to_numpy(self) -> np.ndarray:
        import numpy as np

        data = self._native.read()
        dtype = {"rgba8unorm": np.uint8, "rgba16float": np.float16, "rgba32float": np.float32}[self.format]
        pixels: np.ndarray = np.frombuffer(data, dtype=dtype).reshape(self.height, self.width, 4)
        return pixels

    def to_pil(self) -> Image.Image:
        from PIL import Image

        if self.format != "rgba8unorm":
            raise EffectError(f"to_pil needs an rgba8unorm texture, this one is {self.format}")
        return Image.fromarray(self.to_numpy(), mode="RGBA")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the texture as an image file (format from the extension, PNG recommended)."""
        target = Path(path)
        self.to_pil().save(target)
        return target

    def __repr__(self) -> str:
        return f"<Texture {self.width}x{self.height} {self.format}>"


class Runtime:
    """A GPU device plus the primitives effects are built from.

    `adapter` picks by name substring (default: `STREAMLIB_ADAPTER`, else the most capable device).
    """

    def __init__(self, *, adapter: str | None = None, low_power: bool = False) -> None:
        gpu = _native.NativeGpu(adapter, low_power)
        self._setup(gpu, _native.NativeGraph(gpu), adapter)

    def _setup(self, gpu: _native.NativeGpu, graph: _native.NativeGraph, adapter: str | None) -> None:
        self._gpu = gpu
        self._adapter_request = adapter
        #: Frame rate written into exported configs: streamlib-runtime paces its loop to it (None: as fast
        #: as the GPU goes). `streamlib.load` sets it from the file.
        self.config_fps: float | None = 30.0
        #: The frame watchdog's budget for one effect pass, in ms: an effect slower than that is bypassed (its
        #: input passes through) until swapped or resumed. None: 2 s (ten frame times below 5 fps). Used by
        #: `start`/`run` and written into exported configs.
        self.watchdog_ms: float | None = None
        #: Whether chains of effects are drawn as single GPU passes where they allow it (on by default;
        #: `stats()["fusion"]` says how the graph was fused). Used by `start`/`run`, written into exported
        #: configs when off. `Effect(..., fuse=False)` keeps one effect out.
        self.fuse: bool = True
        #: Frames the GPU may work on while the loop records the next: 2 overlaps them for throughput, 1
        #: delivers each frame before starting the next. None: 2 on a GPU, 1 on a CPU adapter (lavapipe),
        #: where overlap measured no faster; `stats()["frames_in_flight"]` says which. A loop that waits for a
        #: camera or sleeps to its rate delivers before waiting either way, so overlap never delays what is
        #: shown.
        self.frames_in_flight: int | None = None
        #: For a runtime from `streamlib.load`: per shader, whether its precompiled artifact was used or it
        #: was recompiled from source, and why ({"shader", "used", "why"}).
        self.load_report: list[dict[str, str]] = []
        self._pipelines: dict[tuple[str, str, str], _native.NativePipeline] = {}
        self._graph = graph
        self._nodes: dict[str, Node] = {}
        # Set while a @stream_effect function is traced: run_shader records instead of running.
        self._trace: Trace | None = None

    @classmethod
    def from_config(cls, text: str) -> Runtime:
        """A runtime holding the graph of config `text` (see `streamlib.load`)."""
        _library.ensure_configured()
        gpu, graph, fps, adapter, watchdog_ms, fuse, report = _native.load_graph(text)
        runtime = cls.__new__(cls)
        runtime._setup(gpu, graph, adapter)
        runtime.config_fps = fps
        runtime.watchdog_ms = watchdog_ms
        runtime.fuse = fuse is not False
        runtime.load_report = [dict(line) for line in report]
        for node_id, (name, spec) in enumerate(graph.nodes()):
            runtime._nodes[name] = node_class(spec.class_name).adopt(runtime, graph, node_id, name, spec)
        return runtime

    @property
    def adapter(self) -> dict[str, Any]:
        return dict(self._gpu.adapter())

    def has_feature(self, name: str) -> bool:
        return has_feature(name, self)

    @contextmanager
    def tracing(self, trace: Trace) -> Iterator[Trace]:
        """While open, `run_shader` records effects into `trace` instead of running (`@stream_effect`)."""
        previous, self._trace = self._trace, trace
        try:
            yield trace
        finally:
            self._trace = previous

    # ------------------------------------------------------------------ textures
    def create_texture(self, width: int, height: int, format: str = "rgba8unorm") -> Texture:
        if self._trace is not None:
            return TracedTexture(None, width, height)  # type: ignore[return-value]
        return Texture(self._gpu.create_texture(width, height, format))

    def texture_from_numpy(self, array: np.ndarray) -> Texture:
        """(H, W, 4) pixels: uint8 → rgba8unorm, float16/float32 → rgba16float/rgba32float.

        (H, W, 3) arrays get an opaque alpha channel.
        """
        import numpy as np

        data = np.asarray(array)
        if data.ndim != 3 or data.shape[2] not in (3, 4):
            raise EffectError(f"expected an (H, W, 4) or (H, W, 3) array, got shape {data.shape}")
        formats = {
            np.dtype(np.uint8): "rgba8unorm",
            np.dtype(np.float16): "rgba16float",
            np.dtype(np.float32): "rgba32float",
        }
        if data.dtype not in formats:
            raise EffectError(f"expected uint8, float16 or float32 pixels, got {data.dtype}")
        if data.shape[2] == 3:
            alpha = np.full(data.shape[:2] + (1,), 255 if data.dtype == np.uint8 else 1, dtype=data.dtype)
            data = np.concatenate([data, alpha], axis=2)
        height, width = data.shape[:2]
        return Texture(
            self._gpu.create_texture(width, height, formats[data.dtype], np.ascontiguousarray(data).tobytes())
        )

    def texture_from_image(self, image: str | os.PathLike[str] | Image.Image) -> Texture:
        import numpy as np
        from PIL import Image

        picture = image if isinstance(image, Image.Image) else Image.open(image)
        return self.texture_from_numpy(np.asarray(picture.convert("RGBA")))

    # ------------------------------------------------------------------- shaders
    def create_pixel_shader(self, hlsl: str, *, name: str | None = None, **options: Any) -> Shader:
        return compile(hlsl, stage="pixel", name=name or "pixel_shader", **options)

    def create_compute_shader(self, hlsl: str, *, name: str | None = None, **options: Any) -> Shader:
        """Compiles a compute shader. A source without `[numthreads]` is pixel form (many "compute shaders"
        written for effects are) and is compiled as a pixel shader rather than refused."""
        stage = detect_stage(hlsl)
        return compile(hlsl, stage=stage, name=name or f"{stage}_shader", **options)

    def _pipeline(self, shader: Shader) -> _native.NativePipeline:
        # The module itself, not its source: defines (a D3D9 effect's host constants) change it too.
        key = (hashlib.sha256(shader.spirv).hexdigest(), shader.stage, shader.entry)
        pipeline = self._pipelines.get(key)
        if pipeline is None:
            pipeline = self._gpu.create_pipeline(shader.native)
            self._pipelines[key] = pipeline
        return pipeline

    def gpu_path(self, shader: Shader) -> str:
        """How the shader reaches the driver.

        'vulkan-spirv-passthrough', 'metal-msl-passthrough' or 'naga-spirv' (wgpu's SPIR-V front end).
        """
        return self._pipeline(shader).gpu_path

    def run_shader(
        self,
        shader: Shader | str,
        inputs: Sequence[Texture] = (),
        *,
        output: Texture | None = None,
        params: Mapping[str, Any] | None = None,
        time: float = 0.0,
        frame: int = 0,
    ) -> Texture:
        """Runs an effect once: pixel form as a full-screen pass, compute form over the output's size.

        `inputs` bind to the shader's textures in declaration order (`input` first). Without `output`,
        the result has the first input's size. Parameters default to their `@default` annotations.
        """
        if isinstance(shader, str):
            shader = compile(shader)
        if self._trace is not None:
            # Scratch textures from create_texture() carry no frame; only the input and effect outputs do.
            frames = [t for t in inputs if isinstance(t, TracedTexture) and t.carries_frame]
            return self._trace.record(shader, frames, dict(params or {}))  # type: ignore[return-value]
        pipeline = self._pipeline(shader)
        native = self._gpu.run(
            pipeline,
            [t._native for t in inputs],
            output._native if output is not None else None,
            dict(params or {}),
            time,
            frame,
        )
        return output if output is not None else Texture(native)

    # --------------------------------------------------------------------- graph
    def add_stream(self, stream: Stream | Node) -> Node:
        """Adds a node (or `Stream(node)`) to this runtime's graph."""
        node = stream.node if isinstance(stream, Stream) else stream
        if node.runtime is self:
            return node
        if node.runtime is not None:
            raise GraphError(f"node '{node.name}' already belongs to another runtime")
        node.join(self, self._graph)
        self._nodes[node.name] = node
        return node

    def connect(
        self,
        source: Port | Node | Stream | RemoteNode,
        target: Port | Node | Stream,
        *,
        delivery: str | None = None,
    ) -> None:
        """Connects an output to an input. Checked now: ports, types, cycles, resolutions.

        `delivery`: "latest" (drop old frames: previews) or "every_frame" (back-pressure: file sinks).
        A node of a remote runtime (`remote.node("fx")`) arrives over WHEP: a `WhepSource` playing it joins
        this graph (once; later connects reuse it).
        """
        if isinstance(source, RemoteNode):
            player = source.as_source()
            source = self._nodes.get(player.name, player)
        out = self._port(source, "output")
        into = self._port(target, "input")
        if out.direction != "output":
            raise GraphError(
                f"type mismatch: '{out.node.name}.{out.name}' is an input; connect from an output"
            )
        if into.direction != "input":
            raise GraphError(
                f"type mismatch: '{into.node.name}.{into.name}' is an output; connect to an input"
            )
        for port in (out, into):
            if port.node.runtime is not self:
                self.add_stream(port.node)
        for from_node, from_port in out.node.endpoints("output", out.name):
            for to_node, to_port in into.node.endpoints("input", into.name):
                assert from_node.graph_id is not None and to_node.graph_id is not None
                self._graph.connect(from_node.graph_id, from_port, to_node.graph_id, to_port, delivery)

    def edges(self) -> list[tuple[str, str, str, str, str]]:
        """Every connection as (from node, from port, to node, to port, delivery), in the order made."""
        return list(self._graph.edges())

    @staticmethod
    def _port(item: Port | Node | Stream, direction: str) -> Port:
        if isinstance(item, Stream):
            item = item.node
        if isinstance(item, Port):
            return item
        return Port(item, "video", direction)

    def export(self, path: str | os.PathLike[str], *, targets: Sequence[str] = ("vulkan", "metal")) -> Path:
        """Writes this graph as a graph config for `streamlib-runtime` (or `streamlib.load`): nodes, edges,
        parameter values, each shader's source with its hash and precompiled artifacts per target
        ("vulkan" → SPIR-V, "metal" → MSL, "webgl" → GLSL ES)."""
        target = Path(path)
        # Bytes, not text mode: the canonical form has "\n" line ends on every platform.
        target.write_bytes(self.config_text(targets=targets).encode("utf-8"))
        return target

    def config_text(self, *, targets: Sequence[str] = ("vulkan", "metal")) -> str:
        """The canonical graph config text of this graph (what `export` writes)."""
        if isinstance(targets, str):
            raise ConfigError(
                f"targets: expected a sequence of target names such as ('vulkan',), not {targets!r}",
                "targets",
            )
        fuse = None if self.fuse else False
        return self._graph.to_config(
            self.config_fps, self._adapter_request, list(targets), self.watchdog_ms, fuse
        )

    def run(self, frames: int, *, fps: float | None = None) -> dict[str, Any]:
        """Runs the graph for `frames` frames in Rust and waits (GIL released); returns the stats."""
        self._graph.start(frames, fps, self.watchdog_ms, self.fuse, self.frames_in_flight)
        stats = dict(self._graph.wait())
        if stats.get("error"):
            raise GraphError(f"the graph stopped at frame {stats['frames']}: {stats['error']}")
        return stats

    def start(self, *, fps: float | None = 30.0, frames: int | None = None) -> None:
        """Starts the frame loop on its own thread and returns at once (notebook friendly)."""
        self._graph.start(frames, fps, self.watchdog_ms, self.fuse, self.frames_in_flight)

    def stop(self) -> dict[str, Any]:
        stats = dict(self._graph.stop())
        if stats.get("error"):
            raise GraphError(f"the graph stopped at frame {stats['frames']}: {stats['error']}")
        return stats

    def wait(self) -> dict[str, Any]:
        return dict(self._graph.wait())

    @property
    def is_running(self) -> bool:
        return self._graph.is_running()

    def stats(self) -> dict[str, Any]:
        """fps, frame time p50/p99 (ms), frames dropped per sink, adapter, the error that stopped it, the
        effects the frame watchdog bypasses (`bypassed`: node name → pass_ms, budget_ms, frame, message),
        how often the GPU device was lost and recreated in the run (`device_recoveries`, `device_lost`), the
        effects drawn as single passes (`fusion`: [{members, state}]) and why the others are drawn on their
        own (`unfused`: node name → reason), and the frames video and push sources copied to the GPU
        (`uploads`: none for a source that only sinks read at full size)."""
        return dict(self._graph.stats())

    def _repr_markdown_(self) -> str:
        """The notebook card: the graph's edges, whether it runs, and how its effects are drawn (which were
        fused into single passes, and why the others were not) as of its last start."""
        stats = self.stats()
        frames = stats["frames"]
        if stats["running"]:
            state = f"running, {stats['fps']:.1f} fps"
        else:
            state = f"stopped after {frames} frames" if frames else "not started"
        lines = [f"**streamlib graph** on {self.adapter['name']}: {len(self._nodes)} nodes, {state}", ""]
        lines += [f"- `{a}.{ap}` → `{b}.{bp}`" for a, ap, b, bp, _ in self.edges()]
        if frames or stats["running"]:
            lines.append("")
            lines += [f"- one pass: {' + '.join(g['members'])} ({g['state']})" for g in stats["fusion"]]
            lines += [f"- `{name}` drawn on its own: {why}" for name, why in stats["unfused"].items()]
            if not self.fuse:
                lines.append("- fusion is off for this graph (`runtime.fuse = False`)")
        return "\n".join(lines)

    def simulate_device_loss(self) -> None:
        """Destroys the GPU device as a driver reset or a GPU going away would lose it, to try recovery out:
        a running graph moves to a new device (pipelines rebuilt, values kept) and `stats()` says so."""
        self._gpu.simulate_loss()

    def set_mouse(self, x: float, y: float, buttons: int = 0) -> None:
        """The standard `mouse` value every effect reads (pixels from the top-left, buttons)."""
        self._graph.set_mouse(x, y, float(buttons))

    def node(self, name: str) -> Node:
        try:
            return self._nodes[name]
        except KeyError:
            raise GraphError(f"no node named '{name}' (nodes: {', '.join(self._nodes) or 'none'})") from None

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *_: object) -> None:
        self._graph.stop()
