"""Previews send what is seen: frames are scaled down on the GPU to the size the page reports it shows them
at (largest view, aspect kept), at full size when asked, and a still picture is sent once more as PNG and
then not again until it changes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("anywidget")

from streamlib import Effect, ImageSource, Runtime, TestPattern  # noqa: E402
from streamlib.jupyter import Preview  # noqa: E402

from ..conftest import poll_until

INVERT = """float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, c.a);
}"""


class Page:
    """What the page does with a preview: shows it in one view, acknowledges every frame it draws."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.frames: list[tuple[dict[str, Any], bytes]] = []
        preview.send = self.receive  # type: ignore[method-assign]
        preview._on_message(None, {"type": "ready", "view": "v1"}, [])

    def receive(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.frames.append((content, bytes(buffers[0])))
        self.preview._on_message(None, {"type": "ack"}, [])

    def shown_at(self, width: int, height: int) -> None:
        message = {"type": "display", "view": "v1", "width": width, "height": height}
        self.preview._on_message(None, message, [])

    def frame_sized(self, width: int, height: int) -> dict[str, Any]:
        """The first frame sent from now on at that size."""
        start = len(self.frames)
        found = poll_until(
            lambda: next(
                (c for c, _ in self.frames[start:] if (c["width"], c["height"]) == (width, height)), None
            ),
            f"a {width}x{height} frame",
            timeout=30,
        )
        return dict(found)


def test_frames_are_sent_at_the_size_they_are_shown_at() -> None:
    runtime = Runtime()
    effect = Effect(INVERT)
    runtime.connect(TestPattern(1280, 720), effect)
    preview = Preview(effect)
    page = Page(preview)
    try:
        full = page.frame_sized(1280, 720)  # no size reported yet: full size
        assert (full["full_width"], full["full_height"]) == (1280, 720)

        page.shown_at(640, 360)
        scaled = page.frame_sized(640, 360)
        assert (scaled["full_width"], scaled["full_height"]) == (1280, 720)
        # A view of another shape gets the frame fitted inside it, aspect kept.
        page.shown_at(500, 1000)
        page.frame_sized(500, 281)

        preview.full_resolution = True
        page.frame_sized(1280, 720)
        preview.full_resolution = False
        page.frame_sized(500, 281)
        # A view more than half the frame's size: a GPU scales to it; a CPU adapter sends the frame whole,
        # since scaling would cost its cores more than the encode it saves.
        page.shown_at(1000, 1000)
        page.frame_sized(*((1280, 720) if runtime.adapter["device_type"] == "cpu" else (1000, 563)))
        # Asked for at construction, too.
        other = Preview(effect, full_resolution=True)
        other_page = Page(other)
        other_page.shown_at(320, 180)
        count = len(other_page.frames)
        poll_until(lambda: len(other_page.frames) >= count + 5, "5 more frames", timeout=30)
        assert {(c["width"], c["height"]) for c, _ in other_page.frames[-3:]} == {(1280, 720)}
        other.close()
        # A view about as large as the frame gets it as it is.
        page.shown_at(1200, 700)
        page.frame_sized(1280, 720)
    finally:
        preview.close()
        runtime.stop()


# The same inversion writing rgba32float frames, which do not filter: scaled texel by texel instead.
INVERT_TO_FLOAT = """Texture2D<float4> input; [[spv::format_rgba32f]] RWTexture2D<float4> output;
[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = float4(1 - input[id.xy].rgb, input[id.xy].a); }"""
COPY = "float4 main(float2 uv : TEXCOORD0) : SV_Target { return tex2D(input, uv); }"
COPY_TO_FLOAT = INVERT_TO_FLOAT.replace("1 - input[id.xy].rgb", "input[id.xy].rgb")


@pytest.mark.parametrize(
    ("invert", "copy"),
    [(INVERT, COPY), (INVERT_TO_FLOAT, COPY_TO_FLOAT)],
    ids=["rgba8 filtered", "rgba32float loaded"],
)
def test_a_still_picture_is_sent_scaled_and_lossless_once_then_not_again_until_it_changes(
    invert: str, copy: str
) -> None:
    # 2×2 blocks of distinct colours: scaled to half size, each block becomes one exact pixel.
    blocks = np.random.default_rng(11).integers(0, 256, (32, 64, 4), dtype=np.uint8)
    blocks[..., 3] = 255
    image = blocks.repeat(2, axis=0).repeat(2, axis=1)
    runtime = Runtime()
    effect = Effect(invert)
    runtime.connect(ImageSource(image), effect)
    preview = Preview(effect)
    page = Page(preview)
    page.shown_at(64, 32)
    try:
        content = poll_until(
            lambda: next((c for c, _ in page.frames if c["mime"] == "image/png"), None),
            "a PNG frame",
            timeout=30,
        )
        assert (content["width"], content["height"]) == (64, 32), page.frames[-1][0]
        png = next(data for c, data in page.frames if c is content)
        pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
        np.testing.assert_array_equal(pixels[..., :3], 255 - blocks[..., :3])

        # The graph runs on; nothing new is sent while the picture stands still.
        sent, frames = len(page.frames), runtime.stats()["frames"]
        poll_until(lambda: runtime.stats()["frames"] > frames + 10, "10 more frames rendered", timeout=30)
        assert len(page.frames) == sent, [c["mime"] for c, _ in page.frames[sent:]]

        # A change is sent at once, as JPEG.
        effect.replace_shader(copy)
        poll_until(lambda: len(page.frames) > sent, "the changed picture to be sent", timeout=30)
        assert page.frames[sent][0]["mime"] == "image/jpeg"
    finally:
        preview.close()
        runtime.stop()
