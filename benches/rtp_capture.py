"""How long a relay holds a frame, read off the wire: tcpdump captures the loopback traffic of a hop, and for
each frame the relay sends on, the time from the last packet of it that came in to the last that went out.

Glass-to-glass latency also carries the publisher's and viewer's own work (aiortc's encoder, jitter buffer
and decoder, in Python); this isolates the relay. It applies to relays that pass each frame on as it came
(one frame out per frame in, well within a frame time): each frame out is matched with the last frame in
before it. SRTP leaves RTP headers in the clear, so the timestamp (which frame) is read without keys.

Needs `tcpdump` (Debian: tcpdump) and the right to capture (root, or CAP_NET_RAW); `Capture.missing` says
why not otherwise (`why_not()`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import struct
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from types import TracebackType

#: Enough of each packet for its IP, UDP and RTP headers.
SNAP_BYTES = 96
#: A flow with fewer packets is signalling or RTCP, not a video stream.
MIN_PACKETS = 50
LINK_ETHERNET, LINK_LINUX_COOKED = 1, 113
STARTUP_S = 10.0


def why_not() -> str | None:
    """Why packets cannot be captured here, or None."""
    if shutil.which("tcpdump") is None:
        return "tcpdump is not installed (Debian: tcpdump)"
    if os.geteuid() != 0:
        return "capturing packets needs root"
    return None


class Capture:
    """`async with Capture() as capture:` around a hop; then `capture.forwarding_ms()`. Asynchronous so the
    publisher and viewer sharing the event loop keep their pace while tcpdump starts."""

    def __init__(self) -> None:
        self.missing = why_not()
        self._dir = tempfile.TemporaryDirectory()
        self.path = Path(self._dir.name) / "hop.pcap"
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Capture:
        if self.missing is None:
            self._process = await asyncio.create_subprocess_exec(
                "tcpdump",
                "-i",
                "lo",
                "-U",
                "-s",
                str(SNAP_BYTES),
                "-w",
                str(self.path),
                "udp",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            # "listening on lo, ..." once it captures.
            assert self._process.stderr is not None
            try:
                await asyncio.wait_for(self._process.stderr.readline(), STARTUP_S)
            except asyncio.TimeoutError:
                self.missing = f"tcpdump did not start within {STARTUP_S} s"
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            await self._process.wait()

    def forwarding_ms(self) -> tuple[float, float] | None:
        """p50 and p90 (ms) of last packet in → last packet out, per frame, or None without a capture."""
        if self.missing is not None or not self.path.exists():
            return None
        lags = forwarding_lags(read_rtp(self.path.read_bytes()))
        self._dir.cleanup()
        if len(lags) < 10:
            return None
        lags.sort()
        return statistics.median(lags), lags[int(len(lags) * 0.9)]


def read_rtp(pcap: bytes) -> list[tuple[float, int, int, int, int]]:
    """(time s, source port, destination port, SSRC, RTP timestamp) of every RTP packet carrying media."""
    if len(pcap) < 24:
        return []
    nanoseconds = struct.unpack("<I", pcap[:4])[0] == 0xA1B23C4D
    link = struct.unpack("<I", pcap[20:24])[0]
    header = {LINK_ETHERNET: 14, LINK_LINUX_COOKED: 16}.get(link, 4)
    packets = []
    at = 24
    while at + 16 <= len(pcap):
        seconds, fraction, kept, _ = struct.unpack("<IIII", pcap[at : at + 16])
        packet = pcap[at + 16 : at + 16 + kept]
        at += 16 + kept
        ip = packet[header:]
        if len(ip) < 40:
            continue
        if ip[0] >> 4 == 6:
            protocol, ip_header = ip[6], 40
        else:
            protocol, ip_header = ip[9], (ip[0] & 0xF) * 4
        udp = ip[ip_header:]
        if protocol != 17 or len(udp) < 20:
            continue
        source, destination = struct.unpack(">HH", udp[:4])
        rtp = udp[8:]
        # RTP version 2 (first byte 128-191; STUN and DTLS are below), and not RTCP (payload types 72-79).
        if not 128 <= rtp[0] < 192 or 72 <= rtp[1] & 0x7F <= 79:
            continue
        timestamp, ssrc = struct.unpack(">II", rtp[4:12])
        time_s = seconds + fraction * (1e-9 if nanoseconds else 1e-6)
        packets.append((time_s, source, destination, ssrc, timestamp))
    return packets


def frame_ends(packets: list[tuple[float, int, int, int, int]]) -> list[list[float]]:
    """Per video flow with at least `MIN_PACKETS`, the time of each frame's last packet, in order."""
    flows: dict[tuple[int, int, int], dict[int, float]] = defaultdict(dict)
    counts: Counter[tuple[int, int, int]] = Counter()
    for time_s, source, destination, ssrc, timestamp in packets:
        flow = (source, destination, ssrc)
        flows[flow][timestamp] = max(flows[flow].get(timestamp, 0.0), time_s)
        counts[flow] += 1
    return [sorted(frames.values()) for flow, frames in flows.items() if counts[flow] >= MIN_PACKETS]


def forwarding_lags(packets: list[tuple[float, int, int, int, int]]) -> list[float]:
    """For the two largest video flows, in whichever direction one follows the other closely: per frame out,
    ms since the last frame in completed. The other direction lags by a frame time less that."""
    flows = sorted(frame_ends(packets), key=len, reverse=True)[:2]
    if len(flows) < 2:
        return []
    best: list[float] = []
    for incoming, outgoing in (flows, flows[::-1]):
        lags = []
        position = 0
        for sent in outgoing:
            while position + 1 < len(incoming) and incoming[position + 1] <= sent:
                position += 1
            if incoming[position] <= sent:
                lags.append((sent - incoming[position]) * 1e3)
        if lags and (not best or statistics.median(lags) < statistics.median(best)):
            best = lags
    return best
