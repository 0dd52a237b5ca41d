"""WHEP in `streamlib-runtime serve` (`POST /v1/whep/{node}`), played by aiortc — a WebRTC stack nobody here
wrote: decoded frames match the node's own pixels, sessions end on DELETE and free their threads and
sockets, bad offers get clear 4xx answers, and the session cap holds."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from ..conftest import poll_until
from .test_http_api import Server, shader_entry, start_server

aiortc = pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")

from .webrtc_peer import offer_sdp, play, post_sdp, psnr, run  # noqa: E402

TOKEN = "whep-token"
# A still picture with edges and gradients, the same every frame, so any decoded frame can be compared.
PICTURE = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float checker = fmod(floor(uv.x * 8) + floor(uv.y * 6), 2);
    return float4(uv.x, uv.y, lerp(0.2, 0.9, checker), 1);
}
"""


def picture_graph(width: int = 640, height: int = 480, shader: str = PICTURE) -> dict[str, Any]:
    """Test pattern → effect "fx" drawing `shader` → numpy sink "peek"."""
    return {
        "format": "streamlib.graph",
        "version": 1,
        "runtime": {"fps": 30.0, "adapter": None},
        "nodes": [
            {
                "id": "pattern",
                "kind": "source",
                "type": "test_pattern",
                "params": {"width": width, "height": height},
            },
            {"id": "fx", "kind": "effect", "type": "effect", "params": {"shader": "picture", "values": {}}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}},
        ],
        "edges": [
            {"from": "pattern.video", "to": "fx.video", "delivery": "every_frame"},
            {"from": "fx.video", "to": "peek.video", "delivery": "latest"},
        ],
        "shaders": {"picture": shader_entry("picture.hlsl", shader)},
    }


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(
        tmp_path_factory.mktemp("whep"),
        "--max-webrtc-sessions",
        "4",
        "--webrtc-ports",
        "41000-41063",
        token=TOKEN,
    )


@pytest.fixture(scope="module")
def running(server: Server) -> Server:
    assert server.json("PUT", "/v1/graph", picture_graph())[0] == 200
    assert server.json("POST", "/v1/graph/start", {})[0] == 200
    return server


def whep_url(server: Server, node: str) -> str:
    return f"{server.url}/v1/whep/{node}"


def node_picture(server: Server, node: str) -> np.ndarray:
    """`node`'s latest frame, waiting for the first one of a graph just started."""
    status, _, payload = poll_until(
        lambda: (answer := server.call("GET", f"/v1/frames/latest?node={node}"))[0] != 404 and answer,
        f"a first frame of '{node}'",
        timeout=30,
    )
    assert status == 200, payload[:300]
    return np.asarray(Image.open(io.BytesIO(payload)).convert("RGB"))


def sessions(server: Server) -> list[dict[str, Any]]:
    status, stats = server.json("GET", "/v1/stats")
    assert status == 200
    return list(stats["webrtc"]["sessions"])


def open_files_and_threads(server: Server) -> tuple[int, int]:
    pid = server.process.pid
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))


def test_aiortc_plays_a_node_and_sees_its_pixels(running: Server) -> None:
    played = run(play(whep_url(running, "fx"), TOKEN, frames=30))
    assert played.status == 201, played.error
    assert played.location and played.location.startswith("/v1/whep/fx/")
    assert len(played.frames) == 30, f"only {len(played.frames)} frames decoded"
    span = played.arrivals[-1] - played.arrivals[0]
    fps = (len(played.arrivals) - 1) / span
    assert fps > 5, f"{fps:.1f} fps"
    expected = node_picture(running, "fx")
    last = played.frames[-1]
    assert last.shape == expected.shape == (480, 640, 3)
    quality = psnr(last, expected)
    assert quality >= 35, f"PSNR {quality:.1f} dB"
    # The session is listed while it lives; aiortc closing does not end it, DELETE does, once.
    listed = [s for s in sessions(running) if played.location.endswith(s["id"])]
    assert (
        listed
        and listed[0]["node"] == "fx"
        and listed[0]["frames"] >= 30
        and listed[0]["direction"] == "send"
        and listed[0]["connected"]
    )
    assert running.call("DELETE", played.location)[0] == 200
    status, _, body = running.call("DELETE", played.location)
    assert status == 404 and b"no_session" in body
    assert not [s for s in sessions(running) if played.location.endswith(s["id"])]


def test_any_node_plays_the_source_too(running: Server) -> None:
    played = run(play(whep_url(running, "pattern"), TOKEN, frames=5))
    assert played.status == 201, played.error
    assert len(played.frames) == 5 and played.frames[0].shape == (480, 640, 3)
    assert running.call("DELETE", str(played.location))[0] == 200


def test_bad_offers_get_clear_answers(running: Server) -> None:
    offer = run(offer_sdp("video"))
    url = whep_url(running, "fx")
    assert post_sdp(url, offer, "wrong-token")[0] == 401
    assert (
        running.call("POST", "/v1/whep/fx", raw=offer.encode(), headers={"Content-Type": "text/plain"})[0]
        == 415
    )
    status, _, body = post_sdp(url, "v=0\r\nthis is not sdp\r\n", TOKEN)
    assert status == 400 and "bad_sdp" in body, body
    status, _, body = post_sdp(url, run(offer_sdp("audio")), TOKEN)
    assert status == 422 and "no video" in body, body
    status, _, body = post_sdp(whep_url(running, "nowhere"), offer, TOKEN)
    assert status == 404 and "no_node" in body
    status, _, body = post_sdp(whep_url(running, "peek"), offer, TOKEN)
    assert status == 400 and "sink" in body
    status, _, body = running.call(
        "PATCH",
        "/v1/whep/fx/abc",
        raw=b"a=candidate",
        headers={"Content-Type": "application/trickle-ice-sdpfrag"},
    )
    assert status == 405 and b"trickle" in body
    assert not sessions(running), "no failed offer leaves a session"


def test_sessions_are_capped_and_dropping_them_frees_everything(running: Server) -> None:
    offer = run(offer_sdp("video"))
    url = whep_url(running, "fx")
    before = open_files_and_threads(running)
    for _ in range(25):
        opened = []
        for _ in range(4):
            status, headers, body = post_sdp(url, offer, TOKEN)
            assert status == 201, body
            opened.append(headers["location"])
        status, _, body = post_sdp(url, offer, TOKEN)
        assert status == 503 and "too_many_sessions" in body, body
        for location in opened:
            assert running.call("DELETE", location)[0] == 200
    assert not sessions(running)
    # Nothing the sessions held outlives them (fewer is fine: an earlier test's session may have ended since).
    poll_until(
        lambda: (now := open_files_and_threads(running))[0] <= before[0] and now[1] <= before[1] and now,
        f"fds and threads back to their baseline {before}",
        timeout=10,
    )
