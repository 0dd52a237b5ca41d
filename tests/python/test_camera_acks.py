"""The Camera widget's kernel side: each frame is pushed into `camera.source` and acknowledged on arrival;
refused frames count as handled too (a preview reports `frames_handled` back to the page, which ends those
frames' time in flight). Messages go straight to the widget's handler; what it sends back is recorded."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("anywidget")

from streamlib.jupyter.camera import Camera, cameras_feeding  # noqa: E402
from streamlib.runtime import Runtime  # noqa: E402


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


def test_each_frame_is_pushed_and_acked_and_refusals_count_as_handled(camera: Any) -> None:
    idle = {"type": "ack", "wanted": False}  # no running graph reads the camera yet
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    assert camera.sent == [idle] and camera.source.pushed == 1
    camera._on_message(None, {"type": "frame"}, [jpeg(8, 8)])  # the wrong size: refused, still acked
    assert camera.sent == [idle] * 2 and camera.source.pushed == 1
    assert (camera.frames_received, camera.decode_errors, camera.frames_handled) == (1, 1, 2)
    assert "the source expects 32x16" in camera.error


def test_the_ack_asks_for_full_rate_only_while_a_running_graph_reads_the_camera(camera: Any) -> None:
    runtime = Runtime()
    runtime.add_stream(camera.source)
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    runtime.start(fps=30)
    try:
        camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    finally:
        runtime.stop()
    camera._on_message(None, {"type": "frame"}, [jpeg(32, 16)])
    assert [m["wanted"] for m in camera.sent] == [False, True, False]


def test_a_preview_finds_the_cameras_feeding_its_runtime(camera: Any) -> None:
    runtime = Runtime()
    assert list(cameras_feeding(runtime)) == []
    runtime.add_stream(camera.source)
    assert list(cameras_feeding(runtime)) == [camera]
    assert len(camera.key) == 16
