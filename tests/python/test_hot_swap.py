"""Hot swapping a running effect: 10 good and 10 broken shaders during one 600-frame run.

A good swap shows on later frames; a broken one raises `ShaderCompileError` (with diagnostics), reaches
`on_error`, and leaves the last good shader running. No frame is lost either way.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from streamlib import (
    Effect,
    ImageSequenceSink,
    NumpySink,
    Runtime,
    ShaderCompileError,
    StreamlibError,
    TestPattern,
)

HEAD = "float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv); "
RED = HEAD + "return float4(c.r, 0, 0, c.a); }"
GREEN = HEAD + "return float4(0, c.g, 0, c.a); }"
# The first bar of the test pattern is 75 % white (191, 191, 191); each tint keeps one channel of it.
PROBE = (30, 20)
SHOWS = {RED: (191, 0, 0, 255), GREEN: (0, 191, 0, 255)}

BROKEN = [
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) }",  # missing ';'
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * undeclared_gain; }",
    "[numthreads(8, struct8, 1)] void main(uint3 id : SV_DispatchThreadID) { }",  # crashes glslang
    "float4 main(float4 pos : SV_POSITION, float[2 coord : TEXCOORD) : SV_Target { return 0; }",
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) + ; }",
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(missing_value, 0, 0, 1); }",
    "[numthreads(8, struct8, 1)] void main(uint3 id : SV_DispatchThreadID) { }",
    "float4 main(float2 uv : TEXCOORD) : SV_Target { float4 c = tex2D(input, uv; return c; }",
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return no_such_function(uv); }",
    "float4 main(float4 pos : SV_POSITION, float[2 coord : TEXCOORD) : SV_Target { return 0; }",
]


def probe(frame: np.ndarray) -> tuple[int, ...]:
    return tuple(int(v) for v in frame[PROBE])


def next_frame(runtime: Runtime, sink: NumpySink) -> np.ndarray:
    """A frame that started after this call (the one in flight may predate it)."""
    return sink.wait(runtime.stats()["frames"] + 1, timeout=10)


def test_twenty_swaps_during_a_600_frame_run(tmp_path: Path) -> None:
    errors: list[StreamlibError] = []
    runtime = Runtime()
    effect = Effect(RED, name="live", on_error=errors.append)
    sink = NumpySink()
    runtime.connect(TestPattern(320, 180), effect)
    runtime.connect(effect, sink)
    runtime.connect(effect, ImageSequenceSink(tmp_path))

    raised: list[ShaderCompileError] = []
    current = RED
    runtime.start(frames=600, fps=120)
    try:
        assert probe(sink.wait(0)) == SHOWS[RED]
        for swap in range(10):
            current = GREEN if current == RED else RED
            effect.replace_shader(current)
            deadline = time.monotonic() + 10
            while probe(next_frame(runtime, sink)) != SHOWS[current]:
                assert time.monotonic() < deadline, f"good swap {swap} never showed"

            with pytest.raises(ShaderCompileError) as caught:
                effect.replace_shader(BROKEN[swap])
            raised.append(caught.value)
            assert runtime.is_running, f"broken swap {swap} stopped the run"
            assert probe(next_frame(runtime, sink)) == SHOWS[current], (
                f"broken swap {swap} changed the output"
            )
    finally:
        stats = runtime.wait()

    assert stats["error"] is None
    assert stats["frames"] == 600
    assert len(raised) == 10
    for err in raised:
        assert err.diagnostics and all(d.severity == "error" and d.message for d in err.diagnostics)
    assert errors == raised  # on_error saw each failure, the same exception object
    assert "crashed" in str(raised[2]) and "undeclared_gain" in str(raised[1])

    written = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in written] == [f"frame_{i:06d}.png" for i in range(600)]
    shown = {probe(np.asarray(Image.open(p))) for p in written}
    assert shown == {SHOWS[RED], SHOWS[GREEN]}  # every frame ran one of the good shaders


def test_saving_a_shader_file_swaps_it_into_the_effects_made_from_it(tmp_path: Path) -> None:
    """What the JupyterLab extension runs in the kernel when an .hlsl file is saved."""
    from streamlib.jupyter.library import FileReload

    shader_file = tmp_path / "live.hlsl"
    shader_file.write_text(RED)
    runtime = Runtime()
    effect, inline = Effect(shader_file), Effect(RED, name="inline")
    sink = NumpySink()
    runtime.connect(TestPattern(320, 180), effect)
    runtime.connect(effect, inline)
    runtime.connect(effect, sink)
    runtime.start(fps=120)
    try:
        assert probe(sink.wait(0)) == SHOWS[RED]
        shader_file.write_text(GREEN)
        reload = FileReload(str(tmp_path / "." / "live.hlsl"))  # the same file by another spelling
        assert reload._repr_json_()["effects"] == ["live"] and reload.error is None
        deadline = time.monotonic() + 10
        while probe(next_frame(runtime, sink)) != SHOWS[GREEN]:
            assert time.monotonic() < deadline, "the saved file never showed"
        assert inline.shader.source == RED  # effects not made from the file are untouched

        shader_file.write_text(BROKEN[1])
        broken = FileReload(str(shader_file))
        assert broken.effects == [] and broken.error is not None and "undeclared_gain" in broken.error
        assert probe(next_frame(runtime, sink)) == SHOWS[GREEN]
        assert FileReload(str(tmp_path / "unused.hlsl"))._repr_json_() == {
            "path": str(tmp_path / "unused.hlsl"),
            "effects": [],
            "error": None,
        }
    finally:
        runtime.stop()
