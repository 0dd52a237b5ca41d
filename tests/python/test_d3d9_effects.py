"""D3D9-style (shader model 2/3) pixel shaders run unchanged: every effect in shaders/d3d9/ — written as
video players' and retro packs' shaders are (`sampler s0 : register(s0)`, `tex2D`/`tex2Dlod`/`tex2Dbias`,
host constants `p0`/`p1` in `register(c0/c1)`, `COLOR` out, `TEXCOORD0` in, `#define` parameters, colour
matrices, loops, branches) — compiles as written and matches its NumPy reference (d3d9_references.py) within
±1/255. The host constants follow the video-player convention; a typo's diagnostic keeps the user's line;
such an effect runs in a graph and survives export and load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib
from streamlib import Effect, NumpySink, Runtime, ShaderCompileError, TestPattern

from ..conftest import SHADERS
from . import d3d9_references as ref
from .test_effect_pixels import assert_close

D3D9 = SHADERS / "d3d9"

# (effect, time, frame): the frame values the host constants carry.
CASES: list[tuple[str, float, int]] = [
    ("invert", 0.0, 0),
    ("sharpen", 0.0, 0),
    ("sepia_matrix", 0.0, 0),
    ("channel_mix", 0.0, 0),
    ("anaglyph", 0.0, 0),
    ("levels", 0.0, 0),
    ("scanlines", 0.0, 0),
    ("chroma_420", 0.0, 0),
    ("box_blur", 0.0, 0),
    ("threshold", 0.0, 0),
    ("mirror", 0.0, 0),
    ("flip", 0.0, 0),
    ("pulse", 0.4, 3),
    ("pulse", 1.3, 4),
]


def test_every_d3d9_effect_is_covered() -> None:
    files = {p.stem for p in D3D9.glob("*.hlsl")}
    assert len(files) >= 12
    assert files == {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}[t={c[1]},frame={c[2]}]")
def test_d3d9_effect_matches_reference(
    case: tuple[str, float, int], runtime: Runtime, texture: streamlib.Texture, image: np.ndarray
) -> None:
    effect, time, frame = case
    shader = streamlib.compile_file(D3D9 / f"{effect}.hlsl")
    assert shader.stage == "pixel" and shader.parameters == []
    got = runtime.run_shader(shader, [texture], time=time, frame=frame).to_numpy()
    extra: dict[str, Any] = {"time": time, "frame": frame} if effect == "pulse" else {}
    expected = getattr(ref, effect)(image, **extra)
    assert not np.array_equal(expected, image), f"{effect} does not change the test image"
    assert_close(got, expected, effect)


def test_the_threshold_case_has_no_near_ties(image: np.ndarray) -> None:
    """float32 on the GPU and float64 here may disagree on a luma within rounding of the threshold."""
    assert float(np.abs(ref.threshold_luma(image) - 0.45).min()) > 1e-5  # float32 rounding: ~1e-7


def test_a_d3d9_typo_is_reported_on_the_users_line() -> None:
    text = (D3D9 / "invert.hlsl").read_text()
    broken = text.replace("return float4(1.0 - c.rgb, c.a);", "return float4(1.0 - c.rgb, c.a)")
    line = broken.splitlines().index("    return float4(1.0 - c.rgb, c.a)") + 1
    with pytest.raises(ShaderCompileError) as failed:
        streamlib.compile(broken, name="invert.hlsl")
    first = failed.value.diagnostics[0]
    assert first.line in (line, line + 1), (first, line)
    assert first.source_line == broken.splitlines()[first.line - 1]


def test_a_d3d9_effect_runs_in_a_graph_and_survives_export(tmp_path: Path) -> None:
    runtime = Runtime()
    pattern = TestPattern(64, 36, name="pattern")
    plain, inverted = NumpySink(name="plain"), NumpySink(name="inverted")
    fx = Effect(D3D9 / "invert.hlsl", name="fx")
    runtime.connect(pattern, plain)
    runtime.connect(pattern, fx)
    runtime.connect(fx, inverted)
    runtime.run(frames=2)
    before, after = plain.latest(), inverted.latest()
    assert before is not None and after is not None
    np.testing.assert_array_equal(after[..., :3], 255 - before[..., :3])

    config = runtime.export(tmp_path / "d3d9.streamlib.json", targets=("vulkan",))
    sources = [entry["source"] for entry in json.loads(config.read_text())["shaders"].values()]
    assert any("sampler s0 : register(s0);" in source for source in sources), "exported as written"
    loaded = streamlib.load(config)
    loaded.run(frames=2)
    again = loaded.node("inverted")
    assert isinstance(again, NumpySink)
    np.testing.assert_array_equal(again.latest(), after)


HOST_PROBE = """sampler s0 : register(s0);
float4 p0 : register(c0);
float4 p1 : register(c1);
float4 main(float2 tex : TEXCOORD0) : COLOR {
    return float4(p0.x / 256.0, p0.w / 4.0, p1.x * 16.0, 1);
}
"""
OVERRIDE = {"D3D9_C0": "float4(128, 36, float(frame), 1)", "D3D9_C1": "float4(0.03125, 0, 0, 0)"}


def test_host_constants_follow_the_players_convention(runtime: Runtime, texture: streamlib.Texture) -> None:
    shader = streamlib.compile(HOST_PROBE, name="probe.hlsl")
    got = runtime.run_shader(shader, [texture], time=2.0).to_numpy()
    # p0 = (67, 45, frame, 2 s) and p1 = (1/67, 1/45, 0, 0) on the 67×45 test frame.
    np.testing.assert_allclose(got[0, 0, :3], [67 / 256 * 255, 2 / 4 * 255, 16 / 67 * 255], atol=1)


def test_host_constants_can_be_overridden_per_effect_and_keep_it_through_export(
    runtime: Runtime, texture: streamlib.Texture, tmp_path: Path
) -> None:
    shader = streamlib.compile(HOST_PROBE, name="probe.hlsl", defines=OVERRIDE)
    got = runtime.run_shader(shader, [texture], time=2.0).to_numpy()
    np.testing.assert_allclose(got[0, 0, :3], [128 / 256 * 255, 1 / 4 * 255, 0.5 * 255], atol=1)

    graph = Runtime()
    fx, plain, sink = Effect(shader, name="fx"), Effect(HOST_PROBE, name="plain"), NumpySink(name="out")
    pattern = TestPattern(64, 36)
    graph.connect(pattern, fx)
    graph.connect(fx, sink)
    graph.connect(pattern, plain)
    graph.run(frames=1)
    expected = sink.latest()
    assert expected is not None
    path = graph.export(tmp_path / "probe.streamlib.json", targets=("vulkan",))
    config = json.loads(path.read_text())
    assert [entry.get("defines") for entry in config["shaders"].values()].count(OVERRIDE) == 1, "only fx's"
    # From its artifact, and recompiled from source with the same defines.
    for artifacts in (True, False):
        if not artifacts:
            for entry in config["shaders"].values():
                entry["artifact_source_sha256"] = None
            path.write_text(json.dumps(config))
        loaded = streamlib.load(path)
        loaded.run(frames=1)
        out = loaded.node("out")
        assert isinstance(out, NumpySink)
        np.testing.assert_array_equal(out.latest(), expected)
