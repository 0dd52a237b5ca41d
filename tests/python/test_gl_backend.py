"""OpenGL ES through EGL, the backend a machine falls back to where Vulkan finds no device (the headless
NVIDIA containers): chosen with STREAMLIB_ADAPTER="(gl)", it runs a graph with the pixels Vulkan gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from streamlib import Effect, NumpySink, Runtime, TestPattern

INVERT = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, c.a);
}"""

# Run in a process of its own: the adapter is chosen once per process and preference.
GRAPH = f"""
import json, sys
import numpy as np
from streamlib import Effect, NumpySink, Runtime, TestPattern
runtime = Runtime()
effect, sink = Effect({INVERT!r}, name="invert"), NumpySink()
runtime.connect(TestPattern(96, 64), effect)
runtime.connect(effect, sink)
stats = runtime.run(frames=3)
np.save(sys.argv[1], sink.latest())
print(json.dumps({{"adapter": runtime.adapter, "paths": [effect.gpu_path], "error": stats["error"]}}))
"""


def vulkan_frame() -> np.ndarray:
    runtime = Runtime()
    effect, sink = Effect(INVERT, name="invert"), NumpySink()
    runtime.connect(TestPattern(96, 64), effect)
    runtime.connect(effect, sink)
    runtime.run(frames=3)
    frame = sink.latest()
    assert frame is not None
    return frame.copy()


def test_a_graph_on_opengl_es_draws_what_vulkan_draws(tmp_path: Path) -> None:
    out = tmp_path / "gl.npy"
    env = {**os.environ, "STREAMLIB_ADAPTER": "(gl)"}
    done = subprocess.run(
        [sys.executable, "-c", GRAPH, str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    if "no adapter name contains '(gl)'" in done.stderr:
        pytest.skip(f"no OpenGL ES adapter through EGL here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["adapter"]["backend"] == "gl" and report["error"] is None, report
    gl = np.load(out)
    assert np.abs(gl.astype(int) - vulkan_frame().astype(int)).max() <= 1
