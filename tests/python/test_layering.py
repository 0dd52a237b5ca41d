"""streamlib's modules import downwards only (errors → shader → nodes → runtime → export/remote → jupyter):
no import cycle among them, counting imports inside functions too, not those under `if TYPE_CHECKING:`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "streamlib"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(path: Path, known: set[str]) -> set[str]:
    """The streamlib modules `path` imports, by name."""
    found: set[str] = set()
    importer = module_name(path)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                # `from streamlib import nodes` imports the module `streamlib.nodes`.
                target = f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                if target in known and target != importer:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, str] = {}
    stack: list[str] = []

    def walk(name: str) -> list[str] | None:
        state[name] = "open"
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := walk(target)):
                return cycle
        stack.pop()
        state[name] = "done"
        return None

    for name in sorted(graph):
        if name not in state and (cycle := walk(name)):
            return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    # The package's own __init__ gathers the public names; a module importing a sibling imports the package
    # first, which is how Python packages work and not a layering choice.
    return {name: imported(path, known) - {"streamlib"} for name, path in found.items()}


def test_streamlib_modules_import_without_cycles() -> None:
    graph = import_graph()
    assert {"streamlib.nodes", "streamlib.runtime", "streamlib.export"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_layers_point_downwards() -> None:
    graph = import_graph()
    assert "streamlib.runtime" in graph["streamlib.export"]
    for lower, higher in [
        ("streamlib.errors", "streamlib.shader"),
        ("streamlib.shader", "streamlib.nodes"),
        ("streamlib.nodes", "streamlib.runtime"),
        ("streamlib.runtime", "streamlib.export"),
        ("streamlib.runtime", "streamlib.jupyter.preview"),
    ]:
        assert higher not in graph[lower], f"{lower} imports {higher}"


def test_the_checker_sees_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
