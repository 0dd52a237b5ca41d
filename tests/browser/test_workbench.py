"""The notebook workbench in a real JupyterLab and headless Chromium: preview, hot swap, controls, camera."""

from __future__ import annotations

from typing import Any

from .conftest import Lab
from .lab_helpers import (
    cell,
    open_notebook,
    preview_state,
    replace_cell_source,
    run_all,
    sample,
    screenshot,
    wait_for_frames,
    wait_for_output,
    wait_idle,
    wait_until,
)

# Inside the first colour bar (0.75 grey) of the 640×360 test pattern, clear of the stamp and moving box.
BAR = (30, 100)
GOOD_GREEN = (
    "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * float4(0, 1, 0, 1);\n}"
)
BROKEN = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return tex2D(input, uv) * tint;\n}"


def red(pixel: tuple[float, float, float]) -> bool:
    return pixel[0] > 150 and pixel[1] < 20 and pixel[2] < 20


def green(pixel: tuple[float, float, float]) -> bool:
    return pixel[1] > 150 and pixel[0] < 20 and pixel[2] < 20


def test_tutorial_01_preview_hot_swap_and_error_card(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url("01-first-effect.ipynb"))
    run_all(page)
    wait_for_output(page, 7, "green and blue are zero everywhere: True")
    state = wait_for_frames(page, minimum_fps=0, cell=3)
    wait_until(lambda: preview_state(page, cell=3)["fps"] > 0, timeout=30)
    screenshot(page, shots, "1-run-all")
    pixel = sample(page, *BAR, cell=3)
    assert red(pixel), f"red tint expected at {BAR}, got {pixel}"
    # The overlay repaints at most every 250 ms (preview.js): read until it shows the frames counted.
    overlay = cell(page, 3).locator(".streamlib-preview-overlay").first
    text = wait_until(lambda: (t := overlay.text_content() or "") and float(t.split(" fps")[0]) > 0 and t)
    assert text, overlay.text_content()
    assert state["width"] == 640 and state["height"] == 360

    # Break the shader: the card names line 2, the preview keeps the last good effect.
    replace_cell_source(page, 3, "%%hlsl red_tint --preview\n" + BROKEN)
    card = cell(page, 3).locator(".streamlib-error")
    card.wait_for()
    text = card.text_content() or ""
    assert "line 2" in text and "'tint'" in text, text
    wait_for_frames(page, cell=3)
    before = preview_state(page, cell=3)["frame"]
    advanced = wait_until(lambda: preview_state(page, cell=3)["frame"] > before + 3, timeout=30)
    screenshot(page, shots, "2-broken-keeps-last-good")
    assert advanced, (
        f"the preview stopped after a failed compile: {preview_state(page, cell=3)}, was {before}"
    )
    pixel = sample(page, *BAR, cell=3)
    assert red(pixel), f"the last good shader must keep running after a failed compile, got {pixel}"

    # Fix it with a different effect: the preview switches.
    replace_cell_source(page, 3, "%%hlsl red_tint --preview\n" + GOOD_GREEN)
    wait_for_frames(page, cell=3)
    switched = wait_until(lambda: green(sample(page, *BAR, cell=3)), timeout=30)
    screenshot(page, shots, "3-fixed-green")
    assert switched, f"preview never switched to the new shader: {sample(page, *BAR, cell=3)}"


def test_controls_slider_changes_the_preview(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url("02-parameters-and-controls.ipynb"))
    cell(page, 1).click()
    for _ in range(3):  # imports, the %%hlsl tint cell, the preview + controls cell
        page.keyboard.press("Shift+Enter")
    wait_idle(page)
    wait_for_frames(page)
    wait_until(lambda: sample(page, *BAR)[1] < 160, timeout=30)
    before = sample(page, *BAR)
    screenshot(page, shots, "1-default-strength")
    # strength 0.5, tint (1, 0.4, 0): green is scaled to 0.7 of the grey bar, blue to 0.5.
    assert 120 < before[1] < 150 and 80 < before[2] < 110, before
    readout = page.locator(".widget-slider .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("0")
    page.keyboard.press("Enter")
    after = wait_until(lambda: (p := sample(page, *BAR))[1] > 180 and p, timeout=30)
    screenshot(page, shots, "2-strength-0")
    assert after, f"moving the slider did not change the preview: {sample(page, *BAR)}"
    assert after[2] > 180, after


def test_camera_frames_go_through_an_effect_to_the_preview(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url("03-camera-effects.ipynb"))
    cell(page, 1).click()
    for _ in range(3):  # camera widget, %%hlsl edges, graph + preview
        page.keyboard.press("Shift+Enter")
    wait_idle(page)
    info = page.locator(".streamlib-camera-info").first
    wait_until(
        lambda: "fps sent" in (info.text_content() or "") and "0.0 fps" not in (info.text_content() or "")
    )
    text = info.text_content() or ""
    assert "640×480" in text and "fps sent" in text, text
    # Chromium has Worker + OffscreenCanvas: frames are encoded off the main thread.
    assert page.locator(".streamlib-camera").first.get_attribute("data-encoder") == "worker"
    wait_for_frames(page, minimum_fps=0, cell=3)
    spots = ((160, 120), (320, 240), (480, 360))
    first = [sample(page, x, y, size=9, cell=3) for x, y in spots]
    moved = wait_until(lambda: [sample(page, x, y, size=9, cell=3) for x, y in spots] != first, timeout=20)
    screenshot(page, shots, "1-edges-of-the-fake-camera")
    assert moved, "the fake camera's moving picture never changed the preview"
    # The edges effect writes (e, 0.8e, 0.2e): wherever it is lit, red ≥ green ≥ blue.
    grid = [sample(page, x, y, size=3, cell=3) for x in range(8, 640, 24) for y in range(8, 480, 24)]
    lit = [p for p in grid if p[0] > 60]
    assert lit, "no edges at all in the camera frame"
    assert all(p[0] + 25 >= p[1] >= p[2] - 25 for p in lit), lit[:5]
    # Both paths side by side: the in-page one (second canvas of cell 5) runs the same effect on the same
    # camera; each overlay says how long a camera frame takes to reach the screen.
    cell(page, 5).click()
    page.keyboard.press("Shift+Enter")
    # Canvases on the page: cell 3's preview, then cell 5's second view of it and the in-page preview.
    page.locator(".jp-Cell").nth(5).scroll_into_view_if_needed()
    wait_for_frames(page, minimum_fps=0, index=2)
    overlays = page.locator(".jp-Cell").nth(5).locator(".streamlib-preview-overlay")
    wait_until(lambda: "camera→screen" in (overlays.nth(0).text_content() or ""), timeout=20)
    screenshot(page, shots, "2-kernel-and-page-side-by-side")
    kernel_overlay, page_overlay = (overlays.nth(i).text_content() or "" for i in (0, 1))
    assert "camera→screen" in kernel_overlay, kernel_overlay
    assert "in page (WebGL2)" in page_overlay and " ms" in page_overlay, page_overlay
    grid = [sample(page, x, y, size=3, index=2) for x in range(8, 640, 48) for y in range(8, 480, 48)]
    assert any(p[0] > 60 for p in grid), "the in-page preview shows no edges"
    # The kernel says where the frames came from: the browser's (fake) camera, not the fallback pattern.
    cell(page, 7).click()
    page.keyboard.press("Shift+Enter")
    said = wait_for_output(page, 7, "camera ")
    screenshot(page, shots, "3-kernel-saw-camera-frames")
    assert said.startswith("camera running:") and "(showing the test pattern)" not in said, said
    received = int(said.split(": ")[1].split(" frames")[0])
    assert received > 10, said
