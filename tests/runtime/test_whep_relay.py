"""Two runtimes on loopback: A serves a picture over WHEP, B plays it with a `whep` source (a `WhepSource`),
applies an effect and serves that over WHEP, and aiortc watches B. B's frames match A's; when A dies B keeps
its last frame, says so in `/v1/stats`, and picks A up again when it comes back on the same address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from streamlib import Effect, GraphError, NumpySink, Runtime, TestPattern, WhepSource, WhipSink

from ..conftest import poll_until
from .test_http_api import Server, free_port, shader_entry, start_server
from .test_whep import PICTURE, TOKEN, node_picture, picture_graph, sessions
from .test_whip import ingest_graph

pytest.importorskip("aiortc", reason="aiortc (the independent WebRTC peer) is not installed")

from .webrtc_peer import play, psnr, run  # noqa: E402

INVERT = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, 1);
}
"""


def relay_graph(a_url: str) -> dict[str, Any]:
    return {
        "format": "streamlib.graph",
        "version": 1,
        "runtime": {"fps": 30.0, "adapter": None},
        "nodes": [
            {
                "id": "remote",
                "kind": "source",
                "type": "whep",
                "params": {"url": f"{a_url}/v1/whep/fx", "width": 640, "height": 480, "token": TOKEN},
            },
            {"id": "inv", "kind": "effect", "type": "effect", "params": {"shader": "invert", "values": {}}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}},
        ],
        "edges": [
            {"from": "remote.video", "to": "inv.video", "delivery": "every_frame"},
            {"from": "inv.video", "to": "peek.video", "delivery": "latest"},
        ],
        "shaders": {"invert": shader_entry("invert.hlsl", INVERT)},
    }


def start_a(tmp: Path, port: int) -> Iterator[Server]:
    for server in start_server(tmp, token=TOKEN, port=port):
        assert server.json("PUT", "/v1/graph", picture_graph())[0] == 200
        assert server.json("POST", "/v1/graph/start", {})[0] == 200
        yield server


def remote_state(b: Server) -> dict[str, Any]:
    status, stats = b.json("GET", "/v1/stats")
    assert status == 200
    return dict(stats.get("remote", {}).get("remote", {}))


def frame_index(b: Server) -> int:
    status, headers, _ = b.call("GET", "/v1/frames/latest")
    return int(headers["x-frame-index"]) if status == 200 else -1


@pytest.fixture()
def a_port() -> int:
    return free_port()


def test_a_runtime_plays_another_and_survives_its_restart(tmp_path: Path, a_port: int) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a_run = start_a(tmp_path / "a", a_port)
    a = next(a_run)
    b_run = start_server(tmp_path / "b", token=TOKEN)
    b = next(b_run)
    try:
        assert b.json("PUT", "/v1/graph", relay_graph(a.url))[0] == 200
        assert b.json("POST", "/v1/graph/start", {})[0] == 200
        poll_until(lambda: remote_state(b).get("state") == "playing", "B playing A", timeout=30)
        picture = node_picture(a, "fx")
        poll_until(
            lambda: psnr(node_picture(b, "remote"), picture) >= 35,
            "B's source showing A's picture",
            timeout=20,
        )
        # A viewer of B sees A's picture inverted, through two encodes.
        played = run(play(f"{b.url}/v1/whep/inv", TOKEN, frames=20))
        assert played.status == 201 and len(played.frames) == 20, played.error
        quality = psnr(played.frames[-1], 255 - picture)
        assert quality >= 33, f"A → B → viewer PSNR {quality:.1f} dB"
        # A viewer of B's source gets A's stream as B received it: passed on, one encode.
        played = run(play(f"{b.url}/v1/whep/remote", TOKEN, frames=10))
        assert played.status == 201 and len(played.frames) == 10, played.error
        assert psnr(played.frames[-1], picture) >= 35
        sent = [s for s in sessions(b) if played.location and played.location.endswith(s["id"])]
        assert sent and sent[0]["frames"] >= 10 and sent[0]["passed_on"] == sent[0]["frames"], sent

        # A dies: B carries on with the last frame and says it is reconnecting.
        a_run.close()
        state = poll_until(
            lambda: (s := remote_state(b)) and s["state"] == "reconnecting" and s, "B noticing", 30
        )
        assert state["last_error"], state
        before = frame_index(b)
        poll_until(lambda: frame_index(b) > before + 10, "B still rendering frames without A", timeout=20)
        assert psnr(node_picture(b, "remote"), picture) >= 35, "B keeps A's last frame"

        # A comes back on the same address: B picks it up.
        a_again = start_a(tmp_path / "a", a_port)
        next(a_again)
        try:
            state = poll_until(
                lambda: (s := remote_state(b)) and s["state"] == "playing" and s, "B replaying", 40
            )
            assert state["reconnects"] >= 1
        finally:
            a_again.close()
    finally:
        a_run.close()
        b_run.close()


def test_python_runtime_plays_a_served_node(tmp_path: Path, a_port: int) -> None:
    (tmp_path / "a").mkdir()
    a_run = start_a(tmp_path / "a", a_port)
    a = next(a_run)
    try:
        runtime = Runtime()
        source = WhepSource(f"{a.url}/v1/whep/fx", 640, 480, token=TOKEN, name="remote")
        sink = NumpySink(name="peek")
        runtime.connect(source, sink)
        runtime.start(fps=30)
        try:
            poll_until(
                lambda: runtime.stats()["remote"].get("remote", {}).get("state") == "playing",
                "playing",
                timeout=30,
            )
            picture = node_picture(a, "fx")
            poll_until(
                lambda: (f := sink.latest()) is not None and psnr(np.asarray(f)[..., :3], picture) >= 35,
                "A's picture in the Python runtime",
                timeout=20,
            )
        finally:
            runtime.stop()
        exported = runtime.export(tmp_path / "graph.streamlib.json").read_text()
        assert '"type": "whep"' in exported and "/v1/whep/fx" in exported
    finally:
        a_run.close()


@contextmanager
def publishing(url: str, token: str | None) -> Iterator[tuple[Runtime, np.ndarray]]:
    """A Python graph whose `WhipSink` "out" publishes the picture to `url`: the runtime, once it publishes,
    and the picture as rendered here (RGB). Stopped on leaving."""
    runtime = Runtime()
    picture, local = Effect(PICTURE, name="fx"), NumpySink(name="local")
    runtime.connect(TestPattern(640, 480), picture)
    runtime.connect(picture, local)
    runtime.connect(picture, WhipSink(url, token=token, name="out"))
    runtime.start(fps=30)
    try:
        poll_until(
            lambda: runtime.stats()["remote"].get("out", {}).get("state") == "publishing", "publishing", 30
        )
        poll_until(lambda: local.latest() is not None, "a local frame")
        yield runtime, np.asarray(local.latest())[..., :3]
    finally:
        runtime.stop()


def test_a_whip_sink_publishes_into_another_runtime(tmp_path: Path) -> None:
    """A Python graph's `WhipSink` publishes to a served runtime's `WhipSource` (`POST /v1/whip/cam`)."""
    b_run = start_server(tmp_path, token=TOKEN)
    b = next(b_run)
    try:
        assert b.json("PUT", "/v1/graph", ingest_graph())[0] == 200
        assert b.json("POST", "/v1/graph/start", {})[0] == 200
        with publishing(f"{b.url}/v1/whip/cam", TOKEN) as (runtime, expected):
            poll_until(
                lambda: psnr(node_picture(b, "cam"), expected) >= 35,
                "the published picture in the other runtime",
                timeout=20,
            )
            assert runtime.stats()["remote"]["out"]["frames"] > 0
        exported = runtime.export(tmp_path / "graph.streamlib.json").read_text()
        assert '"type": "whip"' in exported and "/v1/whip/cam" in exported
    finally:
        b_run.close()


def test_a_bad_whep_url_is_refused_by_field() -> None:
    with pytest.raises(GraphError, match=r"WhepSource\(url\): 'ftp://nowhere/whep' is not an http\(s\) URL"):
        WhepSource("ftp://nowhere/whep", 64, 48)
    with pytest.raises(GraphError, match=r"WhipSink\(url\): 'nowhere' is not an http\(s\) URL"):
        WhipSink("nowhere")
