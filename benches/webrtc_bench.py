"""Live video between runtimes over WHIP/WHEP, glass to glass.

A publisher (aiortc, libx264) sends a picture whose top row carries the time it was made as a binary code,
30 fps, to runtime A's `POST /v1/whip/cam`; A's graph is that `whip` source. Runtime B plays A's node with a
`whep` source and applies an effect (a gain that keeps the code readable); a viewer (aiortc) plays B's
`/v1/whep/fx` and reads the code in each decoded frame: latency = arrival − stamp (one clock, one machine).

Each size runs three phases one after the other, so they do not share the CPU:

* `one hop`: publisher → A → viewer; A passes the publication's H.264 on as it came (the `whip` source's
  own size, baseline profile: `webrtc/relay.rs`), decoding it only for its own graph;
* `two hops`: publisher → A → B → viewer (B plays A over WHEP, renders the effect, encodes again);
* `one hop, re-encoded`: publisher → A → viewer through an effect on A that copies its input (A decodes,
  draws, encodes again).

The peers, in the same run, each a hop done by another stack:

* `GStreamer pass-on`, `GStreamer relay` and `GStreamer effect`: `gst_relay.py`, GStreamer pipelines behind
  the same WHIP/WHEP requests, run by the system Python (python3-gi): the H.264 sent on as it came (depayload,
  parse, payload); decoded and encoded again (avdec_h264, x264enc zerolatency ultrafast); or decoded,
  drawn through the same copy effect on GStreamer's GL elements (Mesa's software rasteriser where there is no
  GPU, as streamlib's lavapipe) and encoded again. The rows are left out, saying why, when GStreamer's
  bindings or elements are missing. Debian 12's `simple-whip-client` aborts at start (libsoup 2 and 3 in one
  process) and its GStreamer 1.22 has no `whipsink`/`whepsrc`, hence the pipelines written out;
* `aiortc relay`: an aiortc peer receives the publisher's track and sends it on to the viewer — decode,
  re-encode — with signalling in process: the WebRTC stack a Python user would reach for.

Reported per phase, over `--seconds` from the viewer's first frame (a relay that waits for the publisher's
next keyframe is timed as long as one that asks for it): new frames the viewer decoded per second, latency
p50/p95 (ms), frames sent again with no new picture (a repeat is counted, not timed), CPU of each runtime
process (% of one core, from /proc), and the bitrate and packets per frame the viewer's transport received.
For the hops that pass frames on (streamlib's one hop, GStreamer's pass-on), `fwd ms` is the relay's own time
per frame read off the wire (`rtp_capture.py`: tcpdump, root), without the publisher's and viewer's. A table
is printed and the rows go to JSON.

With `--rounds N` every measurement runs N times in turn, and a summary gives per path the median over the
rounds and, per size, each streamlib hop's p50 over that of the GStreamer relay doing the same work (one hop
over pass-on, the re-encoded hop over the GL effect), and the re-encoded hop over the relay that draws no
effect, each ratio taken within each round.

Usage: .venv/bin/python benches/webrtc_bench.py [--seconds S] [--sizes 640x480,1280x720] [--rounds N]
       [--out FILE]
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
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import av
import numpy as np
import rtp_capture
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.contrib.media import MediaRelay
from rtp_capture import Capture

import streamlib.binary

DEFAULT_OUT = Path("bench-results/webrtc.json")
BITS, BLOCK, ROW = 32, 16, 8
GAIN = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(c.rgb * 0.9 + 0.05, 1);
}
"""
COPY = "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }\n"
EPOCH = time.monotonic()
#: How long a viewer waits for its first frame; its timed seconds start there.
FIRST_FRAME_WAIT = 20.0


def now_ms() -> int:
    return int((time.monotonic() - EPOCH) * 1000)


def stamp(rgb: np.ndarray, value: int) -> None:
    """`value` (24 bits) and a check byte as 32 black/white blocks along the top."""
    word = (value & 0xFFFFFF) << 8 | ((value * 31 + 7) & 0xFF)
    for i in range(BITS):
        bit = (word >> (BITS - 1 - i)) & 1
        rgb[ROW : ROW + BLOCK, BLOCK + i * BLOCK : BLOCK + (i + 1) * BLOCK] = 255 if bit else 0


def read_stamp(frame: av.VideoFrame) -> int | None:
    """The stamp, read from the decoded luma plane: converting whole frames to RGB would make the viewer the
    bottleneck at 720p on two cores."""
    plane = frame.planes[0]
    rows = np.frombuffer(bytes(plane), np.uint8).reshape(-1, plane.line_size)
    luma = rows[ROW + BLOCK // 2, [BLOCK + i * BLOCK + BLOCK // 2 for i in range(BITS)]]
    word = 0
    for value in luma:
        word = word << 1 | int(value > 128)
    value, check = word >> 8, word & 0xFF
    return value if check == (value * 31 + 7) & 0xFF else None


def base_picture(width: int, height: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // (width - 1), y * 255 // (height - 1), (x + y) % 256], axis=-1).astype(
        np.uint8
    )


class Stamped(VideoStreamTrack):
    """The picture scrolling 4 pixels a frame (motion for the encoders), stamped with the time."""

    def __init__(self, width: int, height: int) -> None:
        super().__init__()
        self.base = base_picture(width, height)
        self.frames = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.frames += 1
        rgb = np.roll(self.base, 4 * self.frames, axis=1)
        stamp(rgb, now_ms())
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


def post(
    port: int, path: str, body: bytes, content_type: str, method: str = "POST"
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve(directory: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    process = subprocess.Popen(
        [str(streamlib.binary.runtime_binary()), "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if post(port, "/v1/health", b"", "text/plain", method="GET")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def graph(nodes: list[dict[str, Any]], edges: list[tuple[str, str]], shaders: dict[str, str]) -> bytes:
    return json.dumps(
        {
            "format": "streamlib.graph",
            "version": 1,
            "runtime": {"fps": 30.0, "adapter": None},
            "nodes": nodes,
            "edges": [{"from": f"{a}.video", "to": f"{b}.video", "delivery": "latest"} for a, b in edges],
            "shaders": {
                name: {
                    "name": f"{name}.hlsl",
                    "stage": "pixel",
                    "entry": "main",
                    "backend": "glslang",
                    "source": source,
                    "sha256": __import__("hashlib").sha256(source.encode()).hexdigest(),
                    "artifacts": {},
                    "artifact_source_sha256": None,
                }
                for name, source in shaders.items()
            },
        }
    ).encode()


def load(port: int, body: bytes) -> None:
    for method, path, data in (("PUT", "/v1/graph", body), ("POST", "/v1/graph/start", b"{}")):
        status, _, answer = post(port, path, data, "application/json", method=method)
        if status != 200:
            raise SystemExit(f"{method} {path} answered {status}: {answer[:300]!r}")


async def whip_publish(port: int, path: str, width: int, height: int) -> RTCPeerConnection:
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(Stamped(width, height), direction="sendonly")
    transceiver.setCodecPreferences(
        [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    )
    await pc.setLocalDescription(await pc.createOffer())
    status, _, answer = await asyncio.to_thread(
        post, port, path, pc.localDescription.sdp.encode(), "application/sdp"
    )
    if status != 201:
        raise SystemExit(f"WHIP {path} answered {status}: {answer[:300]!r}")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.decode(), type="answer"))
    return pc


async def transport_received(pc: RTCPeerConnection) -> tuple[int, int]:
    """Bytes and packets the peer's transport has received (RTP and RTCP)."""
    report = await pc.getStats()
    transports = [s for s in report.values() if s.type == "transport"]
    return sum(s.bytesReceived for s in transports), sum(s.packetsReceived for s in transports)


async def watch(pc: RTCPeerConnection, track: Any, seconds: float) -> dict[str, float]:
    """`seconds` of frames from the first one at the published size on: a relay that starts at the
    publisher's next keyframe (one that does not pass the viewer's request on), or at a smaller size, is
    timed as long as one that does not."""
    latencies: list[float] = []
    arrivals: list[float] = []
    unread = unread_first = repeats = last = 0
    deadline = time.monotonic() + FIRST_FRAME_WAIT
    received = None
    while time.monotonic() < deadline:
        try:
            frame = await asyncio.wait_for(track.recv(), max(0.1, deadline - time.monotonic()))
        except (TimeoutError, asyncio.TimeoutError):
            break
        arrived = now_ms()
        value = read_stamp(frame)
        if value is None:
            # A picture sent smaller (a session starts low and climbs: `rate.rs`) has no stamp to read.
            if received is None:
                unread_first += 1
            else:
                unread += 1
            continue
        if received is None:
            deadline = time.monotonic() + seconds
            received = (time.monotonic(), *await transport_received(pc))
        # A frame sent again (the relay had nothing new) shows nothing new: it is counted, not timed.
        if latencies and value == last:
            repeats += 1
            continue
        last = value
        latencies.append(arrived - value)
        arrivals.append(time.monotonic())
    if len(arrivals) < 2 or received is None:
        return {
            "fps": 0.0,
            "p50_ms": float("nan"),
            "p95_ms": float("nan"),
            "frames": len(arrivals),
            "unread": unread,
            "unread_first": unread_first,
            "repeats": repeats,
            "mbps": float("nan"),
            "packets_per_frame": float("nan"),
        }
    started, start_bytes, start_packets = received
    end_bytes, end_packets = await transport_received(pc)
    spent = time.monotonic() - started
    # The first second settles (keyframe, jitter buffer).
    settled = [
        lat for lat, at in zip(latencies, arrivals, strict=True) if at - arrivals[0] > 1.0
    ] or latencies
    return {
        "fps": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "p50_ms": float(np.percentile(settled, 50)),
        "p95_ms": float(np.percentile(settled, 95)),
        "frames": len(arrivals),
        "unread": unread,
        "unread_first": unread_first,
        "repeats": repeats,
        "mbps": (end_bytes - start_bytes) * 8 / spent / 1e6,
        "packets_per_frame": (end_packets - start_packets) / max(len(arrivals) + repeats + unread, 1),
    }


async def whep_watch(port: int, path: str, seconds: float) -> dict[str, float]:
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        status, _, answer = await asyncio.to_thread(
            post, port, path, pc.localDescription.sdp.encode(), "application/sdp"
        )
        if status != 201:
            raise SystemExit(f"WHEP {path} answered {status}: {answer[:300]!r}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.decode(), type="answer"))
        return await watch(pc, pc.getReceivers()[0].track, seconds)
    finally:
        await pc.close()


def forwarding(capture: Capture | None) -> dict[str, float]:
    """The relay's own time per frame, off the wire (pass-on hops only; NaN where not captured)."""
    measured = capture.forwarding_ms() if capture is not None else None
    p50, p90 = measured or (float("nan"), float("nan"))
    return {"forward_p50_ms": p50, "forward_p90_ms": p90}


async def watch_runtime(
    phase: str, size: str, port: int, node: str, pids: tuple[int, int], seconds: float
) -> dict[str, Any]:
    a_pid, b_pid = pids
    cpu = {pid: cpu_seconds(pid) for pid in pids}
    started = time.monotonic()
    async with Capture() if phase == ONE_HOP_PHASE else nullcontext() as capture:
        watched = await whep_watch(port, f"/v1/whep/{node}", seconds)
    spent = time.monotonic() - started
    return {
        "size": size,
        "path": f"streamlib {phase}",
        **watched,
        **forwarding(capture),
        "cpu_a_pct": 100 * (cpu_seconds(a_pid) - cpu[a_pid]) / spent,
        "cpu_b_pct": 100 * (cpu_seconds(b_pid) - cpu[b_pid]) / spent,
    }


async def runtimes(width: int, height: int, seconds: float, work: Path) -> list[dict[str, Any]]:
    rows = []
    size = f"{width}x{height}"
    (work / "a").mkdir(exist_ok=True)
    (work / "b").mkdir(exist_ok=True)
    with serve(work / "a") as (a_port, a_pid), serve(work / "b") as (b_port, b_pid):
        pids = (a_pid, b_pid)
        whip = {"id": "cam", "kind": "source", "type": "whip", "params": {"width": width, "height": height}}
        # A passes the publication on as it came (its own size, baseline profile): no decode and re-encode.
        load(a_port, graph([whip], [], {}))
        publisher = await whip_publish(a_port, "/v1/whip/cam", width, height)
        try:
            await asyncio.sleep(2)
            rows.append(await watch_runtime(ONE_HOP_PHASE, size, a_port, "cam", pids, seconds))
            remote = {
                "id": "remote",
                "kind": "source",
                "type": "whep",
                "params": {"url": f"http://127.0.0.1:{a_port}/v1/whep/cam", "width": width, "height": height},
            }
            fx = {"id": "fx", "kind": "effect", "type": "effect", "params": {"shader": "gain", "values": {}}}
            load(b_port, graph([remote, fx], [("remote", "fx")], {"gain": GAIN}))
            await asyncio.sleep(3)
            rows.append(await watch_runtime("two hops", size, b_port, "fx", pids, seconds))
            post(b_port, "/v1/graph/stop", b"{}", "application/json")
        finally:
            await publisher.close()
        # The same hop through an effect that copies its input: decoded, drawn, encoded again.
        copy = {"id": "copy", "kind": "effect", "type": "effect", "params": {"shader": "copy", "values": {}}}
        load(a_port, graph([whip, copy], [("cam", "copy")], {"copy": COPY}))
        publisher = await whip_publish(a_port, "/v1/whip/cam", width, height)
        try:
            await asyncio.sleep(2)
            rows.append(await watch_runtime(REENCODED_PHASE, size, a_port, "copy", pids, seconds))
        finally:
            await publisher.close()
    return rows


ONE_HOP_PHASE, REENCODED_PHASE = "one hop", "one hop, re-encoded"
ONE_HOP, REENCODED = f"streamlib {ONE_HOP_PHASE}", f"streamlib {REENCODED_PHASE}"
GSTREAMER = "GStreamer relay (peer)"
GSTREAMER_PASS_ON = "GStreamer pass-on (peer)"
GSTREAMER_EFFECT = "GStreamer effect (peer)"
GSTREAMER_MODES = {"--pass-on": GSTREAMER_PASS_ON, "--relay": GSTREAMER, "--effect": GSTREAMER_EFFECT}
#: The ratios the goal is read from: each streamlib hop against the GStreamer relay doing the same work; and
#: the hop through an effect against a GStreamer relay that draws none.
PAIRS = ((ONE_HOP, GSTREAMER_PASS_ON), (REENCODED, GSTREAMER_EFFECT), (REENCODED, GSTREAMER))
GST_PYTHON = "/usr/bin/python3"  # the system Python: GStreamer's bindings are Debian packages


async def gstreamer_relay(width: int, height: int, seconds: float, mode: str) -> dict[str, Any] | None:
    """publisher → GStreamer relay (WHIP in, decode, encode, WHEP out; with `--pass-on`, the H.264 sent on
    as it came; with `--effect`, drawn through a copy shader on GL between) → viewer."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        relay = subprocess.Popen(
            [GST_PYTHON, str(Path(__file__).with_name("gst_relay.py")), str(port), mode],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 20
            while relay.poll() is None and time.monotonic() < deadline:
                try:
                    if post(port, "/", b"", "text/plain", method="GET")[0] == 200:
                        break
                except OSError:
                    await asyncio.sleep(0.1)
            if relay.poll() is not None:
                log.seek(0)
                print(f"GStreamer relay left out: {log.read().decode(errors='replace').strip()}")
                return None
            publisher = await whip_publish(port, "/whip", width, height)
            try:
                await asyncio.sleep(2)
                cpu, started = cpu_seconds(relay.pid), time.monotonic()
                async with Capture() if mode == "--pass-on" else nullcontext() as capture:
                    watched = await whep_watch(port, "/whep", seconds)
                spent = time.monotonic() - started
            finally:
                await publisher.close()
            return {
                "size": f"{width}x{height}",
                "path": GSTREAMER_MODES[mode],
                **watched,
                **forwarding(capture),
                "cpu_a_pct": 100 * (cpu_seconds(relay.pid) - cpu) / spent,
                "cpu_b_pct": float("nan"),
            }
        finally:
            relay.terminate()
            relay.wait(timeout=30)


async def connect(sender: RTCPeerConnection, receiver: RTCPeerConnection) -> None:
    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)


async def aiortc_relay(width: int, height: int, seconds: float) -> dict[str, Any]:
    """publisher → relay (receives, decodes, re-encodes) → viewer, all aiortc, H.264 on both legs."""
    h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    publisher, relay_in, relay_out, viewer = (RTCPeerConnection() for _ in range(4))
    incoming: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    relay_in.on("track", lambda track: incoming.done() or incoming.set_result(track))
    try:
        publisher.addTransceiver(Stamped(width, height), direction="sendonly").setCodecPreferences(h264)
        await connect(publisher, relay_in)
        track = await asyncio.wait_for(incoming, 20)
        relay_out.addTransceiver(MediaRelay().subscribe(track), direction="sendonly").setCodecPreferences(
            h264
        )
        arrived: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        viewer.on("track", lambda t: arrived.done() or arrived.set_result(t))
        await connect(relay_out, viewer)
        watched_track = await asyncio.wait_for(arrived, 20)
        await asyncio.sleep(2)
        started_cpu, started = time.process_time(), time.monotonic()
        watched = await watch(viewer, watched_track, seconds)
        cpu = 100 * (time.process_time() - started_cpu) / (time.monotonic() - started)
        return {
            "size": f"{width}x{height}",
            "path": "aiortc relay (peer)",
            **watched,
            **forwarding(None),
            "cpu_a_pct": cpu,
            "cpu_b_pct": float("nan"),
        }
    finally:
        for pc in (publisher, relay_in, relay_out, viewer):
            await pc.close()


def median_and_spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} [{min(values):.0f}-{max(values):.0f}]"


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """Per size and path, the median over rounds (p50 with its spread); then the one-hop ratio to the
    GStreamer relay, taken per round (both from the same round) and given as the median and spread."""
    lines = [f"{'size':>9} {'path':<26} {'fps':>6} {'p50 ms [min-max]':>17} {'p95 ms':>7} {'CPU A %':>7}"]
    for size in dict.fromkeys(r["size"] for r in rows):
        for path in dict.fromkeys(r["path"] for r in rows if r["size"] == size):
            mine = [r for r in rows if r["size"] == size and r["path"] == path]
            lines.append(
                f"{size:>9} {path:<26} {statistics.median(r['fps'] for r in mine):6.1f} "
                f"{median_and_spread([r['p50_ms'] for r in mine]):>17} "
                f"{statistics.median(r['p95_ms'] for r in mine):7.0f} "
                f"{statistics.median(r['cpu_a_pct'] for r in mine):7.0f}"
            )
        for mine, peer in PAIRS:
            ratios = []
            for round_ in dict.fromkeys(r["round"] for r in rows):
                p50 = {r["path"]: r["p50_ms"] for r in rows if (r["size"], r["round"]) == (size, round_)}
                if mine in p50 and peer in p50:
                    ratios.append(p50[mine] / p50[peer])
            if ratios:
                spread = f"[{min(ratios):.2f}-{max(ratios):.2f}]"
                lines.append(
                    f"{size:>9} {mine} p50 / {peer} p50: {statistics.median(ratios):.2f}x {spread} "
                    f"over {len(ratios)} round(s) (goal <= 1)"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--sizes", default="640x480,1280x720")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every measurement, in turn")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        for round_ in range(args.rounds):
            for size in args.sizes.split(","):
                width, height = (int(v) for v in size.split("x"))
                measured = asyncio.run(runtimes(width, height, args.seconds, Path(work)))
                measured.append(asyncio.run(aiortc_relay(width, height, args.seconds)))
                for mode in GSTREAMER_MODES:
                    gstreamer = asyncio.run(gstreamer_relay(width, height, args.seconds, mode))
                    if gstreamer is not None:
                        measured.append(gstreamer)
                rows += [{**r, "round": round_} for r in measured]
    print(
        f"machine: {platform.node()} {os.cpu_count()} cores; publisher and viewer: aiortc (libx264 / ffmpeg)"
    )
    print(
        "CPU: of each runtime process; for the aiortc relay, its one process (publisher, relay and viewer);"
        " for the GStreamer relay, its process"
    )
    print(
        "fwd ms: a pass-on relay's own time per frame, last packet in to last out (p50, tcpdump on loopback)"
        + (f"; not measured: {rtp_capture.why_not()}" if rtp_capture.why_not() else "")
    )
    header = ["fps", "p50 ms", "p95 ms", "repeats", "CPU A %", "CPU B %", "Mbit/s", "pkt/fr", "fwd ms"]
    print(f"{'round':>5} {'size':>9} {'path':<26} " + " ".join(f"{h:>7}" for h in header))
    for r in rows:
        print(
            f"{r['round']:>5} {r['size']:>9} {r['path']:<26} {r['fps']:7.1f} {r['p50_ms']:7.0f} "
            f"{r['p95_ms']:7.0f} {r.get('repeats', 0):7d} {r['cpu_a_pct']:7.0f} {r['cpu_b_pct']:7.0f} "
            f"{r['mbps']:7.2f} {r['packets_per_frame']:7.1f} {r['forward_p50_ms']:7.2f}"
        )
    print()
    print("\n".join(summary(rows)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": platform.node(), "cores": os.cpu_count(), "rows": rows}, indent=1)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
