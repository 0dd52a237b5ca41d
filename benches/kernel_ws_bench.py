"""Kernel websocket round trips, with and without streamlib's server extension (which turns on TCP_NODELAY).

jupyter_server leaves Nagle's algorithm on for kernel websockets: a reply made of several small messages
(status busy, the reply, status idle; a preview's frame then its status) waits on the client's delayed ACK.
streamlib's server extension sets TCP_NODELAY on each kernel websocket (`streamlib.jupyter.server`).

Two JupyterLab servers in one run, one after the other: the stock one (streamlib's server extension off)
and one with it. Against each, a websocket client (tornado, what the server itself runs on) sends
`--rounds` execute requests of `pass` and times each from send to the kernel's `idle` status for it:
everything the server forwards for one request. Printed as a table (p50, p95, mean, the ratio stock /
streamlib) and written as JSON.

Usage: .venv/bin/python benches/kernel_ws_bench.py [--rounds N] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.lab import WITHOUT_SERVER_EXTENSION, Lab, start_lab, stop_lab  # noqa: E402

DEFAULT_OUT = Path("bench-results/kernel_ws.json")


def _start_kernel(lab: Lab) -> str:
    request = urllib.request.Request(
        f"{lab.url}/api/kernels?token={lab.token}",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["id"])


def _execute(session: str) -> tuple[str, str]:
    msg_id = uuid.uuid4().hex
    message = {
        "header": {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "session": session,
            "username": "bench",
            "version": "5.3",
            "date": "",
        },
        "parent_header": {},
        "metadata": {},
        "channel": "shell",
        "buffers": [],
        "content": {
            "code": "pass",
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    }
    return msg_id, json.dumps(message)


async def _round_trips(lab: Lab, rounds: int) -> list[float]:
    kernel = _start_kernel(lab)
    session = uuid.uuid4().hex
    query = f"session_id={session}&token={lab.token}"
    url = f"{lab.url.replace('http', 'ws')}/api/kernels/{kernel}/channels?{query}"
    socket = await websocket_connect(url)
    times: list[float] = []
    try:
        for i in range(rounds + 10):  # the first ten warm the kernel up
            msg_id, text = _execute(session)
            started = time.perf_counter()
            await socket.write_message(text)
            while True:
                raw = await socket.read_message()
                if raw is None:
                    raise RuntimeError("the kernel websocket closed")
                reply = json.loads(raw)
                done = reply.get("msg_type") == "status" and reply["content"].get("execution_state") == "idle"
                if done and reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
            if i >= 10:
                times.append((time.perf_counter() - started) * 1000)
    finally:
        socket.close()
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50": ordered[len(ordered) // 2],
        "p95": ordered[int(len(ordered) * 0.95)],
        "mean": statistics.fmean(ordered),
        "rounds": len(ordered),
    }


def measure(rounds: int, args: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="streamlib-ws-bench-") as root:
        lab = start_lab(Path(root), args=args)
        try:
            return _summary(asyncio.run(_round_trips(lab, rounds)))
        finally:
            stop_lab(lab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    options = parser.parse_args()
    stock = measure(options.rounds, WITHOUT_SERVER_EXTENSION)
    ours = measure(options.rounds, [])
    print(
        f"kernel websocket round trip, {options.rounds} execute requests ({platform.node()}, "
        f"{os.cpu_count()} cores)"
    )
    print(f"  {'':34}{'p50 ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for label, row in (("stock jupyter_server", stock), ("streamlib extension (TCP_NODELAY)", ours)):
        print(f"  {label:34}{row['p50']:>10.1f}{row['p95']:>10.1f}{row['mean']:>10.1f}")
    ratio = stock["p50"] / ours["p50"]
    print(f"  p50 stock / streamlib: {ratio:.2f}×")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": platform.node(),
        "cores": os.cpu_count(),
        "stock": stock,
        "streamlib": ours,
        "p50_ratio": ratio,
    }
    options.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
