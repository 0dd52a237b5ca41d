"""MCP overhead benchmark: the same operations over `serve`'s MCP endpoint (`/mcp`, streamable HTTP) and over
its plain HTTP API, in one run against one `streamlib-runtime serve`.

* **compile, cache miss** — tint.hlsl made unique by a trailing `// bench <n>` comment: MCP `compile_shader`
  vs `POST /v1/shaders`.
* **compile, cache hit** — one source compiled before the timing starts: the same two calls.
* **frame 1280×720 PNG** — a running graph (TestPattern 1280×720 → tint → numpy sink, 30 fps): MCP
  `get_frame` (`max_size` 1280, so nothing is scaled) vs `GET /v1/frames/latest`.

Three clients, each on its own keep-alive connection: `http` (`http.client` on the HTTP API), `mcp raw` (the
same `http.client` POSTing the JSON-RPC `tools/call` an MCP client sends to `/mcp`: what the server's MCP
layer costs) and `mcp sdk` (the official MCP Python SDK, `mcp`, one initialised session: what an agent in
Python pays end to end, the SDK's own async stack and result validation included). Each repetition runs the
three in turn, so drift hits all. Wall time per call (`time.perf_counter()`), the response read in full.
Overhead is the difference of medians against `http`; the target (≤ 1 ms p50) is for the server's MCP
layer (`mcp raw`). A benchmark, not a test: it prints a table, writes JSON with every sample, and asserts
nothing.

Usage: .venv/bin/python benches/mcp_bench.py [--repeat N | --quick] [--out bench-results/mcp.json]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

import streamlib
from streamlib import Effect, NumpySink, Runtime, TestPattern
from streamlib.binary import runtime_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
TINT = (REPO_ROOT / "shaders" / "tint.hlsl").read_text()
DEFAULT_OUT = Path("bench-results/mcp.json")
WIDTH, HEIGHT = 1280, 720
TARGET_OVERHEAD_MS = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def graph_config() -> str:
    runtime = Runtime()
    tint = Effect(streamlib.compile(TINT, name="tint"), name="tint")
    runtime.connect(TestPattern(WIDTH, HEIGHT, name="pattern"), tint)
    runtime.connect(tint, NumpySink(name="sink"))
    return runtime.config_text(targets=())


class Api:
    """One keep-alive connection: the plain HTTP API, or JSON-RPC POSTed to /mcp."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(
        self, method: str, path: str, body: bytes | None = None, accept: str = "application/json"
    ) -> bytes:
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        return payload

    def tool(self, name: str, arguments: dict[str, Any]) -> bytes:
        """A JSON-RPC tools/call POSTed to /mcp as a streamable-HTTP client sends it (stateless server)."""
        message = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        }
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        }
        self.connection.request("POST", "/mcp", body=json.dumps(message), headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        if response.status != 200 or b'"isError":true' in payload:
            raise RuntimeError(f"/mcp {name}: {response.status} {payload[:200]!r}")
        return payload


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


async def timed(work: Callable[[], Awaitable[Any]] | Callable[[], Any]) -> float:
    started = time.perf_counter()
    result = work()
    if asyncio.iscoroutine(result):
        result = await result
    if getattr(result, "is_error", False):
        raise RuntimeError(f"MCP tool error: {result.content}")
    return (time.perf_counter() - started) * 1000.0


async def measure(port: int, repeat: int) -> dict[str, dict[str, list[float]]]:
    api, raw = Api(port), Api(port)
    api.call("PUT", "/v1/graph", graph_config().encode())
    api.call("POST", "/v1/graph/start", json.dumps({"fps": 30}).encode())
    api.call("POST", "/v1/shaders", json.dumps({"source": TINT}).encode())
    samples: dict[str, dict[str, list[float]]] = {
        op: {"http": [], "mcp_raw": [], "mcp_sdk": []}
        for op in ("compile_miss", "compile_hit", "frame_720p_png")
    }
    async with (
        streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write, *_),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        for _ in range(100):  # the graph's first frame
            try:
                api.call("GET", "/v1/frames/latest", accept="image/png")
                break
            except RuntimeError:
                await asyncio.sleep(0.05)
        for warm in range(3):  # connections, the SDK's first validations
            await mcp.call_tool("compile_shader", {"source": TINT})
            await mcp.call_tool("get_frame", {"max_size": WIDTH})
            raw.tool("compile_shader", {"source": TINT})
            api.call("POST", "/v1/shaders", json.dumps({"source": TINT + f"// warm {warm}\n"}).encode())
        hit = json.dumps({"source": TINT}).encode()
        frame = {"max_size": WIDTH, "format": "png"}
        for i in range(repeat):
            miss_http = json.dumps({"source": TINT + f"// bench http {i}\n"}).encode()
            miss_raw = {"source": TINT + f"// bench raw {i}\n"}
            miss_mcp = {"source": TINT + f"// bench mcp {i}\n"}
            runs: list[tuple[str, str, Callable[[], Any]]] = [
                ("compile_miss", "http", lambda b=miss_http: api.call("POST", "/v1/shaders", b)),
                ("compile_miss", "mcp_raw", lambda m=miss_raw: raw.tool("compile_shader", m)),
                ("compile_miss", "mcp_sdk", lambda m=miss_mcp: mcp.call_tool("compile_shader", m)),
                ("compile_hit", "http", lambda: api.call("POST", "/v1/shaders", hit)),
                ("compile_hit", "mcp_raw", lambda: raw.tool("compile_shader", {"source": TINT})),
                ("compile_hit", "mcp_sdk", lambda: mcp.call_tool("compile_shader", {"source": TINT})),
                ("frame_720p_png", "http", lambda: api.call("GET", "/v1/frames/latest", accept="image/png")),
                ("frame_720p_png", "mcp_raw", lambda: raw.tool("get_frame", frame)),
                ("frame_720p_png", "mcp_sdk", lambda: mcp.call_tool("get_frame", frame)),
            ]
            for op, side, work in runs:
                samples[op][side].append(await timed(work))
    api.call("POST", "/v1/graph/stop", b"{}")
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="20 repetitions")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    repeat = 20 if args.quick else args.repeat

    port = free_port()
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(REPO_ROOT / "shaders")}
    server = subprocess.Popen(
        [str(runtime_binary()), "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(300):
            try:
                Api(port).call("GET", "/v1/health")
                break
            except OSError:
                time.sleep(0.05)
        samples = asyncio.run(measure(port, repeat))
    finally:
        server.terminate()
        server.wait(timeout=30)

    rows = []
    print(f"MCP (streamable HTTP) vs the plain HTTP API: {repeat} repetitions, one serve, loopback; ms")
    header = ["operation", "HTTP p50", "p99", "raw p50", "p99", "SDK p50", "p99", "raw-HTTP", "SDK-HTTP"]
    print(f"{header[0]:<15}" + "".join(f"{h:>9}" for h in header[1:]) + "  target (raw-HTTP)")
    for op, sides in samples.items():
        p50 = {side: statistics.median(values) for side, values in sides.items()}
        p99 = {side: percentile(values, 0.99) for side, values in sides.items()}
        row: dict[str, Any] = {"operation": op}
        for side in sides:
            row[f"{side}_p50_ms"], row[f"{side}_p99_ms"] = p50[side], p99[side]
        row["server_overhead_p50_ms"] = p50["mcp_raw"] - p50["http"]
        row["sdk_overhead_p50_ms"] = p50["mcp_sdk"] - p50["http"]
        row["meets_target"] = row["server_overhead_p50_ms"] <= TARGET_OVERHEAD_MS
        rows.append(row)
        figures = [p50["http"], p99["http"], p50["mcp_raw"], p99["mcp_raw"], p50["mcp_sdk"], p99["mcp_sdk"]]
        figures += [row["server_overhead_p50_ms"], row["sdk_overhead_p50_ms"]]
        verdict = "PASS" if row["meets_target"] else "MISS"
        print(f"{op:<15}" + "".join(f"{f:9.2f}" for f in figures) + f"  {verdict} (≤ {TARGET_OVERHEAD_MS})")
    machine = {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version.split()[0]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": machine, "repeat": repeat, "rows": rows, "samples": samples}, indent=1)
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
