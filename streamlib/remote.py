"""`RemoteRuntime`: drives a `streamlib-runtime serve` over its HTTP API (standard library only).

    remote = RemoteRuntime("http://127.0.0.1:8080", token=None)
    remote.load(runtime_or_config_or_path)   # a local Runtime is exported first
    remote.start(fps=30)
    remote.set("tint", strength=0.8)
    frame = remote.latest_frame()            # numpy (H, W, 4) uint8

Every error answer becomes a `RemoteError` (`.status`, `.code`, `.body`); a 422 compile error becomes a
`ShaderCompileError` with the server's diagnostics.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamlib.errors import RemoteError, ShaderCompileError

if TYPE_CHECKING:
    import numpy as np

    from streamlib.runtime import Runtime


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

    def __repr__(self) -> str:
        return f"RemoteRuntime({self.url!r})"
