"""The frame watchdog: an effect that loops 4e9 times per pixel is named, bypassed (its input passes through)
and the graph keeps delivering frames; `resume()` and a swap run it again; the budget travels in exported
configs, and `streamlib-runtime run` reports the bypass too."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib.binary
from streamlib import Effect, ImageSource, NumpySink, Runtime, TestPattern

from ..conftest import poll_until

# Without the loop bound this pass would run for hours on lavapipe (and hold the driver for every test).
RUNAWAY = """float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float acc = 0;
    for (uint i = 0; i < 4000000000u; i++) { acc = frac(acc * 1.37 + uv.x); }
    return float4(acc, 0, 0, 1);
}"""
INVERT = """float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, c.a);
}"""
# Far above an honest 128×128 pass (0.1 ms) and below the bounded runaway (470 ms; 2-core lavapipe).
BUDGET_MS = 50.0


@pytest.fixture()
def image() -> np.ndarray:
    pixels = np.random.default_rng(3).integers(0, 256, (128, 128, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    return pixels


def runaway_graph(source: np.ndarray | TestPattern) -> tuple[Runtime, Effect, NumpySink]:
    runtime = Runtime()
    runtime.watchdog_ms = BUDGET_MS
    effect, sink = Effect(RUNAWAY, name="runaway"), NumpySink()
    runtime.connect(source if isinstance(source, TestPattern) else ImageSource(source), effect)
    runtime.connect(effect, sink)
    return runtime, effect, sink


def next_frame(runtime: Runtime, sink: NumpySink) -> np.ndarray:
    """A frame rendered after this call (not one already on its way)."""
    return sink.wait(runtime.stats()["frames"] + 2, timeout=60)


def test_a_runaway_effect_is_bypassed_and_the_graph_carries_on(image: np.ndarray) -> None:
    runtime, effect, sink = runaway_graph(image)
    runtime.start(fps=None)
    try:
        overrun = poll_until(lambda: effect.bypassed, "the runaway effect to be bypassed", timeout=180)
        assert overrun["pass_ms"] > BUDGET_MS and overrun["budget_ms"] == BUDGET_MS
        assert overrun["message"].startswith("'runaway' is bypassed: its pass took ")
        stats = runtime.stats()
        assert stats["watchdog_ms"] == BUDGET_MS and stats["bypassed"] == {"runaway": overrun}
        assert stats["error"] is None

        # Frames keep coming, each the input passed through.
        before = stats["frames"]
        np.testing.assert_array_equal(next_frame(runtime, sink), image)
        poll_until(lambda: runtime.stats()["frames"] >= before + 5, "frames after the bypass", timeout=30)

        # Resumed, it is judged afresh, and bypassed again at a later frame.
        effect.resume()
        poll_until(
            lambda: (b := effect.bypassed) and b["frame"] > overrun["frame"],
            "a bypass after resume()",
            timeout=180,
        )

        # A new shader runs at once.
        effect.replace_shader(INVERT)
        assert effect.bypassed is None
        frame = next_frame(runtime, sink)
        np.testing.assert_array_equal(frame[..., :3], 255 - image[..., :3])
        assert runtime.stats()["bypassed"] == {}
    finally:
        runtime.stop()


def test_the_preview_names_the_bypassed_effect_under_the_picture() -> None:
    pytest.importorskip("anywidget")
    from streamlib.jupyter import Preview

    # A moving picture: a still one is sent once and then not again until it changes.
    runtime, effect, _ = runaway_graph(TestPattern(128, 128))
    preview = Preview(effect)
    frames: list[dict[str, Any]] = []

    def shown(content: dict[str, Any], buffers: Any = None) -> None:
        frames.append(content)
        preview._on_message(None, {"type": "ack"}, [])  # the page drew it

    preview.send = shown  # type: ignore[method-assign]
    try:
        preview._on_message(None, {"type": "ready", "view": "v1"}, [])
        poll_until(
            lambda: "'runaway' is bypassed" in preview.notice, "the notice under the picture", timeout=180
        )
        assert "over the watchdog's 50 ms budget" in preview.notice
        count = len(frames)
        poll_until(lambda: len(frames) > count + 3, "frames to keep reaching the page", timeout=30)

        effect.replace_shader(INVERT)
        poll_until(lambda: preview.notice == "", "the notice to clear after the swap", timeout=30)
    finally:
        preview.close()
        runtime.stop()


def test_honest_effects_are_never_blamed(image: np.ndarray) -> None:
    runtime = Runtime()
    runtime.watchdog_ms = BUDGET_MS
    effect, sink = Effect(INVERT), NumpySink()
    runtime.connect(ImageSource(image), effect)
    runtime.connect(effect, sink)
    stats = runtime.run(20)
    assert stats["bypassed"] == {} and effect.bypassed is None
    np.testing.assert_array_equal(sink.latest()[..., :3], 255 - image[..., :3])


def test_the_budget_is_exported_and_the_runtime_binary_reports_the_bypass(
    image: np.ndarray, tmp_path: Path
) -> None:
    runtime, _, _ = runaway_graph(image)
    config = runtime.export(tmp_path / "runaway.streamlib.json", targets=("vulkan",))
    assert '"watchdog_ms": 50.0' in config.read_text()
    assert streamlib.load(config).watchdog_ms == BUDGET_MS

    result = subprocess.run(
        [str(streamlib.binary.runtime_binary()), "run", str(config), "--frames", "4"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "watchdog: 'runaway' is bypassed: its pass took " in result.stdout, result.stdout
    assert "4 frames in" in result.stdout
