"""The node types that need nothing from Python but their params (`TestPattern`, `VideoFileSink`, …), made
from the core's catalog (`_native.node_types()`): a node type added to the core appears here with no Python
edit. Their typed signatures are in `node_types.pyi`, which stubtest checks against these."""

from __future__ import annotations

import inspect
from typing import Any

from streamlib import _native
from streamlib.errors import GraphError
from streamlib.nodes import Node, node_class


def _signature(entry: dict[str, Any]) -> inspect.Signature:
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for param in entry["params"]:
        kind = (
            inspect.Parameter.POSITIONAL_OR_KEYWORD if param["positional"] else inspect.Parameter.KEYWORD_ONLY
        )
        parameters.append(
            inspect.Parameter(param["name"], kind, default=param.get("default", inspect.Parameter.empty))
        )
    parameters.append(inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None))
    return inspect.Signature(parameters)


def _make(entry: dict[str, Any]) -> type[Node]:
    def __init__(self: Node, *args: Any, name: str | None = None, **params: Any) -> None:  # noqa: N807
        Node.__init__(self, *args, name=name, **params)

    __init__.__signature__ = _signature(entry)  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{entry['class']}.__init__"
    namespace: dict[str, Any] = {"__doc__": entry["summary"], "__module__": __name__, "__init__": __init__}
    if entry["class"].startswith("Test"):
        namespace["__test__"] = False  # not a test class for pytest
    return type(entry["class"], (Node,), namespace)


def _missing() -> list[dict[str, Any]]:
    made = []
    for entry in _native.node_types():
        try:
            node_class(entry["class"])
        except GraphError:  # no class in streamlib.nodes: this module makes one
            made.append(entry)
    return made


__all__: list[str] = []
for _entry in _missing():
    globals()[_entry["class"]] = _make(_entry)
    __all__.append(_entry["class"])
