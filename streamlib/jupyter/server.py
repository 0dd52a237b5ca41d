"""Jupyter server extension: compile-as-you-type and the shader library for the JupyterLab extension, and
kernel websockets without Nagle's algorithm (previews and cameras send many small frames and acks).

Enabled by `etc/jupyter/jupyter_server_config.d/streamlib.json`, which the wheel installs. Compiling here
rather than in a kernel means diagnostics work before any kernel starts and never wait behind a running
cell; the compiler's worker processes keep a crashing front end away from the server.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from streamlib.errors import CompilerUnavailable, ShaderCompileError
from streamlib.jupyter.diagnostics import failure_payload, success_payload
from streamlib.jupyter.library import library_listing
from streamlib.shader import compile

_STAGES = ("auto", "pixel", "compute")
_BACKENDS = ("glslang", "dxc")
_LANGUAGES = ("hlsl", "glsl")
_MAX_SOURCE = 1 << 20


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "streamlib.jupyter.server"}]


def _compile_payload(body: dict[str, Any], root_dir: Path) -> dict[str, Any]:
    source = body.get("source")
    if not isinstance(source, str):
        raise web.HTTPError(400, reason="'source' must be a string")
    if len(source) > _MAX_SOURCE:
        raise web.HTTPError(413, reason="'source' is over 1 MiB")
    name = str(body.get("name") or "shader")
    stage = body.get("stage") or "auto"
    if stage not in _STAGES:
        raise web.HTTPError(400, reason=f"'stage' must be one of {', '.join(_STAGES)}")
    options: dict[str, Any] = {"stage": stage, "name": name, "entry": str(body.get("entry") or "main")}
    language = body.get("language") or "hlsl"
    if language not in _LANGUAGES:
        raise web.HTTPError(400, reason=f"'language' must be one of {', '.join(_LANGUAGES)}")
    options["language"] = language
    backend = body.get("backend")
    if backend:
        if backend not in _BACKENDS:
            raise web.HTTPError(400, reason=f"'backend' must be one of {', '.join(_BACKENDS)}")
        options["backend"] = backend
    path = body.get("path")
    if isinstance(path, str) and path:
        if "\0" in path:
            raise web.HTTPError(400, reason="'path' contains a NUL character")
        # A file's #includes resolve beside it, as they would for compile_file(); only inside the root.
        folder = (root_dir / path).resolve().parent
        if folder.is_relative_to(root_dir.resolve()):
            options["include_dirs"] = [folder]
    try:
        return success_payload(name, compile(source, **options))
    except ShaderCompileError as err:
        return failure_payload(name, err)


class CompileHandler(APIHandler):
    @web.authenticated
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except json.JSONDecodeError as err:
            raise web.HTTPError(400, reason=f"body is not JSON: {err}") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, reason="body must be a JSON object")
        root = Path(self.settings["server_root_dir"])
        try:
            payload = await asyncio.get_running_loop().run_in_executor(None, _compile_payload, body, root)
        except CompilerUnavailable as err:
            raise web.HTTPError(503, reason=str(err).splitlines()[0]) from None
        except ValueError as err:
            raise web.HTTPError(400, reason=str(err)) from None
        self.finish(json.dumps(payload))


class LibraryHandler(APIHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish(json.dumps({"shaders": library_listing(self.settings["server_root_dir"])}))


def without_nagle(base: type) -> type:
    """`base`, a kernel websocket connection class, with TCP_NODELAY on its socket. jupyter_server leaves
    Nagle's algorithm on, so a reply's small messages (status, output, comm) wait for the peer's delayed ACK:
    measured by `benches/kernel_ws_bench.py`."""

    class NoDelayConnection(base):  # type: ignore[valid-type, misc]
        def connect(self) -> Any:
            self.websocket_handler.set_nodelay(True)
            return super().connect()

    NoDelayConnection.__name__ = f"NoDelay{base.__name__}"
    return NoDelayConnection


def _load_jupyter_server_extension(server_app: Any) -> None:
    web_app = server_app.web_app
    connection = web_app.settings.get("kernel_websocket_connection_class")
    if connection is not None:
        web_app.settings["kernel_websocket_connection_class"] = without_nagle(connection)
    base = url_path_join(web_app.settings["base_url"], "streamlib")
    web_app.add_handlers(
        ".*$",
        [(url_path_join(base, "compile"), CompileHandler), (url_path_join(base, "shaders"), LibraryHandler)],
    )
    server_app.log.info("streamlib: /streamlib/compile and /streamlib/shaders registered")
