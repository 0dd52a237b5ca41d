"""A node of a remote runtime's graph, by name: what `RemoteRuntime.connect`, another runtime's `connect`
(across machines, over WHEP) and `Preview` take."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from streamlib.errors import GraphError

if TYPE_CHECKING:
    from streamlib.nodes import Node
    from streamlib.remote import RemoteRuntime


@dataclass(frozen=True)
class RemotePort:
    node: RemoteNode
    name: str
    direction: str  # "input" or "output"

    def __repr__(self) -> str:
        return f"<{self.direction} {self.node.name}.{self.name} on {self.node.runtime.url}>"


class RemotePorts(dict[str, RemotePort]):
    def __missing__(self, name: str) -> RemotePort:
        listed = ", ".join(repr(n) for n in self) or "none"
        raise GraphError(f"unknown port '{name}': the ports are {listed}")


class RemoteNode:
    """Node `name` of `runtime`'s graph as the server built it: its kind, type, output size and ports."""

    def __init__(self, runtime: RemoteRuntime, built: dict[str, Any]) -> None:
        self.runtime = runtime
        self.name: str = built["id"]
        self.kind: str = built["kind"]
        self.type: str = built["type"]
        size = built.get("size")
        self.size: tuple[int, int] | None = (int(size[0]), int(size[1])) if size else None
        self.inputs = RemotePorts({p: RemotePort(self, p, "input") for p in built.get("inputs", [])})
        self.outputs = RemotePorts({p: RemotePort(self, p, "output") for p in built.get("outputs", [])})

    @property
    def whep_url(self) -> str:
        """Where a WHEP player (a browser, another runtime's `WhepSource`) plays this node's output."""
        return f"{self.runtime.url}/v1/whep/{urllib.parse.quote(self.name, safe='')}"

    def as_source(self, *, name: str | None = None) -> Node:
        """A `WhepSource` playing this node, for another graph: what `connect` makes of a node of another
        runtime. Its size is this node's where the server knows it."""
        from streamlib.node_types import WhepSource

        if not self.outputs:
            raise GraphError(f"'{self.name}' is a {self.kind}: it has no video to play")
        name = name or f"{self.name}@{urllib.parse.urlsplit(self.runtime.url).netloc}"
        size = self.size or ()  # unknown: the node type's default size
        return WhepSource(self.whep_url, *size, token=self.runtime.token, name=name)

    def set(self, **params: Any) -> dict[str, Any]:
        """Sets parameters of this effect on the server (all or none); returns its current values."""
        return self.runtime.set(self.name, **params)

    def replace_shader(self, source: str) -> dict[str, Any]:
        """Hot-swaps this effect's shader on the server; a compile failure raises and the old one runs on."""
        return self.runtime.replace_shader(self.name, source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemoteNode) and (other.runtime.url, other.name) == (
            self.runtime.url,
            self.name,
        )

    def __hash__(self) -> int:
        return hash((self.runtime.url, self.name))

    def __repr__(self) -> str:
        return f"<RemoteNode {self.name!r} ({self.kind} {self.type}) on {self.runtime.url}>"
