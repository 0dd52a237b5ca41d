"""Graph configs (`*.streamlib.json`): `Runtime.export` writes one, `streamlib.load` reads one back.

Python only describes its graph as plain data. Formatting, hashing, artifacts and validation live in the
Rust core (`streamlib-core/src/config.rs`), so Python and `streamlib-runtime` read and write the same files
and refuse the same mistakes with the same messages.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from streamlib import _library, _native
from streamlib.decorators import StreamEffect
from streamlib.errors import ConfigError, StreamlibError
from streamlib.nodes import (
    Effect,
    ImageSequenceSink,
    ImageSource,
    Node,
    NumpySink,
    PreviewSink,
    PushSource,
    TestPattern,
    VideoFileSink,
    VideoFileSource,
)
from streamlib.runtime import Runtime
from streamlib.shader import Shader

#: What `targets` may name: "vulkan" stores SPIR-V, "metal" MSL, "webgl" GLSL ES 3.00.
TARGETS = ("vulkan", "metal", "webgl")


def export(
    runtime: Runtime, path: str | os.PathLike[str], *, targets: Sequence[str] = ("vulkan", "metal")
) -> Path:
    """Writes `runtime`'s graph to `path` as a graph config (see `Runtime.export`)."""
    target = Path(path)
    # Bytes, not text mode: the canonical form has "\n" line ends on every platform.
    target.write_bytes(config_text(runtime, targets=targets).encode("utf-8"))
    return target


def config_text(runtime: Runtime, *, targets: Sequence[str] = ("vulkan", "metal")) -> str:
    """The canonical config text for `runtime`'s graph."""
    if isinstance(targets, str):
        raise ConfigError(
            f"targets: expected a sequence of target names such as ('vulkan',), not {targets!r}", "targets"
        )
    description, compiled = describe(runtime)
    return _native.export_config(json.dumps(description), compiled, list(targets))


def describe(runtime: Runtime) -> tuple[dict[str, Any], dict[str, _native.NativeShader]]:
    """The graph as the config has it (shaders without hashes or artifacts), and each compiled shader."""
    shaders = _ShaderTable()
    nodes = []
    for node in runtime._nodes.values():
        if isinstance(node, StreamEffect):
            continue  # traced into effect nodes, which are exported themselves
        kind, node_type, params = _node_entry(node, shaders)
        nodes.append({"id": node.name, "kind": kind, "type": node_type, "params": params})
    edges = [
        {"from": f"{source}.{source_port}", "to": f"{target}.{target_port}", "delivery": delivery}
        for source, source_port, target, target_port, delivery in runtime._graph.edges()
    ]
    description = {
        "runtime": {"fps": runtime.config_fps, "adapter": runtime._adapter_request},
        "nodes": nodes,
        "edges": edges,
        "shaders": shaders.entries,
    }
    return description, shaders.compiled


class _ShaderTable:
    """Shaders by config key: one entry per distinct shader, keyed by its file name's stem."""

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        self.compiled: dict[str, _native.NativeShader] = {}
        self._keys: dict[tuple[str, str, str, str, str], str] = {}

    def key(self, shader: Shader) -> str:
        identity = (shader.name, shader.source_hash, shader.stage, shader.entry, shader.backend)
        if identity in self._keys:
            return self._keys[identity]
        stem = Path(shader.name).stem or "shader"
        key, number = stem, 1
        while key in self.entries:
            number += 1
            key = f"{stem}_{number}"
        self._keys[identity] = key
        self.entries[key] = {
            "name": shader.name,
            "stage": shader.stage,
            "entry": shader.entry,
            "backend": shader.backend,
            "source": shader.source,
        }
        self.compiled[key] = shader._native
        return key


def _node_entry(node: Node, shaders: _ShaderTable) -> tuple[str, str, dict[str, Any]]:
    if isinstance(node, TestPattern):
        return "source", "test_pattern", {"width": node.width, "height": node.height}
    if isinstance(node, ImageSource):
        if node.path is not None:
            return "source", "image", {"path": str(node.path)}
        png = node._png if node._png is not None else _encode_png(node)
        return "source", "image", {"png_base64": base64.b64encode(png).decode("ascii")}
    if isinstance(node, VideoFileSource):
        params = {"path": str(node.path), "width": node.width, "height": node.height, "loop": node.loop}
        return "source", "video_file", params
    if isinstance(node, PushSource):
        return "source", "push", {"width": node.width, "height": node.height}
    if isinstance(node, Effect):
        raw = node._native.values() if node._native is not None else node._params
        values = {name: _numbers(value) for name, value in raw.items()}
        return "effect", "effect", {"shader": shaders.key(node.shader), "values": values}
    if isinstance(node, ImageSequenceSink):
        return "sink", "image_sequence", {"directory": str(node.directory), "prefix": node.prefix}
    if isinstance(node, VideoFileSink):
        return "sink", "video_file", {"path": str(node.path), "fps": float(node.fps)}
    if isinstance(node, NumpySink):
        return "sink", "numpy", {}
    if isinstance(node, PreviewSink):
        return "sink", "preview", {"quality": node.quality}
    raise ConfigError(f"node '{node.name}': {type(node).__name__} nodes cannot be exported to a graph config")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, (bool, int, float)):
        return [float(value)]
    return [float(v) for v in value]


def _encode_png(node: ImageSource) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.frombytes("RGBA", (node.width, node.height), node._pixels).save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------- loading


def load(path: str | os.PathLike[str]) -> Runtime:
    """A runtime holding the graph of the config at `path`, usable like a hand-built one (`run`, `stats`,
    `node(name).set(...)`). Shaders come from the config's SPIR-V when it was built from the same source,
    else they are recompiled; `runtime.load_report` says which, per shader. Raises `ConfigError` naming the
    field for anything this runtime refuses."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"'{path}' is not UTF-8 text ({err})") from None
    return loads(text)


def loads(text: str) -> Runtime:
    """`load` from the config's text."""
    _library.ensure_configured()
    description_json, natives, report = _native.load_config(text)
    description: dict[str, Any] = json.loads(description_json)
    settings = description["runtime"]
    runtime = Runtime(adapter=settings["adapter"])
    runtime.config_fps = settings["fps"]
    shaders = {key: Shader(entry["source"], natives[key]) for key, entry in description["shaders"].items()}
    for index, entry in enumerate(description["nodes"]):
        try:
            runtime.add_stream(_make_node(entry, shaders))
        except (StreamlibError, OSError) as err:
            raise ConfigError(f"nodes[{index}]: node '{entry['id']}': {err}", f"nodes[{index}]") from err
    for edge in description["edges"]:
        source, source_port = edge["from"].rsplit(".", 1)
        target, target_port = edge["to"].rsplit(".", 1)
        try:
            runtime.connect(
                runtime.node(source).outputs[source_port],
                runtime.node(target).inputs[target_port],
                delivery=edge["delivery"],
            )
        except StreamlibError as err:
            raise ConfigError(f"edges[{edge['index']}]: {err}", f"edges[{edge['index']}]") from err
    runtime.load_report = [dict(line) for line in report]
    return runtime


def _make_node(entry: dict[str, Any], shaders: dict[str, Shader]) -> Node:
    """The Python node for one validated config node."""
    name, params = entry["id"], entry["params"]
    match entry["kind"], entry["type"]:
        case "source", "test_pattern":
            return TestPattern(params["width"], params["height"], name=name)
        case "source", "image" if params.get("path") is not None:
            return ImageSource(params["path"], name=name)
        case "source", "image":
            from PIL import Image

            png = base64.b64decode(params["png_base64"])
            image = ImageSource(Image.open(io.BytesIO(png)), name=name)
            image._png = png
            return image
        case "source", "video_file":
            return VideoFileSource(
                params["path"], width=params["width"], height=params["height"], loop=params["loop"], name=name
            )
        case "source", "push":
            # As in streamlib-runtime: the test pattern shows until a frame is pushed.
            return PushSource(params["width"], params["height"], fallback="test_pattern", name=name)
        case "effect", "effect":
            return Effect(shaders[params["shader"]], params=params["values"], name=name)
        case "sink", "image_sequence":
            return ImageSequenceSink(params["directory"], prefix=params["prefix"], name=name)
        case "sink", "video_file":
            return VideoFileSink(params["path"], fps=params["fps"], name=name)
        case "sink", "numpy":
            return NumpySink(name=name)
        case "sink", "preview":
            return PreviewSink(quality=params["quality"], name=name)
    raise ConfigError(f"node '{name}': {entry['kind']} type '{entry['type']}' has no Python node")
