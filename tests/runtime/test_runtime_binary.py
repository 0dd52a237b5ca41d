"""`streamlib-runtime run`: an exported graph runs headless with the same pixels as in Python; exit status 0 /
1 (runtime error) / 2 (bad config, naming the field); `--sink` overrides.

The binary comes from `cargo build --release -p streamlib-runtime` (`make build` does it); set
`STREAMLIB_RUNTIME` to test another one.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import streamlib.binary
from streamlib.errors import StreamlibError

from .graphs import EXAMPLE, EXAMPLE_TARGETS, example_graph


def runtime_binary() -> Path:
    try:
        return streamlib.binary.runtime_binary()
    except StreamlibError as err:
        pytest.fail(str(err))


@pytest.fixture(scope="module")
def binary() -> Path:
    return runtime_binary()


def run(binary: Path, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def frames(directory: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p)) for p in sorted(directory.glob("*.png"))]


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "graph.streamlib.json"
    path.write_text(example_graph().config_text(targets=EXAMPLE_TARGETS))
    return path


def test_binary_writes_the_same_pixels_as_python(binary: Path, tmp_path: Path, config: Path) -> None:
    python_frames = tmp_path / "python"
    example_graph(python_frames).run(10)

    result = run(
        binary, "run", config, "--frames", "10", "--sink", f"out={tmp_path / 'binary'}", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "10 frames in" in result.stdout
    assert result.stdout.count(": artifact: ") == 3, result.stdout
    ours, theirs = frames(python_frames), frames(tmp_path / "binary")
    assert len(ours) == len(theirs) == 10
    for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a.shape == (360, 640, 4)
        assert np.array_equal(a, b), f"frame {index} differs"
    assert not (tmp_path / "frames").exists(), "--sink must replace the config's directory, not add to it"


def test_the_committed_example_runs(binary: Path, tmp_path: Path) -> None:
    result = run(binary, "run", EXAMPLE, "--frames", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in sorted((tmp_path / "frames").iterdir())] == [
        f"frame_{i:06d}.png" for i in range(3)
    ]


def test_stale_artifacts_are_recompiled_by_the_worker(binary: Path, tmp_path: Path, config: Path) -> None:
    edited = json.loads(config.read_text())
    edited["shaders"]["tint"]["artifact_source_sha256"] = None
    config.write_text(json.dumps(edited))
    result = run(binary, "run", config, "--frames", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "shader 'tint': recompiled: the config has no artifacts" in result.stdout


def test_seconds_limits_the_run(binary: Path, tmp_path: Path, config: Path) -> None:
    result = run(binary, "run", config, "--seconds", "0.5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = len(list((tmp_path / "frames").glob("*.png")))
    assert written >= 1 and f"{written} frames in" in result.stdout


def test_interrupt_stops_cleanly_with_stats(binary: Path, tmp_path: Path, config: Path) -> None:
    process = subprocess.Popen(
        [str(binary), "run", str(config)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "frames").glob("*.png")) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert " frames in " in stdout
    written = len(list((tmp_path / "frames").glob("*.png")))
    assert f"{written} frames in" in stdout, "every frame counted was written before the run ended"


def test_bad_config_exits_2_naming_the_field(binary: Path, tmp_path: Path, config: Path) -> None:
    edited = json.loads(config.read_text())
    edited["nodes"][0]["params"]["height"] = -360
    config.write_text(json.dumps(edited))
    result = run(binary, "run", config, "--frames", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "nodes[0].params.height: node 'pattern': invalid value: integer `-360`, expected u32" in result.stderr
    )

    edited["version"] = 2
    config.write_text(json.dumps(edited))
    result = run(binary, "run", config, cwd=tmp_path)
    assert result.returncode == 2
    assert "version: version 2 is newer than this runtime's 1" in result.stderr


def test_unknown_sink_override_exits_2(binary: Path, tmp_path: Path, config: Path) -> None:
    result = run(binary, "run", config, "--frames", "1", "--sink", "preview=x", cwd=tmp_path)
    assert result.returncode == 2
    assert "sink override 'preview': no node 'preview' (file sinks: out)" in result.stderr
    result = run(binary, "run", config, "--frames", "1", "--sink", "tint=x", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "sink override 'tint': 'tint' is an effect; only image_sequence and video_file sinks write files "
        "(file sinks: out)" in result.stderr
    )


def test_runtime_error_exits_1(binary: Path, tmp_path: Path, config: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the sink wants a directory")
    result = run(binary, "run", config, "--frames", "1", "--sink", f"out={blocker / 'frames'}", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "sink 'out': cannot create" in result.stderr


def test_missing_config_and_bad_arguments(binary: Path, tmp_path: Path, config: Path) -> None:
    result = run(binary, "run", tmp_path / "nope.json", cwd=tmp_path)
    assert result.returncode == 2 and "cannot read it" in result.stderr
    result = run(binary, "run", config, "--frames", "1", "--seconds", "1", cwd=tmp_path)
    assert result.returncode == 2 and "cannot be used with" in result.stderr
