"""The composition decorators (`@stream_effect`, `@camera_source`, `@test_pattern_source`).

A `@stream_effect` function is traced once, at setup, into effect nodes: Python composes the primitives,
and the Rust frame loop runs the result on every frame."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from streamlib.errors import GraphError
from streamlib.graph import PortMap
from streamlib.node_types import TestPattern
from streamlib.nodes import Effect, Node, PushSource
from streamlib.runtime import Runtime
from streamlib.tracing import Trace, TracedTexture

if TYPE_CHECKING:
    from streamlib.runtime import Texture


class StreamEffect(Node):
    """A Python function of textures, usable eagerly (`fx(texture)`) or as a graph node (`Stream(fx)`)."""

    def __init__(self, function: Callable[..., Any], name: str | None = None) -> None:
        # A composite, not a node of the core: it has no spec and joins a graph as the effects it traces to.
        self.name = name or function.__name__
        self._runtime: Runtime | None = None
        self._id = None
        self.inputs = PortMap(self, "input")
        self.outputs = PortMap(self, "output")
        self.function = function
        functools.update_wrapper(self, function)
        self._entries: list[tuple[Effect, str]] = []
        self._exit: Effect | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def port_names(self, direction: str) -> list[str]:
        return ["video"]

    def trace(self, runtime: Runtime) -> Trace:
        """Calls the function once with a stand-in frame, recording every `run_shader` as an effect."""
        trace = Trace(self.name)
        token = TracedTexture(None, is_input=True)
        with runtime.tracing(trace):
            result = self.function(token)
        if not isinstance(result, TracedTexture) or result.producer is None:
            raise GraphError(
                f"@stream_effect '{self.name}' must return the result of runtime.run_shader(...) on its input"
            )
        self._exit = result.producer
        return trace

    def join(self, runtime: Runtime, graph: object) -> None:
        """Traces the function into effect nodes of `runtime` and connects them."""
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
        self._runtime = runtime

    def endpoints(self, direction: str, port: str) -> list[tuple[Node, str]]:
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
