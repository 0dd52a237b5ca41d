"""`RemoteRuntime` with a local runtime's API against real `streamlib-runtime serve` processes: a graph built
up on the server node by node (`PATCH /v1/graph`), edited while it runs, and two runtimes composed — A's node
played into B over WHEP — plus the CORS answers a notebook page's WHEP player needs."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator

import numpy as np
import pytest

from streamlib import Effect, GraphError, ImageSource, PushSource, RemoteRuntime, Runtime, TestPattern
from streamlib.binary import runtime_binary
from streamlib.nodes import NumpySink
from streamlib.remote import RemoteRequestError

from ..conftest import poll_until

pytest.importorskip("aiortc", reason="aiortc (PyAV's H.264, used to compare pictures) is not installed")
from .webrtc_peer import gradient, psnr  # noqa: E402

TINT = """cbuffer params { float strength; /* @default(0.5) */ };
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv); return float4(c.rgb * strength, 1);
}
"""
INVERT = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv); return float4(1 - c.rgb, 1);
}
"""
TOKEN = "remote-graph-token"
PICTURE = gradient(160, 120)


def picture(name: str = "pattern") -> ImageSource:
    return ImageSource(PICTURE, name=name)


@pytest.fixture
def remote() -> Iterator[RemoteRuntime]:
    with RemoteRuntime.launch(token=TOKEN) as launched:
        yield launched


def local_frame(*effects: str, strength: float = 0.5) -> np.ndarray:
    """What the same chain renders in this process, on the same picture."""
    runtime = Runtime()
    node = runtime.add_stream(picture())
    for i, source in enumerate(effects):
        effect = Effect(
            source, name=f"fx{i}", params={"strength": strength} if "strength" in source else None
        )
        runtime.connect(node, effect)
        node = effect
    sink = NumpySink()
    runtime.connect(node, sink)
    runtime.run(1)
    frame = sink.latest()
    assert frame is not None
    return frame[..., :3]


def frame_after(remote: RemoteRuntime, index: int) -> np.ndarray:
    def newer() -> tuple[np.ndarray] | None:
        try:
            _, at = remote.latest_frame_png()
        except RemoteRequestError:
            return None
        return (remote.latest_frame()[..., :3],) if at > index else None

    return poll_until(newer, "a newer frame", timeout=60)[0]


def index_now(remote: RemoteRuntime) -> int:
    return int(remote.stats()["latest_frame"]["index"] or -1)


def test_a_graph_is_built_on_the_server_with_the_local_api(remote: RemoteRuntime) -> None:
    pattern = picture()
    tint = Effect(TINT, name="tint")
    assert remote.connect(pattern, tint) is tint
    assert tint.remote is remote
    nodes = {node.name: node for node in remote.nodes()}
    assert set(nodes) == {"pattern", "tint"}
    assert nodes["tint"].size == (160, 120) and list(nodes["tint"].inputs) == ["video"]
    assert remote.edges() == [("pattern", "video", "tint", "video", "every_frame")]
    remote.start(fps=30)
    assert np.abs(frame_after(remote, -1).astype(int) - local_frame(TINT)).max() <= 1

    # The node object drives the server's copy.
    tint.set(strength=1.0)
    assert remote.config()["nodes"][1]["params"]["values"]["strength"] == [1.0]
    shown = frame_after(remote, index_now(remote))
    assert np.abs(shown.astype(int) - local_frame(TINT, strength=1.0)).max() <= 1


def test_a_running_graph_is_edited_in_one_step_and_refuses_to_be_left_broken(remote: RemoteRuntime) -> None:
    remote.connect(picture(), Effect(TINT, name="tint"))
    remote.start(fps=30)
    frame_after(remote, -1)
    before = remote.config()

    # Removing the only effect alone would leave nothing to show; with a new effect in the same edit, fine.
    with pytest.raises(RemoteRequestError) as refused:
        remote.disconnect(remote.node("pattern"), remote.node("tint"))
    with pytest.raises(RemoteRequestError, match="'alone.video' is not connected"):
        remote.add_stream(Effect(INVERT, name="alone"))
    assert refused.value.status == 400 and refused.value.code == "bad_config"
    assert "'tint.video' is not connected" in str(refused.value)
    assert remote.config() == before and remote.stats()["running"]

    # The effect replaced by another of the same name: its shader key goes with the old one.
    with remote.edit():
        remote.remove("tint")
        remote.connect(remote.node("pattern"), Effect(INVERT, name="tint"))
    assert [node.name for node in remote.nodes()] == ["pattern", "tint"]
    assert remote.stats()["running"]
    shown = frame_after(remote, index_now(remote))
    assert np.abs(shown.astype(int) - local_frame(INVERT)).max() <= 1
    assert "1 - c.rgb" in remote.config()["shaders"]["tint"]["source"]


def test_edits_that_cannot_apply_name_what_is_wrong(remote: RemoteRuntime) -> None:
    with pytest.raises(GraphError, match="cannot run in a remote graph"):
        remote.add_stream(PushSource(64, 48, name="pushed"))
    with pytest.raises(GraphError, match="cannot run in a remote graph"):
        remote.connect(TestPattern(64, 48), NumpySink())
    remote.add_stream(TestPattern(64, 48, name="pattern"))
    with pytest.raises(RemoteRequestError) as duplicate:
        remote.add_stream(TestPattern(64, 48, name="pattern"))
    assert duplicate.value.status == 400 and "'pattern' is also the id" in str(duplicate.value)
    with pytest.raises(RemoteRequestError) as missing:
        remote.remove("nope")
    assert missing.value.body["field"] == "remove_nodes[0]"
    with pytest.raises(GraphError, match="no node named 'nope'"):
        remote.node("nope")


def test_a_node_of_one_runtime_feeds_another_over_whep() -> None:
    with RemoteRuntime.launch(token="a-token") as a, RemoteRuntime.launch(token="b-token") as b:
        a.add_stream(picture())
        a.start(fps=30)
        fx = b.connect(a.node("pattern"), Effect(TINT, name="tint"))
        assert isinstance(fx, Effect)
        played = [node for node in b.nodes() if node.type == "whep"]
        assert [(node.name, node.size) for node in played] == [(f"pattern@{a.url[7:]}", (160, 120))]
        b.start(fps=30)
        remote = poll_until(
            lambda: b.stats().get("remote", {}).get(played[0].name, {}).get("state") == "playing",
            "B playing A's node",
            timeout=60,
        )
        assert remote
        # Frames decoded at B, tinted there, match A's picture tinted here (H.264 in between).
        expected = local_frame(TINT)
        best = poll_until(
            lambda: (q := psnr(frame_after(b, index_now(b)), expected)) >= 30 and q,
            "B's frames close to A's pattern, tinted",
            timeout=60,
        )
        assert best >= 30
        # A second connect of the same node reuses the WHEP source.
        b.connect(a.node("pattern"), Effect(INVERT, name="invert"))
        assert [node.name for node in b.nodes() if node.type == "whep"] == [played[0].name]


def _request(url: str, method: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}


def test_cors_lets_only_the_allowed_origins_pages_read_answers() -> None:
    page = "http://127.0.0.1:8888"
    with RemoteRuntime.launch(token=TOKEN, allow_origins=[page]) as remote:
        status, headers = _request(
            f"{remote.url}/v1/whep/fx",
            "OPTIONS",
            {
                "Origin": page,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert status == 204 and headers["access-control-allow-origin"] == page
        assert "authorization" in headers["access-control-allow-headers"].lower()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        status, headers = _request(f"{remote.url}/v1/stats", "GET", {"Origin": page, **auth})
        assert status == 200 and headers["access-control-allow-origin"] == page
        assert "Location" in headers["access-control-expose-headers"]
        status, headers = _request(f"{remote.url}/v1/stats", "GET", {"Origin": "http://evil.test", **auth})
        assert status == 200 and "access-control-allow-origin" not in headers
        # The token still guards everything: an allowed origin without it is refused.
        assert _request(f"{remote.url}/v1/stats", "GET", {"Origin": page})[0] == 401


def test_any_origin_needs_a_token() -> None:
    serve = subprocess.run(
        [str(runtime_binary()), "serve", "--listen", "127.0.0.1:0", "--allow-origin", "*"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert serve.returncode == 2 and "needs --token-file" in serve.stderr
    with RemoteRuntime.launch(token=TOKEN, allow_origins=["*"]) as remote:
        status, headers = _request(f"{remote.url}/v1/health", "GET", {"Origin": "http://anywhere.test"})
        assert status == 200 and headers["access-control-allow-origin"] == "http://anywhere.test"


def test_the_edit_route_is_all_or_nothing_over_plain_http(remote: RemoteRuntime) -> None:
    remote.add_stream(TestPattern(64, 48, name="pattern"))
    before = remote.config()
    body = {"add_nodes": [{"id": "x", "kind": "source", "type": "test_pattern", "params": {"width": 0}}]}
    with pytest.raises(RemoteRequestError) as bad:
        remote._json("PATCH", "/v1/graph", body)
    assert bad.value.status == 400 and bad.value.body["field"].startswith("nodes[1].params")
    assert remote.config() == before
    assert json.dumps(before).count('"id"') == 1


def test_a_local_runtime_plays_a_remote_node(remote: RemoteRuntime) -> None:
    remote.add_stream(picture())
    remote.start(fps=30)
    runtime = Runtime()
    invert, sink = Effect(INVERT, name="invert"), NumpySink()
    runtime.connect(remote.node("pattern"), invert)
    runtime.connect(invert, sink, delivery="latest")
    assert [name for name, *_ in runtime.edges()] == [f"pattern@{remote.url[7:]}", "invert"]
    runtime.start(fps=30)
    try:
        expected = local_frame(INVERT)
        poll_until(
            lambda: (frame := sink.latest()) is not None and psnr(frame[..., :3], expected) >= 30,
            "the remote pattern, inverted here",
            timeout=60,
        )
        assert runtime.stats()["remote"][f"pattern@{remote.url[7:]}"]["state"] == "playing"
    finally:
        runtime.stop()
