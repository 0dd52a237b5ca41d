"""The `%%hlsl` cell magic in a real IPython shell: cards, errors, registry, hot swap into a running graph."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import streamlib
from streamlib import Effect, NumpySink, Runtime, ShaderCompileError, TestPattern

from ..conftest import default_backend, poll_until

RED = (
    "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * float4(1, 0, 0, 1);\n}\n"
)
GREEN = (
    "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * float4(0, 1, 0, 1);\n}\n"
)
BROKEN = (
    "float4 main(float2 uv : TEXCOORD) : SV_Target {\n"
    "    float4 c = tex2D(input, uv);\n    return c * brightness;\n}\n"
)


@pytest.fixture()
def shell() -> Iterator[tuple[InteractiveShell, list[Any]]]:
    ip = InteractiveShell.instance()
    shown: list[Any] = []
    ip.display_pub.publish = lambda data, **_: shown.append(data)  # type: ignore[method-assign]
    ip.run_line_magic("load_ext", "streamlib")
    yield ip, shown
    shown.clear()


def run_cell(ip: InteractiveShell, line: str, cell: str) -> Any:
    return ip.run_cell_magic("hlsl", line, cell)


def html(shown: list[Any]) -> str:
    return "\n".join(d.get("text/html", "") for d in shown)


def test_success_card_and_registry(shell: tuple[InteractiveShell, list[Any]]) -> None:
    ip, shown = shell
    source = "cbuffer Params { float strength; /* @range(0, 1) @default(0.25) */ };\n" + RED.replace(
        "* float4(1, 0, 0, 1)", "* strength"
    )
    run_cell(ip, "card_test", source)
    card = html(shown)
    assert "✓ card_test" in card and f"pixel shader via {default_backend()}" in card
    assert "<code>strength</code>" in card and "0 … 1" in card and " ms" in card
    assert streamlib.shaders["card_test"].parameters[0].name == "strength"


def test_error_card_names_the_line_and_raises(shell: tuple[InteractiveShell, list[Any]]) -> None:
    ip, shown = shell
    with pytest.raises(ShaderCompileError) as info:
        run_cell(ip, "broken_test", BROKEN)
    card = html(shown)
    assert "✗ broken_test" in card
    assert "line 3, column 16" in card and "&#x27;brightness&#x27;: unknown variable" in card
    assert "data-line='3'" in card and "streamlib-mark" in card and "^" in card
    assert info.value.diagnostics[0].line == 3
    assert "broken_test" not in streamlib.shaders


def test_compute_flag_and_usage_errors(shell: tuple[InteractiveShell, list[Any]]) -> None:
    ip, _ = shell
    source = (
        "Texture2D<float4> input; RWTexture2D<float4> output;\n"
        "[numthreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = input[id.xy]; }"
    )
    run_cell(ip, "compute_test --compute", source)
    assert streamlib.shaders["compute_test"].stage == "compute"
    with pytest.raises(ValueError, match="usage: %%hlsl NAME"):
        run_cell(ip, "", RED)


def test_rerunning_a_cell_hot_swaps_every_running_effect(shell: tuple[InteractiveShell, list[Any]]) -> None:
    ip, _ = shell
    run_cell(ip, "swap_test", RED)
    runtime = Runtime()
    effect = Effect("swap_test")
    sink = NumpySink()
    runtime.connect(TestPattern(320, 180), effect)
    runtime.connect(effect, sink)
    runtime.start(fps=60)
    try:
        first = sink.wait(2)
        assert first[60, 10, 0] > 0 and first[60, 10, 1] == 0
        run_cell(ip, "swap_test", GREEN)
        swapped = wait_for(sink, lambda f: f[60, 10, 1] > 0 and f[60, 10, 0] == 0)
        assert swapped is not None, "the running effect never switched to the new shader"
        with pytest.raises(ShaderCompileError):
            run_cell(ip, "swap_test", BROKEN)
        # Frames rendered after the failed compile, not one already in flight, must still be green.
        after_failure = sink.received
        poll_until(lambda: sink.received >= after_failure + 5, "frames to keep coming after a failed compile")
        kept = sink.latest()
        assert kept[60, 10, 1] > 0 and kept[60, 10, 0] == 0, "the last good shader must keep running"
        assert runtime.stats()["error"] is None
    finally:
        runtime.stop()


def wait_for(sink: NumpySink, condition: Any, timeout: float = 5.0) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        frame = sink.latest()
        if frame is not None and condition(frame):
            return frame
        time.sleep(0.02)
    return None


def test_preview_flag_starts_a_preview_on_the_test_pattern(shell: tuple[InteractiveShell, list[Any]]) -> None:
    ip, shown = shell
    run_cell(ip, "preview_test --preview", RED)
    from streamlib.jupyter.preview import _shader_previews

    runtime, preview = _shader_previews["preview_test"]
    try:
        assert runtime.is_running
        assert any("application/vnd.jupyter.widget-view+json" in d for d in shown)
        frame = preview.sink.take(timeout=5)
        assert frame is not None and frame[3] == "image/jpeg"
    finally:
        preview.close()
        runtime.stop()


def test_a_preview_nobody_sees_stops_its_thread_and_its_own_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlib.jupyter import preview as preview_module

    monkeypatch.setattr(preview_module, "IDLE_EXIT_S", 0.3)
    streamlib.shaders["idle_test"] = streamlib.compile(RED, name="idle_test")
    widget = preview_module.preview_shader("idle_test", streamlib.shaders["idle_test"])
    runtime = widget.runtime
    try:
        assert widget.sending and runtime.is_running
        widget._on_message(None, {"type": "ready", "view": "v1"}, [])
        widget._on_message(None, {"type": "visible", "value": False, "view": "v1"}, [])  # output cleared
        deadline = time.time() + 5
        while (widget.sending or runtime.is_running) and time.time() < deadline:
            time.sleep(0.05)
        assert not widget.sending and not runtime.is_running, "no thread or graph may outlive its views"
        widget._on_message(None, {"type": "ready", "view": "v2"}, [])  # shown again
        assert widget.sending and runtime.is_running
    finally:
        widget.close()
    assert not runtime.is_running


def payload(shown: list[Any]) -> dict[str, Any]:
    from streamlib.jupyter.diagnostics import MIME

    found = [d[MIME] for d in shown if MIME in d]
    assert len(found) == 1, shown
    return found[0]


def test_outputs_carry_diagnostics_for_the_editor(shell: tuple[InteractiveShell, list[Any]]) -> None:
    """The JupyterLab extension reads this payload from the output to put markers in the cell."""
    ip, shown = shell
    with pytest.raises(ShaderCompileError):
        run_cell(ip, "payload_test", BROKEN)
    failed = payload(shown)
    assert failed["name"] == "payload_test" and failed["ok"] is False
    [diagnostic] = failed["diagnostics"]
    assert diagnostic["line"] == 3 and diagnostic["column"] == 16 and diagnostic["in_source"] is True
    assert "brightness" in diagnostic["message"] and diagnostic["severity"] == "error"
    shown.clear()
    run_cell(ip, "payload_test", RED)
    assert payload(shown) | {"compile_ms": 0} == {
        "name": "payload_test",
        "ok": True,
        "stage": "pixel",
        "compile_ms": 0,
        "parameters": [],
        "diagnostics": [],
    }


def test_a_glsl_cell_registers_a_shadertoy_effect_and_swaps_it(
    shell: tuple[InteractiveShell, list[Any]],
) -> None:
    ip, shown = shell
    blue = "void mainImage(out vec4 o, in vec2 p) {\n    o = vec4(0.0, 0.0, 1.0, 1.0);\n}\n"
    ip.run_cell_magic("glsl", "toy_fill", blue)
    assert streamlib.shaders["toy_fill"].language == "glsl"
    assert "toy_fill" in html(shown)
    runtime = Runtime()
    fx = Effect("toy_fill", name="fx")
    sink = NumpySink(name="out")
    runtime.connect(TestPattern(16, 8, name="pattern"), fx)
    runtime.connect(fx, sink)
    runtime.start(fps=30)
    try:
        poll_until(lambda: (f := sink.latest()) is not None and f[0, 0, 2] == 255, "a blue frame")
        ip.run_cell_magic("glsl", "toy_fill", blue.replace("0.0, 0.0, 1.0", "1.0, 0.0, 0.0"))
        poll_until(lambda: (f := sink.latest()) is not None and f[0, 0, 0] == 255 and f[0, 0, 2] == 0, "red")
        with pytest.raises(ShaderCompileError):
            ip.run_cell_magic(
                "glsl", "toy_fill", "void mainImage(out vec4 o, in vec2 p) {\n  o = vec4(1)\n}\n"
            )
        assert fx.shader.language == "glsl" and "1.0, 0.0, 0.0" in fx.shader.source, "the last good one runs"
    finally:
        runtime.stop()
