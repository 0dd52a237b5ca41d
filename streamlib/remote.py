"""`RemoteRuntime`: drives a `streamlib-runtime serve` over its HTTP API (standard library only).

    remote = RemoteRuntime("http://127.0.0.1:8080", token=None)
    remote.load(runtime_or_config_or_path)   # a local Runtime is exported first
    remote.start(fps=30)
    remote.set("tint", strength=0.8)
    frame = remote.latest_frame()            # numpy (H, W, 4) uint8

or built up in place with the calls and node objects of a local `Runtime` (each call one `PATCH /v1/graph`;
`with remote.edit():` makes several one step):

    fx = remote.connect(TestPattern(640, 480, name="pattern"), Effect(TINT, name="fx"))
    b.connect(a.node("fx"), Effect(BLUR, name="blur"))   # a's node played into b over WHEP

Every error answer becomes a `RemoteError` (`.status`, `.code`, `.body`); a 422 compile error becomes a
`ShaderCompileError` with the server's diagnostics.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, MutableSet, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlib.errors import GraphError, RemoteError, ShaderCompileError
from streamlib.graph import Port, Stream
from streamlib.nodes import Node
from streamlib.remote_node import RemoteNode, RemotePort

if TYPE_CHECKING:
    import numpy as np

    from streamlib.runtime import Runtime

#: What `connect` and friends take for one end of an edge.
Endpoint = RemoteNode | RemotePort | Node | Stream | Port
_EDIT_LISTS = ("remove_edges", "remove_nodes", "add_nodes", "add_edges")


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class RemoteRequestError(RemoteError):
    """An error answer from the server: HTTP `status`, the stable `code` and the whole JSON `body`."""

    def __init__(self, message: str, *, status: int, code: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body or {}


class RemoteRuntime:
    """A `streamlib-runtime serve` at `url`; `token` is sent as `Authorization: Bearer <token>`."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        #: The child process when `launch` started the server.
        self.process: subprocess.Popen[bytes] | None = None
        self._pending: dict[str, Any] | None = None

    @classmethod
    def launch(
        cls,
        *,
        token: str | None = None,
        allow_origins: Sequence[str] = (),
        args: Sequence[str] = (),
        timeout: float = 60.0,
    ) -> RemoteRuntime:
        """Starts `streamlib-runtime serve` on a free loopback port as a child process and connects to it;
        `close()` (or leaving a `with` block) stops it. `allow_origins`: browser origins whose pages may call
        it (`"*"`: any, with a token), as for a notebook's `Preview` of its nodes."""
        from streamlib.binary import runtime_binary

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [str(runtime_binary()), "serve", "--listen", f"127.0.0.1:{port}", *args]
        for origin in allow_origins:
            command += ["--allow-origin", origin]
        token_file = None
        if token is not None:
            token_file = tempfile.NamedTemporaryFile("w", prefix="streamlib-token-", delete=False)  # noqa: SIM115
            token_file.write(token)
            token_file.close()
            command += ["--token-file", token_file.name]
        remote = cls(f"http://127.0.0.1:{port}", token=token, timeout=timeout)
        # A file, not a pipe: nobody reads the server's log while it runs, and a full pipe would block it.
        log = tempfile.TemporaryFile(prefix="streamlib-serve-")  # noqa: SIM115
        remote.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                if remote.process.poll() is not None:
                    log.seek(0)
                    said = log.read().decode("utf-8", "replace").strip()
                    raise RemoteError(f"streamlib-runtime serve exited ({remote.process.returncode}): {said}")
                try:
                    remote.health()
                    break
                except RemoteError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        except BaseException:
            remote.close()
            raise
        finally:
            log.close()
            if token_file is not None:
                os.unlink(token_file.name)  # read at start
        return remote

    def close(self) -> None:
        """Stops the server `launch` started (its running graph is stopped first); nothing for others."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> RemoteRuntime:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------ transport

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        accept: str = "application/json",
    ) -> tuple[bytes, dict[str, str]]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
        headers = {"Accept": accept}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), dict(response.headers.items())
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                decoded = json.loads(payload)
            except ValueError:
                decoded = None
            answer: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
            code = str(answer.get("code", "http_error"))
            message = str(answer.get("message") or payload[:200].decode("utf-8", "replace") or err.reason)
            if err.code == 422 and code == "compile_error":
                raise ShaderCompileError(
                    message, name=str(answer.get("name", "")), diagnostics=answer.get("diagnostics", [])
                ) from None
            raise RemoteRequestError(
                f"{method} {path}: {err.code} {code}: {message}", status=err.code, code=code, body=answer
            ) from None
        except urllib.error.URLError as err:
            raise RemoteRequestError(
                f"{method} {path}: cannot reach {self.url} ({err.reason})", status=0, code="unreachable"
            ) from None

    def _json(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> dict[str, Any]:
        payload, _ = self._request(method, path, body, raw=raw)
        answer = json.loads(payload) if payload else {}
        return answer if isinstance(answer, dict) else {"value": answer}

    # ------------------------------------------------------------------------------------------ API

    def health(self) -> dict[str, Any]:
        return self._json("GET", "/v1/health")

    def capabilities(self) -> dict[str, Any]:
        """Adapter name and backend, compilers, feature names and the server's limits."""
        return self._json("GET", "/v1/capabilities")

    def compile(
        self, source: str, stage: str = "pixel", *, entry: str | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Compiles on the server: name, stage, backend, parameters, reflection, compile_ms."""
        body: dict[str, Any] = {"source": source, "stage": stage}
        if entry is not None:
            body["entry"] = entry
        if name is not None:
            body["name"] = name
        return self._json("POST", "/v1/shaders", body)

    def load(self, graph: Runtime | str | os.PathLike[str] | dict[str, Any]) -> dict[str, Any]:
        """Loads a graph: a config dict, a config file, or a local `Runtime` (exported to a temp file)."""
        from streamlib.runtime import Runtime

        if isinstance(graph, Runtime):
            with tempfile.TemporaryDirectory(prefix="streamlib-remote-") as directory:
                text = graph.export(Path(directory) / "graph.streamlib.json").read_bytes()
        elif isinstance(graph, dict):
            text = json.dumps(graph).encode("utf-8")
        else:
            text = Path(graph).read_bytes()
        return self._json("PUT", "/v1/graph", raw=text)

    def config(self) -> dict[str, Any]:
        """The loaded graph config (canonical, with current parameter values)."""
        return self._json("GET", "/v1/graph")

    def start(self, frames: int | None = None, fps: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if frames is not None:
            body["frames"] = frames
        if fps is not None:
            body["fps"] = fps
        return self._json("POST", "/v1/graph/start", body)

    def stop(self) -> dict[str, Any]:
        return self._json("POST", "/v1/graph/stop", {})

    def set(self, effect_id: str, **params: Any) -> dict[str, Any]:
        """Sets parameters of an effect node; returns its current values."""
        return self._json("PATCH", f"/v1/effects/{_quote(effect_id)}/params", params)

    def replace_shader(self, effect_id: str, source: str) -> dict[str, Any]:
        """Hot-swaps an effect's shader; a compile failure raises and leaves the old one running."""
        return self._json("PUT", f"/v1/effects/{_quote(effect_id)}/shader", {"source": source})

    def stats(self) -> dict[str, Any]:
        return self._json("GET", "/v1/stats")

    def latest_frame_png(self) -> tuple[bytes, int]:
        """The latest frame as PNG bytes and its frame index."""
        payload, headers = self._request("GET", "/v1/frames/latest", accept="image/png")
        index = next((v for k, v in headers.items() if k.lower() == "x-frame-index"), "-1")
        return payload, int(index)

    def latest_frame(self) -> np.ndarray:
        """The latest frame as an (H, W, 4) uint8 array."""
        import numpy as np
        from PIL import Image

        payload, _ = self.latest_frame_png()
        with Image.open(io.BytesIO(payload)) as image:
            return np.asarray(image.convert("RGBA"))

    # ------------------------------------------------------------------- the graph, edited in place

    def nodes(self) -> list[RemoteNode]:
        """The graph's nodes as the server built them (the server's own sinks left out)."""
        return [RemoteNode(self, built) for built in self._json("GET", "/v1/graph/nodes")["nodes"]]

    def node(self, name: str) -> RemoteNode:
        """Node `name` of the graph: to connect, to play (`Preview`, another runtime's `connect`), to set."""
        try:
            nodes = self.nodes()
        except RemoteRequestError as err:
            if err.code != "no_graph":
                raise
            nodes = []
        found = next((node for node in nodes if node.name == name), None)
        if found is None:
            names = ", ".join(node.name for node in nodes) or "none"
            raise GraphError(f"no node named '{name}' on {self.url} (nodes: {names})")
        return found

    def edges(self) -> list[tuple[str, str, str, str, str]]:
        """Every connection as (from node, from port, to node, to port, delivery), as `Runtime.edges`."""
        rows = []
        for edge in self.config()["edges"]:
            from_node, from_port = edge["from"].rsplit(".", 1)
            to_node, to_port = edge["to"].rsplit(".", 1)
            rows.append((from_node, from_port, to_node, to_port, edge["delivery"]))
        return rows

    @contextlib.contextmanager
    def edit(self) -> Iterator[RemoteRuntime]:
        """Makes the calls inside one edit, applied on leaving the block: all or none, and a running graph
        never sees the steps between (remove an effect and join its neighbours, say)."""
        if self._pending is not None:
            yield self  # already inside an edit: the outer one applies
            return
        self._pending = {"shaders": {}, **{name: [] for name in _EDIT_LISTS}}
        try:
            yield self
            pending = self._pending
        finally:
            self._pending = None
        if any(pending[name] for name in _EDIT_LISTS):
            self._json("PATCH", "/v1/graph", pending)

    def _apply(self, edit: dict[str, Any]) -> dict[str, Any]:
        if self._pending is None:
            return self._json("PATCH", "/v1/graph", edit)
        for name in _EDIT_LISTS:
            self._pending[name] += edit.get(name, [])
        self._pending["shaders"].update(edit.get("shaders", {}))
        return {}

    def add_stream(self, stream: Node | Stream) -> Node:
        """Adds a node made as for a local runtime (`TestPattern(...)`, `Effect(hlsl)`, `WhipSink(url)`) to
        the server's graph; returns the node, whose `set`/`replace_shader` now act on the server. A node with
        inputs joins in the same edit as its connections: `connect` does that."""
        node = stream.node if isinstance(stream, Stream) else stream
        self._apply(self._addition(node))
        node.remote = self
        return node

    def _addition(self, node: Node) -> dict[str, Any]:
        if node.runtime is not None:
            raise GraphError(f"node '{node.name}' already belongs to a local runtime")
        if node.remote is not None and node.remote is not self:
            raise GraphError(f"node '{node.name}' already belongs to {node.remote.url}")
        addition: dict[str, Any] = json.loads(node.addition())
        return addition

    def add_effect(
        self,
        shader: str,
        *,
        after: str | RemoteNode | None = None,
        name: str = "effect",
        params: dict[str, Any] | None = None,
    ) -> RemoteNode:
        """Compiles HLSL `shader` on the server and puts the effect after `after` (default: the end of the
        chain the server shows): its readers then read the new effect."""
        body: dict[str, Any] = {"id": name, "source": shader}
        if after is not None:
            body["after"] = after.name if isinstance(after, RemoteNode) else after
        if params:
            body["values"] = {k: list(v) if isinstance(v, list | tuple) else [v] for k, v in params.items()}
        self._json("POST", "/v1/graph/effects", body)
        return self.node(name)

    def connect(
        self, source: Endpoint, target: Endpoint, *, delivery: str | None = None
    ) -> Node | RemoteNode:
        """Connects an output to an input, adding the local nodes among them to the server's graph in the
        same edit. A node of another runtime (`a.node("fx")`) arrives over WHEP: a `WhepSource` playing it
        joins this graph. Returns the target node."""
        edit: dict[str, Any] = {"shaders": {}, **{name: [] for name in _EDIT_LISTS}}
        known = self._known_names()
        ends, added = [], []
        for item, direction in ((source, "output"), (target, "input")):
            node, port = self._endpoint(item, direction)
            if isinstance(node, RemoteNode) and node.runtime is not self:
                if direction == "input":
                    raise GraphError(f"'{node.name}' is on {node.runtime.url}: connect to it there")
                node = self._bridge(node, known)
            if isinstance(node, Node) and node.name not in known:
                part = self._addition(node)
                edit["add_nodes"] += part["add_nodes"]
                edit["shaders"].update(part["shaders"])
                known.add(node.name)
                added.append(node)
            ends.append(f"{node.name}.{port}")
        new_edge: dict[str, Any] = {"from": ends[0], "to": ends[1]}
        if delivery is not None:
            new_edge["delivery"] = delivery
        edit["add_edges"].append(new_edge)
        self._apply(edit)
        for node in added:
            node.remote = self
        return self._endpoint(target, "input")[0]

    def disconnect(self, source: Endpoint, target: Endpoint) -> None:
        """Removes the edge from `source` to `target` (a running graph must still run without it)."""
        ends = []
        for item, direction in ((source, "output"), (target, "input")):
            node, port = self._endpoint(item, direction)
            ends.append(f"{node.name}.{port}")
        self._apply({"remove_edges": [{"from": ends[0], "to": ends[1]}]})

    def remove(self, node: str | Node | RemoteNode) -> None:
        """Removes a node and its edges from the server's graph."""
        name = node if isinstance(node, str) else node.name
        self._apply({"remove_nodes": [name]})
        if isinstance(node, Node) and node.remote is self:
            node.remote = None

    def _known_names(self) -> MutableSet[str]:
        try:
            names = {node.name for node in self.nodes()}
        except RemoteRequestError as err:
            if err.code != "no_graph":
                raise
            names = set()
        if self._pending is not None:
            names -= set(self._pending["remove_nodes"])
            names |= {node["id"] for node in self._pending["add_nodes"]}
        return names

    def _bridge(self, node: RemoteNode, known: MutableSet[str]) -> Node | RemoteNode:
        """The node of this graph playing `node` of another runtime: one already here, else a new one."""
        source = node.as_source()
        if source.name in known:
            return RemoteNode(
                self, {"id": source.name, "kind": "source", "type": "whep", "outputs": ["video"]}
            )
        return source

    @staticmethod
    def _endpoint(item: Endpoint, direction: str) -> tuple[Node | RemoteNode, str]:
        if isinstance(item, Stream):
            item = item.node
        if isinstance(item, Port | RemotePort):
            if item.direction != direction:
                raise GraphError(f"type mismatch: '{item.node.name}.{item.name}' is an {item.direction}")
            return item.node, item.name
        return item, "video"

    def __repr__(self) -> str:
        return f"RemoteRuntime({self.url!r})"
