"""What a `@stream_effect` function records while it is traced once at setup: each `run_shader` call becomes
an effect node, and the textures passed between them stand for frames."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streamlib.nodes import Effect
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

    def __init__(self, name: str) -> None:
        self.name = name
        self.effects: list[tuple[Effect, list[TracedTexture]]] = []

    def record(
        self, shader: Shader, inputs: Sequence[TracedTexture], params: dict[str, Any]
    ) -> TracedTexture:
        effect = Effect(shader, params=params, name=f"{self.name}_{len(self.effects) + 1}")
        self.effects.append((effect, list(inputs)))
        return TracedTexture(effect)
