"""Every library compute effect (and one with a cbuffer array), on the same images, rendered by the kernel
(wgpu on lavapipe) and by the page (the shipped widget bundle's WebGPU renderer, from the WGSL naga makes of
the same SPIR-V, on Chromium's SwiftShader adapter): the pixels agree within 1/255 per channel.

Chromium offers WebGPU only in a secure context (the page is served from 127.0.0.1) and, headless without a
GPU, only with `--enable-unsafe-webgpu`; this test launches its own browser so, without `--disable-gpu`."""

from __future__ import annotations

import base64
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib
from streamlib import Effect
from streamlib.jupyter import inpage

from .lab import CHROMIUM, WEBGPU_ARGS
from .test_webgl_parity import BUNDLE, HEIGHT, IMAGES, WIDTH, _kernel, assert_like_the_kernel, render_in_page

ROOT = Path(__file__).resolve().parents[2]
#: Values away from the defaults, so a parameter the page packs at the wrong offset shows.
VALUES: dict[str, dict[str, Any]] = {
    "invert_compute": {"amount": 0.75},
    "posterize_compute": {"levels": 5},
    "threshold_compute": {},
    "gains": {"gains": [0.5, 1.5, 0.25, 1.0, 0.1, 0.2, 0.3, 0.0], "bias": 0.5},
}
#: A cbuffer array (16 bytes between elements in HLSL and WGSL alike) followed by a scalar.
GAINS = """Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;
cbuffer Params { float4 gains[2]; float bias; };
[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    uint w, h;
    output.GetDimensions(w, h);
    if (id.x >= w || id.y >= h) return;
    float4 c = input[id.xy];
    output[id.xy] = float4(c.rgb * gains[0].rgb + gains[1].rgb * bias, c.a);
}"""
#: WGSL cannot space an array of scalars 16 bytes apart: such a shader stays in the kernel.
SCALAR_ARRAY = (
    GAINS.replace("float4 gains[2]", "float gains[8]")
    .replace("gains[0].rgb", "gains[0]")
    .replace("gains[1].rgb", "gains[1]")
)


def _compute_effects() -> list[tuple[str, streamlib.Shader]]:
    found = []
    for path in sorted((ROOT / "shaders").glob("*.hlsl")):
        shader = streamlib.compile_file(path)
        if shader.stage == "compute":
            found.append((path.stem, shader))
    return [*found, ("gains", streamlib.compile(GAINS, name="gains"))]


EFFECTS = _compute_effects()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def webgpu_page(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("webgpu")
    (folder / "index.html").write_text("<!doctype html><title>webgpu</title>")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # A second Chromium from the session's Playwright: the shared one runs with --disable-gpu.
    webgpu = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=WEBGPU_ARGS)
    try:
        page = webgpu.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        bundle = base64.b64encode(BUNDLE.read_bytes()).decode()
        said = page.evaluate(
            """async (bundle) => {
                const module = await import(`data:text/javascript;base64,${bundle}`);
                try {
                    window.renderer = await module.createComputeRenderer();
                    return window.renderer.renderer;
                } catch (error) {
                    return `unavailable: ${error.message}`;
                }
            }""",
            bundle,
        )
        if said.startswith("unavailable"):
            pytest.skip(f"this Chromium gives the page no WebGPU ({said})")
        print(f"page renderer: {said}")
        yield page
    finally:
        webgpu.close()
        server.shutdown()


def _page_render(page: Any, effect: Effect, image: np.ndarray) -> np.ndarray:
    program = {
        "width": WIDTH,
        "height": HEIGHT,
        "passes": [inpage.compute_pass(effect, {port: "source" for port in effect.port_names("input")})],
    }
    return render_in_page(page, program, image)


def test_the_library_has_compute_effects_and_each_has_wgsl() -> None:
    assert {name for name, _ in EFFECTS} == set(VALUES)
    for name, shader in EFFECTS:
        assert "@compute" in shader.wgsl, name
    with pytest.raises(ValueError, match="only made for compute shaders"):
        _ = streamlib.compile_file(ROOT / "shaders" / "invert.hlsl").wgsl
    with pytest.raises(ValueError, match="16-byte array strides"):
        _ = streamlib.compile(SCALAR_ARRAY, name="scalar_array").wgsl


@pytest.mark.parametrize("picture", sorted(IMAGES))
def test_the_page_runs_every_compute_effect_like_the_kernel(webgpu_page: Any, picture: str) -> None:
    image = IMAGES[picture]
    renders = [
        (
            name,
            _kernel(shader, image, params=VALUES.get(name)),
            _page_render(webgpu_page, Effect(shader, name="fx", params=VALUES.get(name)), image),
        )
        for name, shader in EFFECTS
    ]
    assert_like_the_kernel(picture, renders, "compute effect")
