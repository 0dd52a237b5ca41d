"""The Camera widget's kernel side: each frame is pushed into `camera.source` and acknowledged on arrival,
naming the page's number of the last frame handled — except while a preview's frames carry the camera's count
to the page, when acks only refresh now and then; refused frames count as handled too (a preview reports
`frames_handled` back to the page, which ends those frames' time in flight). Messages go straight to the
widget's handler; what it sends back is recorded."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("anywidget")

from streamlib.jupyter import Preview  # noqa: E402
from streamlib.jupyter.camera import Camera, cameras_feeding  # noqa: E402
from streamlib.runtime import Runtime  # noqa: E402

from ..conftest import poll_until  # noqa: E402


def jpeg(width: int, height: int, shade: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), shade, np.uint8)).save(buffer, format="JPEG")
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
    def idle(number: int) -> dict[str, Any]:  # no running graph reads the camera yet
        return {"type": "ack", "handled": number, "wanted": False}

    camera._on_message(None, {"type": "frame", "number": 1}, [jpeg(32, 16)])
    assert camera.sent == [idle(1)] and camera.source.pushed == 1
    camera._on_message(None, {"type": "frame", "number": 2}, [jpeg(8, 8)])  # the wrong size: refused, acked
    assert camera.sent == [idle(1), idle(2)] and camera.source.pushed == 1
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


def test_while_a_preview_counts_the_camera_acks_only_refresh(camera: Any, monkeypatch: Any) -> None:
    clock = [100.0]
    monkeypatch.setattr("streamlib.jupyter.camera.clock", lambda: clock[0])
    camera._on_message(None, {"type": "shown", "value": True}, [])  # its page sees preview frames drawn
    camera._on_message(None, {"type": "frame", "number": 1}, [jpeg(32, 16)])
    camera.counted_by_preview()  # a preview frame with this camera's count is on its way to the page
    for number in range(2, 6):
        clock[0] += 0.15
        camera._on_message(None, {"type": "frame", "number": number}, [jpeg(32, 16)])
    assert [m["handled"] for m in camera.sent] == [1, 5], "one ack per 0.5 s, naming the last frame"
    clock[0] += 1.0  # the preview stopped counting: every frame is acked again
    for number in (6, 7):
        camera._on_message(None, {"type": "frame", "number": number}, [jpeg(32, 16)])
    assert [m["handled"] for m in camera.sent] == [1, 5, 6, 7]
    # Counted, but its page does not see the preview (another browser window): every frame is acked.
    camera._on_message(None, {"type": "shown", "value": False}, [])
    camera.counted_by_preview()
    for number in (8, 9):
        clock[0] += 0.1
        camera._on_message(None, {"type": "frame", "number": number}, [jpeg(32, 16)])
    assert [m["handled"] for m in camera.sent] == [1, 5, 6, 7, 8, 9]


@pytest.mark.parametrize("handler_lags", [False, True], ids=["prompt", "handler-lags"])
def test_preview_frames_with_new_camera_frames_go_unacked_and_stand_for_the_camera_acks(
    camera: Any, monkeypatch: Any, handler_lags: bool
) -> None:
    # The camera's clock stands still: how long a frame takes to render on a loaded machine must not decide
    # whether its ack is due.
    monkeypatch.setattr("streamlib.jupyter.camera.clock", lambda: 100.0)
    if handler_lags:
        # The comm handler is held up after the push (a loaded machine): the graph renders the frame and the
        # preview sends it meanwhile, and that frame must already carry the camera frame's count.
        push = camera.source.push_encoded

        def push_then_lag(data: bytes, timeout: float) -> None:
            push(data, timeout)
            time.sleep(0.3)

        monkeypatch.setattr(camera.source, "push_encoded", push_then_lag)
    runtime = Runtime()
    runtime.add_stream(camera.source)
    preview = Preview(camera.source, fps=30, max_in_flight=1)
    frames: list[dict[str, Any]] = []

    def page_receives(content: dict[str, Any], buffers: Any = None) -> None:
        if content.get("type") != "frame":
            return
        frames.append(content)
        if not content["paced_by_camera"]:  # as preview.js does: only these are acknowledged
            preview._on_message(None, {"type": "ack"}, [])

    preview.send = page_receives  # type: ignore[method-assign]
    preview._on_message(None, {"type": "ready", "view": "v1"}, [])
    camera._on_message(None, {"type": "shown", "value": True}, [])  # the camera's page draws the preview
    try:
        for number in range(1, 6):
            # A new picture each time: a still one is sent once more, lossless, then not until it moves.
            camera._on_message(None, {"type": "frame", "number": number}, [jpeg(32, 16, 40 * number)])
            poll_until(
                lambda n=number: any(f["cameras"].get(camera.key) == n for f in frames),
                f"the preview frame with camera frame {number}",
                timeout=30,
            )
        # One in flight at most, none of these acknowledged: they went because the camera paced them. (A frame
        # may carry a count one frame early, its camera frame still waiting in the source; the next frame
        # then carries the same count, is not paced by the camera, and is acknowledged.)
        paced = [f["cameras"][camera.key] for f in frames if f["paced_by_camera"]]
        assert paced == [1, 2, 3, 4, 5], [(f["cameras"], f["paced_by_camera"]) for f in frames]
        # Frame 1 came (as a rule) before a preview frame counted the camera; the rest rode on the preview's.
        assert [m["handled"] for m in camera.sent] in ([], [1]), camera.sent
    finally:
        preview.close()
        runtime.stop()
