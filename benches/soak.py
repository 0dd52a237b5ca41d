"""Soak: `streamlib-runtime serve` running the example graph for a long time under the edits a live session
makes, sampled for leaks and decay.

The committed example (test pattern 640×360 → tint → gaussian_blur → vignette; its PNG sink swapped for a
numpy sink) runs at 30 fps in a `serve` process for `--minutes` (default 30). Meanwhile:

* every second a parameter changes (`PATCH /v1/effects/tint/params`, strength cycling through 0.3…0.9);
* every 10 s the tint shader is swapped (`PUT /v1/effects/tint/shader`), alternating two good variants, and
  every fifth swap is a broken shader, which must be answered 422 with diagnostics while frames go on;
* `GET /v1/frames/latest` is polled at 10 Hz on its own thread (a viewer).

Every `--sample-s` seconds (default 60; the first sample one interval after the start) the process's RSS,
open fds and threads (from /proc) and the graph's frames and fps (from /v1/stats) are recorded. Verdicts: RSS
growth after the first sample < 5 MB, the last sample's fps ≥ 0.9× the first's, fds and threads not growing
(beyond 2 in flight), every broken swap answered with diagnostics and the frame index still advancing across
it, every good swap 200, no poll failing. A table is printed and every sample goes to JSON. This is a
benchmark, not a test: it reports, it asserts nothing.

Usage: .venv/bin/python benches/soak.py [--minutes M] [--sample-s S] [--out bench-results/soak.json]
Environment: STREAMLIB_RUNTIME picks the binary; STREAMLIB_ADAPTER the adapter.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import streamlib.binary

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = REPO_ROOT / "examples" / "tint_blur_vignette.streamlib.json"
DEFAULT_OUT = Path("bench-results/soak.json")
TINTS = [
    "cbuffer params { float strength; /* @range(0, 1) @default(0.6) */ };\n"
    "float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv);"
    " return float4(c.rgb * lerp(1, float3(1, 0.8, 0.6), strength), c.a); }\n",
    "cbuffer params { float strength; /* @range(0, 1) @default(0.6) */ };\n"
    "float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv);"
    " return float4(c.rgb * lerp(1, float3(0.6, 0.8, 1), strength), c.a); }\n",
]
BROKEN = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength }\n"
RSS_GROWTH_LIMIT_MB = 5.0
FPS_KEPT = 0.9
# Connections in flight when a sample is taken (the viewer's poll, the edit being made) and tokio's blocking
# threads, which come and go with load: a leak grows past these, a snapshot may catch them.
TRANSIENT = 2


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, bytes, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {"content-type": "application/json"} if data is not None else {}
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        status, payload, _ = self.call(method, path, body)
        return status, json.loads(payload)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_facts(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
        "threads": int(fields["Threads"]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def example_config() -> dict[str, Any]:
    config = json.loads(EXAMPLE.read_text())
    for node in config["nodes"]:
        if node["id"] == "out":
            node.update({"type": "numpy", "params": {}})
    return dict(config)


class Viewer(threading.Thread):
    """Polls the latest frame at 10 Hz, as a dashboard would; counts answers and failures."""

    def __init__(self, client: Client) -> None:
        super().__init__(daemon=True)
        self.client, self.stop = client, threading.Event()
        self.ok = self.failed = 0
        self.last_index = -1

    def run(self) -> None:
        while not self.stop.wait(0.1):
            try:
                status, _, headers = self.client.call("GET", "/v1/frames/latest")
            except OSError:
                self.failed += 1
                continue
            if status == 200:
                self.ok += 1
                self.last_index = int(headers.get("x-frame-index", self.last_index))
            else:
                self.failed += 1


def soak(minutes: float, sample_s: float) -> dict[str, Any]:
    port = free_port()
    binary = streamlib.binary.runtime_binary()
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(REPO_ROOT / "shaders")}
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [str(binary), "serve", "--listen", f"127.0.0.1:{port}"],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        client = Client(port)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.call("GET", "/v1/health")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(
                        f"the server did not come up: {server.stderr.read() if server.stderr else ''}"
                    )
                time.sleep(0.1)
            status, body = client.json("PUT", "/v1/graph", example_config())
            if status != 200:
                raise SystemExit(f"PUT /v1/graph: {status} {body}")
            adapter = body.get("adapter", "?")
            client.json("POST", "/v1/graph/start", {"fps": 30})
            viewer = Viewer(client)
            viewer.start()
            return run_load(client, server.pid, viewer, minutes, sample_s) | {"adapter": adapter}
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def run_load(client: Client, pid: int, viewer: Viewer, minutes: float, sample_s: float) -> dict[str, Any]:
    started = time.monotonic()
    end = started + minutes * 60
    samples: list[dict[str, float]] = []
    swaps: list[dict[str, Any]] = []
    param_failures = 0
    # The first sample comes after one interval: the graph's start (pipelines, first frames) is not a leak.
    next_param, next_swap, next_sample = started + 1, started + 10, started + sample_s
    step = 0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            _, stats = client.json("GET", "/v1/stats")
            samples.append(
                {
                    "t_s": round(now - started, 1),
                    **process_facts(pid),
                    "frames": stats["frames"],
                    "fps": stats["fps"],
                }
            )
            print(f"  {samples[-1]}", flush=True)
            next_sample += sample_s
        if now >= end:
            break
        if now >= next_param:
            step += 1
            status, _ = client.json("PATCH", "/v1/effects/tint/params", {"strength": 0.3 + 0.1 * (step % 7)})
            param_failures += status != 200
            next_param += 1
        if now >= next_swap:
            number = len(swaps) + 1
            broken = number % 5 == 0
            before = viewer.last_index
            status, body = client.json(
                "PUT", "/v1/effects/tint/shader", {"source": BROKEN if broken else TINTS[number % 2]}
            )
            time.sleep(0.5)
            swaps.append(
                {
                    "number": number,
                    "broken": broken,
                    "status": status,
                    "diagnostics": len(body.get("diagnostics") or []),
                    "frames_went_on": viewer.last_index > before,
                }
            )
            next_swap += 10
        time.sleep(max(0.0, min(next_param, next_swap, next_sample, end) - time.monotonic()))
    viewer.stop.set()
    viewer.join()
    return {
        "samples": samples,
        "swaps": swaps,
        "param_failures": param_failures,
        "polls_ok": viewer.ok,
        "polls_failed": viewer.failed,
    }


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    samples, swaps = result["samples"], result["swaps"]
    after_first = [s["rss_mb"] for s in samples[1:]] or [samples[0]["rss_mb"]]
    broken = [s for s in swaps if s["broken"]]
    good = [s for s in swaps if not s["broken"]]

    def flat(key: str) -> bool:
        values = [s[key] for s in samples]
        half = max(1, len(values) // 2)
        return max(values[half:] or values) <= max(values[:half]) + TRANSIENT

    return {
        f"RSS growth after the first sample < {RSS_GROWTH_LIMIT_MB} MB": max(after_first) - after_first[0]
        < RSS_GROWTH_LIMIT_MB,
        f"fds flat (second half's max ≤ first half's + {TRANSIENT})": flat("fds"),
        f"threads flat (second half's max ≤ first half's + {TRANSIENT})": flat("threads"),
        f"last fps ≥ {FPS_KEPT}× first": samples[-1]["fps"] >= FPS_KEPT * samples[0]["fps"]
        if len(samples) > 1
        else True,
        "every broken swap: 422 with diagnostics, frames went on": all(
            s["status"] == 422 and s["diagnostics"] > 0 and s["frames_went_on"] for s in broken
        ),
        "every good swap: 200": all(s["status"] == 200 for s in good),
        "every parameter change and frame poll answered": result["param_failures"] == 0
        and result["polls_failed"] == 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-s", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(f"soak: {args.minutes} min, a sample every {args.sample_s} s", flush=True)
    result = soak(args.minutes, args.sample_s)
    checks = verdicts(result)
    print(f"\nmachine: {platform.node()} · {os.cpu_count()} CPUs · adapter {result['adapter']}")
    print(f"{'t (s)':>8} {'RSS MB':>8} {'fds':>5} {'threads':>8} {'frames':>8} {'fps':>6}")
    for s in result["samples"]:
        row = (s["t_s"], s["rss_mb"], s["fds"], s["threads"], s["frames"], s["fps"])
        print("{:>8.0f} {:>8.1f} {:>5} {:>8} {:>8} {:>6.1f}".format(*row))
    broken = sum(s["broken"] for s in result["swaps"])
    polls = f"{result['polls_ok']} ok, {result['polls_failed']} failed"
    print(f"swaps: {len(result['swaps'])} ({broken} broken); polls: {polls}")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {"machine": {"node": platform.node(), "cpus": os.cpu_count()}, **result, "verdicts": checks},
            indent=2,
        )
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
