"""The notebook kernel's MCP server (`streamlib.jupyter.agents.serve_mcp`, `%streamlib_mcp`): an agent,
through the official MCP Python SDK, and the person at the notebook work on one live graph — the agent's
swap shows in the notebook's `Effect`, the notebook's `set` in the agent's answers, a broken shader keeps the
last good one running, and the server lets in only its token, loopback names and no foreign page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

import streamlib
from streamlib import Effect, Runtime, TestPattern
from streamlib.jupyter import Controls

from ..runtime.test_mcp import (
    BLUE,
    GREEN,
    TINT,
    TYPO,
    frame_pixels,
    http_streams,
    post_mcp,
    run_client,
    structured,
)

pytest.importorskip(
    "mcp", reason="the MCP Python SDK is part of the jupyter extra (pip install 'streamlib[jupyter]')"
)
from mcp import ClientSession  # noqa: E402

from streamlib.jupyter.agents import AgentServer, serve_mcp  # noqa: E402

NOTEBOOK_TOOLS = {
    "compile_shader",
    "list_library",
    "describe_graph",
    "replace_shader",
    "set_params",
    "get_frame",
    "get_stats",
}


@pytest.fixture()
def live() -> Iterator[tuple[Runtime, Effect, AgentServer]]:
    """A notebook's graph — test pattern → effect `fx` — running, served to agents."""
    runtime = Runtime()
    fx = Effect(streamlib.compile(GREEN, name="fx"), name="fx")
    runtime.connect(TestPattern(160, 90, name="pattern"), fx)
    runtime.start(fps=30)
    server = serve_mcp(runtime)
    try:
        yield runtime, fx, server
    finally:
        server.stop()
        runtime.stop()


def test_an_agent_and_the_notebook_share_one_live_graph(live: tuple[Runtime, Effect, AgentServer]) -> None:
    runtime, fx, server = live

    async def work(client: ClientSession) -> None:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert tools == NOTEBOOK_TOOLS
        green = frame_pixels(await client.call_tool("get_frame", {"max_size": 64}))
        assert green.shape == (36, 64, 4) and (green[..., 1] > 250).all() and (green[..., 0] < 5).all()

        broken = await client.call_tool("replace_shader", {"effect": "fx", "source": TYPO})
        assert broken.is_error and structured(broken)["diagnostics"][0]["line"] == 3
        assert fx.shader.source == GREEN, "the notebook's effect keeps its last good shader"
        still = frame_pixels(await client.call_tool("get_frame", {}))
        assert (still[..., 1] > 250).all()

        fixed = await client.call_tool("replace_shader", {"effect": "fx", "source": BLUE})
        assert not fixed.is_error and structured(fixed)["swaps"] == 1
        assert fx.shader.source == BLUE and fx.swaps == 1, "the agent's swap is the notebook's effect's"
        blue = frame_pixels(await client.call_tool("get_frame", {"format": "png"}))
        assert (blue[..., 2] > 250).all() and (blue[..., 1] < 5).all()

        # Parameters: the agent's set is the notebook's, all or none, and the notebook's set is the agent's.
        await client.call_tool("replace_shader", {"effect": "fx", "source": TINT})
        done = await client.call_tool("set_params", {"effect": "fx", "values": {"strength": 0.25}})
        assert structured(done)["values"]["strength"] == [0.25] and fx.values["strength"] == 0.25
        assert Controls(fx).controls["strength"].value == 0.25, "controls start where the agent left it"
        mixed = await client.call_tool(
            "set_params", {"effect": "fx", "values": {"strength": 0.5, "tint": "red"}}
        )
        assert mixed.is_error and "tint" in structured(mixed)["message"]
        assert fx.values["strength"] == 0.25, "a refused batch changes nothing"
        fx.set(strength=0.75)
        described = structured(await client.call_tool("describe_graph", {}))
        assert described["config"]["nodes"][1]["params"]["values"]["strength"] == [0.75]
        assert described["stats"]["effects"]["fx"]["swaps"] == 2

        missing = await client.call_tool("set_params", {"effect": "nope", "values": {}})
        assert missing.is_error and structured(missing)["code"] == "no_effect"
        compiled = structured(await client.call_tool("compile_shader", {"source": TINT}))
        assert {p["name"] for p in compiled["parameters"]} == {"tint", "strength"}

        reference = (await client.read_resource("streamlib://reference/effects.md")).contents[0]
        assert "#define tex2D(tex, uv)" in reference.text
        tint = (await client.read_resource("streamlib://library/tint.hlsl")).contents[0]
        assert tint.text == TINT
        graph = json.loads((await client.read_resource("streamlib://graph/config.json")).contents[0].text)
        assert graph["shaders"]["fx"]["source"] == TINT
        prompt = await client.get_prompt("write_effect", {"description": "film grain", "effect": "fx"})
        assert 'replace_shader with effect "fx"' in prompt.messages[0].content.text

    run_client(lambda: http_streams(server.url, server.token), work)
    assert runtime.is_running, "the person's graph runs on after the agent's session"


def test_the_notebook_server_lets_in_only_its_token_and_loopback(
    live: tuple[Runtime, Effect, AgentServer],
) -> None:
    _, _, server = live
    assert post_mcp(server, {}) == 401
    assert post_mcp(server, {"Authorization": "Bearer wrong"}) == 401
    token = {"Authorization": f"Bearer {server.token}"}
    assert post_mcp(server, {**token, "Origin": "http://attacker.example"}) == 403
    assert post_mcp(server, {**token, "Host": "attacker.example"}) == 421
    assert post_mcp(server, token) == 200
    assert server.client_config()["headers"]["Authorization"] == f"Bearer {server.token}"
    server.stop()
    assert not server.running


def test_an_agent_swaps_a_glsl_effect_into_the_notebook(live: tuple[Runtime, Effect, AgentServer]) -> None:
    _, fx, server = live
    toy = "void mainImage(out vec4 o, in vec2 p) {\n    o = vec4(1.0, 0.0, 0.0, 1.0);\n}\n"

    async def work(client: ClientSession) -> None:
        swapped = await client.call_tool(
            "replace_shader", {"effect": "fx", "source": toy, "language": "glsl"}
        )
        assert not swapped.is_error, swapped.content
        assert fx.shader.language == "glsl"
        red = frame_pixels(await client.call_tool("get_frame", {"max_size": 16}))
        assert (red[..., 0] > 250).all() and (red[..., 1] < 5).all()

    run_client(lambda: http_streams(server.url, server.token), work)
