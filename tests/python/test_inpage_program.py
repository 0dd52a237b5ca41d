"""What `Preview(fx, run="browser")` hands the page: the chain back to its source as GLSL ES passes, values
and control bindings kept in step with the kernel; and where the page cannot run a chain, the kernel does."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib

pytest.importorskip("anywidget")

from streamlib import (  # noqa: E402
    Effect,
    ImageSource,
    PushSource,
    Runtime,
    TestPattern,
    VideoFileSource,
)
from streamlib.jupyter import (  # noqa: E402
    Controls,
    Preview,
    inpage,  # noqa: E402
)

from ..conftest import pattern_movie  # noqa: E402

TWO_INPUTS = """Texture2D overlay;
float4 main(float2 uv : TEXCOORD) : SV_Target {
    return tex2D(input, uv) * overlay.Sample(input_sampler, uv);
}"""


def wait_for(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.02)
    return check()


@pytest.fixture()
def chain() -> tuple[Runtime, Effect, Effect]:
    runtime = Runtime()
    tint = Effect("tint.hlsl", name="tint", params={"strength": 0.25})
    vignette = Effect("vignette.hlsl", name="vignette")
    runtime.connect(TestPattern(320, 180, name="pattern"), tint)
    runtime.connect(tint, vignette)
    return runtime, tint, vignette


def test_the_program_runs_the_chain_in_order_from_its_source(chain: tuple[Runtime, Effect, Effect]) -> None:
    _, tint, vignette = chain
    program = inpage.program(vignette, fps=24)
    assert [p["name"] for p in program["passes"]] == ["tint", "vignette"]
    assert program["output"] == "vignette"
    source = program["source"]
    assert (source["kind"], source["width"], source["height"], source["fps"]) == (
        "test_pattern",
        320,
        180,
        24,
    )
    assert source["glsl"].startswith("#version 300 es") and f"uniform {source['block']}" in source["glsl"]
    first, second = program["passes"]
    assert first["textures"] == [{"binding": 16, "from": "source"}]
    assert second["textures"] == [{"binding": 16, "from": "tint"}]
    assert "sl_t16" in first["glsl"] and first["glsl"] == tint.shader.glsl_es
    strength = next(p for p in first["params"] if p["name"] == "strength")
    assert strength == {
        "name": "strength",
        "buffer": "Params",
        "type": "float",
        "array_length": None,
        "value": [0.25],
    }


def test_a_still_image_goes_to_the_page_as_the_png_the_kernel_decodes() -> None:
    pixels = np.random.default_rng(2).integers(0, 256, (12, 20, 4), dtype=np.uint8)
    runtime = Runtime()
    effect = Effect("invert.hlsl")
    runtime.connect(ImageSource(pixels, name="still"), effect)
    source = inpage.program(effect, fps=12)["source"]
    assert (source["kind"], source["width"], source["height"], source["fps"]) == ("image", 20, 12, 12)
    decoded = Image.open(io.BytesIO(base64.b64decode(source["png_base64"]))).convert("RGBA")
    np.testing.assert_array_equal(np.asarray(decoded), pixels)


def test_a_video_file_goes_to_the_page_whole_when_asked_and_a_large_one_stays_in_the_kernel(
    tmp_path: Path, monkeypatch: Any
) -> None:
    movie = pattern_movie(tmp_path / "pattern.mp4", 96, 64, frames=10)
    runtime = Runtime()
    effect = Effect("invert.hlsl")
    runtime.connect(VideoFileSource(movie, loop=True), effect)
    source = inpage.program(effect, fps=30)["source"]
    assert source == {"kind": "video", "width": 96, "height": 64, "loop": True, "name": "pattern.mp4"}
    assert inpage.video_bytes(effect) == movie.read_bytes()
    preview = Preview(effect, run="browser")
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    preview.send = lambda content, buffers=None: sent.append((content, buffers or []))  # type: ignore[method-assign]
    try:
        preview._on_page_message(None, {"type": "video-request"}, [])
        assert sent == [({"type": "video"}, [movie.read_bytes()])]
    finally:
        preview.close()
    monkeypatch.setattr(inpage, "MAX_VIDEO_BYTES", 100)
    too_large = r"pattern.mp4' is 0\.0 MB: the page plays video files of up to"
    with pytest.raises(inpage.NotInPage, match=too_large):
        inpage.program(effect, fps=30)


def test_a_second_input_is_bound_to_its_own_texture() -> None:
    runtime = Runtime()
    blend = Effect(streamlib.compile(TWO_INPUTS, name="blend"), name="blend")
    pattern = TestPattern(64, 64, name="pattern")
    runtime.connect(pattern, blend)
    runtime.connect(pattern, blend.inputs["overlay"])
    program = inpage.program(blend, fps=30)
    assert sorted(t["binding"] for t in program["passes"][0]["textures"]) == [16, 17]


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda: (PushSource(8, 8), "invert.hlsl"), "PushSource"),
        (lambda: (TestPattern(64, 64), "invert.hlsl", "invert_compute.hlsl"), "mixes pixel effects"),
    ],
)
def test_a_chain_the_page_cannot_run_is_refused_with_the_reason(make: Any, why: str) -> None:
    source, *shaders = make()
    runtime = Runtime()
    node = source
    for shader in shaders:
        effect = Effect(shader)
        runtime.connect(node, effect)
        node = effect
    with pytest.raises(inpage.NotInPage, match=why):
        inpage.program(node, fps=30)


def test_the_preview_falls_back_to_the_kernel_and_says_why() -> None:
    runtime = Runtime()
    pixel, compute = Effect("invert.hlsl"), Effect("invert_compute.hlsl")
    runtime.connect(TestPattern(64, 64), pixel)
    runtime.connect(pixel, compute)
    preview = Preview(compute, run="browser")
    try:
        assert preview.run == "kernel"
        assert preview.notice.startswith("runs in the kernel: ") and "compute" in preview.notice
        assert runtime.is_running  # the kernel path took over
    finally:
        preview.close()
        runtime.stop()


def test_a_compute_chain_goes_to_the_page_as_wgsl_and_falls_back_when_the_page_cannot_run_it() -> None:
    runtime = Runtime()
    effect = Effect("posterize_compute.hlsl", params={"levels": 5})
    runtime.connect(TestPattern(64, 64), effect)
    preview = Preview(effect, run="browser")
    try:
        assert preview.run == "browser" and preview.program["api"] == "webgpu"
        [one] = preview.program["passes"]
        assert "@compute" in one["wgsl"] and one["values"] == {"levels": [5.0]}
        assert one["textures"] == [{"binding": 16, "from": "source"}]
        assert not runtime.is_running  # nothing to render in the kernel while the page runs the chain
        # The page found no WebGPU adapter: the kernel takes the chain over and says why.
        preview._on_page_message(None, {"type": "page-cannot-run", "reason": "no adapter here"}, [])
        assert preview.run == "kernel" and preview.notice == "runs in the kernel: no adapter here"
        assert runtime.is_running
    finally:
        preview.close()
        runtime.stop()


def test_values_swaps_and_controls_reach_the_page(chain: tuple[Runtime, Effect, Effect]) -> None:
    runtime, tint, vignette = chain
    preview = Preview(vignette, run="browser")
    sent: list[dict[str, Any]] = []
    preview.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    try:
        assert preview.run == "browser" and not runtime.is_running  # nothing runs in the kernel for it
        assert wait_for(lambda: any(m["type"] == "tick" for m in sent)), sent

        tint.set(strength=0.75)
        params = wait_for(lambda: [m for m in sent if m["type"] == "params"])
        assert params == [{"type": "params", "pass": "tint", "values": {"strength": [0.75]}}]

        before = preview.program["passes"][1]["glsl"]
        vignette.replace_shader("grayscale.hlsl")
        assert wait_for(lambda: preview.program.get("generation") == 1)
        assert preview.program["passes"][1]["glsl"] != before

        controls = Controls(tint)
        bindings = wait_for(lambda: preview.bindings)
        slider = controls.controls["strength"]
        assert {
            "pass": "tint",
            "param": "strength",
            "model_id": slider.model_id,
            "kind": "scalar",
        } in bindings
        assert any(b["kind"] == "color" and b["param"] == "tint" for b in bindings), bindings
    finally:
        preview.close()


def test_a_page_that_cannot_compile_the_chain_is_named_in_the_error(
    chain: tuple[Runtime, Effect, Effect],
) -> None:
    _, _, vignette = chain
    preview = Preview(vignette, run="browser")
    try:
        preview._on_page_message(None, {"type": "program-error", "message": "ERROR: 0:12: 'x'"}, [])
        assert preview.error == "the page kept its last good effect: ERROR: 0:12: 'x'"
        preview._on_page_message(None, {"type": "program-ok", "generation": 0}, [])
        assert preview.error == ""
    finally:
        preview.close()
