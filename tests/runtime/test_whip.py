"""WHIP ingest in `streamlib-runtime serve` (`POST /v1/whip/{node}` into a `whip` source), published by
aiortc — a WebRTC stack nobody here wrote, encoding with libx264: the source shows the published picture,
one publisher at a time, and DELETE frees the session. (Debian 12's `simple-whip-client` cannot be the
publisher: it links libsoup 2 while GStreamer's webrtc and nice plugins link libsoup 3, and it aborts at
start.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from ..conftest import poll_until
from .test_http_api import Server, start_server
from .test_whep import TOKEN, node_picture, sessions

pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")

from aiortc import RTCPeerConnection  # noqa: E402

from .webrtc_peer import offer_sdp, post_sdp, psnr, publish, run  # noqa: E402


def ingest_graph() -> dict[str, Any]:
    return {
        "format": "streamlib.graph",
        "version": 1,
        "runtime": {"fps": 30.0, "adapter": None},
        "nodes": [
            {"id": "cam", "kind": "source", "type": "whip", "params": {"width": 640, "height": 480}},
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


async def offer_sdp_sending() -> str:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()
