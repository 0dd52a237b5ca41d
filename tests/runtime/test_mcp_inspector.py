"""A second independent MCP client: the MCP project's own Inspector (`@modelcontextprotocol/inspector`, npm,
installed into tests/peers by `make test`) in CLI mode lists and calls the runtime's tools, over stdio
(`streamlib-runtime mcp`) and over streamable HTTP (`serve`'s `/mcp` with its bearer token)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT
from .test_mcp import TINT, TOOLS, TYPO, http_server
from .test_runtime_binary import runtime_binary

INSPECTOR = ROOT / "tests" / "peers" / "node_modules" / ".bin" / "mcp-inspector"

pytestmark = pytest.mark.skipif(
    not INSPECTOR.exists() or shutil.which("node") is None,
    reason=f"the MCP Inspector is not installed ({INSPECTOR}; `make test` runs npm ci in tests/peers)",
)


# The Inspector's exit status when the tool it called answered a tool error.
TOOL_ERROR_EXIT = 5


def inspect(target: list[str], *args: str, status: int = 0) -> dict[str, Any]:
    """Runs the Inspector's CLI against `target`; checks its exit status and returns the JSON it prints."""
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(ROOT / "shaders"), "MCP_CATALOG_PATH": os.devnull}
    done = subprocess.run(
        [str(INSPECTOR), "--cli", *target, *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == status, f"exit {done.returncode}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return dict(json.loads(done.stdout))


def check(target: list[str]) -> None:
    listed = inspect(target, "--method", "tools/list")
    tools = {tool["name"]: tool for tool in listed["tools"]}
    assert TOOLS <= set(tools), sorted(tools)
    assert "source" in tools["compile_shader"]["inputSchema"]["required"]

    call = ["--method", "tools/call", "--tool-name", "compile_shader", "--tool-arg"]
    compiled = inspect(target, *call, f"source={TINT}")
    assert not compiled.get("isError")
    assert {p["name"] for p in compiled["structuredContent"]["parameters"]} == {"tint", "strength"}
    broken = inspect(target, *call, f"source={TYPO}", status=TOOL_ERROR_EXIT)
    assert broken["isError"] is True and broken["structuredContent"]["diagnostics"][0]["line"] == 3

    resources = inspect(target, "--method", "resources/list")
    assert any(r["uri"] == "streamlib://reference/effects.md" for r in resources["resources"])


def test_the_inspector_drives_the_stdio_server() -> None:
    check([str(runtime_binary()), "mcp"])


def test_the_inspector_drives_mcp_over_http_with_the_token(tmp_path: Path) -> None:
    with http_server() as server:
        target = ["--transport", "http", "--server-url", f"{server.url}/mcp"]
        check([*target, "--header", f"Authorization: Bearer {server.token}"])
        env = {**os.environ, "MCP_CATALOG_PATH": os.devnull}
        refused = subprocess.run(
            [str(INSPECTOR), "--cli", *target, "--method", "tools/list"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert refused.returncode != 0, "without the token the server must refuse the Inspector"
