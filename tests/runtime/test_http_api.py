"""`streamlib-runtime serve`: every route of the HTTP API against the real binary on 127.0.0.1, its security
rules (token, loopback, body limits, include traversal, concurrency bound), hot swap under load, and
`streamlib.RemoteRuntime` driving a loaded graph end to end.

The binary comes from `cargo build --release -p streamlib-runtime`; set `STREAMLIB_RUNTIME` to test another.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from streamlib import Effect, NumpySink, RemoteError, RemoteRuntime, Runtime, ShaderCompileError, TestPattern

from ..conftest import ROOT, default_backend, package_version, poll_until
from .graphs import EXAMPLE
from .test_runtime_binary import runtime_binary

CRASHER = "[numthreads(8, struct8, 1)] void main(uint3 id : SV_DispatchThreadID) { }"
RED = "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(1, 0, 0, 1); }\n"
GREEN = "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(0, 1, 0, 1); }\n"
BROKEN = "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(0, 0, 1, 1) }\n"
# 4e9 iterations per pixel: bounded by the compiler's loop guard, then bypassed by the frame watchdog.
RUNAWAY = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float acc = 0;
    for (uint i = 0; i < 4000000000u; i++) { acc = frac(acc * 1.37 + uv.x); }
    return float4(acc, 0, 0, 1);
}
"""
TINT = """cbuffer params { float strength; };
float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength; }
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, token: str | None) -> None:
        self.process = process
        self.port = port
        self.token = token
        self.url = f"http://127.0.0.1:{port}"

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        token: str | None = "default",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = dict(headers or {})
        token = self.token if token == "default" else token
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, dict[str, Any]]:
        status, _, payload = self.call(method, path, body, **kw)
        return status, json.loads(payload)


def start_server(
    tmp: Path, *extra: str, token: str | None = None, port: int | None = None
) -> Iterator[Server]:
    port = port or free_port()
    args = [str(runtime_binary()), "serve", "--listen", f"127.0.0.1:{port}", *extra]
    if token is not None:
        (tmp / "token").write_text(token + "\n")
        args += ["--token-file", str(tmp / "token")]
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(ROOT / "shaders")}
    process = subprocess.Popen(
        args, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    server = Server(process, port, token)
    deadline = time.monotonic() + 30
    while True:
        try:
            if server.call("GET", "/v1/health", token=None)[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"the server did not come up (exit {process.returncode}): {out}\n{err}")
        time.sleep(0.1)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("serve-token"), token="s3cret-token")


def shader_entry(name: str, source: str) -> dict[str, Any]:
    return {
        "name": name,
        "stage": "pixel",
        "entry": "main",
        "backend": "glslang",
        "source": source,
        "sha256": hashlib.sha256(source.encode()).hexdigest(),
        "artifacts": {},
        "artifact_source_sha256": None,
    }


def solid_graph(source: str = RED) -> dict[str, Any]:
    """64×48 test pattern → one effect 'fill' → numpy sink; no files anywhere."""
    return {
        "format": "streamlib.graph",
        "version": 1,
        "runtime": {"fps": 60.0, "adapter": None},
        "nodes": [
            {
                "id": "pattern",
                "kind": "source",
                "type": "test_pattern",
                "params": {"width": 64, "height": 48},
            },
            {"id": "fill", "kind": "effect", "type": "effect", "params": {"shader": "fill", "values": {}}},
            {"id": "peek", "kind": "sink", "type": "numpy", "params": {}},
        ],
        "edges": [
            {"from": "pattern.video", "to": "fill.video", "delivery": "every_frame"},
            {"from": "fill.video", "to": "peek.video", "delivery": "latest"},
        ],
        "shaders": {"fill": shader_entry("fill.hlsl", source)},
    }


def example_without_files() -> dict[str, Any]:
    """The committed example with its PNG-sequence sink replaced by a numpy sink."""
    config = json.loads(EXAMPLE.read_text())
    for node in config["nodes"]:
        if node["id"] == "out":
            node.update({"type": "numpy", "params": {}})
    return dict(config)


def frame_of(server: Server, after: int = -1, timeout: float = 60) -> tuple[int, np.ndarray]:
    deadline = time.monotonic() + timeout
    while True:
        status, headers, payload = server.call("GET", "/v1/frames/latest")
        if status == 200 and int(headers["x-frame-index"]) > after:
            return int(headers["x-frame-index"]), np.asarray(Image.open(io.BytesIO(payload)).convert("RGBA"))
        assert time.monotonic() < deadline, f"no frame after index {after}: {status} {payload[:200]!r}"
        time.sleep(0.05)


# --------------------------------------------------------------------------------------- the routes


def test_health_openapi_and_capabilities(server: Server) -> None:
    assert server.json("GET", "/v1/health") == (200, {"status": "ok", "version": package_version()})
    status, doc = server.json("GET", "/v1/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    for path in (
        "/v1/health",
        "/v1/capabilities",
        "/v1/shaders",
        "/v1/graph",
        "/v1/graph/start",
        "/v1/graph/stop",
        "/v1/stats",
        "/v1/frames/latest",
        "/v1/effects/{id}/params",
        "/v1/effects/{id}/shader",
    ):
        assert path in doc["paths"], path
    status, caps = server.json("GET", "/v1/capabilities")
    assert status == 200
    assert caps["adapter"]["name"] and caps["adapter"]["backend"]
    assert any(c["name"] == "glslang" and c["available"] for c in caps["compilers"])
    assert "glslang" in caps["features"] and "gpu" in caps["features"]
    assert caps["limits"]["shader_body_bytes"] == 1 << 20


def test_unknown_route_and_method_are_json(server: Server) -> None:
    assert server.json("GET", "/v1/nope")[1]["code"] == "not_found"
    status, body = server.json("DELETE", "/v1/health")
    assert (status, body["code"]) == (405, "method_not_allowed")


def test_compile_ok_and_diagnostics(server: Server) -> None:
    status, body = server.json("POST", "/v1/shaders", {"source": TINT, "name": "tint.hlsl"})
    assert status == 200, body
    assert (body["name"], body["stage"], body["backend"]) == ("tint.hlsl", "pixel", default_backend())
    assert [p["name"] for p in body["parameters"]] == ["strength"]
    assert body["reflection"]["entry_point"]
    status, body = server.json("POST", "/v1/shaders", {"source": BROKEN})
    assert (status, body["code"]) == (422, "compile_error")
    (diagnostic,) = [d for d in body["diagnostics"] if d["severity"] == "error"]
    assert diagnostic["line"] == 1 and diagnostic["source_line"] and diagnostic["message"]
    assert set(diagnostic) >= {"severity", "line", "column", "message", "source_line"}


def test_bad_requests_name_the_problem(server: Server) -> None:
    status, body = server.json("POST", "/v1/shaders", raw=b'{"source": ')
    assert (status, body["code"]) == (400, "bad_json")
    status, body = server.json("POST", "/v1/shaders", {"source": RED, "stage": "geometry"})
    assert (status, body["code"], body["field"]) == (400, "bad_request", "stage")
    status, body = server.json("POST", "/v1/shaders", {"src": RED})
    assert (status, body["code"]) == (400, "bad_request")
    status, body = server.json("PUT", "/v1/graph", raw=b"not json")
    assert (status, body["code"]) == (400, "bad_json")


def test_oversized_shader_body_is_413(server: Server) -> None:
    source = "// " + "x" * (1 << 20) + "\n" + RED
    data = json.dumps({"source": source}).encode()
    # Chunked, so the server has to read up to its limit to find out.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        connection.request("POST", "/v1/shaders", body=iter([data]), encode_chunked=True)
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert (status, body["code"], body["limit"]) == (413, "too_large", 1 << 20)
    # A declared length over the limit is refused without waiting for the body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(b"PUT /v1/graph HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n{")
        assert client.recv(4096).startswith(b"HTTP/1.1 413")
    assert server.call("GET", "/v1/health")[0] == 200


def test_include_outside_the_library_is_refused(server: Server) -> None:
    source = '#include "../../../../etc/passwd"\n' + RED
    status, body = server.json("POST", "/v1/shaders", {"source": source})
    assert (status, body["code"]) == (422, "compile_error")
    assert "shader library" in body["diagnostics"][0]["message"]
    source = '#include "/etc/passwd"\n' + RED
    status, body = server.json("POST", "/v1/shaders", {"source": source})
    assert (status, body["code"]) == (422, "compile_error"), body


def test_compiler_crash_is_a_diagnostic(server: Server) -> None:
    status, body = server.json("POST", "/v1/shaders", {"source": CRASHER, "stage": "compute"})
    assert (status, body["code"]) == (422, "compile_error")
    assert "crashed" in body["diagnostics"][0]["message"]
    status, body = server.json("POST", "/v1/shaders", {"source": TINT})
    assert status == 200, body
    assert server.json("GET", "/v1/stats")[1]["compiler"]["worker_restarts"] >= 1


def test_many_concurrent_bad_requests_then_still_answers(server: Server) -> None:
    def bad(_: int) -> int:
        return server.call("POST", "/v1/shaders", raw=b"{oops")[0]

    with ThreadPoolExecutor(max_workers=64) as pool:
        statuses = list(pool.map(bad, range(200)))
    assert set(statuses) <= {400, 503}, set(statuses)
    assert 400 in statuses
    status, body = server.json("POST", "/v1/shaders", {"source": GREEN, "name": "after.hlsl"})
    assert status == 200 and body["name"] == "after.hlsl"


def test_graph_lifecycle_params_and_frames(server: Server) -> None:
    status, body = server.json("POST", "/v1/graph/start", {})
    assert status in (200, 409)
    status, body = server.json("PUT", "/v1/graph", solid_graph(TINT))
    assert status == 200, body
    assert body["latest_frame_from"] == "fill" and body["report"][0]["used"] == "recompiled"
    status, _, text = server.call("GET", "/v1/graph")
    assert status == 200 and json.loads(text)["nodes"][1]["id"] == "fill"

    status, body = server.json("PATCH", "/v1/effects/fill/params", {"strength": 0.5})
    assert (status, body["values"]) == (200, {"strength": [0.5]})
    status, body = server.json("PATCH", "/v1/effects/fill/params", {"strength": "loud"})
    assert (status, body["code"], body["effect"], body["parameter"]) == (
        400,
        "bad_parameter",
        "fill",
        "strength",
    )
    assert "string" in body["message"]
    status, body = server.json("PATCH", "/v1/effects/fill/params", {"nope": 1})
    assert (status, body["code"], body["parameter"]) == (400, "bad_parameter", "nope")
    assert server.json("PATCH", "/v1/effects/ghost/params", {"strength": 1})[1]["code"] == "no_effect"
    status, _, text = server.call("GET", "/v1/graph")
    assert json.loads(text)["nodes"][1]["params"]["values"] == {"strength": [0.5]}

    status, body = server.json("POST", "/v1/graph/start", {"fps": 60})
    assert status == 200, body
    assert server.json("POST", "/v1/graph/start", {})[1]["code"] == "already_running"
    index, pixels = frame_of(server)
    assert pixels.shape == (48, 64, 4)
    status, headers, payload = server.call("GET", "/v1/frames/latest", headers={"Accept": "image/jpeg"})
    assert status == 200 and headers["content-type"] == "image/jpeg" and payload[:2] == b"\xff\xd8"
    status, stats = server.json("GET", "/v1/stats")
    assert status == 200 and stats["graph_loaded"] and stats["latest_frame"]["from"] == "fill"
    status, stats = server.json("POST", "/v1/graph/stop")
    assert status == 200 and stats["running"] is False and stats["frames"] > 0
    status, body = server.json("POST", "/v1/graph/start", {"frames": 3})
    assert status == 200, body


def test_bad_configs_name_the_field(server: Server) -> None:
    config = solid_graph()
    config["nodes"][0]["params"]["width"] = "wide"
    status, body = server.json("PUT", "/v1/graph", config)
    assert (status, body["code"]) == (400, "bad_config")
    assert "nodes[0].params.width" in body["message"]
    # Nodes that touch the server's files are refused unless it runs with --allow-files.
    status, body = server.json("PUT", "/v1/graph", raw=EXAMPLE.read_bytes())
    assert (status, body["code"]) == (400, "bad_config")
    assert "params.directory" in body["field"] and "--allow-files" in body["message"]


def test_broken_shader_replace_keeps_frames_flowing(server: Server) -> None:
    assert server.json("PUT", "/v1/graph", solid_graph(RED))[0] == 200
    assert server.json("POST", "/v1/graph/start", {"fps": 60})[0] == 200
    before, pixels = frame_of(server)
    assert tuple(pixels[10, 10]) == (255, 0, 0, 255)

    status, body = server.json("PUT", "/v1/effects/fill/shader", {"source": BROKEN})
    assert (status, body["code"]) == (422, "compile_error") and body["diagnostics"]
    after, pixels = frame_of(server, before + 2)
    assert after > before and tuple(pixels[10, 10]) == (255, 0, 0, 255)

    status, body = server.json("PUT", "/v1/effects/fill/shader", {"source": GREEN})
    assert status == 200 and body["swaps"] == 1, body
    deadline = time.monotonic() + 30
    while tuple(frame_of(server)[1][10, 10]) != (0, 255, 0, 255):
        assert time.monotonic() < deadline, "the swapped shader never showed"
        time.sleep(0.05)
    assert server.json("GET", "/v1/stats")[1]["effects"]["fill"]["swaps"] == 1
    server.json("POST", "/v1/graph/stop")

    # GET /v1/graph describes what runs now, and loads back as it is.
    status, _, text = server.call("GET", "/v1/graph")
    config = json.loads(text)
    shader = config["shaders"][config["nodes"][1]["params"]["shader"]]
    assert status == 200 and shader["source"] == GREEN
    assert shader["sha256"] == hashlib.sha256(GREEN.encode()).hexdigest() and not shader.get("artifacts")
    status, body = server.json("PUT", "/v1/graph", config)
    assert status == 200, body
    assert server.json("POST", "/v1/graph/start", {"frames": 2})[0] == 200
    assert tuple(frame_of(server)[1][10, 10]) == (0, 255, 0, 255)


def test_a_runaway_shader_is_bypassed_and_frames_keep_flowing(server: Server) -> None:
    config = solid_graph(RUNAWAY)
    config["nodes"][0]["params"].update({"width": 128, "height": 96})
    config["runtime"]["watchdog_ms"] = 50.0
    assert server.json("PUT", "/v1/graph", config)[0] == 200
    assert server.json("POST", "/v1/graph/start", {"fps": 60})[0] == 200
    deadline = time.monotonic() + 180
    while not (stats := server.json("GET", "/v1/stats")[1])["bypassed"]:
        assert time.monotonic() < deadline, f"never bypassed: {stats}"
        time.sleep(0.1)
    overrun = stats["bypassed"]["fill"]
    assert stats["watchdog_ms"] == 50.0 and overrun["pass_ms"] > 50.0
    assert overrun["message"].startswith("'fill' is bypassed: its pass took ")
    # The pattern passes through, frame after frame.
    index, _ = frame_of(server, stats["frames"])
    assert frame_of(server, index + 3)[0] > index

    # A swap runs the effect again.
    assert server.json("PUT", "/v1/effects/fill/shader", {"source": GREEN})[0] == 200
    deadline = time.monotonic() + 30
    while tuple(frame_of(server)[1][10, 10]) != (0, 255, 0, 255):
        assert time.monotonic() < deadline, "the swapped shader never showed"
        time.sleep(0.05)
    assert server.json("GET", "/v1/stats")[1]["bypassed"] == {}
    server.json("POST", "/v1/graph/stop")


def test_a_swap_in_one_of_two_effects_sharing_a_shader_leaves_the_other_described(server: Server) -> None:
    config = solid_graph(RED)
    config["nodes"].insert(
        2, {"id": "again", "kind": "effect", "type": "effect", "params": {"shader": "fill", "values": {}}}
    )
    config["edges"] = [
        {"from": "pattern.video", "to": "fill.video", "delivery": "every_frame"},
        {"from": "fill.video", "to": "again.video", "delivery": "every_frame"},
        {"from": "again.video", "to": "peek.video", "delivery": "latest"},
    ]
    assert server.json("PUT", "/v1/graph", config)[0] == 200
    assert server.json("PUT", "/v1/effects/again/shader", {"source": GREEN})[0] == 200
    status, _, text = server.call("GET", "/v1/graph")
    described = json.loads(text)
    keys = {node["id"]: node["params"].get("shader") for node in described["nodes"]}
    assert keys["fill"] == "fill" and keys["again"] == "fill@again"
    assert (
        described["shaders"]["fill"]["source"] == RED
        and described["shaders"]["fill@again"]["source"] == GREEN
    )
    assert server.json("PUT", "/v1/graph", described)[0] == 200


# ------------------------------------------------------------------------------------------ security


def test_token_is_required_except_for_health(token_server: Server) -> None:
    assert token_server.call("GET", "/v1/health", token=None)[0] == 200
    for token in (None, "wrong"):
        status, body = token_server.json("GET", "/v1/capabilities", token=token)
        assert (status, body["code"]) == (401, "unauthorized")
        status, body = token_server.json("POST", "/v1/shaders", {"source": RED}, token=token)
        assert (status, body["code"]) == (401, "unauthorized")
    assert token_server.call("GET", "/v1/capabilities")[0] == 200
    remote = RemoteRuntime(token_server.url, token="wrong")
    with pytest.raises(RemoteError) as caught:
        remote.stats()
    assert (getattr(caught.value, "status", None), getattr(caught.value, "code", None)) == (
        401,
        "unauthorized",
    )
    assert RemoteRuntime(token_server.url, token="s3cret-token").stats()["graph_loaded"] is False


HELD_REQUEST = (
    b"POST /v1/shaders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
)


def held_slot(server: Server) -> tuple[socket.socket, dict[str, Any]]:
    """A client that never sends its announced body, holding the only slot, and the busy answer another
    request then gets. On a loaded machine the held request may arrive while a poll still has the slot: it
    is answered busy itself (and holds nothing), so it is sent again."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(HELD_REQUEST)
        slow.settimeout(0.05)
        while time.monotonic() < deadline:
            status, body = server.json("GET", "/v1/stats")
            if status == 503:
                return slow, body
            try:
                slow.recv(1)
            except TimeoutError:
                continue
            except OSError:
                pass
            break  # answered or closed: it holds no slot
        slow.close()
    pytest.fail("no request was ever turned away while the slot was held")


def test_requests_beyond_the_bound_are_busy(tmp_path: Path) -> None:
    for server in start_server(tmp_path, "--max-concurrent", "1"):
        slow, body = held_slot(server)
        with slow:
            assert body["code"] == "busy", body
            assert server.call("GET", "/v1/health")[0] == 200
        deadline = time.monotonic() + 10
        while server.call("GET", "/v1/stats")[0] != 200:
            assert time.monotonic() < deadline, "the slot was never given back"
            time.sleep(0.05)


def test_refuses_public_address_without_token(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(runtime_binary()), "serve", "--listen", f"0.0.0.0:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "without a token" in result.stderr and "--token-file" in result.stderr


# ------------------------------------------------------------------------------------ RemoteRuntime


def test_remote_runtime_drives_the_example(server: Server) -> None:
    remote = RemoteRuntime(server.url)
    assert "glslang" in remote.capabilities()["features"]
    assert remote.compile(TINT)["parameters"][0]["name"] == "strength"
    with pytest.raises(ShaderCompileError) as caught:
        remote.compile(BROKEN)
    assert caught.value.diagnostics and caught.value.diagnostics[0].line == 1

    report = remote.load(example_without_files())
    assert report["latest_frame_from"] == "vignette" and len(report["report"]) == 3
    remote.start(fps=30)
    deadline = time.monotonic() + 60
    while remote.stats().get("latest_frame", {}).get("index") is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    frame = remote.latest_frame()
    assert frame.shape == (360, 640, 4) and frame.dtype == np.uint8
    assert remote.set("tint", strength=0.0)["values"]["strength"] == [0.0]
    with pytest.raises(RemoteError) as bad:
        remote.set("tint", strength="x")
    assert getattr(bad.value, "code", None) == "bad_parameter"
    with pytest.raises(ShaderCompileError):
        remote.replace_shader("vignette", BROKEN)
    assert remote.replace_shader("vignette", RED)["swaps"] == 1
    deadline = time.monotonic() + 30
    while tuple(remote.latest_frame()[5, 5]) != (255, 0, 0, 255):
        # On failure, the stats say how the swapped effect is drawn (fusion, bypassed, the loop's error).
        assert time.monotonic() < deadline, json.dumps(remote.stats())
        time.sleep(0.05)
    stats = remote.stop()
    assert stats["frames"] > 0 and stats["running"] is False


def test_remote_runtime_loads_a_local_runtime(server: Server) -> None:
    runtime = Runtime()
    chain = [
        TestPattern(32, 16, name="pattern"),
        Effect("tint.hlsl", params={"strength": 0.25}, name="tint"),
        NumpySink(name="peek"),
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        runtime.connect(source, target)
    remote = RemoteRuntime(server.url)
    report = remote.load(runtime)
    assert report["latest_frame_from"] == "tint" and report["report"][0]["used"] == "artifact"
    remote.start(frames=5)
    deadline = time.monotonic() + 60
    while remote.stats().get("latest_frame", {}).get("index") is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert remote.latest_frame().shape == (16, 32, 4)
    assert remote.config()["nodes"][1]["params"]["values"]["strength"] == [0.25]


def test_the_example_chain_runs_as_one_fused_pass_unless_the_config_turns_fusion_off(server: Server) -> None:
    config = example_without_files()
    assert server.json("PUT", "/v1/graph", config)[0] == 200
    assert server.json("POST", "/v1/graph/start", {"frames": 3})[0] == 200
    stats = poll_until(lambda: (s := server.json("GET", "/v1/stats")[1])["frames"] >= 3 and s, "three frames")
    assert stats["fusion"] == [
        {"members": ["tint", "blur", "vignette"], "state": "fused, reordered: blur, tint, vignette"}
    ]
    assert stats["unfused"] == {}
    _, fused = frame_of(server)

    config["runtime"]["fuse"] = False
    assert server.json("PUT", "/v1/graph", config)[0] == 200
    assert server.json("POST", "/v1/graph/start", {"frames": 3})[0] == 200
    stats = poll_until(lambda: (s := server.json("GET", "/v1/stats")[1])["frames"] >= 3 and s, "three frames")
    assert stats["fusion"] == [] and stats["unfused"] == {}
    _, unfused = frame_of(server)
    assert np.abs(fused.astype(int) - unfused.astype(int)).max() <= 1
