"""The built-in test pattern's picture, pixel for pixel: eight colour bars (bar = floor(8x / width)), a
grey ramp below two thirds of the height, the moving box and the binary frame stamp."""

from __future__ import annotations

import numpy as np
import pytest

from streamlib import NumpySink, Runtime, TestPattern

BARS = np.array(
    [[0.75, 0.75, 0.75], [0.75, 0.75, 0], [0, 0.75, 0.75], [0, 0.75, 0]]
    + [[0.75, 0, 0.75], [0.75, 0, 0], [0, 0, 0.75], [0.1, 0.1, 0.1]]
)


def expected(width: int, height: int, index: int) -> np.ndarray:
    x = np.arange(width)
    y = np.arange(height)[:, None]
    bars = np.broadcast_to(BARS[np.minimum(x * 8 // width, 7)], (height, width, 3))
    ramp = np.broadcast_to((x / max(width - 1, 1))[:, None].repeat(3, axis=1), (height, width, 3))
    rgb = np.where((y < height * 2 // 3)[..., None], bars, ramp).copy()
    box_x, box_y = index * 4 % width, height // 2
    rgb[box_y : box_y + 32, box_x : box_x + 32] = 1.0
    bits = (index >> (31 - np.arange(256) // 8)) & 1
    rgb[:8, :256] = bits[:, None].astype(float)
    return np.round(rgb * 255).astype(np.int16)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (333, 200)])
def test_the_pattern_is_the_picture_it_describes(width: int, height: int) -> None:
    runtime = Runtime()
    sink = NumpySink()
    runtime.connect(TestPattern(width, height), sink)
    runtime.run(6)
    frame = sink.wait(5).astype(np.int16)
    difference = np.abs(frame[..., :3] - expected(width, height, 5))
    # The ramp is the one place a rasteriser's float rounding may differ by one level.
    assert difference.max() <= 1, np.argwhere(difference > 1)[:5]
    assert (frame[..., 3] == 255).all()
