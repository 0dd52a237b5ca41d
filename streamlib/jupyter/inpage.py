"""What `Preview(fx, run="browser")` hands the page: fx's chain of effects back to its source, as the GLSL
ES (pixel effects, WebGL2) or WGSL (compute effects, WebGPU) the core emits, with parameter values and the
control widgets that drive them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlib import _native
from streamlib.errors import GraphError
from streamlib.jupyter.camera import Camera, live_cameras
from streamlib.jupyter.controls import Controls, live_controls
from streamlib.node_types import TestPattern, VideoFileSource
from streamlib.nodes import Effect, ImageSource, Node
from streamlib.runtime import Runtime

# The port an effect's first texture arrives on; its other textures' ports carry their own names.
FIRST_INPUT_PORT = "video"
# A video file goes to the page whole, once (the page plays it in a <video>); a larger one stays in the
# kernel.
MAX_VIDEO_BYTES = 64 * 1024 * 1024


class NotInPage(GraphError):
    """The chain cannot run in the page; the message says why (the preview runs it in the kernel)."""


def _feeding(runtime: Runtime, node: Node) -> dict[str, Node]:
    """The node feeding each connected input port of `node`."""
    return {
        to_port: runtime.node(from_node)
        for from_node, _, to_node, to_port, _ in runtime.edges()
        if to_node == node.name
    }


def _texture_bindings(effect: Effect) -> dict[str, int]:
    """Input port → the binding of the texture it fills (what names the sampler in the GLSL ES)."""
    textures = {
        r["name"]: r["binding"] for r in effect.shader.reflection["resources"] if r["kind"] == "texture"
    }
    ports = effect.port_names("input")
    named = {port: textures[port] for port in ports if port in textures}
    first = [binding for name, binding in textures.items() if name not in ports]
    if FIRST_INPUT_PORT in ports and len(first) == 1:
        named[FIRST_INPUT_PORT] = first[0]
    return named


def _flat(value: Any) -> list[float]:
    values = value if isinstance(value, (tuple, list)) else (value,)
    return [float(v) for v in values]


def effect_values(effect: Effect) -> dict[str, list[float]]:
    """The effect's current parameter values, flat, as the page's uniforms take them."""
    return {name: _flat(value) for name, value in effect.values.items()}


def effect_pass(effect: Effect, inputs: dict[str, str]) -> dict[str, Any]:
    """One pass of the page's chain: `effect`'s GLSL ES, which binding each input port fills from which pass
    (or "source"), and its parameters with their current values."""
    shader = effect.shader
    if shader.stage != "pixel" or shader.glsl_es is None:
        raise NotInPage(
            f"'{effect.name}' is a {shader.stage} effect: WebGL2 runs the pixel form only "
            "(compute effects run in the page through WebGPU: `compute_pass`)"
        )
    bindings = _texture_bindings(effect)
    values = effect_values(effect)
    return {
        "name": effect.name,
        "glsl": shader.glsl_es,
        # A port whose texture the shader never reads has no binding, and nothing to bind.
        "textures": [
            {"binding": bindings[port], "from": source} for port, source in inputs.items() if port in bindings
        ],
        "params": [
            {
                "name": p.name,
                "buffer": p.buffer,
                "type": p.type,
                "array_length": p.array_length,
                "value": values.get(p.name, _flat(p.default)),
            }
            for p in shader.parameters
        ],
    }


def compute_pass(effect: Effect, inputs: dict[str, str]) -> dict[str, Any]:
    """One pass of a WebGPU chain (widgets/src/webgpu.js): `effect`'s WGSL, its reflection (bindings, cbuffer
    layouts, workgroup size), which binding each input port fills from which pass (or "source"), and its
    current parameter values. NotInPage when the effect is not a compute effect WebGPU can take."""
    shader = effect.shader
    try:
        wgsl = shader.wgsl
    except ValueError as why:
        raise NotInPage(f"'{effect.name}': {why}") from None
    bindings = _texture_bindings(effect)
    values = effect_values(effect)
    return {
        "name": effect.name,
        "wgsl": wgsl,
        "reflection": shader.reflection,
        "textures": [
            {"binding": bindings[port], "from": source} for port, source in inputs.items() if port in bindings
        ],
        "values": {p.name: values.get(p.name, _flat(p.default)) for p in shader.parameters},
    }


def _source(node: Node, fps: float) -> dict[str, Any]:
    if isinstance(node, TestPattern):
        glsl, block = _native.test_pattern_glsl_es()
        return {
            "kind": "test_pattern",
            "width": node.width,
            "height": node.height,
            "fps": fps,
            "glsl": glsl,
            "block": block,
        }
    if isinstance(node, ImageSource):
        # Drawn at the preview's rate, so effects that move with `time` move in the page too.
        return {
            "kind": "image",
            "width": node.width,
            "height": node.height,
            "fps": fps,
            "png_base64": node.png_base64(),
        }
    if isinstance(node, VideoFileSource):
        return _video_source(node)
    camera = next((c for c in live_cameras() if c.source is node), None)
    if camera is not None:
        return _camera_source(camera)
    raise NotInPage(
        f"'{node.name}' is a {type(node).__name__}: the page has the browser camera, the test pattern, "
        "still images and video files"
    )


def _video_source(node: VideoFileSource) -> dict[str, Any]:
    """A video file the page plays itself at the file's own rate (it asks for the bytes: `video_bytes`),
    scaled to the node's size. The browser's decoder, not the kernel's ffmpeg, makes the pixels, so they
    can differ from the kernel path's by the decoders' rounding."""
    path = Path(node.path)
    size = path.stat().st_size
    if size > MAX_VIDEO_BYTES:
        raise NotInPage(
            f"'{path.name}' is {size / 2**20:.1f} MB: the page plays video files of up to "
            f"{MAX_VIDEO_BYTES / 2**20:g} MB, sent to it whole"
        )
    width, height = node.resolution or (0, 0)
    return {"kind": "video", "width": width, "height": height, "loop": bool(node.loop), "name": path.name}


def video_bytes(target: Node) -> bytes | None:
    """The file of the video source `target`'s chain starts at, None when it starts elsewhere."""
    source, _, _ = chain(target)
    if not isinstance(source, VideoFileSource):
        return None
    return Path(source.path).read_bytes()


def _camera_source(camera: Camera) -> dict[str, Any]:
    return {
        "kind": "camera",
        "camera_key": camera.key,
        "width": camera.width,
        "height": camera.height,
        "fps": camera.fps,
    }


def chain(target: Node) -> tuple[Node, list[Effect], dict[str, dict[str, str]]]:
    """The source, the effects in the order they must run, and each effect's input port → producer name."""
    runtime = target.runtime
    if runtime is None:
        raise NotInPage(f"'{target.name}' is not in a runtime")
    order: list[Effect] = []
    inputs: dict[str, dict[str, str]] = {}
    sources: list[Node] = []

    def visit(node: Node) -> None:
        if not isinstance(node, Effect):
            if node not in sources:
                sources.append(node)
            return
        if node.name in inputs:
            return
        feeding = _feeding(runtime, node)
        inputs[node.name] = {}
        for port, producer in feeding.items():
            visit(producer)
            inputs[node.name][port] = producer.name if isinstance(producer, Effect) else "source"
        order.append(node)

    visit(target)
    if len(sources) != 1:
        names = ", ".join(s.name for s in sources) or "none"
        raise NotInPage(f"the page runs chains with exactly one source; '{target.name}' has: {names}")
    return sources[0], order, inputs


def program(target: Node, *, fps: float, generation: int = 0) -> dict[str, Any]:
    """The chain ending at `target` as the page runs it (see widgets/src/webgl.js)."""
    source, effects, inputs = chain(target)
    if not effects:
        raise NotInPage(f"'{target.name}' is a source: the page runs effects on it, and there are none")
    stages = {effect.shader.stage for effect in effects}
    if stages == {"compute"}:
        api, passes = "webgpu", [compute_pass(effect, inputs[effect.name]) for effect in effects]
    elif "compute" in stages:
        compute = ", ".join(e.name for e in effects if e.shader.stage == "compute")
        raise NotInPage(
            f"the chain mixes pixel effects (WebGL2 in the page) with compute effects ({compute}: WebGPU); "
            "the page runs one or the other"
        )
    else:
        api, passes = "webgl2", [effect_pass(effect, inputs[effect.name]) for effect in effects]
    return {
        "generation": generation,
        "api": api,
        "source": _source(source, fps),
        "passes": passes,
        "output": target.name if isinstance(target, Effect) else "source",
    }


def control_bindings(effects: list[Effect]) -> list[dict[str, Any]]:
    """Each control widget of a live `Controls` on these effects, as the page binds it to a uniform."""
    bindings: list[dict[str, Any]] = []
    for controls in live_controls():
        if controls.effect not in effects:
            continue
        bindings.extend(_bindings_of(controls))
    return bindings


def _bindings_of(controls: Controls) -> list[dict[str, Any]]:
    effect = controls.effect
    found: list[dict[str, Any]] = []
    for parameter in effect.parameters:
        widget = controls.controls.get(parameter.name)
        if widget is None:
            continue
        base = {"pass": effect.name, "param": parameter.name}
        kind = controls.kind_of(parameter.name)
        if kind == "vector":
            for index, box in enumerate(widget.children[1:]):
                found.append({**base, "model_id": box.model_id, "kind": "component", "index": index})
        elif kind == "color":
            alpha = parameter.default[3] if len(parameter.default) == 4 else None
            found.append({**base, "model_id": widget.model_id, "kind": "color", "alpha": alpha})
        else:
            found.append({**base, "model_id": widget.model_id, "kind": "scalar"})
    return found
