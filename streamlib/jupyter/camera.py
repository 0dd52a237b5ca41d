"""`Camera()`: the browser's camera as a graph source (frames pushed into a `PushSource`)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from streamlib.errors import CameraError
from streamlib.nodes import PushSource

STATIC = Path(__file__).parent / "static"
_live: weakref.WeakSet[Camera] = weakref.WeakSet()
# A frame's ack waits for a preview to show it at most this long (a hidden or stalled preview).
ACK_WAIT_S = 0.5


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
    error = traitlets.Unicode("").tag(sync=True)
    device_label = traitlets.Unicode("").tag(sync=True)
    device_resolution = traitlets.Unicode("").tag(sync=True)
    actual_fps = traitlets.Float(0.0).tag(sync=True)

    def __init__(
        self, width: int = 640, height: int = 480, fps: float = 30.0, *, name: str = "camera"
    ) -> None:
        super().__init__(width=width, height=height, fps=fps)
        # No fallback: the preview shows nothing rather than a pattern until the camera's first frame.
        self.source = PushSource(width, height, fallback=None, name=name)
        self.frames_received = 0
        self.decode_errors = 0
        # Arrival times of frames whose ack waits until a preview has shown them.
        self._unshown: list[float] = []
        self._shown_lock = threading.Lock()
        self._paced_until = 0.0
        self.on_msg(self._on_message)
        _live.add(self)

    def _on_message(self, _: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        if message.get("type") != "frame" or not buffers:
            return
        try:
            # Decoded in Rust with the GIL released; the graph keeps only the newest frame.
            self.source.push_encoded(bytes(buffers[0]), 1.0)
            self.frames_received += 1
        except Exception as err:  # noqa: BLE001 - a bad frame must not kill the comm handler
            self.decode_errors += 1
            self.error = f"frame rejected: {err}"
        finally:
            self._ack_when_shown()

    def _ack_when_shown(self) -> None:
        # With a preview showing this camera's graph, a frame is acknowledged once a frame rendered after it
        # is drawn: the page's in-flight limit then bounds capture → draw, not only capture → kernel.
        if time.monotonic() < self._paced_until:
            with self._shown_lock:
                self._unshown.append(time.monotonic())
        else:
            self.send({"type": "ack"})

    def paced_by_preview(self) -> None:
        """A visible preview shows this camera's graph (called while it streams; lapses after a second)."""
        self._paced_until = time.monotonic() + 1.0

    def frames_shown(self, rendered_at: float | None) -> None:
        """Acks the frames that arrived before a frame rendered at `rendered_at` (monotonic) was drawn, and
        any that waited longer than `ACK_WAIT_S`."""
        now = time.monotonic()
        with self._shown_lock:
            done = [
                t
                for t in self._unshown
                if (rendered_at is not None and t <= rendered_at) or now - t > ACK_WAIT_S
            ]
            self._unshown = [t for t in self._unshown if t not in done]
        for _ in done:
            self.send({"type": "ack"})

    def check(self) -> None:
        if self.state in ("denied", "no-camera", "error"):
            raise CameraError(f"camera {self.state}: {self.error}")

    def stop(self) -> None:
        self.active = False


def cameras_feeding(runtime: object) -> Iterator[Camera]:
    """The live cameras whose source is in `runtime`."""
    return (camera for camera in list(_live) if camera.source.runtime is runtime)
