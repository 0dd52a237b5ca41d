"""`SolidColor`, the node type added last to the core's catalog: made from Python with no Python class of its
own, exported, loaded back and run by the runtime binary, with the colour it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import streamlib
from streamlib.errors import GraphError

from .test_runtime_binary import binary, frames, run  # noqa: F401 - `binary` is a fixture

TINT = """cbuffer Params { float strength; };
float4 main(float2 uv : TEXCOORD) : SV_Target { return tex2D(input, uv) * strength; }
"""


def test_a_solid_colour_reaches_the_sink_and_checks_its_params() -> None:
    with streamlib.Runtime() as runtime:
        source = streamlib.SolidColor(8, 4, (1.0, 0.5, 0.0, 1.0))
        sink = streamlib.NumpySink()
        runtime.connect(source, sink)
        runtime.run(2)
        assert source.params == {"width": 8, "height": 4, "rgba": [1.0, 0.5, 0.0, 1.0]}
        frame = sink.latest()
    assert frame is not None and frame.shape == (4, 8, 4)
    assert (frame == np.array([255, 128, 0, 255], np.uint8)).all()
    with pytest.raises(GraphError, match=r"SolidColor\(rgba\): components are 0 to 1, not 2"):
        streamlib.SolidColor(8, 4, (2.0, 0.0, 0.0, 1.0))
    assert streamlib.SolidColor().params["width"] == 1280  # the core's default


def test_an_exported_solid_colour_runs_in_the_binary(binary: Path, tmp_path: Path) -> None:  # noqa: F811
    with streamlib.Runtime() as runtime:
        source = streamlib.SolidColor(16, 8, (0.0, 0.0, 1.0, 1.0), name="blue")
        effect = streamlib.Effect(streamlib.compile(TINT, name="tint.hlsl"), params={"strength": 0.5})
        out = streamlib.ImageSequenceSink(tmp_path / "python", name="out")
        runtime.connect(source, effect)
        runtime.connect(effect, out)
        config = runtime.export(tmp_path / "solid.streamlib.json", targets=("vulkan",))
    text = config.read_text()
    assert '"type": "solid_color"' in text and '"rgba": [0.0, 0.0, 1.0, 1.0]' in text
    assert streamlib.load(config).config_text(targets=("vulkan",)) == text

    result = run(binary, "run", config, "--frames", "2", "--sink", f"out={tmp_path / 'binary'}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = frames(tmp_path / "binary")
    assert len(written) == 2
    assert (written[0][..., :3] == np.array([0, 0, 128], np.uint8)).all()
