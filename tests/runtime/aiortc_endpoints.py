"""WHIP and WHEP endpoints whose WebRTC side is aiortc (an implementation nobody here wrote), for testing
streamlib's own clients (`WhipSink`, `WhepSource`) against a server that is not streamlib. The HTTP part is
the few lines RFC 9725 and the WHEP draft ask for: POST an SDP offer → 201, the answer and a `Location`;
DELETE that `Location` → 200. Every peer lives on one event loop in a thread of its own."""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from .webrtc_peer import Picture


@dataclass
class Session:
    kind: str  # "whip" (we receive) or "whep" (we send)
    pc: RTCPeerConnection
    authorization: str | None
    frames: int = 0
    latest: np.ndarray | None = None
    deleted: bool = False


@dataclass
class Endpoints:
    url: str
    sessions: dict[str, Session] = field(default_factory=dict)

    def received(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.kind == "whip"]


class _Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="aiortc-endpoints", daemon=True)
        self.thread.start()

    def call(self, coroutine: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


async def _keep_receiving(track: MediaStreamTrack, session: Session) -> None:
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:  # the publisher is gone
            return
        session.latest = frame.to_ndarray(format="rgb24")
        session.frames += 1


async def _answer(kind: str, offer: str, picture: np.ndarray, session: Session) -> str:
    pc = session.pc
    if kind == "whip":
        pc.on("track", lambda track: asyncio.ensure_future(_keep_receiving(track, session)))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
    if kind == "whep":
        pc.addTrack(Picture(picture))
    await pc.setLocalDescription(await pc.createAnswer())
    return str(pc.localDescription.sdp)


@contextmanager
def aiortc_endpoints(picture: np.ndarray) -> Iterator[Endpoints]:
    """`POST /whip` receives a publication (frames counted, the latest kept); `POST /whep` plays `picture`."""
    loop = _Loop()
    ids = itertools.count(1)
    endpoints = Endpoints("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            kind = self.path.strip("/")
            if kind not in ("whip", "whep") or self.headers.get("Content-Type") != "application/sdp":
                self.send_error(400 if kind in ("whip", "whep") else 404)
                return
            offer = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            session = Session(kind, loop.call(_make_pc()), self.headers.get("Authorization"))
            answer = loop.call(_answer(kind, offer, picture, session)).encode()
            resource = f"/{kind}/{next(ids)}"
            endpoints.sessions[resource] = session
            self.send_response(201)
            self.send_header("Content-Type", "application/sdp")
            self.send_header("Location", resource)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_DELETE(self) -> None:  # noqa: N802
            session = endpoints.sessions.get(self.path)
            if session is None or session.deleted:
                self.send_error(404)
                return
            session.deleted = True
            loop.call(session.pc.close())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    endpoints.url = f"http://127.0.0.1:{server.server_address[1]}"
    serving = threading.Thread(target=server.serve_forever, name="aiortc-endpoints-http", daemon=True)
    serving.start()
    try:
        yield endpoints
    finally:
        server.shutdown()
        for session in endpoints.sessions.values():
            loop.call(session.pc.close())
        loop.close()


async def _make_pc() -> RTCPeerConnection:
    return RTCPeerConnection()
