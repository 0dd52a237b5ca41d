"""Every effect in shaders/ compiles on every available backend, with MSL and (pixel) GLSL ES."""

from __future__ import annotations

from pathlib import Path

import pytest

import streamlib

from ..conftest import library_shaders, stage_of

# Every backend the build knows: one missing here shows as a skip with its reason, never as a silent pass.
COMPILERS = {c["name"]: c for c in streamlib.compilers()}


def test_library_has_the_promised_effects() -> None:
    names = {p.stem for p in library_shaders()}
    required = {
        "red_tint",
        "grayscale",
        "sepia",
        "invert",
        "color_adjust",
        "gaussian_blur",
        "sobel_edges",
        "pixelate",
        "vignette",
        "chromatic_aberration",
    }
    assert required <= names
    assert sum(stage_of(p) == "compute" for p in library_shaders()) >= 2


@pytest.mark.parametrize("backend", sorted(COMPILERS))
@pytest.mark.parametrize("path", library_shaders(), ids=lambda p: p.stem)
def test_library_shader_compiles(path: Path, backend: str) -> None:
    if not COMPILERS[backend]["available"]:
        pytest.skip(f"{backend} is not available here: {COMPILERS[backend]['detail']}")
    shader = streamlib.compile_file(path, backend=backend)
    assert shader.backend == backend
    assert shader.spirv and shader.msl
    if shader.stage == "pixel":
        assert shader.glsl_es and shader.glsl_es.startswith("#version 300 es")
    else:
        assert shader.workgroup_size is not None
    if path.stem != "red_tint":
        assert shader.parameters, f"{path.name} should expose annotated parameters"
        for parameter in shader.parameters:
            assert parameter.default, parameter
            if parameter.kind == "slider":
                assert parameter.min is not None and parameter.max is not None
                assert parameter.min <= parameter.default[0] <= parameter.max, parameter
