"""The one-shot primitives on the GPU: textures in and out, host-style shaders, compute dispatch, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import streamlib
from streamlib import EffectError, GpuError, Runtime

from ..conftest import TEST_INPUTS


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime()


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (37, 53, 4), dtype=np.uint8)


def test_host_style_shader_runs_unchanged(runtime: Runtime, image: np.ndarray) -> None:
    # Its own Texture2D, SamplerState and cbuffer, (SV_POSITION, TEXCOORD) inputs: written for another host.
    shader = streamlib.compile_file(TEST_INPUTS / "host_style.hlsl")
    assert "input" not in {r["name"] for r in shader.reflection["resources"]}  # no prelude texture
    assert [p.name for p in shader.parameters] == ["gain", "mode"]
    texture = runtime.texture_from_numpy(image)
    same = runtime.run_shader(shader, [texture]).to_numpy()
    assert np.abs(same.astype(int) - image.astype(int)).max() <= 1  # gain defaults to 1
    swapped = runtime.run_shader(shader, [texture], params={"mode": 1, "gain": 0.5}).to_numpy()
    expected = np.floor(image[..., [2, 1, 0, 3]] * 0.5 + 0.5)
    assert np.abs(swapped.astype(int) - expected).max() <= 1


def test_compute_dispatch_covers_sizes_not_multiple_of_the_workgroup(
    runtime: Runtime, image: np.ndarray
) -> None:
    shader = runtime.create_compute_shader(
        (Path(__file__).parents[2] / "shaders" / "invert_compute.hlsl").read_text()
    )
    assert shader.workgroup_size == (8, 8, 1)
    out = runtime.run_shader(shader, [runtime.texture_from_numpy(image)]).to_numpy()
    assert np.array_equal(out[..., :3], 255 - image[..., :3]) and np.array_equal(out[..., 3], image[..., 3])


def test_explicit_output_texture_and_png_round_trip(
    runtime: Runtime, image: np.ndarray, tmp_path: Path
) -> None:
    target = runtime.create_texture(53, 37)
    shader = runtime.create_pixel_shader(
        "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }"
    )
    result = runtime.run_shader(shader, [runtime.texture_from_numpy(image)], output=target)
    assert result is target
    path = target.save(tmp_path / "copy.png")
    assert np.array_equal(np.asarray(runtime.texture_from_image(path).to_numpy()), image)


def test_float_textures_read_back_as_floats(runtime: Runtime) -> None:
    values = np.linspace(0, 1, 4 * 3 * 4, dtype=np.float32).reshape(3, 4, 4)
    texture = runtime.texture_from_numpy(values)
    assert texture.format == "rgba32float"
    assert np.array_equal(texture.to_numpy(), values)


def test_errors_carry_the_numbers(runtime: Runtime) -> None:
    with pytest.raises(GpuError, match=r"texture 100000x8 rgba8unorm: exceeds max \d+"):
        runtime.create_texture(100_000, 8)
    with pytest.raises(
        EffectError, match=r"expected an \(H, W, 4\) or \(H, W, 3\) array, got shape \(4, 4\)"
    ):
        runtime.texture_from_numpy(np.zeros((4, 4), np.uint8))
    shader = runtime.create_pixel_shader(
        "float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv); }"
    )
    with pytest.raises(EffectError, match="needs an input texture or an explicit output"):
        runtime.run_shader(shader, [])


def test_adapters_and_gpu_path(runtime: Runtime) -> None:
    assert any(a["backend"] == "vulkan" for a in streamlib.adapters())
    shader = runtime.create_pixel_shader("float4 main(float2 uv : TEXCOORD) : SV_Target { return 1; }")
    assert runtime.gpu_path(shader) in ("vulkan-spirv-passthrough", "metal-msl-passthrough", "naga-spirv")
