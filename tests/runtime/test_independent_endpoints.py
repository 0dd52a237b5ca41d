"""streamlib's WebRTC clients against endpoints that are not streamlib: a `WhipSink` publishes to, and a
`WhepSource` plays from, WHIP/WHEP endpoints whose WebRTC side is aiortc (`aiortc_endpoints.py`). Janus, the
media server the issue names, has no WHIP/WHEP front in Debian 12 and `simple-whip-server` is not on npm."""

from __future__ import annotations

import numpy as np
import pytest

from streamlib import Effect, NumpySink, Runtime, TestPattern, WhepSource, WhipSink

from ..conftest import poll_until
from .test_whep import PICTURE

pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")
from .aiortc_endpoints import aiortc_endpoints  # noqa: E402
from .webrtc_peer import psnr  # noqa: E402


def remote_state(runtime: Runtime, node: str) -> str | None:
    return runtime.stats()["remote"].get(node, {}).get("state")


_Y, _X = np.mgrid[0:240, 0:320]
GRADIENT = np.dstack([_X * 255 // 319, _Y * 255 // 239, (_X + _Y) * 255 // 558]).astype(np.uint8)


def test_a_whip_sink_publishes_to_an_aiortc_endpoint() -> None:
    with aiortc_endpoints(GRADIENT) as endpoints:
        runtime = Runtime()
        picture, local = Effect(PICTURE, name="fx"), NumpySink(name="local")
        runtime.connect(TestPattern(640, 480), picture)
        runtime.connect(picture, local)
        runtime.connect(picture, WhipSink(f"{endpoints.url}/whip", token="t0ken", name="out"))
        runtime.start(fps=30)
        try:
            poll_until(
                lambda: runtime.stats()["remote"].get("out", {}).get("state") == "publishing",
                "publishing",
                30,
            )
            poll_until(lambda: local.latest() is not None, "a local frame")
            expected = np.asarray(local.latest())[..., :3]
            poll_until(
                lambda: any(
                    s.latest is not None and psnr(s.latest, expected) >= 35 for s in endpoints.received()
                ),
                "aiortc decoding the published picture",
                timeout=30,
            )
            session = endpoints.received()[0]
            assert session.authorization == "Bearer t0ken" and session.frames > 0
        finally:
            runtime.stop()
        # Stopping the graph ends the session the way WHIP says: DELETE on its Location.
        poll_until(lambda: all(s.deleted for s in endpoints.received()), "the session DELETEd", timeout=10)


def test_a_whep_source_plays_an_aiortc_endpoint() -> None:
    with aiortc_endpoints(GRADIENT) as endpoints:
        runtime = Runtime()
        played, sink = WhepSource(f"{endpoints.url}/whep", 320, 240, name="played"), NumpySink()
        runtime.connect(played, sink)
        runtime.start(fps=30)
        try:
            poll_until(
                lambda: runtime.stats()["remote"].get("played", {}).get("state") == "playing", "playing", 30
            )
            poll_until(
                lambda: (frame := sink.latest()) is not None and psnr(frame[..., :3], GRADIENT) >= 35,
                "aiortc's picture in the graph",
                timeout=30,
            )
        finally:
            runtime.stop()
        poll_until(
            lambda: all(s.deleted for s in endpoints.sessions.values() if s.kind == "whep"),
            "the session DELETEd",
            timeout=10,
        )
