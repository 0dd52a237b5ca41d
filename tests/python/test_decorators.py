"""The architecture document's Python snippets: `@stream_effect` traced once into graph nodes, and
`add_stream`/`connect`."""

from __future__ import annotations

import numpy as np
import pytest

import streamlib
from streamlib import GraphError, NumpySink, Runtime, Stream, TestPattern, camera_source, stream_effect

# The architecture document's HLSL says `tex2D(input_texture, uv)`, naming the Python parameter, which HLSL
# cannot see; the smallest change is the prelude's name for the frame, `input`. Its "compute shader" is
# pixel form, which create_compute_shader accepts as written.
SEED_HLSL = """
        float4 main(float2 uv : TEXCOORD) : SV_Target {
            // Agent-written HLSL
            return tex2D(input, uv) * float4(1, 0, 0, 1);
        }
    """


@pytest.fixture()
def runtime() -> Runtime:
    return Runtime()


def seed_effect(runtime: Runtime) -> streamlib.decorators.StreamEffect:
    @stream_effect
    def custom_effect(input_texture):  # type: ignore[no-untyped-def]
        temp = runtime.create_texture(1920, 1080)
        shader = runtime.create_compute_shader(SEED_HLSL)
        return runtime.run_shader(shader, [input_texture, temp])

    return custom_effect


def test_stream_effect_runs_eagerly_on_a_texture(runtime: Runtime) -> None:
    image = np.random.default_rng(1).integers(0, 256, (9, 13, 4), dtype=np.uint8)
    out = seed_effect(runtime)(runtime.texture_from_numpy(image)).to_numpy()
    assert np.array_equal(out[..., 0], image[..., 0])
    assert not out[..., 1].any() and not out[..., 2].any()


def test_stream_effect_is_traced_once_into_graph_nodes(runtime: Runtime) -> None:
    calls = 0
    inner = seed_effect(runtime)

    @stream_effect
    def counted(frame):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return inner.function(frame)

    camera, display = TestPattern(320, 180), NumpySink()
    runtime.add_stream(Stream(camera))
    runtime.add_stream(Stream(counted))
    runtime.add_stream(Stream(display))
    runtime.connect(camera.outputs["video"], counted.inputs["video"])
    runtime.connect(counted.outputs["video"], display.inputs["video"])
    runtime.run(frames=30)
    assert calls == 1, "Python ran per frame"
    frame = display.latest()
    assert frame is not None and display.received == 30
    assert not frame[..., 1].any() and not frame[..., 2].any()
    assert frame[60, 10, 0] == 191  # the first colour bar, 0.75 grey, keeps its red


def test_add_stream_connect_example_with_a_test_pattern_camera(runtime: Runtime) -> None:
    camera, display = TestPattern(320, 180), NumpySink()
    runtime.add_stream(Stream(camera))
    runtime.add_stream(Stream(display))
    runtime.connect(camera.outputs["video"], display.inputs["video"])
    runtime.run(frames=3)
    frame = display.latest()
    assert frame is not None and tuple(frame[60, 10]) == (191, 191, 191, 255)


def test_camera_source_decorator_gives_a_push_source(runtime: Runtime) -> None:
    @camera_source(device_id="browser", width=64, height=48)
    def webcam() -> None:
        pass

    display = NumpySink()
    runtime.connect(webcam, display)
    webcam.push(np.full((48, 64, 4), 77, np.uint8))
    runtime.run(frames=1)
    frame = display.latest()
    assert frame is not None and frame[0, 0, 0] == 77


def test_stream_effect_must_use_its_input(runtime: Runtime) -> None:
    @stream_effect
    def ignores_input(frame):  # type: ignore[no-untyped-def]
        return frame

    with pytest.raises(GraphError, match="must return the result of runtime.run_shader"):
        runtime.add_stream(Stream(ignores_input))


def test_has_feature_names_from_the_seed(runtime: Runtime) -> None:
    assert runtime.has_feature("vulkan")
