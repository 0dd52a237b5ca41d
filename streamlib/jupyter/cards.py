"""HTML cards for `%%hlsl` cells: a compact success summary, or each diagnostic with its line and a caret."""

from __future__ import annotations

import html

from streamlib.errors import Diagnostic, ShaderCompileError
from streamlib.shader import Shader

_STYLE = (
    "font-family: var(--jp-code-font-family, monospace); font-size: 12px; border-radius: 4px; "
    "padding: 6px 10px; margin: 2px 0;"
)


def success_card(name: str, shader: Shader) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(p.name)}</code></td><td>{html.escape(p.type)}</td>"
        f"<td>{html.escape(p.kind)}</td><td>{_range(p.min, p.max)}</td>"
        f"<td>{html.escape(', '.join(f'{v:g}' for v in p.default))}</td></tr>"
        for p in shader.parameters
    )
    table = (
        "<table class='streamlib-params'><tr><th>parameter</th><th>type</th><th>control</th><th>range</th>"
        f"<th>default</th></tr>{rows}</table>"
        if rows
        else "<div>no parameters</div>"
    )
    workgroup = f", workgroup {shader.workgroup_size}" if shader.workgroup_size else ""
    cached = " (cached)" if shader.cached else ""
    return (
        f"<div class='streamlib-card streamlib-ok' style='{_STYLE} border-left: 4px solid #2e7d32;'>"
        f"<b>✓ {html.escape(name)}</b> — {shader.stage} shader via {html.escape(shader.backend)}{workgroup}, "
        f"{shader.compile_ms:.1f} ms{cached}{table}</div>"
    )


def _range(low: float | None, high: float | None) -> str:
    return f"{low:g} … {high:g}" if low is not None and high is not None else ""


def error_card(name: str, error: ShaderCompileError, source: str) -> str:
    items = "".join(_diagnostic(d, source, name) for d in error.diagnostics)
    return (
        f"<div class='streamlib-card streamlib-error' style='{_STYLE} border-left: 4px solid #c62828;'>"
        f"<b>✗ {html.escape(name)}</b> failed to compile — the running effect keeps its last good shader"
        f"{items}</div>"
    )


def _diagnostic(diagnostic: Diagnostic, source: str, name: str) -> str:
    where = f"line {diagnostic.line}" if diagnostic.line is not None else "shader"
    if diagnostic.column is not None:
        where += f", column {diagnostic.column}"
    if (
        diagnostic.file
        and diagnostic.file != "shader"
        and diagnostic.line is not None
        and "." in diagnostic.file
    ):
        where = f"{diagnostic.file}: {where}"
    text = diagnostic.source_line
    if text is None and diagnostic.line is not None:
        lines = source.splitlines()
        text = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else None
    snippet = ""
    if text is not None:
        column = diagnostic.column
        if column is not None and 0 < column <= len(text) + 1:
            before, at, after = text[: column - 1], text[column - 1 : column], text[column:]
            marked = (
                f"{html.escape(before)}<span class='streamlib-mark' style='background:#ffcdd2;'>"
                f"{html.escape(at or ' ')}</span>{html.escape(after)}"
            )
            caret = " " * (column - 1) + "^"
        else:
            marked, caret = html.escape(text), ""
        gutter = f"{diagnostic.line:>4} | " if diagnostic.line is not None else ""
        snippet = (
            f"<pre class='streamlib-source' data-line='{diagnostic.line or ''}' style='margin:2px 0 0 0; "
            f"background:#fff5f5;'>{gutter}{marked}\n{' ' * len(gutter)}{caret}</pre>"
        )
    return (
        # data-* let the JupyterLab extension move the cell's cursor there when the diagnostic is clicked.
        f"<div class='streamlib-diagnostic' data-line='{diagnostic.line or ''}' "
        f"data-column='{diagnostic.column or ''}' data-in-source='{str(diagnostic.file == name).lower()}' "
        "style='margin-top:6px;'>"
        f"<span style='color:#c62828'>{html.escape(diagnostic.severity)}</span> "
        f"<b>{html.escape(where)}</b>: {html.escape(diagnostic.message)}{snippet}</div>"
    )
