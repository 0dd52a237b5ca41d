"""A WHEP viewer behind a slow link: run as `unshare --net -- python -m tests.runtime.shaped_link`, it makes
the new network namespace's loopback carry the server's media at `--kbit` kbit/s (a token bucket dropping
what would wait over `--queue-ms`, as a congested router does; every other packet — HTTP, RTCP from the
viewer — goes unshaped), serves a 720p moving picture from `streamlib-runtime serve`, plays it with aiortc
or headless Chromium (`--viewer`) for `--seconds` and prints, each second, what the viewer decoded and what
the server's session reported, as JSON. `shaped_run` runs it from a test."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from ..browser.lab import CHROMIUM, CHROMIUM_ARGS
from ..browser.player import PLAYER
from ..conftest import ROOT
from .test_http_api import Server, start_server
from .test_whep import picture_graph
from .webrtc_peer import post_sdp

PORTS = (41200, 41215)
# The exit status when this kernel or user cannot shape traffic (no tbf or htb, no CAP_NET_ADMIN).
CANNOT_SHAPE = 77
# The pattern rippling under fixed fine speckle: at 720p it takes the encoder's whole free-link rate
# (2.8 Mbit/s), and a lower rate codes it coarser.
RIPPLE = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float phase = 6.28318530718 * (4 * uv.y + time);
    float3 picture = tex2D(input, uv + float2(8 * sin(phase) / resolution.x, 0)).rgb;
    float2 cell = floor(uv * resolution / 2);
    float speckle = frac(sin(dot(cell, float2(12.9898, 78.233))) * 43758.5453);
    return float4(lerp(picture, speckle.xxx, 0.15), 1);
}
"""


def shape_loopback(kbit: int, queue_ms: int) -> None:
    """Loopback up; packets from the server's WebRTC ports through a token bucket, the rest unshaped."""
    first, last = PORTS
    assert last - first == 15 and first % 16 == 0, "the filter matches the range by one port mask"
    commands = [
        "ip link set lo up",
        # aiortc offers no candidate on 127.0.0.1, and the namespace has no other address: give it one.
        "ip addr add 10.9.0.1/32 dev lo",
        # Chromium gathers no candidate on the loopback interface: an interface of its own (a veth pair,
        # which every kernel with namespaces has). Its traffic to the server's 127.0.0.1 is local, so it
        # still goes through loopback and the shaping.
        "ip link add viewer0 type veth peer name viewer1",
        "ip addr add 10.9.1.1/32 dev viewer0",
        "ip link set viewer0 up",
        "ip link set viewer1 up",
        # htb only sorts (both classes far faster than loopback needs); the token bucket under 1:10 shapes.
        "tc qdisc add dev lo root handle 1: htb default 20",
        "tc class add dev lo parent 1: classid 1:10 htb rate 10gbit quantum 60000",
        "tc class add dev lo parent 1: classid 1:20 htb rate 10gbit quantum 60000",
        f"tc qdisc add dev lo parent 1:10 handle 10: tbf rate {kbit}kbit burst 16kb latency {queue_ms}ms",
        f"tc filter add dev lo parent 1: protocol ip u32 match ip protocol 17 0xff "
        f"match ip sport {first} 0xfff0 flowid 1:10",
    ]
    for command in commands:
        done = subprocess.run(command.split(), capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(f"cannot shape loopback: `{command}` said {done.stderr.strip()}\n")
            sys.exit(CANNOT_SHAPE)


def session_of(server: Server) -> dict[str, Any]:
    status, _, payload = server.call("GET", "/v1/stats")
    sessions = json.loads(payload)["webrtc"]["sessions"] if status == 200 else []
    return dict(sessions[0]) if sessions else {}


def second_seen(second: int, decoded: int, size: list[int] | None, server: Server) -> dict[str, Any]:
    """One second's line: what the viewer decoded, at what size, and what the sending session reports."""
    session = session_of(server)
    return {
        "second": second,
        "decoded": decoded,
        "size": size,
        "sent_size": session.get("sent_size"),
        "bytes": session.get("bytes", 0),
        "target_bps": session.get("target_bps"),
        "loss": session.get("loss"),
        "rtt_ms": session.get("rtt_ms"),
        "keyframes_requested": session.get("keyframes_requested", 0),
    }


async def watch(server: Server, seconds: float) -> list[dict[str, Any]]:
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    status, _, answer = await asyncio.to_thread(
        post_sdp, f"{server.url}/v1/whep/fx", pc.localDescription.sdp, None
    )
    assert status == 201, answer
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    track = pc.getReceivers()[0].track
    decoded = 0
    size = None
    seconds_seen: list[dict[str, Any]] = []
    start = time.monotonic()
    next_mark = start + 1
    try:
        while time.monotonic() - start < seconds:
            try:
                frame = await asyncio.wait_for(track.recv(), max(0.05, next_mark - time.monotonic()))
                decoded += 1
                size = [frame.width, frame.height]
            except (TimeoutError, asyncio.TimeoutError):
                pass
            if time.monotonic() >= next_mark:
                second = round(next_mark - start)
                seconds_seen.append(await asyncio.to_thread(second_seen, second, decoded, size, server))
                decoded = 0
                next_mark += 1
    finally:
        await pc.close()
    return seconds_seen


def watch_in_chromium(server: Server, seconds: float) -> list[dict[str, Any]]:
    """Plays the node in headless Chromium (`tests/browser/player.py`): each second, the frames it decoded,
    the size it decoded them at, and how long it counted the picture frozen (its `totalFreezesDuration`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            player = f"{server.url}/player"
            page.route(player, lambda route: route.fulfill(content_type="text/html", body=PLAYER))
            page.goto(player)
            started = page.evaluate("([node, token]) => window.play(node, token)", ["fx", None])
            assert started["status"] == 201, started
            seconds_seen: list[dict[str, Any]] = []
            before: dict[str, Any] = {"framesDecoded": 0, "frozenSeconds": 0.0}
            start = time.monotonic()
            for second in range(1, int(seconds) + 1):
                time.sleep(max(0.0, start + second - time.monotonic()))
                now = page.evaluate("window.inbound()") or before
                size = [now["width"], now["height"]] if now.get("width") else None
                seen = second_seen(second, now["framesDecoded"] - before["framesDecoded"], size, server)
                seen["frozen_s"] = round(now["frozenSeconds"] - before["frozenSeconds"], 3)
                seconds_seen.append(seen)
                before = now
            return seconds_seen
        finally:
            browser.close()


def shaped_run(kbit: int, seconds: int, viewer: str = "aiortc") -> list[dict[str, Any]]:
    """Runs this module in a network namespace of its own (skipping the test when that cannot be done here)
    and returns what it printed."""
    if shutil.which("unshare") is None or shutil.which("tc") is None:
        pytest.skip("shaping a link needs `unshare` (util-linux) and `tc` (iproute2)")
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a network namespace here (root is needed): {probe.stderr.strip()}")
    done = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-m", "tests.runtime.shaped_link"]
        + ["--kbit", str(kbit), "--seconds", str(seconds), "--queue-ms", "300", "--viewer", viewer],
        cwd=ROOT,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=seconds + 90,
    )
    if done.returncode == CANNOT_SHAPE:
        pytest.skip(done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kbit", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--queue-ms", type=int, default=50)
    parser.add_argument("--viewer", choices=("aiortc", "chromium"), default="aiortc")
    args = parser.parse_args()
    shape_loopback(args.kbit, args.queue_ms)
    with tempfile.TemporaryDirectory() as tmp:
        serving = start_server(Path(tmp), "--webrtc-ports", f"{PORTS[0]}-{PORTS[1]}")
        server = next(serving)
        try:
            assert server.json("PUT", "/v1/graph", picture_graph(1280, 720, RIPPLE))[0] == 200
            assert server.json("POST", "/v1/graph/start", {})[0] == 200
            if args.viewer == "chromium":
                seconds = watch_in_chromium(server, args.seconds)
            else:
                seconds = asyncio.run(watch(server, args.seconds))
        finally:
            next(serving, None)
    json.dump(seconds, sys.stdout)


if __name__ == "__main__":
    main()
