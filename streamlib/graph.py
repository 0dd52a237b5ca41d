"""Ports and streams: how nodes are wired, `runtime.connect(a.outputs["video"], b.inputs["video"])`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streamlib.errors import GraphError

if TYPE_CHECKING:
    from streamlib.nodes import Node


@dataclass(frozen=True)
class Port:
    node: Node
    name: str
    direction: str  # "input" or "output"

    def __repr__(self) -> str:
        return f"<{self.direction} {self.node.name}.{self.name}>"


class PortMap(Mapping[str, Port]):
    """`node.inputs` / `node.outputs`: port names → ports; unknown names say which exist."""

    def __init__(self, node: Node, direction: str) -> None:
        self._node = node
        self._direction = direction

    def _names(self) -> list[str]:
        return self._node.port_names(self._direction)

    def __getitem__(self, name: str) -> Port:
        names = self._names()
        if name not in names:
            listed = ", ".join(repr(n) for n in names) or "none"
            raise GraphError(f"unknown port '{self._node.name}.{name}': {self._direction}s are {listed}")
        return Port(self._node, name, self._direction)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


class Stream:
    """A node wrapped for `runtime.add_stream(Stream(node))`, the add-then-connect style of composing."""

    def __init__(self, node: Node) -> None:
        self.node = node

    @property
    def inputs(self) -> PortMap:
        return self.node.inputs

    @property
    def outputs(self) -> PortMap:
        return self.node.outputs

    def __repr__(self) -> str:
        return f"Stream({self.node!r})"
