"""Runtime binary benchmark: `streamlib-runtime run` against the same graph in-process, and the HTTP API.

* **(a) headless binary** — `streamlib-runtime run CONFIG --frames N` on TestPattern 1280×720 → tint →
  gaussian_blur → vignette → NumpySink (nobody reads it; no file sink). The binary paces its frame loop at
  the config's `runtime.fps` when that is a number; the config written here sets it to `null`, which runs
  the loop uncapped (`RunOptions.fps = None` in the scheduler), so this measures throughput. Frames/s is
  the loop's own figure from the stats line the binary prints when it ends (`N frames in S s (F fps; …)`).
* **(b) in-process Python** — the same `Runtime` (the one exported for (a)), `Runtime.run(frames=N)` with
  no fps (uncapped too); frames/s from the returned stats, the same figure as (a). Target (a)/(b) ≥ 0.95.
* **(c) HTTP compile round trip** — `POST /v1/shaders` of tint.hlsl through a local `serve`: distinct
  sources (a unique comment per request, so the compile cache misses) and the same source again (cache
  hit); p50/p99 wall ms per request over `--compiles` requests (default 50), one connection per request.
* **(d) graph load** — `PUT /v1/graph` of the committed example (its PNG-sequence sink swapped for a
  numpy sink, as the server refuses file sinks without `--allow-files`); median of `--loads` (default 5).

Machine facts include the adapter name from `/v1/capabilities`. This is a benchmark, not a test: it prints
PASS/MISS against the target and asserts nothing about timings.

Usage: .venv/bin/python benches/runtime_bench.py [--quick] [--frames N] [--repeat R] [--out FILE.json]
Environment: STREAMLIB_RUNTIME picks the binary (default native/target/release/streamlib-runtime);
STREAMLIB_ADAPTER picks the adapter for both sides.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import streamlib
from streamlib import Effect, NumpySink, Runtime, TestPattern
from streamlib.errors import StreamlibError

REPO_ROOT = Path(__file__).resolve().parent.parent
SHADER_DIR = REPO_ROOT / "shaders"
EXAMPLE = REPO_ROOT / "examples" / "tint_blur_vignette.streamlib.json"
DEFAULT_OUT = Path("bench-results/runtime.json")
WIDTH, HEIGHT = 1280, 720
DEFAULT_FRAMES, QUICK_FRAMES = 300, 30
DEFAULT_REPEAT, QUICK_REPEAT = 3, 1
DEFAULT_COMPILES, QUICK_COMPILES = 50, 10
DEFAULT_LOADS, QUICK_LOADS = 5, 2
TARGET_RATIO = 0.95
STATS_LINE = re.compile(
    r"(?P<frames>\d+) frames in (?P<elapsed>[\d.]+) s \((?P<fps>[\d.]+) fps; frame time p50 "
    r"(?P<p50>[\d.]+) ms, p99 (?P<p99>[\d.]+) ms\) on (?P<adapter>.+)$"
)


def runtime_binary() -> Path:
    from streamlib.binary import runtime_binary as find

    try:
        return find()
    except StreamlibError as err:
        sys.exit(str(err))


def environment() -> dict[str, str]:
    return {**os.environ, "STREAMLIB_SHADER_PATH": str(SHADER_DIR)}


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def chain() -> Runtime:
    runtime = Runtime()
    nodes = [
        TestPattern(WIDTH, HEIGHT, name="pattern"),
        Effect("tint.hlsl", params={"strength": 0.6}, name="tint"),
        Effect("gaussian_blur.hlsl", params={"radius": 2}, name="blur"),
        Effect("vignette.hlsl", name="vignette"),
        NumpySink(name="out"),
    ]
    for source, target in zip(nodes, nodes[1:], strict=False):
        runtime.connect(source, target)
    return runtime


# ------------------------------------------------------------------------------------------ (a), (b)


def uncapped_config(runtime: Runtime, directory: Path) -> Path:
    path = runtime.export(directory / "chain.streamlib.json")
    config = json.loads(path.read_text())
    config.setdefault("runtime", {})["fps"] = None  # null: the binary runs its loop unpaced
    path.write_text(json.dumps(config))
    return path


def run_binary(binary: Path, config: Path, frames: int) -> dict[str, Any]:
    started = time.perf_counter()
    result = subprocess.run(
        [str(binary), "run", str(config), "--frames", str(frames)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=environment(),
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"streamlib-runtime run failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    for line in result.stdout.splitlines():
        found = STATS_LINE.search(line)
        if found:
            return {
                "frames": int(found["frames"]),
                "elapsed_s": float(found["elapsed"]),
                "fps": float(found["fps"]),
                "frame_ms_p50": float(found["p50"]),
                "frame_ms_p99": float(found["p99"]),
                "adapter": found["adapter"],
                "process_wall_s": wall,
            }
    sys.exit(f"no stats line in the binary's output:\n{result.stdout}")


def run_python(runtime: Runtime, frames: int) -> dict[str, Any]:
    started = time.perf_counter()
    stats = runtime.run(frames)
    stats["call_wall_s"] = time.perf_counter() - started
    return stats


# ------------------------------------------------------------------------------------------ (c), (d)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, binary: Path, directory: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(binary), "serve", "--listen", f"127.0.0.1:{self.port}"],
            cwd=directory,
            env={**environment(), "STREAMLIB_CACHE_DIR": str(directory / "cache")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.request("GET", "/v1/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                sys.exit("streamlib-runtime serve did not come up")
            time.sleep(0.1)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        return response.status, payload, (time.perf_counter() - started) * 1000

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def bench_compiles(server: Server, count: int) -> dict[str, Any]:
    tint = (SHADER_DIR / "tint.hlsl").read_text()
    nonce = f"{time.time_ns()}-{os.getpid()}"

    flags: dict[str, list[bool]] = {"distinct": [], "cached": []}

    def compile_ms(source: str, kind: str | None = None) -> float:
        status, payload, ms = server.request("POST", "/v1/shaders", json.dumps({"source": source}).encode())
        if status != 200:
            sys.exit(f"POST /v1/shaders: {status} {payload[:300]!r}")
        if kind is not None:
            flags[kind].append(bool(json.loads(payload).get("cached")))
        return ms

    compile_ms(f"// bench {nonce} warm-up\n{tint}")  # starts the compile worker, untimed
    distinct = [compile_ms(f"// bench {nonce} {i}\n{tint}", "distinct") for i in range(count)]
    cached_source = f"// bench {nonce} cached\n{tint}"
    compile_ms(cached_source)  # fills the cache
    cached = [compile_ms(cached_source, "cached") for _ in range(count)]
    return {
        "distinct_ms": distinct,
        "distinct_answered_cached": sum(flags["distinct"]),
        "cached_answered_cached": sum(flags["cached"]),
        "cached_ms": cached,
        "distinct_p50": percentile(distinct, 50),
        "distinct_p99": percentile(distinct, 99),
        "cached_p50": percentile(cached, 50),
        "cached_p99": percentile(cached, 99),
    }


def example_without_files() -> bytes:
    config = json.loads(EXAMPLE.read_text())
    for node in config["nodes"]:
        if node["kind"] == "sink":
            node.update({"type": "numpy", "params": {}})
    return json.dumps(config).encode()


def bench_loads(server: Server, count: int) -> dict[str, Any]:
    body = example_without_files()
    samples = []
    for _ in range(count):
        status, payload, ms = server.request("PUT", "/v1/graph", body)
        if status != 200:
            sys.exit(f"PUT /v1/graph: {status} {payload[:300]!r}")
        samples.append(ms)
    return {"load_ms": samples, "median_ms": statistics.median(samples), "bytes": len(body)}


# ------------------------------------------------------------------------------------------ report


def machine_facts(capabilities: dict[str, Any], binary: Path) -> dict[str, Any]:
    adapter = capabilities.get("adapter", {})
    return {
        "adapter": adapter.get("name"),
        "backend": adapter.get("backend"),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "streamlib": getattr(streamlib, "__version__", None),
        "binary": str(binary),
    }


def print_report(report: dict[str, Any]) -> None:
    facts, a, b = report["machine"], report["binary_run"], report["python_run"]
    print(
        f"machine: {facts['adapter']} ({facts['backend']}), {facts['cpu_count']} CPUs, "
        f"{facts['platform']}, Python {facts['python']}"
    )
    frames = report["frames"]
    print(f"\nheadless frame loop, {WIDTH}x{HEIGHT} tint→gaussian_blur→vignette→numpy, {frames} frames,")
    print(f"uncapped (runtime.fps null), best of {report['repeat']} (frames/s from the loop's stats)")
    print(f"{'':34}{'frames/s':>10}{'p50 ms':>9}{'p99 ms':>9}")
    print(f"{'(a) streamlib-runtime run':34}{fmt(a['fps']):>10}{fmt(a['p50'], 2):>9}{fmt(a['p99'], 2):>9}")
    print(f"{'(b) Python Runtime.run':34}{fmt(b['fps']):>10}{fmt(b['p50'], 2):>9}{fmt(b['p99'], 2):>9}")
    ratio = report["ratio"]
    verdict = "PASS" if ratio >= TARGET_RATIO else "MISS"
    print(f"(a)/(b) = {ratio:.2f}   target ≥ {TARGET_RATIO}   {verdict}")
    c, d = report["compile"], report["load"]
    print(f"\nHTTP API (one connection per request), {report['compiles']} compiles each")
    print(f"{'':34}{'p50 ms':>10}{'p99 ms':>9}   (after one untimed compile that starts the worker)")
    for label, key in (("cache miss", "distinct"), ("cache hit", "cached")):
        name = f"(c) POST /v1/shaders, {label}"
        hits = f"{c[key + '_answered_cached']} answered cached"
        print(f"{name:34}{fmt(c[key + '_p50'], 2):>10}{fmt(c[key + '_p99'], 2):>9}   {hits}")
    loads = len(d["load_ms"])
    print(f"(d) PUT /v1/graph (example, {d['bytes']} B): median {fmt(d['median_ms'], 2)} ms of {loads}")


def best(samples: list[dict[str, Any]]) -> dict[str, Any]:
    top = max(samples, key=lambda s: s["fps"])
    return {"fps": top["fps"], "p50": top["frame_ms_p50"], "p99": top["frame_ms_p99"]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smoke run: fewer frames and requests")
    parser.add_argument("--frames", type=int, default=None, help=f"frames per run (default {DEFAULT_FRAMES})")
    parser.add_argument(
        "--repeat", type=int, default=None, help=f"runs of (a) and (b) (default {DEFAULT_REPEAT})"
    )
    parser.add_argument("--compiles", type=int, default=None, help=f"default {DEFAULT_COMPILES}")
    parser.add_argument("--loads", type=int, default=None, help=f"default {DEFAULT_LOADS}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    frames = args.frames or (QUICK_FRAMES if args.quick else DEFAULT_FRAMES)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    compiles = args.compiles or (QUICK_COMPILES if args.quick else DEFAULT_COMPILES)
    loads = args.loads or (QUICK_LOADS if args.quick else DEFAULT_LOADS)
    binary = runtime_binary()
    os.environ.setdefault("STREAMLIB_SHADER_PATH", str(SHADER_DIR))

    with tempfile.TemporaryDirectory(prefix="streamlib-runtime-bench-") as tmp:
        directory = Path(tmp)
        runtime = chain()
        config = uncapped_config(runtime, directory)
        run_binary(binary, config, min(frames, 10))  # warm-up: shader cache, driver
        run_python(runtime, min(frames, 10))
        binary_runs: list[dict[str, Any]] = []
        python_runs: list[dict[str, Any]] = []
        for _ in range(repeat):  # interleaved, so a slow stretch of the machine hits both
            binary_runs.append(run_binary(binary, config, frames))
            python_runs.append(run_python(runtime, frames))

        server = Server(binary, directory)
        try:
            status, payload, _ = server.request("GET", "/v1/capabilities")
            capabilities = json.loads(payload) if status == 200 else {}
            compile_results = bench_compiles(server, compiles)
            load_results = bench_loads(server, loads)
        finally:
            server.close()

    a, b = best(binary_runs), best(python_runs)
    report = {
        "machine": machine_facts(capabilities, binary),
        "frames": frames,
        "repeat": repeat,
        "compiles": compiles,
        "binary_run": a,
        "python_run": b,
        "ratio": a["fps"] / b["fps"],
        "target_ratio": TARGET_RATIO,
        "binary_samples": binary_runs,
        "python_samples": python_runs,
        "compile": compile_results,
        "load": load_results,
    }
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
