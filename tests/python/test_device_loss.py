"""Lost-device recovery: when the GPU device is lost under a running graph (here destroyed, as a driver reset
would lose it), the runtime recreates the device, the effects' pipelines and every texture, keeps the
parameter values, says so in its stats, and the frames carry on; swaps and one-shot primitives work after it.
"""

from __future__ import annotations

import numpy as np
import pytest

from streamlib import Effect, ImageSource, NumpySink, Runtime

from ..conftest import poll_until

TINT = """cbuffer params { float strength; };
float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(c.rgb * strength, c.a);
}"""
INVERT = """float4 main(float2 uv : TEXCOORD0) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, c.a);
}"""


@pytest.fixture()
def image() -> np.ndarray:
    pixels = np.random.default_rng(5).integers(0, 256, (48, 64, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    return pixels


def test_a_lost_device_is_recreated_and_the_graph_carries_on(image: np.ndarray) -> None:
    # A device of its own (another adapter preference): the loss must not reach other tests' objects.
    runtime = Runtime(low_power=True)
    effect, sink = Effect(TINT, name="tint"), NumpySink()
    runtime.connect(ImageSource(image), effect)
    runtime.connect(effect, sink)
    effect.set(strength=0.5)
    expected = np.round(image[..., :3] * 0.5)
    runtime.start(fps=None)
    try:
        assert np.abs(sink.wait(2, timeout=60)[..., :3] - expected).max() <= 1

        runtime.simulate_device_loss()
        poll_until(
            lambda: runtime.stats()["device_recoveries"] == 1, "the device to be recreated", timeout=60
        )
        stats = runtime.stats()
        assert stats["error"] is None and stats["running"]
        assert stats["device_lost"].startswith("the GPU device was lost at frame "), stats
        assert "(Destroyed)" in stats["device_lost"] and "1 effect pipeline(s)" in stats["device_lost"]

        # The new device renders the same picture: the still image re-uploaded, the strength kept.
        frame = sink.wait(runtime.stats()["frames"] + 2, timeout=60)
        assert np.abs(frame[..., :3] - expected).max() <= 1
        effect.set(strength=1.0)
        frame = sink.wait(runtime.stats()["frames"] + 2, timeout=60)
        assert np.abs(frame[..., :3].astype(int) - image[..., :3]).max() <= 1

        # A hot swap builds on the new device.
        effect.replace_shader(INVERT)
        frame = sink.wait(runtime.stats()["frames"] + 2, timeout=60)
        np.testing.assert_array_equal(frame[..., :3], 255 - image[..., :3])
        assert runtime.stats()["device_recoveries"] == 1
    finally:
        runtime.stop()

    # So do the one-shot primitives, and a run started afresh.
    texture = runtime.texture_from_numpy(image)
    np.testing.assert_array_equal(texture.to_numpy(), image)
    stats = runtime.run(3)
    assert stats["error"] is None and stats["device_recoveries"] == 0
    np.testing.assert_array_equal(sink.latest()[..., :3], 255 - image[..., :3])
