"""The composition decorators (`@stream_effect`, `@camera_source`, `@test_pattern_source`).

A `@stream_effect` function is traced once, at setup, into effect nodes: Python composes the primitives,
and the Rust frame loop runs the result on every frame."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from streamlib.errors import GraphError
from streamlib.nodes import Effect, Node, PushSource, TestPattern

if TYPE_CHECKING:
    from streamlib.runtime import Runtime, Texture
    from streamlib.shader import Shader


class TracedTexture:
    """Stands for a frame while a `@stream_effect` function is traced: `producer` is None for the stream's
    input, else the effect whose output it is."""

    def __init__(
        self, producer: Effect | None, width: int = 0, height: int = 0, *, is_input: bool = False
    ) -> None:
        self.producer = producer
        self.width, self.height = width, height
        self.is_input = is_input

    @property
    def carries_frame(self) -> bool:
        return self.is_input or self.producer is not None

    def __repr__(self) -> str:
        origin = (
            self.producer.name if self.producer else ("stream input" if self.is_input else "scratch texture")
        )
        return f"<traced frame from {origin}>"


class Trace:
    """What one traced call recorded: effects in call order and where the stream input enters."""

    def __init__(self) -> None:
        self.effects: list[tuple[Effect, list[TracedTexture]]] = []

    def record(
        self, shader: Shader, inputs: list[TracedTexture], params: dict[str, Any], name: str
    ) -> TracedTexture:
        effect = Effect(shader, params=params, name=f"{name}_{len(self.effects) + 1}")
        self.effects.append((effect, inputs))
        return TracedTexture(effect)


class StreamEffect(Node):
    """A Python function of textures, usable eagerly (`fx(texture)`) or as a graph node (`Stream(fx)`)."""

    kind = "stream_effect"

    def __init__(self, function: Callable[..., Any], name: str | None = None) -> None:
        super().__init__(name or function.__name__)
        self.function = function
        functools.update_wrapper(self, function)
        self._entries: list[tuple[Effect, str]] = []
        self._exit: Effect | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def _default_ports(self, direction: str) -> list[str]:
        return ["video"]

    def _port_names(self, direction: str) -> list[str]:
        return ["video"]

    def trace(self, runtime: Runtime) -> Trace:
        """Calls the function once with a stand-in frame, recording every `run_shader` as an effect."""
        trace = Trace()
        token = TracedTexture(None, is_input=True)
        previous = runtime._trace
        runtime._trace = (trace, self.name)
        try:
            result = self.function(token)
        finally:
            runtime._trace = previous
        if not isinstance(result, TracedTexture) or result.producer is None:
            raise GraphError(
                f"@stream_effect '{self.name}' must return the result of runtime.run_shader(...) on its input"
            )
        self._exit = result.producer
        return trace

    def _attach(self, runtime: Runtime) -> int:
        trace = self.trace(runtime)
        for effect, _ in trace.effects:
            runtime.add_stream(effect)
        for effect, inputs in trace.effects:
            ports = effect.inputs
            for slot, traced in zip(list(ports), inputs, strict=False):
                if traced.producer is None:
                    self._entries.append((effect, slot))
                else:
                    runtime.connect(traced.producer.outputs["video"], ports[slot])
        if not self._entries:
            raise GraphError(f"@stream_effect '{self.name}' never reads its input frame")
        return -1

    def endpoints(self, direction: str) -> list[tuple[Node, str]]:
        if self._exit is None:
            raise GraphError(
                f"@stream_effect '{self.name}' is not in a runtime yet: add_stream(Stream({self.name}))"
            )
        if direction == "output":
            return [(self._exit, "video")]
        return [(node, port) for node, port in self._entries]


def stream_effect(function: Callable[..., Texture | TracedTexture]) -> StreamEffect:
    """Marks a function of textures as an effect: traced once into graph nodes, never run per frame."""
    return StreamEffect(function)


def camera_source(
    *, device_id: str = "browser", width: int = 640, height: int = 480
) -> Callable[[Callable[[], Any]], PushSource]:
    """A camera as a source node. Frames are pushed into it by the browser `Camera` widget (or by
    `source.push(array)`); the decorated function runs once, at setup."""

    def wrap(function: Callable[[], Any]) -> PushSource:
        function()
        source = PushSource(width, height, name=function.__name__)
        source.device_id = device_id  # type: ignore[attr-defined]
        return source

    return wrap


def test_pattern_source(
    *, width: int = 1280, height: int = 720
) -> Callable[[Callable[[], Any]], TestPattern]:
    """The built-in test pattern as a decorated source (works with no camera)."""

    def wrap(function: Callable[[], Any]) -> TestPattern:
        function()
        return TestPattern(width, height, name=function.__name__)

    return wrap


test_pattern_source.__test__ = False  # type: ignore[attr-defined]
