"""streamlib's WebRTC clients against endpoints that are not streamlib: a `WhipSink` publishes to, and a
`WhepSource` plays from, WHIP/WHEP endpoints whose WebRTC side is aiortc (`aiortc_endpoints.py`). Janus, the
media server the issue names, has no WHIP/WHEP front in Debian 12 and `simple-whip-server` is not on npm."""

from __future__ import annotations

import pytest

from streamlib import NumpySink, Runtime, WhepSource

from ..conftest import poll_until

pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")
from .aiortc_endpoints import aiortc_endpoints  # noqa: E402
from .test_whep_relay import publishing  # noqa: E402
from .webrtc_peer import gradient, psnr  # noqa: E402


def remote_state(runtime: Runtime, node: str) -> str | None:
    return runtime.stats()["remote"].get(node, {}).get("state")


GRADIENT = gradient(320, 240)


def test_a_whip_sink_publishes_to_an_aiortc_endpoint() -> None:
    with aiortc_endpoints(GRADIENT) as endpoints:
        with publishing(f"{endpoints.url}/whip", "t0ken") as (runtime, expected):
            poll_until(
                lambda: any(
                    s.latest is not None and psnr(s.latest, expected) >= 35 for s in endpoints.received()
                ),
                "aiortc decoding the published picture",
                timeout=30,
            )
            session = endpoints.received()[0]
            assert session.authorization == "Bearer t0ken" and session.frames > 0
            # aiortc's receiver reports steer the sink's encoder: on a free link it keeps the size's
            # full rate (0.1 bit a pixel at 30 fps), short of a cut for a moment on a busy machine.
            out = poll_until(
                lambda: (report := runtime.stats()["remote"]["out"]).get("target_bps") and report,
                "the sink's rate control taking a receiver report",
                timeout=20,
            )
            assert 150_000 <= out["target_bps"] <= 640 * 480 * 30 // 10, out
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
