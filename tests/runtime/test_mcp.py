"""`streamlib-runtime mcp`: the runtime's operations as MCP tools over stdio, driven by the official MCP
Python SDK (`mcp` on PyPI) as an agent's client would: list the tools, compile, load a graph, look at a
frame, and the self-healing loop — a typo gets diagnostics naming its line while the graph keeps running its
last good shader, the fix swaps in, and the frame shows it."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib
from streamlib import Effect, Runtime, TestPattern

from ..conftest import ROOT
from .test_runtime_binary import runtime_binary

mcp = pytest.importorskip("mcp", reason="the MCP Python SDK is in the dev group (pip install --group dev)")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

GREEN = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return float4(0, 1, 0, 1);\n}\n"
TYPO = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return float4(0, 0, 1, 1)\n}\n"
BLUE = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return float4(0, 0, 1, 1);\n}\n"
TINT = (ROOT / "shaders" / "tint.hlsl").read_text()
TOOLS = {
    "compile_shader",
    "list_library",
    "describe_graph",
    "load_graph",
    "stop_graph",
    "replace_shader",
    "set_params",
    "get_frame",
    "get_stats",
}


def graph(source: str) -> dict[str, Any]:
    """Test pattern 160×90 → an effect `fx` running `source`, as `Runtime.export` writes it."""
    runtime = Runtime()
    fx = Effect(streamlib.compile(source, name="fx"), name="fx")
    runtime.connect(TestPattern(160, 90, name="pattern"), fx)
    return dict(json.loads(runtime.config_text(targets=())))


def session(work: Callable[[ClientSession], Awaitable[None]]) -> None:
    """Starts the binary's MCP server on stdio, initialises a client session and runs `work` in it."""
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(ROOT / "shaders")}
    server = StdioServerParameters(command=str(runtime_binary()), args=["mcp"], env=env)

    async def main() -> None:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            await asyncio.wait_for(work(client), timeout=120)

    # A thread of its own: the browser tests' Playwright keeps an event loop running on this one.
    failure: list[BaseException] = []

    def client_thread() -> None:
        try:
            asyncio.run(main())
        except BaseException as err:  # noqa: BLE001 - re-raised on the test's thread below
            failure.append(err)

    thread = threading.Thread(target=client_thread, name="mcp-client")
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "the MCP session did not finish within 180 s"
    if failure:
        raise failure[0]


def structured(result: Any) -> dict[str, Any]:
    if result.structured_content is not None:
        return dict(result.structured_content)
    return dict(json.loads(result.content[0].text))


def frame_pixels(result: Any) -> np.ndarray:
    image = next(block for block in result.content if block.type == "image")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(image.data))).convert("RGBA"))


async def frames(client: ClientSession) -> int:
    return int(structured(await client.call_tool("get_stats", {}))["frames"])


async def until_frames_pass(client: ClientSession, count: int) -> None:
    start = await frames(client)
    for _ in range(200):
        if await frames(client) >= start + count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the graph stopped making frames (still {await frames(client)})")


def test_the_tools_are_listed_with_input_schemas() -> None:
    async def work(client: ClientSession) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert TOOLS <= set(tools), sorted(tools)
        source = tools["compile_shader"].input_schema
        assert source["properties"]["source"]["type"] == "string" and "source" in source["required"]
        assert "values" in tools["set_params"].input_schema["properties"]

    session(work)


def test_compile_answers_reflection_or_diagnostics_and_lists_the_library() -> None:
    async def work(client: ClientSession) -> None:
        good = await client.call_tool("compile_shader", {"source": TINT})
        assert not good.is_error
        parameters = {p["name"]: p for p in structured(good)["parameters"]}
        assert parameters["strength"]["min"] == 0 and parameters["strength"]["max"] == 1

        bad = await client.call_tool("compile_shader", {"source": TYPO})
        assert bad.is_error
        error = structured(bad)
        assert error["code"] == "compile_error"
        (first, *_) = error["diagnostics"]
        assert first["line"] == 3 and first["source_line"].strip() == "}", first

        library = structured(await client.call_tool("list_library", {}))
        names = {s["name"]: s for s in library["shaders"]}
        assert "tint" in names and names["tint"]["summary"].startswith("Tint:"), names.get("tint")

    session(work)


def test_the_self_healing_loop_keeps_the_graph_running() -> None:
    async def work(client: ClientSession) -> None:
        loaded = await client.call_tool("load_graph", {"config": graph(GREEN)})
        assert not loaded.is_error, loaded.content
        await until_frames_pass(client, 2)
        green = frame_pixels(await client.call_tool("get_frame", {"max_size": 64}))
        assert green.shape == (36, 64, 4) and (green[..., 1] > 250).all() and (green[..., 0] < 5).all()

        # The agent's first try has a typo: diagnostics name line 3, and the graph runs on, still green.
        broken = await client.call_tool("replace_shader", {"effect": "fx", "source": TYPO})
        assert broken.is_error and structured(broken)["diagnostics"][0]["line"] == 3
        await until_frames_pass(client, 3)
        still = frame_pixels(await client.call_tool("get_frame", {}))
        assert (still[..., 1] > 250).all(), "the last good shader must keep running"

        # The fix swaps in between frames; the frame shows it.
        fixed = await client.call_tool("replace_shader", {"effect": "fx", "source": BLUE})
        assert not fixed.is_error and structured(fixed)["swaps"] == 1
        await until_frames_pass(client, 3)
        blue = frame_pixels(await client.call_tool("get_frame", {"format": "png"}))
        assert (blue[..., 2] > 250).all() and (blue[..., 1] < 5).all()

        described = structured(await client.call_tool("describe_graph", {}))
        assert "return float4(0, 0, 1, 1);" in described["config"]["shaders"]["fx"]["source"]
        assert described["stats"]["effects"]["fx"]["swaps"] == 1
        stopped = await client.call_tool("stop_graph", {})
        assert not stopped.is_error and structured(stopped)["running"] is False

    session(work)


def test_bad_input_gets_tool_errors_and_the_server_stays() -> None:
    async def work(client: ClientSession) -> None:
        missing = await client.call_tool("replace_shader", {"effect": "fx"})  # no source: schema-invalid
        assert missing.is_error
        no_graph = await client.call_tool("get_frame", {})
        assert no_graph.is_error and structured(no_graph)["code"] == "no_graph"
        huge = await client.call_tool("compile_shader", {"source": "// " + "x" * (1 << 20)})
        assert huge.is_error
        await client.call_tool("load_graph", {"config": graph(TINT), "start": False})
        wrong = await client.call_tool("set_params", {"effect": "fx", "values": {"strength": "strong"}})
        assert wrong.is_error and structured(wrong)["parameter"] == "strength"
        unknown = await client.call_tool("set_params", {"effect": "fx", "values": {"strenght": 0.5}})
        assert unknown.is_error and "strength" in structured(unknown)["message"], structured(unknown)
        ok = await client.call_tool("set_params", {"effect": "fx", "values": {"strength": 0.25}})
        assert structured(ok)["values"]["strength"] == [0.25]
        bad_config = await client.call_tool("load_graph", {"config": {"version": "streamlib.graph/v1"}})
        assert bad_config.is_error and structured(bad_config)["code"] == "bad_config"
        # Still serving, and many calls at once are each answered.
        answers = await asyncio.gather(*(client.call_tool("get_stats", {}) for _ in range(50)))
        assert all(not a.is_error for a in answers)

    session(work)
