"""Headless Chromium — a WebRTC stack nobody here wrote — plays a runtime node over WHEP: in a plain page
(`RTCPeerConnection` offer → `POST /v1/whep/{node}` → answer, and the `<video>` shows the node's pixels),
and in JupyterLab, where `Preview(remote.node("fx"))` plays it cross-origin with no kernel in the frame path."""

from __future__ import annotations

import base64
import io
import os
import signal
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from streamlib import RemoteRuntime

from ..runtime.test_http_api import Server, start_server
from ..runtime.test_whep import PICTURE, TOKEN, node_picture, picture_graph
from ..runtime.test_whep_relay import INVERT
from ..runtime.webrtc_peer import psnr
from .conftest import Lab
from .lab_helpers import open_notebook, run_all, wait_for_output, write_notebook
from .player import PLAYER


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("whep-browser"), token=TOKEN)


def test_chromium_plays_a_node_over_whep(server: Server, browser: Any) -> None:
    assert server.json("PUT", "/v1/graph", picture_graph())[0] == 200
    assert server.json("POST", "/v1/graph/start", {})[0] == 200
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(f"{server.url}/player", lambda route: route.fulfill(content_type="text/html", body=PLAYER))
        page.goto(f"{server.url}/player")
        started = page.evaluate("([node, token]) => window.play(node, token)", ["fx", TOKEN])
        assert started["status"] == 201, started
        page.wait_for_function("window.presented >= 30", timeout=60_000)
        size = page.evaluate(
            "[document.getElementById('v').videoWidth, document.getElementById('v').videoHeight]"
        )
        assert size == [640, 480]
        shown = page.evaluate("window.grab()")
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(shown.split(",", 1)[1]))).convert("RGB"))
        expected = node_picture(server, "fx")
        quality = psnr(pixels, expected)
        assert quality >= 35, f"PSNR {quality:.1f} dB"
        page.evaluate("window.pc.close()")
        assert server.call("DELETE", started["location"])[0] == 200
    finally:
        context.close()


# Runtime A renders a picture; B plays A's node over WHEP and inverts it; the page plays B's node over WHEP.
NOTEBOOK = [
    "from streamlib import Effect, RemoteRuntime, TestPattern\nfrom streamlib.jupyter import Preview\n"
    f"a = RemoteRuntime.launch(token={TOKEN!r})\n"
    f"b = RemoteRuntime.launch(token={TOKEN!r}, allow_origins=['*'])\n"
    f"a.connect(TestPattern(640, 480, name='pattern'), Effect({PICTURE!r}, name='fx'))\n"
    "a.start(fps=30)\n"
    f"b.connect(a.node('fx'), Effect({INVERT!r}, name='out'))\n"
    "b.start(fps=30)\nview = Preview(b.node('out'))\ndisplay(view)\n"
    "print('served at', b.url, 'from', a.url, 'pids', a.process.pid, b.process.pid)",
]
VIDEO = ".streamlib-preview[data-run=whep]"


def _video_pixels(page: Any) -> np.ndarray:
    shown = page.evaluate(
        f"""() => {{
            const video = document.querySelector('{VIDEO} video');
            const canvas = document.createElement('canvas');
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            canvas.getContext('2d').drawImage(video, 0, 0);
            return canvas.toDataURL('image/png');
        }}"""
    )
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(shown.split(",", 1)[1]))).convert("RGB"))


def test_a_notebook_preview_plays_a_runtime_fed_by_another_over_whep(page: Any, lab: Lab) -> None:
    open_notebook(page, lab.notebook_url(write_notebook(lab.root, "whep-preview.ipynb", NOTEBOOK)))
    run_all(page)
    said = wait_for_output(page, 0, "served at").split()
    url, a_url = said[said.index("at") + 1], said[said.index("from") + 1]
    pids = [int(p) for p in said[said.index("pids") + 1 :][:2]]
    try:
        page.wait_for_function(
            f"() => Number(document.querySelector('{VIDEO}')?.dataset.presented || 0) >= 30", timeout=90_000
        )
        overlay = page.evaluate(f"document.querySelector('{VIDEO} .streamlib-preview-overlay').textContent")
        assert "640×480" in overlay and "fps" in overlay and "WHEP" in overlay, overlay
        b = RemoteRuntime(url, token=TOKEN)
        assert b.stats()["remote"], "B plays A"
        quality = psnr(_video_pixels(page), b.latest_frame()[..., :3])
        assert quality >= 35, f"PSNR {quality:.1f} dB"
        # B shows A's picture, inverted at B.
        a_frame = RemoteRuntime(a_url, token=TOKEN).latest_frame()[..., :3]
        assert psnr(255 - a_frame, b.latest_frame()[..., :3]) >= 30
        sessions = b.stats()["webrtc"]["sessions"]
        assert [s["node"] for s in sessions if s.get("connected")] == ["out"], sessions
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
