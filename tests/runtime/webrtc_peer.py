"""WHEP and WHIP clients built on aiortc (an independent WebRTC implementation): a player POSTs an SDP offer
and collects decoded frames as RGB arrays with their arrival times; a publisher sends a picture as H.264
(libx264 through PyAV) for as long as it is asked to."""

from __future__ import annotations

import asyncio
import http.client
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import av
import numpy as np
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs `coroutine` on a fresh event loop in its own thread: Playwright's sync API keeps a loop running
    on the test thread once a browser test has run in the same process."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class Played:
    status: int
    location: str | None
    frames: list[np.ndarray] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    error: str = ""


def post_sdp(url: str, sdp: str, token: str | None) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        connection.request("POST", parts.path, body=sdp.encode(), headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


async def offer_sdp(kind: str = "video") -> str:
    """What an aiortc receiver offers for one `kind` track (candidates gathered in)."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver(kind, direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)
    finally:
        await pc.close()


async def play(url: str, token: str | None, frames: int, timeout: float = 60.0) -> Played:
    """Plays the WHEP endpoint `url` until `frames` frames are decoded or `timeout` passes."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        status, headers, answer = await asyncio.to_thread(post_sdp, url, pc.localDescription.sdp, token)
        played = Played(status, headers.get("location"))
        if status != 201:
            played.error = answer
            return played
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        track = pc.getReceivers()[0].track
        deadline = time.monotonic() + timeout
        while len(played.frames) < frames and time.monotonic() < deadline:
            try:
                frame = await asyncio.wait_for(track.recv(), deadline - time.monotonic())
            except (TimeoutError, asyncio.TimeoutError):
                break
            played.frames.append(frame.to_ndarray(format="rgb24"))
            played.arrivals.append(time.monotonic())
        return played
    finally:
        await pc.close()


class Picture(VideoStreamTrack):
    """The same RGB picture at 30 fps."""

    def __init__(self, rgb: np.ndarray) -> None:
        super().__init__()
        self.rgb = rgb

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame.from_ndarray(self.rgb, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


async def publish(
    url: str, token: str | None, rgb: np.ndarray, seconds: float
) -> tuple[int, str | None, str]:
    """Publishes `rgb` as H.264 to the WHIP endpoint `url` for `seconds`; the status, Location and body of
    the POST (the session is left for the caller to DELETE)."""
    pc = RTCPeerConnection()
    try:
        transceiver = pc.addTransceiver(Picture(rgb), direction="sendonly")
        h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
        transceiver.setCodecPreferences(h264)
        await pc.setLocalDescription(await pc.createOffer())
        status, headers, answer = await asyncio.to_thread(post_sdp, url, pc.localDescription.sdp, token)
        if status == 201:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await asyncio.sleep(seconds)
        return status, headers.get("location"), answer
    finally:
        await pc.close()


def gradient(width: int, height: int) -> np.ndarray:
    """A still RGB picture smooth enough for H.264 to keep well (the test pattern moves and stamps frames)."""
    y, x = np.mgrid[0:height, 0:width]
    channels = [x * 255 // (width - 1), y * 255 // (height - 1), (x + y) * 255 // (width + height - 2)]
    return np.dstack(channels).astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if error == 0 else float(10 * np.log10(255.0**2 / error))
