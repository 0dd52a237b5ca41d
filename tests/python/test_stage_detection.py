"""The stage of a source without one given: one rule in the core, used by every entry point."""

from __future__ import annotations

import streamlib
from streamlib import Effect, NumpySink, Runtime, TestPattern
from streamlib.jupyter.server import _compile_payload

# A pixel shader whose comment and string mention the compute attribute: a substring test calls it compute.
PIXEL_WITH_MENTIONS = """// Unlike the [numthreads(8, 8, 1)] form, this one is a pixel shader.
#define NOTE "[numthreads(1, 1, 1)]"
float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(1, 0, 0, 1); }
"""
COMPUTE_MIXED_CASE = """Texture2D<float4> input; RWTexture2D<float4> output;
[NumThreads(8, 8, 1)] void main(uint3 id : SV_DispatchThreadID) { output[id.xy] = input[id.xy].bgra; }
"""


def test_detect_stage_ignores_comments_and_strings() -> None:
    assert streamlib.detect_stage(PIXEL_WITH_MENTIONS) == "pixel"
    assert streamlib.detect_stage(COMPUTE_MIXED_CASE) == "compute"


def test_compile_picks_the_stage_from_the_core() -> None:
    assert streamlib.compile(PIXEL_WITH_MENTIONS, name="mentions").stage == "pixel"
    assert streamlib.compile(COMPUTE_MIXED_CASE, name="mixed").stage == "compute"


def test_an_effect_from_source_runs_as_the_detected_stage() -> None:
    runtime = Runtime()
    effect, sink = Effect(PIXEL_WITH_MENTIONS, name="red"), NumpySink()
    runtime.connect(TestPattern(64, 32), effect)
    runtime.connect(effect, sink)
    runtime.run(frames=2)
    frame = sink.latest()
    assert frame is not None and tuple(frame[5, 5]) == (255, 0, 0, 255)


def test_the_editor_endpoint_leaves_the_stage_to_the_core(tmp_path) -> None:
    payload = _compile_payload({"source": PIXEL_WITH_MENTIONS, "name": "mentions"}, tmp_path)
    assert payload["ok"] and payload["stage"] == "pixel", payload
