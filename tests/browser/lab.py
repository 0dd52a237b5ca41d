"""A real JupyterLab on 127.0.0.1 with a token, and the Chromium flags: shared by the browser tests and
benches/preview_bench.py."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("STREAMLIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Chromium's fake camera runs at 20 fps unless told; webcams deliver 30.
    "--use-fake-device-for-media-stream=fps=30",
    "--use-fake-ui-for-media-stream",
]
# Chromium offers the page WebGPU (SwiftShader's adapter, headless without a GPU) only so: in a secure context,
# with this flag and without --disable-gpu.
WEBGPU_ARGS = [arg for arg in CHROMIUM_ARGS if arg != "--disable-gpu"] + ["--enable-unsafe-webgpu"]


# JupyterLab without streamlib's server extension, whose kernel websockets keep Nagle's algorithm on (the
# stock jupyter_server): the peer of benches/kernel_ws_bench.py.
WITHOUT_SERVER_EXTENSION = ["--ServerApp.jpserver_extensions=streamlib.jupyter.server=False"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Lab:
    def __init__(self, url: str, token: str, root: Path, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url, self.token, self.root, self.process, self.log = url, token, root, process, log

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"


def start_lab(root: Path, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> Lab:
    """JupyterLab on 127.0.0.1 with a token, set up like the browser tests' `lab` fixture; `env` adds to
    the server's (and its kernels') environment, `args` to its command line."""
    settings = root / ".settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws"),
        **(env or {}),
    )
    log = root / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    command += [f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", *args]
    if os.geteuid() == 0:
        command.append("--allow-root")
    process = subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    lab = Lab(f"http://127.0.0.1:{port}", token, root, process, log)
    if not _wait_for(lambda: _api(lab, "status") is not None, timeout=90):
        process.kill()
        raise RuntimeError(f"JupyterLab did not start within 90 s:\n{log.read_text()[-3000:]}")
    return lab


def _api(lab: Lab, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(f"{lab.url}/api/{path}?token={lab.token}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
            return json.loads(body) if body else {}
    except OSError:
        return None


def shutdown_kernels(lab: Lab) -> None:
    for session in _api(lab, "sessions") or []:
        _api(lab, f"sessions/{session['id']}", method="DELETE")


def stop_lab(lab: Lab) -> None:
    shutdown_kernels(lab)
    lab.process.terminate()
    try:
        lab.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        lab.process.kill()


def _wait_for(check: Any, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False
