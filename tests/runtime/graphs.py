"""Graphs the config and runtime-binary tests share, built by hand as a user would."""

from __future__ import annotations

import os
from pathlib import Path

from streamlib import Effect, ImageSequenceSink, Runtime, TestPattern

from ..conftest import ROOT

EXAMPLE = ROOT / "examples" / "tint_blur_vignette.streamlib.json"
EXAMPLE_TARGETS = ("vulkan", "metal")


def example_graph(directory: str | os.PathLike[str] = "frames") -> Runtime:
    """The committed example: test pattern 640×360 → tint (0.6) → blur (radius 2) → vignette → PNG files."""
    runtime = Runtime()
    chain = [
        TestPattern(640, 360, name="pattern"),
        Effect("tint.hlsl", params={"strength": 0.6}, name="tint"),
        Effect("gaussian_blur.hlsl", params={"radius": 2}, name="blur"),
        Effect("vignette.hlsl", name="vignette"),
        ImageSequenceSink(Path(directory), name="out"),
    ]
    for source, target in zip(chain, chain[1:], strict=False):
        runtime.connect(source, target)
    return runtime
