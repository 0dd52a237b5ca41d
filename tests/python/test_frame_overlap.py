"""Frames in flight: with two, the loop records frame N+1 while the GPU draws N, yet every frame arrives,
in order and with the same pixels as with one; a loop paced to its rate delivers each frame before it
sleeps, so overlap adds no latency there; the default follows the adapter; a bad setting is named."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from streamlib import Effect, GraphError, NumpySink, Runtime, TestPattern

from ..conftest import poll_until

# Moves with `time`, so every frame of the pattern differs from the one before.
SHIFT = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, frac(uv + float2(time * 0.37, 0)));
    return float4(c.bgr, 1);
}"""


def counted_run(frames_in_flight: int | None, frames: int) -> tuple[int, np.ndarray, dict[str, Any]]:
    """Frames the sink received, the last of them, and the run's stats."""
    runtime = Runtime()
    runtime.frames_in_flight = frames_in_flight
    effect, sink = Effect(SHIFT, name="shift"), NumpySink()
    runtime.connect(TestPattern(160, 90), effect)
    runtime.connect(effect, sink)
    stats = runtime.run(frames=frames)
    frame = sink.latest()
    assert frame is not None
    return sink.received, frame.copy(), stats


def test_two_frames_in_flight_deliver_every_frame_with_the_same_pixels_as_one() -> None:
    received_overlapped, last_overlapped, stats = counted_run(2, 9)
    received_serial, last_serial, serial_stats = counted_run(1, 9)
    assert received_overlapped == received_serial == 9
    assert (stats["frames"], stats["frames_in_flight"], serial_stats["frames_in_flight"]) == (9, 2, 1)
    np.testing.assert_array_equal(last_overlapped, last_serial)
    # The last frame is the ninth, not one before it left behind in flight.
    _, eighth, _ = counted_run(1, 8)
    assert not np.array_equal(last_overlapped, eighth)


def test_without_a_setting_a_cpu_adapter_runs_one_frame_at_a_time_and_a_gpu_two() -> None:
    runtime = Runtime()
    runtime.connect(TestPattern(32, 32), NumpySink())
    stats = runtime.run(frames=2)
    assert stats["frames_in_flight"] == (1 if runtime.adapter["device_type"] == "cpu" else 2)


def test_a_paced_loop_delivers_each_frame_before_it_sleeps() -> None:
    runtime = Runtime()
    runtime.frames_in_flight = 2
    sink = NumpySink()
    runtime.connect(TestPattern(64, 64), sink)
    runtime.start(fps=0.2)
    try:
        # Held in flight through the pause, the first frame would arrive only with the second, 5 s later.
        # The wait is tied to that frame time (4 of its 5 s left for a loaded machine to start the loop),
        # not to how fast a frame renders.
        poll_until(lambda: sink.received >= 1, "the first frame before the second is due", timeout=4)
        assert runtime.stats()["frames"] == 1
    finally:
        runtime.stop()


@pytest.mark.parametrize("value", [-1, 0, 3])
def test_frames_in_flight_outside_one_or_two_is_refused(value: int) -> None:
    runtime = Runtime()
    runtime.frames_in_flight = value
    runtime.connect(TestPattern(32, 32), NumpySink())
    with pytest.raises(GraphError, match=rf"frames_in_flight: expected 1 or 2, got {value}"):
        runtime.run(frames=1)
