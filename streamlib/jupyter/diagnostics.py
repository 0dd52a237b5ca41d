"""Compile results as data for the editor: the JupyterLab extension turns these into editor markers.

The same payload comes from two places: the `%%hlsl` magic puts it beside its card in the cell's output
(under `MIME`), and the server's `/streamlib/compile` endpoint returns it while the user types.
"""

from __future__ import annotations

from typing import Any

from streamlib.errors import Diagnostic, ShaderCompileError
from streamlib.shader import Shader

MIME = "application/vnd.streamlib.diagnostics+json"


def _diagnostic(diagnostic: Diagnostic, name: str) -> dict[str, Any]:
    return {
        "severity": diagnostic.severity,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "message": diagnostic.message,
        "file": diagnostic.file,
        # Messages from an #include'd file have no place in this editor; the extension pins them to line 1.
        "in_source": diagnostic.file == name,
    }


def success_payload(name: str, shader: Shader) -> dict[str, Any]:
    return {
        "name": name,
        "ok": True,
        "stage": shader.stage,
        "compile_ms": shader.compile_ms,
        "parameters": [p.name for p in shader.parameters],
        "diagnostics": [_diagnostic(d, name) for d in shader.warnings],
    }


def failure_payload(name: str, error: ShaderCompileError) -> dict[str, Any]:
    return {
        "name": name,
        "ok": False,
        "diagnostics": [_diagnostic(d, name) for d in error.diagnostics],
    }
