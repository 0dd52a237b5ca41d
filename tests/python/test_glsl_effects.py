"""Shadertoy-style GLSL effects run as pixel effects: `mainImage(out vec4, in vec2)` with `iTime`, `iFrame`,
`iResolution`, `iChannel0` (the input, upright, with y growing upwards as on Shadertoy) and
`iChannelResolution`; `uniform` parameters with annotations become controls; diagnostics keep the user's
lines; inputs not provided are refused by name; an exported graph mixing D3D9-style HLSL, D3D11-style HLSL and
GLSL runs in `streamlib-runtime run` with the same pixels as in Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import streamlib
from streamlib import Effect, ImageSequenceSink, Runtime, ShaderCompileError, TestPattern

from ..conftest import SHADERS
from ..runtime.test_runtime_binary import run, runtime_binary
from . import glsl_references as ref
from .references import pixel_uv, to_uint8
from .test_effect_pixels import assert_close

GLSL = SHADERS / "glsl"
WARM = GLSL / "warm.glsl"

# (effect, params, time): every file in shaders/glsl/ against its reference in glsl_references.py.
CASES: list[tuple[str, dict[str, Any], float]] = [
    ("warm", {}, 0.0),
    ("warm", {"warmth": 0.25, "tint": (1.0, 0.5, 0.25)}, 0.0),
    ("crt", {}, 0.0),
    ("crt", {"darkness": 0.8}, 0.0),
    ("edges", {}, 0.0),
    ("ripple", {}, 0.0),
    ("ripple", {"amplitude": 0.04}, 0.7),
]

UPRIGHT = """void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    fragColor = texture(iChannel0, fragCoord / iResolution.xy);
}
"""
FETCH = """void mainImage(out vec4 o, in vec2 p) {
    o = texelFetch(iChannel0, ivec2(p), 0);
}
"""
GRADIENT = """void mainImage(out vec4 o, in vec2 p) {
    vec2 uv = p / iResolution.xy;
    o = vec4(uv, 0.0, 1.0);
}
"""
CLOCKS = """void mainImage(out vec4 o, in vec2 p) {
    o = vec4(fract(iTime), float(iFrame) / 10.0, iChannelResolution[0].x / 100.0, 1.0);
}
"""


def glsl(source: str, name: str = "effect.glsl") -> streamlib.Shader:
    return streamlib.compile(source, name=name, language="glsl")


@pytest.mark.parametrize("source", [UPRIGHT, FETCH], ids=["texture", "texelFetch"])
def test_reading_the_channel_at_frag_coord_gives_the_frame_back_upright(
    source: str, runtime: Runtime, texture: streamlib.Texture, image: np.ndarray
) -> None:
    shader = glsl(source)
    assert (shader.stage, shader.language) == ("pixel", "glsl")
    got = runtime.run_shader(shader, [texture]).to_numpy()
    np.testing.assert_array_equal(got, image)


def test_frag_coord_grows_upwards_as_on_shadertoy(runtime: Runtime, texture: streamlib.Texture) -> None:
    got = runtime.run_shader(glsl(GRADIENT), [texture]).to_numpy()
    height, width = got.shape[:2]
    u, v = pixel_uv(height, width)
    expected = to_uint8(np.stack([u, 1.0 - v, np.zeros_like(u), np.ones_like(u)], axis=-1))
    assert_close(got, expected, "gradient")
    assert got[0, 0, 1] > got[-1, 0, 1], "the top row has the larger y"


def test_time_frame_and_channel_resolution(runtime: Runtime, texture: streamlib.Texture) -> None:
    got = runtime.run_shader(glsl(CLOCKS), [texture], time=1.25, frame=3).to_numpy()
    expected = to_uint8(np.array([0.25, 0.3, 0.67, 1.0]))
    assert (np.abs(got.astype(int) - expected.astype(int)) <= 1).all(), got[0, 0]


def test_every_glsl_example_is_covered() -> None:
    assert {p.stem for p in GLSL.glob("*.glsl")} == {case[0] for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1] or ''}[t={c[2]}]".replace(" ", ""))
def test_glsl_example_matches_reference(
    case: tuple[str, dict[str, Any], float], runtime: Runtime, texture: streamlib.Texture, image: np.ndarray
) -> None:
    effect, params, time = case
    shader = streamlib.compile_file(GLSL / f"{effect}.glsl")
    got = runtime.run_shader(shader, [texture], params=params, time=time).to_numpy()
    extra = {"time": time} if effect == "ripple" else {}
    expected = getattr(ref, effect)(image, **params, **extra)
    assert_close(got, expected, effect)


def test_uniforms_are_parameters_with_their_annotations() -> None:
    shader = streamlib.compile_file(WARM)
    assert shader.language == "glsl"
    params = {p.name: p for p in shader.parameters}
    assert (params["warmth"].min, params["warmth"].max) == (0.0, 1.0)
    assert list(params["warmth"].default) == pytest.approx([0.6])
    assert params["tint"].kind == "color" and list(params["tint"].default) == pytest.approx([1.0, 0.8, 0.6])


def test_a_typo_is_reported_on_the_users_line() -> None:
    broken = GRADIENT.replace("vec2 uv = p / iResolution.xy;", "vec2 uv = p / iResolution.xy")
    with pytest.raises(ShaderCompileError) as failed:
        glsl(broken, "gradient.glsl")
    first = failed.value.diagnostics[0]
    assert first.line in (2, 3), first
    assert first.source_line == broken.splitlines()[first.line - 1]


def test_inputs_not_provided_are_refused_by_name() -> None:
    source = "void mainImage(out vec4 o, in vec2 p) {\n    o = vec4(iTimeDelta);\n}\n"
    with pytest.raises(ShaderCompileError) as failed:
        glsl(source)
    first = failed.value.diagnostics[0]
    assert first.line == 2 and first.message.startswith("iTimeDelta is not provided"), first
    with pytest.raises(ShaderCompileError, match="DXC compiles HLSL only"):
        streamlib.compile(UPRIGHT, language="glsl", backend="dxc")


def test_a_mixed_graph_exports_and_runs_in_the_runtime_binary(tmp_path: Path) -> None:
    def graph(directory: Path) -> Runtime:
        runtime = Runtime()
        chain = [
            TestPattern(96, 54, name="pattern"),
            Effect(SHADERS / "d3d9" / "sharpen.hlsl", name="sharpen"),
            Effect("tint.hlsl", params={"strength": 0.3}, name="tint"),
            Effect(WARM, params={"warmth": 0.5}, name="warm"),
            ImageSequenceSink(directory, name="out"),
        ]
        for source, target in zip(chain, chain[1:], strict=False):
            runtime.connect(source, target)
        return runtime

    ours = tmp_path / "python"
    graph(ours).run(3)
    config = graph(tmp_path / "unused").export(tmp_path / "mixed.streamlib.json", targets=("vulkan",))
    result = run(
        runtime_binary(), "run", config, "--frames", "3", "--sink", f"out={tmp_path / 'binary'}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    python_frames = sorted(ours.glob("*.png"))
    binary_frames = sorted((tmp_path / "binary").glob("*.png"))
    assert len(python_frames) == len(binary_frames) == 3
    for a, b in zip(python_frames, binary_frames, strict=True):
        np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))
