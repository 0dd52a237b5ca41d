"""The Camera widget's acks: with a preview showing its graph, a frame is acknowledged to the page only once a
frame rendered after it has been drawn (so the page's in-flight limit bounds capture → draw); without one,
at once; and never later than `ACK_WAIT_S`. The page is not involved: messages go straight to the widget's
handler, and what it sends back is recorded."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("anywidget")

from streamlib.jupyter.camera import ACK_WAIT_S, Camera  # noqa: E402


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 90, np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture()
def camera() -> Any:
    made = Camera(32, 16)
    sent: list[dict[str, Any]] = []
    made.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    made.sent = sent  # type: ignore[attr-defined]
    yield made
    made.close()


def test_without_a_preview_each_frame_is_acked_on_arrival(camera: Any) -> None:
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    assert camera.sent == [{"type": "ack"}] and camera.frames_received == 1
    assert camera.source.pushed == 1


def test_with_a_preview_the_ack_waits_until_a_later_frame_is_drawn(camera: Any) -> None:
    camera.paced_by_preview()
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    assert camera.sent == []
    camera.frames_shown(time.monotonic() - 10)  # a frame rendered before both arrived: nothing shown yet
    assert camera.sent == []
    camera.frames_shown(time.monotonic())
    assert camera.sent == [{"type": "ack"}, {"type": "ack"}]


def test_an_ack_never_waits_longer_than_the_limit(camera: Any) -> None:
    camera.paced_by_preview()
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    camera.frames_shown(None)
    assert camera.sent == []
    time.sleep(ACK_WAIT_S + 0.05)
    camera.frames_shown(None)
    assert camera.sent == [{"type": "ack"}]
