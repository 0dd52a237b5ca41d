"""`Preview(fx, run="browser")` in a real JupyterLab and headless Chromium with the fake camera: the effect runs
in the page at the camera's rate, controls and hot swaps reach it, and it outlives its kernel."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Lab
from .lab import CHROMIUM, WEBGPU_ARGS
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
    wait_until,
    write_notebook,
)

EDGES = """%%hlsl edges
cbuffer Params { float strength; /* @range(0, 4) @default(1.5) */ };
float luma(float2 uv) { return dot(tex2D(input, uv).rgb, float3(0.2126, 0.7152, 0.0722)); }
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float2 t = 1.0 / resolution;
    float gx = luma(uv + float2(t.x, 0)) - luma(uv - float2(t.x, 0));
    float gy = luma(uv + float2(0, t.y)) - luma(uv - float2(0, t.y));
    float e = saturate(length(float2(gx, gy)) * strength * 4);
    return float4(e, e * 0.8, e * 0.2, 1);
}"""
CELLS = [
    "import os\nfrom streamlib import Effect, Runtime\nfrom streamlib.jupyter import Camera, Controls, Preview\n"
    "camera = Camera(640, 480, fps=30)\ncamera",
    EDGES,
    'runtime = Runtime()\neffect = Effect("edges")\nruntime.connect(camera.source, effect)\n'
    'in_page = Preview(effect, run="browser")\ndisplay(in_page, Controls(effect))\nprint("in-page ready")',
    'print(f"kernel pid {os.getpid()}")',
]
BLUE = "%%hlsl edges\nfloat4 main(float2 uv : TEXCOORD) : SV_Target {\n    return float4(0, 0, 1, 1);\n}"
BROKEN = "%%hlsl edges\nfloat4 main(float2 uv : TEXCOORD) : SV_Target {\n    return undefined_thing;\n}"
SPOTS = [(x, y) for x in range(8, 640, 32) for y in range(8, 480, 32)]


def _lit(page: Any) -> list[tuple[float, float, float]]:
    return [p for p in (sample(page, x, y, size=3, cell=2) for x, y in SPOTS) if p[0] > 60]


def _root(page: Any, attribute: str) -> str:
    return str(
        page.evaluate(
            f"() => document.querySelectorAll('.jp-Cell')[2].querySelector('.streamlib-preview').dataset.{attribute}"
        )
    )


def test_the_effect_runs_in_the_page_at_the_camera_rate(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "inpage.ipynb", CELLS)))
    run_all(page)
    wait_for_output(page, 2, "in-page ready")
    pid = int(wait_for_output(page, 3, "kernel pid").split("kernel pid ")[1].split()[0])
    wait_for_frames(page, minimum_fps=0, cell=2)
    assert _root(page, "run") == "browser"

    # The fake camera's moving picture through the edges effect, at the camera's own rate (the first test of
    # a session shares the CPU with JupyterLab's own start for a while: give the 2 s window time to settle).
    fast = wait_until(lambda: preview_state(page, cell=2)["fps"] >= 25, timeout=90)
    overlay = cell(page, 2).locator(".streamlib-preview-overlay").first.text_content() or ""
    screenshot(page, shots, "1-edges-in-the-page")
    assert fast, f"the in-page preview should keep the camera's 30 fps: {overlay}"
    assert "in page (WebGL2)" in overlay, overlay
    lit = _lit(page)
    assert lit, "no edges at all in the camera frame"
    assert all(p[0] + 25 >= p[1] >= p[2] - 25 for p in lit), lit[:5]

    # The slider drives the page's uniform: strength 0 leaves no edge anywhere.
    readout = cell(page, 2).locator(".widget-slider .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text("0")
    page.keyboard.press("Enter")
    dark = wait_until(lambda: not _lit(page), timeout=15)
    screenshot(page, shots, "2-strength-0")
    assert dark, f"strength 0 should leave no edges: {_lit(page)[:5]}"

    # A hot swap reaches the page; a broken one leaves the last good effect running there.
    replace_cell_source(page, 1, BLUE)
    blue = wait_until(lambda: (p := sample(page, 320, 240, cell=2))[2] > 200 and p[0] < 30, timeout=20)
    assert blue, f"the swapped shader never reached the page: {sample(page, 320, 240, cell=2)}"
    replace_cell_source(page, 1, BROKEN)
    cell(page, 1).locator(".streamlib-error").wait_for()
    before = preview_state(page, cell=2)["frame"]
    wait_until(lambda: preview_state(page, cell=2)["frame"] > before + 10, timeout=10)
    still = sample(page, 320, 240, cell=2)
    screenshot(page, shots, "3-broken-keeps-blue")
    assert still[2] > 200 and still[0] < 30, f"the page must keep its last good effect: {still}"

    # The kernel dies: the page keeps running the effect and says the kernel is gone.
    os.kill(pid, signal.SIGKILL)
    gone = wait_until(lambda: _root(page, "kernel") == "gone", timeout=20)
    assert gone, "the widget never noticed the kernel was gone"
    before = preview_state(page, cell=2)["frame"]
    advanced = wait_until(lambda: preview_state(page, cell=2)["frame"] > before + 30, timeout=10)
    status = cell(page, 2).locator(".streamlib-preview-status").first.text_content() or ""
    screenshot(page, shots, "4-kernel-gone")
    assert advanced, "the in-page preview stopped with its kernel"
    assert "kernel is gone" in status, status


PATTERN_CELLS = [
    "from streamlib import Effect, Runtime, TestPattern\nfrom streamlib.jupyter import Preview\n"
    'runtime = Runtime()\ninvert = Effect("invert.hlsl")\nruntime.connect(TestPattern(640, 360), invert)\n'
    'Preview(invert, run="browser")',
]


def test_the_test_pattern_runs_in_the_page_too(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "inpage-pattern.ipynb", PATTERN_CELLS)))
    run_all(page)
    wait_for_frames(page, minimum_fps=10, cell=0)
    screenshot(page, shots, "1-inverted-pattern")
    # The first colour bar is 0.75 grey, inverted 0.25; the last bar (x > 7/8) is 0.1 grey, inverted 0.9.
    first, last = sample(page, 30, 100, cell=0), sample(page, 620, 100, cell=0)
    assert all(60 <= c <= 68 for c in first), first
    assert all(226 <= c <= 232 for c in last), last
    # The moving box (white, inverted black) moves 4 px a frame as in the kernel's pattern.
    frame = preview_state(page, cell=0)["frame"]
    assert frame > 0


def preview_run(page: Any, cell: int) -> str:
    """Where cell `cell`'s preview runs its chain ("browser", or "kernel" after a fallback)."""
    return str(
        page.evaluate(
            f"() => document.querySelectorAll('.jp-Cell')[{cell}]?.querySelector('.streamlib-preview')?.dataset.run"
        )
    )


IMAGE_CELLS = [
    "import numpy as np\nfrom streamlib import Effect, ImageSource, Runtime\nfrom streamlib.jupyter import Preview\n"
    "pixels = np.zeros((360, 640, 4), np.uint8)\npixels[..., 3] = 255\n"
    "pixels[:, :320, 0] = 200\npixels[:, 320:, 2] = 40\n"
    'runtime = Runtime()\ninvert = Effect("invert.hlsl")\nruntime.connect(ImageSource(pixels), invert)\n'
    'Preview(invert, run="browser")',
]


def test_a_still_image_runs_in_the_page_too(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "inpage-image.ipynb", IMAGE_CELLS)))
    run_all(page)
    wait_for_frames(page, minimum_fps=5, cell=0)
    screenshot(page, shots, "1-inverted-image")
    # Left half (200, 0, 0) inverted: (55, 255, 255); right half (0, 0, 40): (255, 255, 215). Exact: PNG in,
    # no colour management, no premultiplication.
    assert sample(page, 100, 180, cell=0) == (55, 255, 255)
    assert sample(page, 500, 180, cell=0) == (255, 255, 215)
    run = preview_run(page, cell=0)
    assert run == "browser", "the image chain must run in the page, not fall back to the kernel"


VIDEO_CELLS = [
    "import numpy as np, tempfile, pathlib\n"
    "from streamlib import Effect, ImageSource, Runtime, VideoFileSink, VideoFileSource\n"
    "from streamlib.jupyter import Preview\n"
    "pixels = np.zeros((180, 320, 4), np.uint8)\npixels[..., 3] = 255\n"
    "pixels[:, :160, 0] = 200\npixels[:, 160:, 2] = 40\n"
    "movie = pathlib.Path(tempfile.mkdtemp()) / 'halves.mp4'\n"
    "writer = Runtime()\nwriter.connect(ImageSource(pixels), VideoFileSink(movie, fps=30))\n"
    "writer.run(frames=60)\n"
    'runtime = Runtime()\ninvert = Effect("invert.hlsl")\n'
    "runtime.connect(VideoFileSource(movie, loop=True), invert)\n"
    'Preview(invert, run="browser")',
]


def test_a_video_file_plays_in_the_page_through_the_effect(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "inpage-video.ipynb", VIDEO_CELLS)))
    run_all(page)
    # The file's own 30 fps, looping: well past a still picture's redraws.
    state = wait_for_frames(page, minimum_fps=10, cell=0)
    screenshot(page, shots, "1-inverted-video")
    run = preview_run(page, cell=0)
    assert run == "browser", "the video chain must run in the page, not fall back to the kernel"
    # Left half (200, 0, 0) inverted is (55, 255, 255), right half (0, 0, 40) is (255, 255, 215): through
    # H.264 4:2:0 and the browser's decoder, within a few levels.
    for (x, y), want in (((80, 90), (55, 255, 255)), ((240, 90), (255, 255, 215))):
        got = sample(page, x, y, size=9, cell=0)
        assert all(abs(g - w) <= 12 for g, w in zip(got, want, strict=True)), (x, y, got, state)


DENIED_CELLS = [
    "from streamlib import Effect, Runtime\nfrom streamlib.jupyter import Camera, Preview\n"
    "camera = Camera(640, 480)\ncamera",
    'runtime = Runtime()\ninvert = Effect("invert.hlsl")\nruntime.connect(camera.source, invert)\n'
    'Preview(invert, run="browser")',
    "print(f'state {camera.state}')",
]


def test_a_denied_camera_says_so_in_both_widgets_and_in_camera_state(
    browser: Any, lab: Lab, shots: Any
) -> None:
    from .lab import CHROMIUM, CHROMIUM_ARGS

    # Chromium's fake prompt answers "deny" to every camera request when told so: a browser of its own.
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--use-fake-ui-for-media-stream")]
    denying = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*args, "--use-fake-ui-for-media-stream=deny"]
    )
    try:
        page = denying.new_page(viewport={"width": 1400, "height": 1000})
        open_notebook(page, lab.notebook_url(write_notebook(lab.root, "denied.ipynb", DENIED_CELLS)))
        run_all(page)
        status = cell(page, 1).locator(".streamlib-preview-status").first
        wait_until(lambda: "denied" in (status.text_content() or ""), timeout=15)
        camera_info = page.locator(".streamlib-camera-info").first.text_content() or ""
        # The kernel hears the state between cells: ask again now that the page has been refused.
        cell(page, 2).click()
        page.keyboard.press("Shift+Enter")
        said = wait_for_output(page, 2, "state denied")
        screenshot(page, shots, "1-denied")
        assert said.strip() == "state denied", said
        assert "NotAllowedError" in camera_info, camera_info
        assert "camera denied" in (status.text_content() or ""), status.text_content()
    finally:
        denying.close()


STOPPED_CELLS = [*DENIED_CELLS[:2], "print(f'state {camera.state}: {camera.error}')"]


def test_a_camera_stopping_mid_stream_says_so(page: Any, lab: Lab, shots: Any) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "stopped.ipynb", STOPPED_CELLS)))
    run_all(page)
    wait_for_frames(page, minimum_fps=5, cell=1)
    # The device goes away: its track ends (what unplugging a webcam does to a live stream).
    page.evaluate(
        "() => { const video = document.querySelector('.streamlib-camera-video');"
        " video.srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended')); }"
    )
    status = cell(page, 1).locator(".streamlib-preview-status").first
    stopped = wait_until(lambda: "camera stopped" in (status.text_content() or ""), timeout=10)
    screenshot(page, shots, "1-stopped")
    assert stopped, status.text_content()
    cell(page, 2).click()
    page.keyboard.press("Shift+Enter")
    said = wait_for_output(page, 2, "state ")
    assert said.startswith("state stopped: the camera stopped mid-stream"), said


COMPUTE_CELLS = [
    "from streamlib import Effect, Runtime, TestPattern\nfrom streamlib.jupyter import Preview\n"
    'runtime = Runtime()\ninvert = Effect("invert_compute.hlsl")\nruntime.connect(TestPattern(640, 360), invert)\n'
    'preview = Preview(invert, run="browser")\npreview',
]


def _inverted_pattern(page: Any) -> None:
    # As the pixel form's: the first colour bar 0.75 grey inverted to 0.25, the last (0.1) to 0.9.
    first, last = sample(page, 30, 100, cell=0), sample(page, 620, 100, cell=0)
    assert all(60 <= c <= 68 for c in first), first
    assert all(226 <= c <= 232 for c in last), last


def _status(page: Any) -> str:
    return str(page.evaluate("() => document.querySelector('.streamlib-preview-status').textContent"))


def test_a_compute_chain_falls_back_to_the_kernel_where_the_page_has_no_webgpu(
    page: Any, lab: Lab, shots: Any
) -> None:
    # The browser tests' Chromium runs with --disable-gpu: WebGPU there has no adapter.
    open_notebook(
        page, lab.notebook_url(write_notebook(lab.root, "inpage-compute-kernel.ipynb", COMPUTE_CELLS))
    )
    run_all(page)
    wait_until(lambda: preview_run(page, 0) == "kernel", timeout=60)
    wait_for_frames(page, minimum_fps=1, cell=0)
    screenshot(page, shots, "1-kernel-fallback")
    status = wait_until(lambda: "runs in the kernel" in _status(page) and _status(page), timeout=30)
    assert "no adapter" in status, status
    _inverted_pattern(page)


@pytest.fixture()
def webgpu_page(browser: Any, lab: Lab) -> Iterator[Any]:
    """A page of a second Chromium, one that offers WebGPU (SwiftShader), from the same Playwright."""
    webgpu = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=WEBGPU_ARGS)
    page = webgpu.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(60_000)
    yield page
    webgpu.close()


def test_a_compute_chain_runs_in_the_page_through_webgpu(webgpu_page: Any, lab: Lab, shots: Any) -> None:
    page = webgpu_page
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "inpage-compute.ipynb", COMPUTE_CELLS)))
    run_all(page)
    wait_for_frames(page, minimum_fps=10, cell=0)
    screenshot(page, shots, "1-compute-in-the-page")
    assert preview_run(page, 0) == "browser"
    overlay = page.evaluate("() => document.querySelector('.streamlib-preview-overlay').textContent")
    assert "in page (WebGPU)" in overlay, overlay
    _inverted_pattern(page)
