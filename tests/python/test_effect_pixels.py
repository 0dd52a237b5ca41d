"""Pixel tests: every effect in shaders/ runs on the GPU and matches its NumPy reference (references.py).

Agreement is ±1/255 per channel (max |GPU - reference| <= 1 on uint8): the reference computes in float64,
the GPU in float32, and the final value * 255 rounding can land on either side of a .5 tie (tint at
strength 0.5, invert at 0.5 and posterize at 7 levels produce exact ties by construction).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import streamlib

from ..conftest import SHADERS, TEST_INPUTS, library_shaders
from . import references as ref
from .references import HEIGHT, WIDTH


@functools.cache
def compiled(effect: str) -> streamlib.Shader:
    return streamlib.compile_file(SHADERS / f"{effect}.hlsl")


def reference(effect: str) -> Callable[..., np.ndarray]:
    function: Callable[..., np.ndarray] = getattr(ref, effect)
    return function


# (effect, params, time, identity). params = {} runs the shader's @defaults (the reference's keyword
# defaults, checked against the annotations in test_reference_defaults_match_annotations). `identity`
# cases must return the input bit for bit.
#
# Tolerance is ±1 for every case, including the ones that read between texel centres (gaussian_blur at
# radius 1.5 / 2.3, chromatic_aberration, wave) or use sin (wave): bilinear weights are implementation
# defined (Vulkan only guarantees 4 bits of sub-texel precision) and sin is approximate on GPUs, but on
# lavapipe the measured max difference is 1 for all of them, so no looser bound is needed here.
CASES: list[tuple[str, dict[str, Any], float, bool]] = [
    ("red_tint", {}, 0.0, False),
    ("tint", {}, 0.0, False),
    ("tint", {"strength": 0.0}, 0.0, True),
    ("tint", {"tint": (0.2, 0.5, 0.9), "strength": 1.0}, 0.0, False),
    ("tint", {"tint": (0.0, 1.0, 0.0), "strength": 0.3}, 0.0, False),
    ("grayscale", {}, 0.0, False),
    ("grayscale", {"amount": 0.0}, 0.0, True),
    ("grayscale", {"amount": 0.4}, 0.0, False),
    ("sepia", {}, 0.0, False),
    ("sepia", {"amount": 0.0}, 0.0, True),
    ("sepia", {"amount": 0.6}, 0.0, False),
    ("invert", {}, 0.0, False),
    ("invert", {"amount": 0.0}, 0.0, True),
    ("invert", {"amount": 0.5}, 0.0, False),
    ("invert", {"amount": 0.25}, 0.0, False),
    ("color_adjust", {}, 0.0, True),
    ("color_adjust", {"brightness": 0.1, "contrast": 1.5, "saturation": 0.3}, 0.0, False),
    ("color_adjust", {"brightness": -0.2, "contrast": 0.5, "saturation": 2.0}, 0.0, False),
    ("gaussian_blur", {}, 0.0, False),
    ("gaussian_blur", {"radius": 0.0}, 0.0, True),
    ("gaussian_blur", {"radius": 3.0}, 0.0, False),
    ("gaussian_blur", {"radius": 1.5}, 0.0, False),  # taps between texel centres: bilinear
    ("gaussian_blur", {"radius": 2.3}, 0.0, False),  # taps between texel centres: bilinear
    ("sharpen", {}, 0.0, False),
    ("sharpen", {"amount": 0.0}, 0.0, True),
    ("sharpen", {"amount": 2.0}, 0.0, False),
    ("sobel_edges", {}, 0.0, False),
    (
        "sobel_edges",
        {"color": (1.0, 0.0, 0.0), "strength": 2.0, "threshold": 0.3, "overlay": True},
        0.0,
        False,
    ),
    ("sobel_edges", {"color": (0.2, 0.9, 0.4), "strength": 0.5, "threshold": 0.0}, 0.0, False),
    ("pixelate", {}, 0.0, False),
    ("pixelate", {"block_size": 1.0}, 0.0, True),
    ("pixelate", {"block_size": 5.7}, 0.0, False),  # floored to 5
    ("pixelate", {"block_size": 3.0}, 0.0, False),
    ("pixelate", {"block_size": 64.0}, 0.0, False),  # one block bigger than the frame: clamped centre
    ("vignette", {}, 0.0, False),
    ("vignette", {"strength": 0.0}, 0.0, True),
    ("vignette", {"strength": 1.0, "radius": 0.3, "softness": 0.5}, 0.0, False),
    ("vignette", {"strength": 0.8, "radius": 0.9, "softness": 0.0}, 0.0, False),  # softness floored at 1e-4
    ("chromatic_aberration", {}, 0.0, False),  # red/blue read between texel centres: bilinear
    ("chromatic_aberration", {"amount": 0.0}, 0.0, True),
    ("chromatic_aberration", {"amount": 20.0}, 0.0, False),
    ("chromatic_aberration", {"amount": 2.5}, 0.0, False),
    ("wave", {}, 0.0, False),  # sin + bilinear
    ("wave", {}, 0.7, False),
    ("wave", {"amplitude": 0.0}, 0.0, True),
    ("wave", {"amplitude": 12.5, "frequency": 2.5, "speed": -1.5}, 0.3, False),
    ("wave", {"amplitude": 30.0, "frequency": 10.0, "speed": 3.0}, 1.234, False),
    ("invert_compute", {}, 0.0, False),
    ("invert_compute", {"amount": 0.0}, 0.0, True),
    ("invert_compute", {"amount": 0.25}, 0.0, False),
    ("threshold_compute", {}, 0.0, False),
    ("threshold_compute", {"threshold": 0.3, "invert": True}, 0.0, False),
    ("threshold_compute", {"threshold": 0.0}, 0.0, False),
    ("posterize_compute", {}, 0.0, False),
    ("posterize_compute", {"levels": 2}, 0.0, False),
    ("posterize_compute", {"levels": 7}, 0.0, False),
    ("posterize_compute", {"levels": 1}, 0.0, False),  # below the range: acts as 2
]

MAX_ABS = 1  # ±1/255 per channel, see the module docstring and the note above CASES


def case_id(case: tuple[str, dict[str, Any], float, bool]) -> str:
    effect, params, time, _ = case
    parts = [f"{k}={v}" for k, v in params.items()] or ["defaults"]
    if time:
        parts.append(f"time={time}")
    return f"{effect}[{','.join(parts)}]".replace(" ", "")


def assert_close(got: np.ndarray, expected: np.ndarray, label: str, max_abs: int = MAX_ABS) -> None:
    """max |got - expected| <= max_abs per channel; on failure names the worst pixel."""
    assert got.shape == expected.shape and got.dtype == np.uint8, (got.shape, got.dtype)
    diff = np.abs(got.astype(np.int16) - expected.astype(np.int16))
    worst = int(diff.max())
    if worst > max_abs:
        y, x = np.unravel_index(int(diff.max(axis=-1).argmax()), diff.shape[:2])
        within = float((diff.max(axis=-1) <= max_abs).mean())
        pytest.fail(
            f"{label}: max abs difference {worst} > {max_abs} ({within:.2%} of pixels within {max_abs}); "
            f"worst pixel (x={x}, y={y}): expected {expected[y, x].tolist()}, got {got[y, x].tolist()}"
        )


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_effect_matches_reference(
    case: tuple[str, dict[str, Any], float, bool],
    runtime: streamlib.Runtime,
    texture: streamlib.Texture,
    image: np.ndarray,
) -> None:
    effect, params, time, identity = case
    got = runtime.run_shader(compiled(effect), [texture], params=params, time=time, frame=0).to_numpy()
    extra = {"time": time} if effect == "wave" else {}
    expected = reference(effect)(image, **params, **extra)
    if identity:
        np.testing.assert_array_equal(expected, image)
        np.testing.assert_array_equal(got, image, err_msg=f"{case_id(case)} should leave the frame unchanged")
    else:
        assert not np.array_equal(expected, image), f"{case_id(case)} does not change the test image"
    assert_close(got, expected, case_id(case))


def test_every_library_effect_is_covered() -> None:
    effects = {p.stem for p in library_shaders()}
    assert len(effects) == 16
    assert effects == {case[0] for case in CASES}
    for effect in effects:
        params = [case[1] for case in CASES if case[0] == effect]
        assert {} in params, f"{effect}: no test at the default parameters"
        if compiled(effect).parameters:
            assert any(params), f"{effect}: no test at non-default parameters"


@pytest.mark.parametrize("effect", sorted(p.stem for p in library_shaders()))
def test_reference_defaults_match_annotations(effect: str) -> None:
    """The references' keyword defaults are the shaders' @default values, so `params={}` tests both."""
    signature = inspect.signature(reference(effect))
    expected = {
        name: p.default
        for name, p in signature.parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    expected.pop("time", None)  # wave's `time` is the frame time, not a parameter
    declared = {p.name: p.default for p in compiled(effect).parameters}
    assert sorted(declared) == sorted(expected)
    for name, default in declared.items():
        np.testing.assert_allclose(
            np.asarray(default, dtype=np.float64),
            np.atleast_1d(np.asarray(expected[name], dtype=np.float64)),
            rtol=1e-6,
            err_msg=f"{effect}.{name}",
        )


def test_test_image_exercises_the_effects(image: np.ndarray) -> None:
    assert WIDTH % 8 and HEIGHT % 8
    alpha = image[..., 3]
    assert {0, 128, 255} <= set(np.unique(alpha).tolist()) and len(np.unique(alpha)) > 10
    sobel = ref.sobel_magnitude(image)
    assert 0.1 < float((sobel >= 0.1).mean()) < 0.9  # sobel's default threshold cuts through the image
    luma = ref.luma(ref.to_float(image)[..., :3])
    assert 0.1 < float((luma >= 0.5).mean()) < 0.9  # so does threshold_compute's
    assert 0.1 < float((luma >= 0.3).mean()) < 0.9


# ------------------------------------------------------------------------------------------- API errors
def test_unknown_parameter_raises_effect_error(
    runtime: streamlib.Runtime, texture: streamlib.Texture
) -> None:
    with pytest.raises(streamlib.EffectError) as info:
        runtime.run_shader(compiled("tint"), [texture], params={"strenght": 0.3})
    message = str(info.value)
    assert "tint.hlsl" in message and "strenght" in message
    assert "tint, strength" in message


def test_wrong_parameter_type_raises_parameter_error(
    runtime: streamlib.Runtime, texture: streamlib.Texture
) -> None:
    with pytest.raises(streamlib.ParameterError, match="expects float, got str") as info:
        runtime.run_shader(compiled("tint"), [texture], params={"strength": "0.3"})
    assert "tint.hlsl" in str(info.value) and "strength" in str(info.value)


@pytest.mark.parametrize("source", ["library", "seed"])
def test_red_tint_zeroes_green_and_blue(
    source: str, runtime: streamlib.Runtime, texture: streamlib.Texture, image: np.ndarray
) -> None:
    if source == "library":
        shader: streamlib.Shader | str = compiled("red_tint")
    else:
        shader = Path(TEST_INPUTS / "seed_red.hlsl").read_text()  # run_shader compiles source text itself
    got = runtime.run_shader(shader, [texture]).to_numpy()
    assert not got[..., 1:3].any()
    np.testing.assert_array_equal(got[..., 0], image[..., 0])
    np.testing.assert_array_equal(got[..., 3], image[..., 3])
