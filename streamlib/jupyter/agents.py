"""An MCP server inside the notebook kernel, over a live `Runtime`: an agent and the person at the notebook
work on the same graph, previews and controls. `serve_mcp(runtime)` (or the `%streamlib_mcp` line magic)
answers MCP over streamable HTTP on loopback behind a bearer token, with the official MCP Python SDK.

The tools keep the names, inputs and answers of `streamlib-runtime mcp` (and `serve`'s `/mcp`):
`compile_shader`, `list_library`, `describe_graph`, `replace_shader`, `set_params`, `get_frame`, `get_stats`.
The runtime's `load_graph`, `stop_graph` and `add_effect` replace or rebuild the whole graph; in a notebook
that graph is the person's (their previews and controls hold its nodes), so those stay theirs to do. The rules
an agent is told (instructions, effect reference, the `write_effect` prompt) come from the core, as the
runtime's do."""

from __future__ import annotations

import asyncio
import base64
import hmac
import io
import json
import secrets
import socket
import threading
from typing import Any

import numpy as np
import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, ImageContent, TextContent
from PIL import Image

from streamlib import _native
from streamlib.errors import ShaderCompileError, StreamlibError
from streamlib.jupyter.library import library_listing
from streamlib.nodes import Effect, NumpySink
from streamlib.runtime import Runtime
from streamlib.shader import Shader, compile

DEFAULT_FRAME_SIZE = 512
_FRAME_WAIT_S = 10.0


def _answer(value: dict[str, Any], *, error: bool = False) -> CallToolResult:
    """A tool's answer as the runtime's tools give it: the JSON as structured content and as text."""
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(value))], structured_content=value, is_error=error
    )


def _refusal(code: str, message: str, **facts: Any) -> CallToolResult:
    return _answer({"code": code, "message": message, **facts}, error=True)


def _compile_refusal(err: ShaderCompileError) -> CallToolResult:
    diagnostics = [
        {
            "severity": d.severity,
            "file": d.file,
            "line": d.line,
            "column": d.column,
            "message": d.message,
            "source_line": d.source_line,
        }
        for d in err.diagnostics
    ]
    return _refusal("compile_error", str(err).splitlines()[0], diagnostics=diagnostics)


def _shader_json(shader: Shader) -> dict[str, Any]:
    metadata = json.loads(shader.native.metadata_json())
    kept = ("name", "stage", "entry", "backend", "backend_version", "parameters", "reflection", "warnings")
    answer = {key: metadata[key] for key in kept}
    answer.update(source_sha256=shader.source_hash, compile_ms=shader.compile_ms, cached=shader.cached)
    return answer


def _as_lists(values: dict[str, Any]) -> dict[str, list[float]]:
    """Parameter values as the runtime's tools give them: a list of numbers per parameter."""
    return {k: [float(x) for x in (v if isinstance(v, (list, tuple)) else [v])] for k, v in values.items()}


class _Tools:
    """The tools over one `Runtime`; each returns what the runtime binary's tool of the same name returns."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._taps: dict[str, NumpySink] = {}
        self._lock = threading.Lock()

    def _effects(self) -> dict[str, Effect]:
        config = json.loads(self.runtime.config_text(targets=()))
        ids = [n["id"] for n in config["nodes"] if n["kind"] == "effect"]
        return {i: node for i in ids if isinstance(node := self.runtime.node(i), Effect)}

    def _effect(self, name: str) -> Effect | CallToolResult:
        effects = self._effects()
        if name not in effects:
            known = ", ".join(effects) or "none"
            return _refusal(
                "no_effect",
                f"no effect '{name}' in the graph (effects: {known})",
                effect=name,
                effects=list(effects),
            )
        return effects[name]

    def compile_shader(
        self, source: str, stage: str = "auto", entry: str = "main", language: str = "hlsl"
    ) -> CallToolResult:
        try:
            shader = compile(source, stage=stage, entry=entry, name="shader.hlsl", language=language)
            return _answer(_shader_json(shader))
        except ShaderCompileError as err:
            return _compile_refusal(err)
        except StreamlibError as err:
            return _refusal("bad_request", str(err))

    def list_library(self) -> CallToolResult:
        listing = library_listing()
        shaders = [{"name": s["name"], "path": s["file"], "summary": s["summary"]} for s in listing]
        return _answer({"shaders": shaders})

    def describe_graph(self) -> CallToolResult:
        config = json.loads(self.runtime.config_text(targets=()))
        return _answer({"config": config, "stats": self._stats()})

    def replace_shader(self, effect: str, source: str, language: str | None = None) -> CallToolResult:
        node = self._effect(effect)
        if isinstance(node, CallToolResult):
            return node
        try:
            # Without a language the new source is taken to be in the running shader's, as the runtime does.
            if (language or node.shader.language) == "glsl":
                shader = node.replace_shader(compile(source, name=node.name, language="glsl"))
            else:
                shader = node.replace_shader(source)
        except ShaderCompileError as err:
            return _compile_refusal(err)
        except StreamlibError as err:
            message = f"the new shader compiled but cannot run here; the old one keeps running: {err}"
            return _refusal("pipeline_error", message)
        return _answer({**_shader_json(shader), "effect": effect, "swaps": node.swaps})

    def set_params(self, effect: str, values: dict[str, Any]) -> CallToolResult:
        node = self._effect(effect)
        if isinstance(node, CallToolResult):
            return node
        try:
            node.set(**values)
        except StreamlibError as err:
            return _refusal("bad_parameter", f"effect '{effect}' ({node.shader.name}): {err}", effect=effect)
        return _answer({"effect": effect, "values": _as_lists(node.values)})

    def get_frame(
        self, node: str | None = None, max_size: int = DEFAULT_FRAME_SIZE, format: str = "png"
    ) -> CallToolResult:
        if format not in ("png", "jpeg", "jpg"):
            return _refusal("bad_request", f"format: '{format}' is not png or jpeg", field="format")
        name = node or _native.chain_end(self.runtime.config_text(targets=()))
        if name is None:
            return _refusal("no_frame", "the graph has no source or effect to take a frame from")
        try:
            pixels = self._frame(name)
        except StreamlibError as err:
            return _refusal("no_frame", str(err), node=name)
        image = Image.fromarray(pixels, "RGBA")
        if max_size > 0 and max(image.size) > max_size:
            scale = max_size / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image = image.resize(size, Image.Resampling.BILINEAR)
        encoded = io.BytesIO()
        mime = "image/png" if format == "png" else "image/jpeg"
        if mime == "image/png":
            image.save(encoded, "PNG")
        else:
            image.convert("RGB").save(encoded, "JPEG", quality=85)
        facts = {"node": name, "width": image.width, "height": image.height, "mime": mime}
        data = base64.b64encode(encoded.getvalue()).decode("ascii")
        return CallToolResult(
            content=[
                ImageContent(type="image", data=data, mime_type=mime),
                TextContent(type="text", text=json.dumps(facts)),
            ],
            structured_content=facts,
        )

    def _frame(self, name: str) -> np.ndarray:
        """The newest frame of node `name`, from a numpy tap attached to it the first time it is asked for
        (the graph restarts around the new edge, as it does when a Preview attaches)."""
        with self._lock:
            tap = self._taps.get(name)
            if tap is None:
                target = self.runtime.node(name)
                tap = NumpySink(name=f"mcp_tap_{name}")
                running = self.runtime.is_running
                if running:
                    self.runtime.stop()
                self.runtime.connect(target, tap, delivery="latest")
                if running:
                    self.runtime.start(fps=self.runtime.config_fps)
                self._taps[name] = tap
            if not self.runtime.is_running:
                self.runtime.run(1)
        received = tap.received
        return tap.wait(received + 1 if self.runtime.is_running else 0, timeout=_FRAME_WAIT_S)

    def _stats(self) -> dict[str, Any]:
        stats = dict(self.runtime.stats())
        stats["running"] = self.runtime.is_running
        stats["effects"] = {
            i: {"shader": e.shader.name, "swaps": e.swaps} for i, e in self._effects().items()
        }
        return stats

    def get_stats(self) -> CallToolResult:
        return _answer(self._stats())


def _server(runtime: Runtime) -> MCPServer:
    texts = _native.agent_texts()
    # WARNING: the SDK sets up logging at its level, and INFO would print every request into the notebook.
    server = MCPServer("streamlib-notebook", instructions=texts["instructions"], log_level="WARNING")
    tools = _Tools(runtime)

    # Compiles, swaps and frames wait on the GPU and the compiler: each tool runs off the server's loop.

    @server.tool(
        description="Compile HLSL: its reflection (stage, parameters with ranges and defaults), or the "
        "diagnostics (file, line, column, message, the source line) when it does not compile."
    )
    async def compile_shader(
        source: str, stage: str = "auto", entry: str = "main", language: str = "hlsl"
    ) -> CallToolResult:
        return await asyncio.to_thread(tools.compile_shader, source, stage, entry, language)

    @server.tool(description="The shader library: each effect's name, file and summary.")
    async def list_library() -> CallToolResult:
        return await asyncio.to_thread(tools.list_library)

    @server.tool(
        description="The notebook's graph as its config (nodes, edges, shaders with their sources and "
        "parameter values) and its stats."
    )
    async def describe_graph() -> CallToolResult:
        return await asyncio.to_thread(tools.describe_graph)

    @server.tool(
        description="Compile HLSL and swap it into a running effect between two frames. On a compile "
        "error the diagnostics come back and the effect keeps running its last good shader."
    )
    async def replace_shader(effect: str, source: str, language: str | None = None) -> CallToolResult:
        return await asyncio.to_thread(tools.replace_shader, effect, source, language)

    @server.tool(
        description="Set an effect's parameters, all or none: an unknown name or a value of the wrong "
        "type is refused, naming it. The @range of each parameter is its useful span."
    )
    async def set_params(effect: str, values: dict[str, Any]) -> CallToolResult:
        return await asyncio.to_thread(tools.set_params, effect, values)

    @server.tool(
        description="The newest frame of a node (default: the end of the chain) as an image you can "
        "look at, scaled to max_size pixels on its longer side."
    )
    async def get_frame(
        node: str | None = None, max_size: int = DEFAULT_FRAME_SIZE, format: str = "png"
    ) -> CallToolResult:
        return await asyncio.to_thread(tools.get_frame, node, max_size, format)

    @server.tool(description="The graph's stats: fps, frame times, frames, each effect's shader and swaps.")
    async def get_stats() -> CallToolResult:
        return await asyncio.to_thread(tools.get_stats)

    @server.resource(
        texts["reference_uri"],
        name="effect-reference",
        mime_type="text/markdown",
        description="How to write an effect: the prelude, the two forms, the parameter annotations",
    )
    def reference() -> str:
        return texts["reference"]

    @server.resource(
        texts["graph_uri"],
        name="graph",
        mime_type="application/json",
        description="The notebook's graph as its config JSON",
    )
    def graph() -> str:
        return runtime.config_text(targets=())

    @server.resource(
        texts["library_uri"] + "{name}.hlsl",
        name="library-shader",
        mime_type="text/x-hlsl",
        description="A library shader's HLSL source (names: list_library)",
    )
    def library_shader(name: str) -> str:
        for shader in library_listing():
            if shader["name"] == name:
                return str(shader["source"])
        raise ValueError(f"the library has no shader '{name}'")

    @server.prompt(
        name=texts["write_effect"],
        description="Write an HLSL video effect for streamlib, compile "
        "it, fix it from the diagnostics, run it and look at it",
    )
    def write_effect(description: str, effect: str | None = None) -> str:
        return _native.write_effect_prompt(description, effect)

    return server


class _BearerToken:
    """ASGI guard: every request needs `Authorization: Bearer <token>` (compared in constant time)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                body = json.dumps(
                    {
                        "code": "unauthorized",
                        "message": "this server needs 'Authorization: "
                        "Bearer <token>' (the token serve_mcp printed)",
                    }
                ).encode()
                headers = [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class AgentServer:
    """A running notebook MCP server: `url`, `token`, `client_config()` for an MCP client, `stop()`."""

    def __init__(self, runtime: Runtime, port: int = 0, token: str | None = None) -> None:
        self.runtime = runtime
        self.token = token or secrets.token_urlsafe(24)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        self.port = int(listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        hosts = [f"127.0.0.1:{self.port}", f"localhost:{self.port}"]
        security = TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts)
        app = _server(runtime).streamable_http_app(
            stateless_http=True, json_response=True, transport_security=security
        )
        config = uvicorn.Config(_BearerToken(app, self.token), log_level="warning", lifespan="on")
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._uvicorn.serve(sockets=[listener])),
            name="streamlib-mcp",
            daemon=True,
        )
        self._thread.start()
        for _ in range(200):
            if self._uvicorn.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.025)
        if not self._uvicorn.started:
            raise StreamlibError("the MCP server did not start")

    def client_config(self) -> dict[str, Any]:
        """How an MCP client reaches this server (the `mcpServers` entry most clients read)."""
        return {"type": "http", "url": self.url, "headers": {"Authorization": f"Bearer {self.token}"}}

    def stop(self) -> None:
        self._uvicorn.should_exit = True
        self._thread.join(timeout=10)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _repr_markdown_(self) -> str:
        if not self.running:
            return f"streamlib MCP server at `{self.url}`: **stopped**"
        entry = json.dumps({"mcpServers": {"streamlib": self.client_config()}}, indent=2)
        return (
            f"streamlib MCP server **serving** at `{self.url}` (this kernel's graph; stop: `%streamlib_mcp "
            f"--stop`). Register it with an MCP client:\n\n```json\n{entry}\n```"
        )

    def __repr__(self) -> str:
        state = "serving" if self.running else "stopped"
        return f"<AgentServer {state} {self.url} (Authorization: Bearer {self.token})>"


def serve_mcp(runtime: Runtime, *, port: int = 0, token: str | None = None) -> AgentServer:
    """Serves `runtime`'s graph to MCP clients at `http://127.0.0.1:PORT/mcp` (a free port by default) until
    `stop()` or the kernel ends. Every request needs `Authorization: Bearer <token>` (a fresh random token
    unless given); only loopback `Host` names and no browser `Origin` are accepted."""
    return AgentServer(runtime, port=port, token=token)
