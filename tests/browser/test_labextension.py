"""The JupyterLab extension in a real JupyterLab and headless Chromium: HLSL highlighting in `%%hlsl` cells
and `.hlsl` files, compile diagnostics as editor markers, completion, and the Shaders panel."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .lab_helpers import cell, open_notebook, screenshot, wait_for_output, wait_idle

GOOD = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * float4(1, 0.5, 0.5, 1);\n}"
BROKEN = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * tint;\n}"


def _code(source: str) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


def _write_notebook(lab: Lab, name: str) -> str:
    cells = [_code("import streamlib"), _code("%%hlsl tint\n" + GOOD), _code("gain = 2 * 3")]
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / name).write_text(json.dumps(document))
    return lab.notebook_url(name)


@pytest.fixture()
def notebook(lab: Lab, request: pytest.FixtureRequest) -> str:
    """A notebook of its own for each test, so each starts with a kernel that has not imported streamlib."""
    return _write_notebook(lab, f"{request.node.name}.ipynb")


def _jupyter(*args: str) -> str:
    # `jupyter` runs its subcommands from PATH: put this environment's first, as activating it would.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", *args], capture_output=True, text=True, timeout=60, env=env
    )
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)


def test_extensions_are_installed_and_enabled() -> None:
    labextensions = _jupyter("labextension", "list")
    assert re.search(r"@streamlib/jupyterlab v\S+ enabled OK \(python, streamlib\)", labextensions), (
        labextensions
    )
    server = _jupyter("server", "extension", "list")
    assert re.search(r"streamlib\.jupyter\.server\s+enabled", server), server


def _post(lab: Lab, path: str, body: bytes, token: bool = True) -> tuple[int, Any]:
    query = f"?token={lab.token}" if token else ""
    request = urllib.request.Request(f"{lab.url}/streamlib/{path}{query}", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def test_server_compiles_and_lists_the_library(lab: Lab) -> None:
    status, payload = _post(lab, "compile", json.dumps({"source": BROKEN, "name": "tint"}).encode())
    assert status == 200 and payload["ok"] is False
    [diagnostic] = payload["diagnostics"]
    assert (diagnostic["line"], diagnostic["column"]) == (2, 31) and "'tint'" in diagnostic["message"]
    status, payload = _post(lab, "compile", json.dumps({"source": GOOD, "name": "tint"}).encode())
    assert status == 200 and payload["ok"] is True and payload["diagnostics"] == []
    assert _post(lab, "compile", b"{not json")[0] == 400
    assert _post(lab, "compile", json.dumps({"source": 3}).encode())[0] == 400
    assert _post(lab, "compile", json.dumps({"source": GOOD, "stage": "geometry"}).encode())[0] == 400
    assert _post(lab, "compile", json.dumps({"source": GOOD}).encode(), token=False)[0] == 403

    with urllib.request.urlopen(f"{lab.url}/streamlib/shaders?token={lab.token}", timeout=30) as response:
        shaders = {s["name"]: s for s in json.loads(response.read())["shaders"]}
    library = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "shaders").glob("*.hlsl"))
    assert sorted(shaders) == library
    vignette = shaders["vignette"]
    assert vignette["summary"].startswith("Vignette: darkens towards the edges.")
    assert vignette["stage"] == "pixel" and "smoothstep" in vignette["source"]
    # The vignette's library directory is inside the server root (conftest), the rest lie outside it.
    assert vignette["path"] == "shaders/vignette.hlsl" and shaders["sepia"]["path"] is None


def _editor(page: Any, index: int) -> Any:
    return cell(page, index).locator(".cm-content")


def _token_classes(page: Any, index: int, text: str) -> list[str]:
    return page.evaluate(
        """([index, text]) => {
            const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell');
            return [...cells[index].querySelectorAll('.cm-content span')]
                .filter((span) => span.textContent === text).map((span) => span.className);
        }""",
        [index, text],
    )


def _line_of(page: Any, index: int, selector: str) -> int:
    """1-based editor line holding the first `selector` element of cell `index`."""
    return page.evaluate(
        """([index, selector]) => {
            const cells = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell');
            const mark = cells[index].querySelector(selector);
            const lines = [...cells[index].querySelectorAll('.cm-line')];
            return lines.findIndex((line) => line.contains(mark)) + 1;
        }""",
        [index, selector],
    )


def _hover(page: Any, target: Any, tooltip_selector: str = ".cm-tooltip-lint") -> str:
    """Rests the pointer on `target` (moving, as CodeMirror's hover tooltips want) and returns the text of
    the tooltip that shows (the lint message by default). Under load the cell may still be moving when the
    pointer arrives (its output appearing below), so the pointer leaves and comes back, with the target's box
    read again, up to three times."""
    tooltip = page.locator(tooltip_selector).first
    for attempt in range(3):
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        page.mouse.move(0, 0)
        page.mouse.move(box["x"] + 1, box["y"] + 2)
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
        try:
            tooltip.wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
    return str(tooltip.text_content())


def _set_source(page: Any, index: int, source: str, run: bool) -> None:
    """Replaces a cell's text the way a user's paste would (one transaction), optionally running it."""
    _editor(page, index).click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)
    if run:
        page.keyboard.press("Control+Enter")


def test_hlsl_cell_highlighting_and_markers(page: Any, lab: Lab, notebook: str, shots: Path) -> None:
    open_notebook(page, notebook)
    page.wait_for_selector(".jp-Cell .cm-hlsl-keyword")
    assert any("cm-hlsl-type" in c for c in _token_classes(page, 1, "float4"))
    assert any("cm-hlsl-keyword" in c for c in _token_classes(page, 1, "return"))
    assert any("cm-hlsl-semantic" in c for c in _token_classes(page, 1, "SV_Target"))
    assert any("cm-hlsl-magic" in c for c in _token_classes(page, 1, "%%hlsl tint"))
    # The Python cells stay Python.
    assert cell(page, 0).locator("[class*=cm-hlsl-]").count() == 0
    assert cell(page, 2).locator("[class*=cm-hlsl-]").count() == 0
    screenshot(page, shots, "1-highlighting")

    # Running a broken shader: a marker on the cell's line 3 (the shader's line 2), the message on hover.
    _editor(page, 0).click()
    page.keyboard.press("Control+Enter")
    _set_source(page, 1, "%%hlsl tint\n" + BROKEN, run=True)
    wait_for_output(page, 1, "failed to compile")
    marker = cell(page, 1).locator(".cm-lintRange-error").first
    marker.wait_for()
    assert marker.text_content() == "tint"
    assert _line_of(page, 1, ".cm-lintRange-error") == 3
    assert cell(page, 1).locator(".cm-gutter-lint .cm-lint-marker-error").count() == 1
    assert "'tint': unknown variable" in _hover(page, marker)
    screenshot(page, shots, "2-marker-on-hover")
    # Clicking the diagnostic in the card puts the cursor on it: the shader's line 2 is the cell's line 3.
    page.mouse.move(0, 0)
    cell(page, 1).locator(".streamlib-diagnostic").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')].some((e) => /Ln 3, Col 31/.test(e.textContent))"
    )

    # Fixing it and running clears the marker.
    _set_source(page, 1, "%%hlsl tint\n" + GOOD, run=True)
    wait_for_output(page, 1, "✓ tint")
    cell(page, 1).locator(".cm-lintRange-error").first.wait_for(state="detached")
    assert cell(page, 1).locator(".cm-lint-marker-error").count() == 0
    screenshot(page, shots, "3-fixed")

    # While typing (no run), the server compiles after a pause and the marker follows the text.
    _set_source(
        page,
        1,
        "%%hlsl tint\nfloat4 main(float2 uv : TEXCOORD) : SV_Target {\n    return gain;\n}",
        run=False,
    )
    live = cell(page, 1).locator(".cm-lintRange-error").first
    live.wait_for(timeout=15_000)
    assert live.text_content() == "gain" and _line_of(page, 1, ".cm-lintRange-error") == 3
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("%%hlsl tint\n" + GOOD)
    live.wait_for(state="detached", timeout=15_000)

    # Completion of intrinsics and the prelude's names, from the Tab completer.
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.insert_text("// sat")
    page.keyboard.press("Tab")
    completer = page.locator(".jp-Completer").first
    completer.wait_for()
    assert "saturate" in (completer.text_content() or "")
    page.keyboard.press("Escape")
    wait_idle(page)


def test_hlsl_file_highlighting_and_markers(page: Any, lab: Lab, shots: Path) -> None:
    (lab.root / "glow.hlsl").write_text(
        "// A glow with a typo.\ncbuffer Params {\n    float amount; /* @range(0, 2) @default(1) */\n};\n\n"
        "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * amout;\n}\n"
    )
    page.goto(f"{lab.url}/lab/tree/glow.hlsl?token={lab.token}&reset")
    editor = page.locator(".jp-FileEditor .cm-content")
    editor.wait_for(timeout=90_000)
    page.wait_for_selector(".jp-FileEditor .cm-hlsl-annotation")
    marker = page.locator(".jp-FileEditor .cm-lintRange-error").first
    marker.wait_for(timeout=30_000)
    assert marker.text_content() == "amout"
    assert "'amout'" in _hover(page, marker)
    screenshot(page, shots, "1-file-marker")
    # Hovering a prelude name explains it.
    page.mouse.move(0, 0)
    tex2d = page.locator(".jp-FileEditor .cm-hlsl-prelude").filter(has_text="tex2D").first
    assert "tex.Sample(input_sampler, uv)" in _hover(page, tex2d, ".cm-hlsl-doc")
    # Fix the typo in place: the marker goes once the server has compiled the new text.
    marker.dblclick()
    page.keyboard.insert_text("amount")
    marker.wait_for(state="detached", timeout=15_000)


def test_shaders_panel_inserts_a_working_cell(page: Any, lab: Lab, notebook: str, shots: Path) -> None:
    open_notebook(page, notebook)
    page.locator('.lm-TabBar-tab[data-id="streamlib-shaders"]').click()
    panel = page.locator("#streamlib-shaders")
    library_item = panel.locator('[data-section="library"] .jp-streamlib-item[data-name="vignette"]')
    library_item.wait_for()
    assert "Vignette" in (library_item.text_content() or "")
    kernel_note = panel.locator(".jp-streamlib-note").first
    page.wait_for_function(
        "() => /not imported streamlib/.test(document.querySelector('#streamlib-shaders .jp-streamlib-note').textContent)"
    )

    # Run the notebook's %%hlsl cell: the kernel's shader shows up in the panel.
    _editor(page, 0).click()
    page.keyboard.press("Control+Enter")
    wait_idle(page)
    cell(page, 1).locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    wait_for_output(page, 1, "✓ tint")
    panel.locator('[data-section="kernel"] .jp-streamlib-item[data-name="tint"]').wait_for()
    assert kernel_note.text_content() == ""
    screenshot(page, shots, "1-panel")

    # Insert the library's vignette below the active cell and run it: it compiles and registers.
    count = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").count()
    library_item.locator(".jp-streamlib-insert").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length === {count + 1}"
    )
    inserted = cell(page, 2)
    assert (inserted.locator(".cm-line").first.text_content() or "") == "%%hlsl vignette"
    inserted.locator(".cm-content").click()
    page.keyboard.press("Control+Enter")
    wait_for_output(page, 2, "✓ vignette")
    assert inserted.locator(".cm-hlsl-keyword").count() > 0
    panel.locator('[data-section="kernel"] .jp-streamlib-item[data-name="vignette"]').wait_for()
    screenshot(page, shots, "2-inserted-and-run")

    # With no kernel the panel says so, and the library stays usable.
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name="Shut Down Kernel", exact=True).click()
    page.wait_for_function(
        "() => /No Kernel/.test(document.querySelector('.jp-NotebookPanel-toolbar').textContent)"
    )
    panel.locator(".jp-streamlib-refresh").click()
    page.wait_for_function(
        "() => /No kernel is running/.test(document.querySelector('#streamlib-shaders .jp-streamlib-note').textContent)"
    )
    assert panel.locator('[data-section="kernel"] .jp-streamlib-item').count() == 0
    assert panel.locator('[data-section="library"] .jp-streamlib-item').count() > 10

    # "Open file": inside the server root the file opens in the editor, outside it read-only; both highlighted.
    library_item.locator(".jp-streamlib-open").click()
    page.locator(".jp-FileEditor .cm-hlsl-intrinsic").first.wait_for()
    assert "vignette.hlsl" in (page.locator(".jp-mod-current .lm-TabBar-tabLabel").first.text_content() or "")
    screenshot(page, shots, "3-open-file")
    sepia = panel.locator('[data-section="library"] .jp-streamlib-item[data-name="sepia"]')
    sepia.locator(".jp-streamlib-open").click()
    page.locator(".jp-streamlib-readonly .cm-hlsl-intrinsic").first.wait_for()
    screenshot(page, shots, "4-open-read-only")


def test_saving_an_hlsl_file_swaps_it_into_the_running_effect(page: Any, lab: Lab, shots: Path) -> None:
    red = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    float4 c = tex2D(input, uv);\n    return float4(c.r, 0, 0, 1);\n}\n"
    (lab.root / "live.hlsl").write_text(red)
    setup = (
        "from streamlib import Effect, NumpySink, Runtime, TestPattern\n"
        "runtime, fx, sink = Runtime(), Effect('live.hlsl'), NumpySink()\n"
        "runtime.connect(TestPattern(64, 48), fx)\nruntime.connect(fx, sink)\nruntime.start(fps=30)"
    )
    probe = "import time\ntime.sleep(1)\nprint('pixel', tuple(int(v) for v in sink.latest()[10, 10]))"
    document = {
        "cells": [_code("import streamlib"), _code(setup), _code(probe)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / "live.ipynb").write_text(json.dumps(document))
    open_notebook(page, lab.notebook_url("live.ipynb"))
    for index in range(3):
        _editor(page, index).click()
        page.keyboard.press("Control+Enter")
        wait_idle(page)
    wait_for_output(page, 2, "pixel (191, 0, 0, 255)")

    # Open the file beside the notebook, make it green, save: the running effect follows.
    page.locator(".jp-DirListing-itemText", has_text="live.hlsl").dblclick()
    editor = page.locator(".jp-FileEditor .cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(red.replace("float4(c.r, 0, 0, 1)", "float4(0, c.g, 0, 1)"))
    page.keyboard.press("Control+S")
    page.get_by_text("live.hlsl: swapped into live (live.ipynb)").wait_for()
    screenshot(page, shots, "1-saved-and-swapped")

    # A broken save says so, and the effect keeps running the last good shader.
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(red.replace("float4(c.r, 0, 0, 1)", "gain"))
    page.keyboard.press("Control+S")
    page.get_by_text("live.hlsl was saved but did not compile").first.wait_for()
    page.locator(".lm-TabBar-tab", has_text="live.ipynb").click()
    _editor(page, 2).click()
    page.keyboard.press("Control+Enter")
    wait_idle(page)
    wait_for_output(page, 2, "pixel (0, 191, 0, 255)")
    screenshot(page, shots, "2-kept-last-good")
    _editor(page, 0).click()
    page.keyboard.insert_text("runtime.stop()\n")


def _put_settings(lab: Lab, raw: str) -> None:
    request = urllib.request.Request(
        f"{lab.url}/lab/api/settings/@streamlib/jupyterlab:diagnostics",
        data=json.dumps({"raw": raw}).encode(),
        method="PUT",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 204


def test_compile_while_typing_can_be_turned_off(page: Any, lab: Lab, notebook: str) -> None:
    _put_settings(lab, json.dumps({"whileTyping": False}))
    try:
        open_notebook(page, notebook)
        _set_source(page, 1, "%%hlsl tint\n" + BROKEN, run=False)
        page.wait_for_timeout(2000)  # five typing pauses: a compile-as-you-type marker would be here by now
        assert cell(page, 1).locator(".cm-lintRange-error").count() == 0
        # Running the cell still marks the error.
        _editor(page, 0).click()
        page.keyboard.press("Control+Enter")
        _editor(page, 1).click()
        page.keyboard.press("Control+Enter")
        wait_for_output(page, 1, "failed to compile")
        cell(page, 1).locator(".cm-lintRange-error").first.wait_for()
    finally:
        _put_settings(lab, "{}")


def test_glsl_cell_highlighting_and_markers(page: Any, lab: Lab, notebook: str, shots: Path) -> None:
    open_notebook(page, notebook)
    page.wait_for_selector(".jp-Cell .cm-hlsl-keyword")
    # Typing a %%glsl magic turns the cell into a GLSL cell: its grammar, and the server compiles it as GLSL.
    _set_source(
        page,
        1,
        "%%glsl toy\nvoid mainImage(out vec4 o, in vec2 p) {\n    o = vec4(p / iResolution.xy, gain, 1.0);\n}",
        run=False,
    )
    live = cell(page, 1).locator(".cm-lintRange-error").first
    live.wait_for(timeout=15_000)
    assert live.text_content() == "gain" and _line_of(page, 1, ".cm-lintRange-error") == 3
    assert any("cm-hlsl-prelude" in c for c in _token_classes(page, 1, "iResolution"))
    assert any("cm-hlsl-magic" in c for c in _token_classes(page, 1, "%%glsl toy"))
    assert not any("cm-hlsl-semantic" in c for c in _token_classes(page, 1, "p")), "not read as HLSL"
    screenshot(page, shots, "glsl-marker")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(
        "%%glsl toy\nvoid mainImage(out vec4 o, in vec2 p) {\n    o = vec4(p / iResolution.xy, 0.0, 1.0);\n}"
    )
    live.wait_for(state="detached", timeout=15_000)
