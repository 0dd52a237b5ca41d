"""WHIP ingest in `streamlib-runtime serve` (`POST /v1/whip/{node}` into a `whip` source), published by
aiortc — a WebRTC stack nobody here wrote, encoding with libx264: the source shows the published picture,
one publisher at a time, and DELETE frees the session. (Debian 12's `simple-whip-client` cannot be the
publisher: it links libsoup 2 while GStreamer's webrtc and nice plugins link libsoup 3, and it aborts at
start.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ..conftest import poll_until
from .test_http_api import Server, start_server
from .test_whep import TOKEN, node_picture, sessions

# How long a read of a source's pictures keeps it decoding every frame (INTEREST_LASTS in the core's
# nodes/frames.rs), with a margin.
INTEREST_LASTS_S = 3.5

pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")

from aiortc import RTCPeerConnection  # noqa: E402

from .webrtc_peer import Played, offer_sdp, play, post_sdp, psnr, publish, run  # noqa: E402


def ingest_graph(width: int = 640, height: int = 480) -> dict[str, Any]:
    return {
        "format": "streamlib.graph",
        "version": 1,
        "runtime": {"fps": 30.0, "adapter": None},
        "nodes": [
            {"id": "cam", "kind": "source", "type": "whip", "params": {"width": width, "height": height}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}},
        ],
        "edges": [{"from": "cam.video", "to": "peek.video", "delivery": "latest"}],
        "shaders": {},
    }


def published_picture() -> np.ndarray:
    """Colour bars over a gradient: edges and flat areas, 640×480."""
    y, x = np.mgrid[0:480, 0:640]
    bars = np.array(
        [[230, 230, 230], [230, 230, 20], [20, 230, 230], [20, 230, 20], [230, 20, 230], [230, 20, 20]]
    )
    rgb = bars[(x * 6) // 640].astype(np.uint8)
    rgb[240:] = np.stack([x[240:] * 255 // 639, y[240:] * 255 // 479, np.full_like(x[240:], 128)], axis=-1)
    return rgb


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    for server in start_server(tmp_path_factory.mktemp("whip"), token=TOKEN):
        assert server.json("PUT", "/v1/graph", ingest_graph())[0] == 200
        assert server.json("POST", "/v1/graph/start", {})[0] == 200
        yield server


def test_aiortc_publishes_into_a_whip_source(server: Server) -> None:
    picture = published_picture()
    before = psnr(node_picture(server, "cam"), picture)
    assert before < 20, "the source shows its test pattern before anything is published"
    url = f"{server.url}/v1/whip/cam"

    async def publish_and_look() -> tuple[int, str | None, str, float]:
        task = asyncio.create_task(publish(url, TOKEN, picture, seconds=12))
        quality = 0.0
        for _ in range(100):
            await asyncio.sleep(0.1)
            quality = await asyncio.to_thread(lambda: psnr(node_picture(server, "cam"), picture))
            if quality >= 32:
                break
        status, location, body = await task
        return status, location, body, quality

    status, location, body, quality = run(publish_and_look())
    assert status == 201, body
    assert location and location.startswith("/v1/whip/cam/")
    assert quality >= 32, f"PSNR {quality:.1f} dB between what was published and what the source shows"
    listed = [s for s in sessions(server) if location.endswith(s["id"])]
    assert listed and listed[0]["direction"] == "receive" and listed[0]["frames"] > 10, listed
    # A WHIP session is not ended through the WHEP resource of the same node.
    assert server.call("DELETE", location.replace("/v1/whip/", "/v1/whep/"))[0] == 404
    assert server.call("DELETE", location)[0] == 200
    assert server.call("DELETE", location)[0] == 404


def test_a_source_nobody_looks_at_decodes_only_keyframes_until_someone_does(server: Server) -> None:
    """Its only sink unread and no WHEP viewer: the stream is received, but only its keyframes are decoded.
    A reader of its pictures brings every frame back, from a keyframe the source asks the publisher for."""
    picture = published_picture()
    url = f"{server.url}/v1/whip/cam"
    time.sleep(INTEREST_LASTS_S)  # an earlier test's reads of the source's pictures have lapsed

    def receiving() -> dict[str, Any] | None:
        return next((s for s in sessions(server) if s["direction"] == "receive" and s["connected"]), None)

    async def publish_then_look() -> tuple[dict[str, Any], dict[str, Any], float]:
        task = asyncio.create_task(publish(url, TOKEN, picture, seconds=20))
        unwatched = await asyncio.to_thread(
            poll_until, lambda: (s := receiving()) and s["frames"] >= 90 and s, "3 s of publication", 30
        )
        quality = 0.0
        for _ in range(100):
            quality = await asyncio.to_thread(lambda: psnr(node_picture(server, "cam"), picture))
            if quality >= 32:
                break
            await asyncio.sleep(0.1)
        for _ in range(20):  # a viewer that keeps looking
            await asyncio.to_thread(node_picture, server, "cam")
            await asyncio.sleep(0.1)
        watched = await asyncio.to_thread(receiving)
        assert watched is not None, "the publication ended early"
        task.cancel()
        return unwatched, watched, quality

    unwatched, watched, quality = run(publish_then_look())
    assert server.call("DELETE", f"/v1/whip/cam/{watched['id']}")[0] == 200
    assert unwatched["decoded"] * 10 < unwatched["frames"], unwatched
    assert quality >= 32, f"PSNR {quality:.1f} dB once looked at"
    assert watched["decoded"] - unwatched["decoded"] >= 20, (unwatched, watched)
    assert watched["keyframes_requested"] >= 1, watched


def test_one_publisher_at_a_time_and_clear_refusals(server: Server) -> None:
    offer = run(offer_sdp_sending())
    url = f"{server.url}/v1/whip/cam"
    status, headers, body = post_sdp(url, offer, TOKEN)
    assert status == 201, body
    status, _, body = post_sdp(url, offer, TOKEN)
    assert status == 409 and "source_in_use" in body, body
    assert server.call("DELETE", headers["location"])[0] == 200
    status, _, body = post_sdp(f"{server.url}/v1/whip/peek", offer, TOKEN)
    assert status == 404 and "WHIP sources: cam" in body, body
    # A receive-only offer has nothing to publish.
    status, _, body = post_sdp(url, run(offer_sdp("video")), TOKEN)
    assert status == 422 and "no video this side can receive" in body, body
    poll_until(
        lambda: not [s for s in sessions(server) if s["direction"] == "receive"], "no receive session left"
    )


def publish_and_play(server: Server, frames: int) -> tuple[Played, list[dict[str, Any]]]:
    """Publishes the picture into 'cam' and, once it has been received for a while, plays 'cam' over WHEP
    for `frames` frames; what was played and the sessions as the viewer left."""
    picture = published_picture()

    async def both() -> tuple[Played, list[dict[str, Any]]]:
        publishing = asyncio.create_task(publish(f"{server.url}/v1/whip/cam", TOKEN, picture, seconds=20))

        def received() -> int:
            return sum(s["frames"] for s in sessions(server) if s["direction"] == "receive")

        # A viewer joining a running publication starts at a keyframe the source asks the publisher for.
        await asyncio.to_thread(poll_until, lambda: received() > 20, "frames from the publisher", 30)
        played = await play(f"{server.url}/v1/whep/cam", TOKEN, frames=frames, timeout=30)
        listed = await asyncio.to_thread(sessions, server)
        publishing.cancel()
        return played, listed

    return run(both())


def test_a_viewer_of_the_source_gets_the_publication_passed_on(server: Server) -> None:
    """WHEP on a `whip` source of the publication's own size: the publisher's H.264 goes on as received (no
    decode and re-encode), from a keyframe the source asked the publisher for."""
    played, listed = publish_and_play(server, frames=20)
    assert played.status == 201, played.error
    assert len(played.frames) == 20 and played.frames[-1].shape == (480, 640, 3)
    quality = psnr(played.frames[-1], published_picture())
    assert quality >= 32, f"PSNR {quality:.1f} dB between what was published and what the viewer saw"
    sent = [s for s in listed if played.location and played.location.endswith(s["id"])]
    assert sent and sent[0]["frames"] >= 20 and sent[0]["passed_on"] == sent[0]["frames"], sent
    received = [s for s in listed if s["direction"] == "receive"]
    assert received and received[0]["keyframes_requested"] >= 1, received
    for session in listed:
        way = "whep" if session["direction"] == "send" else "whip"
        server.call("DELETE", f"/v1/{way}/cam/{session['id']}")


def test_a_source_of_another_size_is_encoded_again_at_its_own(server: Server) -> None:
    assert server.json("PUT", "/v1/graph", ingest_graph(320, 240))[0] == 200
    try:
        assert server.json("POST", "/v1/graph/start", {})[0] == 200
        played, listed = publish_and_play(server, frames=10)
        assert played.status == 201, played.error
        assert len(played.frames) == 10 and played.frames[-1].shape == (240, 320, 3)
        sent = [s for s in listed if played.location and played.location.endswith(s["id"])]
        assert sent and sent[0]["frames"] >= 10 and sent[0]["passed_on"] == 0, sent
    finally:
        assert server.json("PUT", "/v1/graph", ingest_graph())[0] == 200
        assert server.json("POST", "/v1/graph/start", {})[0] == 200


async def offer_sdp_sending() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()
