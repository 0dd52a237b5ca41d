"""`Camera()`: the browser's camera as a graph source (frames pushed into a `PushSource`)."""

from __future__ import annotations

import secrets
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from streamlib.errors import CameraError
from streamlib.jupyter import streaming
from streamlib.nodes import PushSource

STATIC = Path(__file__).parent / "static"
_live: weakref.WeakSet[Camera] = weakref.WeakSet()
# While a kernel-path preview's frames carry this camera's count of frames handled and the camera's page says
# it sees them drawn, those counts end the frames' time in flight there; an ack per frame would add a message
# to the page per frame, which measurably slowed the camera round trip. Acks then only refresh `wanted` and
# the count this often.
ACK_REFRESH_S = 0.5
# What ack timing is measured with (a test steps it by hand).
clock = time.monotonic
# The page's frames and its notes on whether it sees them drawn: a stream, not work (`streaming`).
STREAMED_MESSAGES = frozenset({"frame", "shown"})


class Camera(anywidget.AnyWidget):
    """Opens the browser camera (getUserMedia) and feeds its frames to `camera.source`.

    `state` is "idle", "running", "stopped", "denied", "no-camera" or "error"; `error` says why;
    `check()` raises `CameraError` in the failure states. `stop()` releases the camera."""

    _esm = STATIC / "camera.js"
    width = traitlets.Int(640).tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    fps = traitlets.Float(30.0).tag(sync=True)
    quality = traitlets.Int(80).tag(sync=True)
    max_in_flight = traitlets.Int(2).tag(sync=True)
    active = traitlets.Bool(True).tag(sync=True)
    state = traitlets.Unicode("idle").tag(sync=True)
    #: Names this camera in the frame messages of a preview showing its graph (see `preview.js`).
    key = traitlets.Unicode().tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    device_label = traitlets.Unicode("").tag(sync=True)
    device_resolution = traitlets.Unicode("").tag(sync=True)
    actual_fps = traitlets.Float(0.0).tag(sync=True)

    def __init__(
        self, width: int = 640, height: int = 480, fps: float = 30.0, *, name: str = "camera"
    ) -> None:
        super().__init__(width=width, height=height, fps=fps, key=secrets.token_hex(8))
        # No fallback: the preview shows nothing rather than a pattern until the camera's first frame.
        self.source = PushSource(width, height, fallback=None, name=name)
        self.frames_received = 0
        self.decode_errors = 0
        self._counted_at = self._acked_at = -float("inf")
        # The camera's page sees preview frames with its count drawn (it says so when that starts and stops).
        self._shown_in_page = False
        self.on_msg(self._on_message)
        streaming.stream_messages(self, STREAMED_MESSAGES)
        _live.add(self)

    def _on_message(self, _: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        if message.get("type") == "shown":
            self._shown_in_page = bool(message.get("value"))
            return
        if message.get("type") != "frame" or not buffers:
            return
        # The page numbers its frames; an ack names the last one handled, so one ack stands for all before it.
        number = message.get("number")
        # Counted before the push: the graph can render the frame, and a preview send it on with the count it
        # reads, before the push returns.
        self.frames_received += 1
        try:
            # Only the JPEG header is read here; the frame loop decodes the pixels, off this comm handler.
            self.source.push_encoded(bytes(buffers[0]), 1.0)
        except Exception as err:  # noqa: BLE001 - a bad frame must not kill the comm handler
            self.frames_received -= 1
            self.decode_errors += 1
            self.error = f"frame rejected: {err}"
        finally:
            now = clock()
            thinned = self._shown_in_page and now - self._counted_at <= ACK_REFRESH_S
            if not thinned or now - self._acked_at > ACK_REFRESH_S:
                self._acked_at = now
                # While no running graph reads the camera (an in-page preview alone needs nothing from the
                # kernel), the page sends only a trickle, sparing its CPU for what is on screen.
                runtime = self.source.runtime
                wanted = runtime is not None and runtime.is_running
                handled = number if isinstance(number, int) else self.frames_handled
                self.send({"type": "ack", "handled": handled, "wanted": wanted})

    def counted_by_preview(self) -> None:
        """A preview frame carrying this camera's `frames_handled` is on its way to the page."""
        self._counted_at = clock()

    @property
    def frames_handled(self) -> int:
        """Frames that reached the kernel, pushed or refused: what a preview reports back to the page."""
        return self.frames_received + self.decode_errors

    def check(self) -> None:
        if self.state in ("denied", "no-camera", "error"):
            raise CameraError(f"camera {self.state}: {self.error}")

    def stop(self) -> None:
        self.active = False

    def close(self) -> None:
        streaming.forget(self)
        super().close()


def live_cameras() -> Iterator[Camera]:
    return iter(list(_live))


def cameras_feeding(runtime: object) -> Iterator[Camera]:
    """The live cameras whose source is in `runtime`."""
    return (camera for camera in list(_live) if camera.source.runtime is runtime)
