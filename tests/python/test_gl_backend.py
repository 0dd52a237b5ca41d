"""OpenGL ES through EGL, the backend a machine falls back to where Vulkan finds no device (the headless
NVIDIA containers): chosen with STREAMLIB_ADAPTER="(gl)", it runs a graph with the pixels Vulkan gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

INVERT = """float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    return float4(1 - c.rgb, c.a);
}"""

# Each backend in a process of its own: the adapter is chosen once per process and preference.
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
print(json.dumps({{"adapter": runtime.adapter, "error": stats["error"]}}))
"""


def run_on(adapter: str, out: Path) -> tuple[dict[str, Any], np.ndarray]:
    """The graph's report and last frame on the adapter STREAMLIB_ADAPTER=`adapter` picks."""
    env = {**os.environ, "STREAMLIB_ADAPTER": adapter}
    done = subprocess.run(
        [sys.executable, "-c", GRAPH, str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    if f"no adapter name contains '{adapter}'" in done.stderr:
        pytest.skip(f"no {adapter} adapter here: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["error"] is None, report
    return report, np.load(out)


def test_a_graph_on_opengl_es_draws_what_vulkan_draws(tmp_path: Path) -> None:
    gl_report, gl = run_on("(gl)", tmp_path / "gl.npy")
    vulkan_report, vulkan = run_on("(vulkan)", tmp_path / "vulkan.npy")
    assert (gl_report["adapter"]["backend"], vulkan_report["adapter"]["backend"]) == ("gl", "vulkan")
    assert not gl_report["adapter"]["passthrough"]
    assert np.abs(gl.astype(int) - vulkan.astype(int)).max() <= 1
