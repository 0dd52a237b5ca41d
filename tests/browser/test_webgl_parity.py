"""Every library pixel effect and every tutorial effect, on the same images, rendered by the kernel (wgpu on
lavapipe) and by the page (the shipped widget bundle's WebGL2 renderer on Chromium's SwiftShader): the
pixels agree within 1/255 per channel."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib
from streamlib import Effect, ImageSource, NumpySink, Runtime
from streamlib.jupyter import inpage

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "streamlib" / "jupyter" / "static" / "preview.js"
WIDTH, HEIGHT = 160, 96


def _images() -> dict[str, np.ndarray]:
    """A smooth, noisy picture (filters, colour maths) and a hard-edged one (edge detectors, pixelation)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    smooth = np.stack(
        [x / WIDTH, y / HEIGHT, 0.5 + 0.5 * np.sin(x / 9.0) * np.cos(y / 7.0)], axis=-1
    ) + rng.normal(0, 0.05, (HEIGHT, WIDTH, 3))
    edges = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    edges[:, : WIDTH // 3] = (0.9, 0.2, 0.1)
    edges[HEIGHT // 2 :, WIDTH // 3 :] = (0.1, 0.7, 0.95)
    edges[10:40, 60:100] = (1.0, 1.0, 1.0)
    pictures = {}
    for name, rgb in (("smooth", smooth), ("edges", edges)):
        rgba = np.concatenate([np.clip(rgb, 0, 1), np.ones((HEIGHT, WIDTH, 1), np.float32)], axis=-1)
        pictures[name] = (rgba * 255 + 0.5).astype(np.uint8)
    return pictures


def _effects() -> list[tuple[str, streamlib.Shader]]:
    """The library's pixel effects and the tutorials' %%hlsl cells that compile to the pixel form."""
    found = []
    for path in sorted((ROOT / "shaders").glob("*.hlsl")):
        shader = streamlib.compile_file(path)
        if shader.stage == "pixel":
            found.append((f"library/{path.stem}", shader))
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            text = "".join(cell["source"])
            if cell["cell_type"] != "code" or not text.startswith("%%hlsl"):
                continue
            header, _, body = text.partition("\n")
            shader = streamlib.compile(body, name=header.split()[1])
            if shader.stage == "pixel":
                found.append((f"{notebook.stem}/{shader.name}", shader))
    return found


EFFECTS = _effects()
IMAGES = _images()


def _kernel(
    shader: streamlib.Shader, image: np.ndarray, params: dict[str, float] | None = None
) -> np.ndarray:
    runtime = Runtime()
    effect = Effect(shader, name="fx", params=params)
    sink = NumpySink(name="out")
    runtime.connect(ImageSource(image, name="picture"), effect)
    runtime.connect(effect, sink)
    runtime.run(frames=1)
    frame = sink.latest()
    assert frame is not None
    return frame


def render_in_page(page: Any, program: dict[str, Any], image: np.ndarray) -> np.ndarray:
    """`image` through `program` by the page's `window.renderer` (WebGL2's or WebGPU's), read back."""
    pixels = page.evaluate(
        """async ([program, data]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            await window.renderer.setProgram(program);
            window.renderer.render({ frame: { data: bytes }, index: 0, time: 0 });
            const out = await window.renderer.readPixels();
            let text = "";
            for (let i = 0; i < out.length; i += 0x8000) text += String.fromCharCode(...out.subarray(i, i + 0x8000));
            return btoa(text);
        }""",
        [program, base64.b64encode(image.tobytes()).decode()],
    )
    return np.frombuffer(base64.b64decode(pixels), np.uint8).reshape(HEIGHT, WIDTH, 4)


def assert_like_the_kernel(
    picture: str, renders: list[tuple[str, np.ndarray, np.ndarray]], what: str
) -> None:
    """Each (name, kernel pixels, page pixels) within 1/255 per channel; prints the worst and the spread."""
    worst: dict[str, int] = {}
    spread: Counter[int] = Counter()
    for name, kernel, page in renders:
        diff = np.abs(kernel.astype(np.int16) - page.astype(np.int16))
        worst[name] = int(diff.max())
        spread.update(Counter(diff.ravel().tolist()))
    total = sum(spread.values())
    print(f"\n{picture}: max |kernel - page| per {what} (of 255): {worst}")
    print(
        "distribution over all channels: "
        + ", ".join(f"{d}: {n / total:.4%}" for d, n in sorted(spread.items()))
    )
    over = {name: d for name, d in worst.items() if d > 1}
    assert not over, f"{what}s differ by more than 1/255 between the kernel and the page: {over}"


def _page_render(page: Any, shader: streamlib.Shader, image: np.ndarray) -> np.ndarray:
    effect = Effect(shader, name="fx")
    every_input_from_the_source = {port: "source" for port in effect.port_names("input")}
    program = {
        "source": {"kind": "image", "width": WIDTH, "height": HEIGHT},
        "passes": [inpage.effect_pass(effect, every_input_from_the_source)],
        "output": "fx",
    }
    return render_in_page(page, program, image)


@pytest.fixture(scope="module")
def renderer_page(browser: Any) -> Any:
    page = browser.new_page()
    page.goto("about:blank")
    bundle = base64.b64encode(BUNDLE.read_bytes()).decode()
    renderer = page.evaluate(
        """async (bundle) => {
            const module = await import(`data:text/javascript;base64,${bundle}`);
            const canvas = document.createElement("canvas");
            document.body.append(canvas);
            window.renderer = module.createRenderer(canvas);
            return window.renderer.renderer;
        }""",
        bundle,
    )
    print(f"page renderer: {renderer}")
    yield page
    page.close()


def test_there_is_something_to_compare() -> None:
    names = [name for name, _ in EFFECTS]
    assert len([n for n in names if n.startswith("library/")]) >= 10, names
    assert any(not n.startswith("library/") for n in names), names


@pytest.mark.parametrize("picture", sorted(IMAGES))
def test_the_page_renders_every_effect_like_the_kernel(renderer_page: Any, picture: str) -> None:
    image = IMAGES[picture]
    renders = [
        (name, _kernel(shader, image), _page_render(renderer_page, shader, image)) for name, shader in EFFECTS
    ]
    assert_like_the_kernel(picture, renders, "effect")
