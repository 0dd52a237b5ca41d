"""The runtime's operations as MCP tools — `streamlib-runtime mcp` over stdio and `serve`'s `/mcp` over
streamable HTTP —, driven by the official MCP Python SDK (`mcp` on PyPI) as an agent's client would: list the
tools, compile, load a graph, grow it, look at a frame, read the resources, get the prompt, and the
self-healing loop — a typo gets diagnostics naming its line while the graph keeps running its last good
shader, the fix swaps in, and the frame shows it. Each test runs over both transports."""

from __future__ import annotations

import asyncio
import base64
import http.client
import io
import json
import os
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib
from streamlib import Effect, Runtime, TestPattern

from ..conftest import ROOT
from .test_http_api import CRASHER, Server, start_server
from .test_runtime_binary import runtime_binary

mcp = pytest.importorskip("mcp", reason="the MCP Python SDK is in the dev group (pip install --group dev)")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

TOKEN = "mcp-test-token"

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
    "add_effect",
}


def graph(source: str) -> dict[str, Any]:
    """Test pattern 160×90 → an effect `fx` running `source`, as `Runtime.export` writes it."""
    runtime = Runtime()
    fx = Effect(streamlib.compile(source, name="fx"), name="fx")
    runtime.connect(TestPattern(160, 90, name="pattern"), fx)
    return dict(json.loads(runtime.config_text(targets=())))


@contextmanager
def http_server() -> Iterator[Server]:
    """`streamlib-runtime serve` with a bearer token, on a free loopback port, in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="mcp-serve-") as scratch:
        servers = start_server(Path(scratch), token=TOKEN)
        try:
            yield next(servers)
        finally:
            servers.close()


def stdio_streams() -> AbstractAsyncContextManager[Any]:
    env = {**os.environ, "STREAMLIB_SHADER_PATH": str(ROOT / "shaders")}
    return stdio_client(StdioServerParameters(command=str(runtime_binary()), args=["mcp"], env=env))


@asynccontextmanager
async def http_streams(url: str, token: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        create_mcp_http_client(headers=headers) as client,
        streamable_http_client(url, http_client=client) as streams,
    ):
        yield streams


def session(work: Callable[[ClientSession], Awaitable[None]], transport: str = "stdio") -> None:
    """Starts the runtime's MCP server (`mcp` on stdio, or `serve` answering at /mcp), initialises a client
    session over `transport` and runs `work` in it."""
    if transport == "http":
        with http_server() as server:
            run_client(lambda: http_streams(f"{server.url}/mcp", TOKEN), work)
    else:
        run_client(stdio_streams, work)


def run_client(
    streams: Callable[[], AbstractAsyncContextManager[Any]], work: Callable[[ClientSession], Awaitable[None]]
) -> None:
    async def main() -> None:
        async with streams() as (read, write, *_), ClientSession(read, write) as client:
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


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


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


def test_the_tools_are_listed_with_input_schemas(transport: str) -> None:
    async def work(client: ClientSession) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert TOOLS <= set(tools), sorted(tools)
        source = tools["compile_shader"].input_schema
        assert source["properties"]["source"]["type"] == "string" and "source" in source["required"]
        assert "values" in tools["set_params"].input_schema["properties"]

    session(work, transport)


def test_compile_answers_reflection_or_diagnostics_and_lists_the_library(transport: str) -> None:
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

    session(work, transport)


def test_the_self_healing_loop_keeps_the_graph_running(transport: str) -> None:
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

    session(work, transport)


def test_bad_input_gets_tool_errors_and_the_server_stays(transport: str) -> None:
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
        crashed = await client.call_tool("compile_shader", {"source": CRASHER, "stage": "compute"})
        assert crashed.is_error and "crashed" in structured(crashed)["diagnostics"][0]["message"]
        # Still serving: 200 calls at once (compiles, swaps, stats) are each answered, in order of nothing.
        await client.call_tool("load_graph", {"config": graph(TINT)})
        calls = [
            client.call_tool("compile_shader", {"source": TINT if i % 2 else TYPO})
            if i % 4 < 2
            else client.call_tool("set_params", {"effect": "fx", "values": {"strength": (i % 10) / 10}})
            if i % 4 == 2
            else client.call_tool("get_stats", {})
            for i in range(200)
        ]
        answers = await asyncio.gather(*calls)
        assert [a.is_error for a in answers] == [i % 4 == 0 for i in range(200)]
        assert all(structured(a)["code"] == "compile_error" for a in answers[::4])
        assert structured(await client.call_tool("get_stats", {}))["running"] is True

    session(work, transport)


def test_add_effect_grows_the_running_graph_and_a_broken_one_changes_nothing(transport: str) -> None:
    async def work(client: ClientSession) -> None:
        await client.call_tool("load_graph", {"config": graph(GREEN)})
        await until_frames_pass(client, 2)
        broken = await client.call_tool("add_effect", {"id": "inv", "source": TYPO})
        assert broken.is_error and structured(broken)["diagnostics"][0]["line"] == 3
        nodes = structured(await client.call_tool("describe_graph", {}))["config"]["nodes"]
        assert [n["id"] for n in nodes] == ["pattern", "fx"]

        added = await client.call_tool("add_effect", {"id": "inv", "library": "invert", "after": "fx"})
        assert not added.is_error, added.content
        assert structured(added)["started"]["running"] is True
        await until_frames_pass(client, 3)
        magenta = frame_pixels(await client.call_tool("get_frame", {"max_size": 32}))
        assert (magenta[..., 0] > 250).all() and (magenta[..., 1] < 5).all() and (magenta[..., 2] > 250).all()
        # Any node's frames: the first look at `fx` adds a sink to it (one restart); the chain's end stays.
        upstream = frame_pixels(await client.call_tool("get_frame", {"node": "fx", "max_size": 32}))
        assert (upstream[..., 1] > 250).all() and (upstream[..., 0] < 5).all(), "fx itself is still green"
        again = frame_pixels(await client.call_tool("get_frame", {"max_size": 32}))
        assert (again[..., 0] > 250).all() and (again[..., 2] > 250).all()
        pattern = frame_pixels(await client.call_tool("get_frame", {"node": "pattern", "max_size": 32}))
        assert len({tuple(p) for p in pattern.reshape(-1, 4)[:, :3]}) > 4, "the test pattern has colours"
        missing = await client.call_tool("get_frame", {"node": "nope"})
        assert missing.is_error and structured(missing)["code"] == "no_node"
        nodes = structured(await client.call_tool("describe_graph", {}))["config"]["nodes"]
        assert [n["id"] for n in nodes] == ["pattern", "fx", "inv"], "taps are the server's, not the graph's"
        # Its parameters are the library's, settable like any effect's.
        half = await client.call_tool("set_params", {"effect": "inv", "values": {"amount": 0.5}})
        assert structured(half)["values"]["amount"] == [0.5]
        taken = await client.call_tool("add_effect", {"id": "inv", "source": BLUE})
        assert taken.is_error and structured(taken)["field"] == "id"

    session(work, transport)


def test_resources_and_the_write_effect_prompt(transport: str) -> None:
    async def work(client: ClientSession) -> None:
        resources = {str(r.uri): r for r in (await client.list_resources()).resources}
        assert {"streamlib://reference/effects.md", "streamlib://graph/config.json"} <= set(resources)
        assert "streamlib://library/tint.hlsl" in resources, sorted(resources)

        reference = (await client.read_resource("streamlib://reference/effects.md")).contents[0]
        assert "#define tex2D(tex, uv)" in reference.text and "@range(min, max)" in reference.text
        tint = (await client.read_resource("streamlib://library/tint.hlsl")).contents[0]
        assert tint.text == TINT

        await client.call_tool("load_graph", {"config": graph(GREEN), "start": False})
        config = json.loads((await client.read_resource("streamlib://graph/config.json")).contents[0].text)
        assert config["shaders"]["fx"]["source"] == GREEN

        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert [a.name for a in prompts["write_effect"].arguments or []] == ["description", "effect"]
        prompt = await client.get_prompt("write_effect", {"description": "a warm sepia look", "effect": "fx"})
        text = prompt.messages[0].content.text
        assert "a warm sepia look" in text and 'replace_shader with effect "fx"' in text
        assert "compile_shader" in text and "#define tex2D(tex, uv)" in text

    session(work, transport)


def post_mcp(server: Server | Any, headers: dict[str, str]) -> int:
    """A JSON-RPC ping POSTed to `server.port`'s /mcp with `headers`; the HTTP status."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **headers}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("POST", "/mcp", body=body, headers=sent)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_mcp_over_http_refuses_missing_or_wrong_tokens_and_foreign_pages() -> None:
    with http_server() as server:
        assert post_mcp(server, {}) == 401
        assert post_mcp(server, {"Authorization": "Bearer wrong"}) == 401
        token = {"Authorization": f"Bearer {TOKEN}"}
        assert post_mcp(server, {**token, "Origin": "http://attacker.example"}) == 403
        assert post_mcp(server, {**token, "Host": "attacker.example"}) == 403
        assert post_mcp(server, token) == 200
        # The SDK client with a wrong token gets an MCP error (not a hang), and the server stays.
        with pytest.raises(BaseException) as refused:  # noqa: B017 - the SDK nests it in exception groups
            run_client(lambda: http_streams(f"{server.url}/mcp", "wrong"), lambda client: asyncio.sleep(0))
        leaf: BaseException = refused.value
        while getattr(leaf, "exceptions", None):
            leaf = leaf.exceptions[0]  # type: ignore[attr-defined]
        assert isinstance(leaf, mcp.MCPError), repr(leaf)
        assert server.call("GET", "/v1/health", token=None)[0] == 200


def test_set_params_schema_carries_the_loaded_graphs_ranges(transport: str) -> None:
    async def work(client: ClientSession) -> None:
        await client.call_tool("load_graph", {"config": graph(TINT), "start": False})
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        schema = tools["set_params"].input_schema
        assert schema["properties"]["effect"]["enum"] == ["fx"]
        (fx,) = schema["oneOf"]
        values = fx["properties"]["values"]["properties"]
        assert values["strength"] == {"type": "number", "minimum": 0.0, "maximum": 1.0, "default": 0.5}
        assert values["tint"]["type"] == "array" and values["tint"]["maxItems"] == 3

    session(work, transport)


TOY_RED = "void mainImage(out vec4 o, in vec2 p) {\n    o = vec4(1.0, 0.0, 0.0, 1.0);\n}\n"


def test_an_agent_can_write_shadertoy_style_glsl(transport: str) -> None:
    async def work(client: ClientSession) -> None:
        compiled = await client.call_tool("compile_shader", {"source": TOY_RED, "language": "glsl"})
        assert not compiled.is_error and structured(compiled)["language"] == "glsl"
        await client.call_tool("load_graph", {"config": graph(GREEN)})
        swapped = await client.call_tool(
            "replace_shader", {"effect": "fx", "source": TOY_RED, "language": "glsl"}
        )
        assert not swapped.is_error, swapped.content
        await until_frames_pass(client, 3)
        red = frame_pixels(await client.call_tool("get_frame", {"max_size": 32}))
        assert (red[..., 0] > 250).all() and (red[..., 1] < 5).all()
        typo = await client.call_tool(
            "replace_shader", {"effect": "fx", "source": TOY_RED.replace(");", ")")}
        )
        assert typo.is_error and structured(typo)["diagnostics"][0]["line"] in (2, 3), (
            "read as GLSL, its lines"
        )
        added = await client.call_tool(
            "add_effect",
            {"id": "toy", "source": TOY_RED.replace("1.0, 0.0, 0.0", "0.0, 0.0, 1.0"), "language": "glsl"},
        )
        assert not added.is_error, added.content
        await until_frames_pass(client, 3)
        blue = frame_pixels(await client.call_tool("get_frame", {"max_size": 32}))
        assert (blue[..., 2] > 250).all() and (blue[..., 0] < 5).all()

    session(work, transport)
