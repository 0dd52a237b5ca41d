"""The server extension's kernel websocket connections turn Nagle's algorithm off (TCP_NODELAY) on their
real socket, in a real tornado server; `benches/kernel_ws_bench.py` measures what that is worth."""

from __future__ import annotations

import asyncio
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application
from tornado.websocket import WebSocketHandler, websocket_connect

from streamlib.jupyter.server import without_nagle


class Connection:
    """The shape of jupyter_server's kernel websocket connection classes: made with the handler, then
    `connect()`ed when the websocket opens."""

    def __init__(self, websocket_handler: WebSocketHandler) -> None:
        self.websocket_handler = websocket_handler

    def connect(self) -> str:
        return "connected"


def _nodelay_after_connect(connection_class: type) -> list[Any]:
    class Handler(WebSocketHandler):
        def open(self) -> None:  # type: ignore[override]
            said = connection_class(websocket_handler=self).connect()
            assert self.ws_connection is not None
            sock = self.ws_connection.stream.socket  # type: ignore[attr-defined]
            self.write_message(json.dumps([said, sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)]))

    async def exchange() -> list[Any]:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = HTTPServer(Application([("/ws", Handler)]))
        server.listen(port, "127.0.0.1")
        try:
            client = await websocket_connect(f"ws://127.0.0.1:{port}/ws")
            message = await client.read_message()
            client.close()
            return list(json.loads(str(message)))
        finally:
            server.stop()

    # A thread of its own: Playwright's sync API leaves a running loop on the test thread after browser tests.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, exchange()).result()


def test_kernel_websockets_send_without_nagle() -> None:
    assert _nodelay_after_connect(Connection)[1] == 0, "the control: tornado leaves Nagle on"
    said, nodelay = _nodelay_after_connect(without_nagle(Connection))
    assert said == "connected" and nodelay == 1
