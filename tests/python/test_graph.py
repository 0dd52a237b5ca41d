"""Stream graphs: sources → effects → sinks run by the Rust frame loop, checked by their pixels and files.

The built-in `TestPattern` is deterministic per frame index, so every output here has an exact expectation:
`pattern()` below is its NumPy twin (checked against the GPU in the first test).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import streamlib
from streamlib import (
    Effect,
    GraphError,
    ImageSequenceSink,
    ImageSource,
    NumpySink,
    PreviewSink,
    PushSource,
    Runtime,
    Stream,
    TestPattern,
    VideoFileSource,
)

from ..conftest import SHADERS, pattern_movie, poll_until

BARS = np.array(
    [
        [0.75, 0.75, 0.75],
        [0.75, 0.75, 0.0],
        [0.0, 0.75, 0.75],
        [0.0, 0.75, 0.0],
        [0.75, 0.0, 0.75],
        [0.75, 0.0, 0.0],
        [0.0, 0.0, 0.75],
        [0.1, 0.1, 0.1],
    ]
)
BLEND = """Texture2D overlay;
float4 main(float2 uv : TEXCOORD) : SV_Target { return lerp(tex2D(input, uv), tex2D(overlay, uv), 0.5); }
"""


def pattern(index: int, width: int, height: int) -> np.ndarray:
    """The test pattern's frame `index`: colour bars over the top 2/3, a grey ramp below, a 32 px white box
    moving 4 px per frame at mid-height, and the index in binary (32 cells of 8x8 px, MSB first) top-left."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.full((height, width, 4), 255, np.uint8)
    bars = np.floor(BARS * 255 + 0.5).astype(np.uint8)
    ramp = np.floor((x / max(width - 1, 1)).astype(np.float32) * np.float32(255) + np.float32(0.5))
    top = y < height * 2 // 3
    img[top, :3] = bars[np.minimum(x * 8 // width, 7)][top]
    img[~top, :3] = ramp.astype(np.uint8)[~top][:, None]
    box_x, box_y = (index * 4) % width, height // 2
    img[(x >= box_x) & (x < box_x + 32) & (y >= box_y) & (y < box_y + 32), :3] = 255
    stamp = (y < 8) & (x < 256)
    bits = (index >> (31 - np.minimum(x // 8, 31))) & 1
    img[stamp, :3] = (bits[stamp] * 255).astype(np.uint8)[:, None]
    return img


def read_stamp(frame: np.ndarray) -> int:
    """The frame index the pattern stamped into the top-left cells (read at each cell's centre)."""
    bits = frame[4, 4:256:8, 0] > 127
    return int("".join("1" if b else "0" for b in bits), 2)


def png(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


# -------------------------------------------------------------- 1. the architecture document's example
def test_seed_add_stream_connect_example() -> None:
    runtime = Runtime()
    camera = TestPattern(320, 180)
    display = NumpySink()
    runtime.add_stream(Stream(camera))
    runtime.add_stream(Stream(display))
    runtime.connect(camera.outputs["video"], display.inputs["video"])

    stats = runtime.run(frames=12)

    assert stats["frames"] == 12
    frame = display.latest()
    assert frame is not None and frame.shape == (180, 320, 4)
    assert read_stamp(frame) == 11
    assert tuple(frame[30, 20]) == (191, 191, 191, 255)  # first bar: 75 % white
    assert tuple(frame[30, 20 + 40 * 5]) == (191, 0, 0, 255)  # sixth bar: 75 % red
    assert np.array_equal(frame, pattern(11, 320, 180))


def test_pattern_is_deterministic_per_index() -> None:
    runtime = Runtime()
    source, sink = TestPattern(320, 180), NumpySink()
    runtime.connect(source, sink)
    for frames in (1, 2, 97):  # every run starts at frame 0
        runtime.run(frames=frames)
        assert np.array_equal(sink.latest(), pattern(frames - 1, 320, 180))


# ----------------------------------------------------------------------------- 2. three effects, 300 PNGs
def test_three_effect_chain_matches_primitives(tmp_path: Path) -> None:
    runtime = Runtime()
    source = TestPattern(320, 180)
    tint = Effect(SHADERS / "tint.hlsl", params={"strength": 0.7})
    blur = Effect(SHADERS / "gaussian_blur.hlsl", params={"radius": 2.0})
    vignette = Effect(SHADERS / "vignette.hlsl", params={"strength": 0.8})
    sink = ImageSequenceSink(tmp_path / "out")
    for a, b in [(source, tint), (tint, blur), (blur, vignette), (vignette, sink)]:
        runtime.connect(a, b)

    stats = runtime.run(frames=300)

    assert stats["frames"] == 300 and stats["dropped"][sink.name] == 0
    # Drawn as one pass, the blur sampling the pattern and the tint applied to its result: within one step
    # of rgba8 of the effects one by one (tests/python/test_fusion.py).
    reordered = f"fused, reordered: {blur.name}, {tint.name}, {vignette.name}"
    assert stats["fusion"] == [{"members": [tint.name, blur.name, vignette.name], "state": reordered}]
    written = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in written] == [f"frame_{i:06d}.png" for i in range(300)]

    # The pattern's own frames, from a second graph (the pattern is deterministic per index).
    plain = Runtime()
    plain.connect(TestPattern(320, 180), ImageSequenceSink(tmp_path / "pattern"))
    plain.run(frames=300)

    mismatched = []
    for i in range(300):
        texture = runtime.texture_from_numpy(png(tmp_path / "pattern" / f"frame_{i:06d}.png"))
        for effect in (tint, blur, vignette):
            texture = runtime.run_shader(effect.shader, [texture], params=effect.values, time=i / 30, frame=i)
        if np.abs(png(written[i]).astype(int) - texture.to_numpy().astype(int)).max() > 1:
            mismatched.append(i)
    assert mismatched == []


# ----------------------------------------------------------------------------------- 3. graph validation
@pytest.fixture
def graph() -> tuple[Runtime, TestPattern, Effect, Effect, NumpySink]:
    runtime = Runtime()
    nodes = (
        TestPattern(320, 180, name="cam"),
        Effect(SHADERS / "invert.hlsl", name="inv"),
        Effect(SHADERS / "tint.hlsl", name="tinted"),
        NumpySink(name="out"),
    )
    for node in nodes:
        runtime.add_stream(Stream(node))
    return (runtime, *nodes)  # type: ignore[return-value]


def test_unknown_port_lists_the_ports(graph: tuple) -> None:
    _, cam, inv, _, out = graph
    with pytest.raises(GraphError, match=r"unknown port 'inv\.nope': inputs are 'video'"):
        inv.inputs["nope"]
    with pytest.raises(GraphError, match=r"unknown port 'cam\.video': inputs are none"):
        cam.inputs["video"]
    with pytest.raises(GraphError, match=r"unknown port 'out\.video': outputs are none"):
        out.outputs["video"]


def test_type_mismatch_sink_as_source_and_output_as_target(graph: tuple) -> None:
    runtime, cam, inv, _, out = graph
    with pytest.raises(GraphError, match=r"type mismatch: 'out\.video' is an input"):
        runtime.connect(out, inv)
    with pytest.raises(GraphError, match=r"type mismatch: 'cam\.video' is an output"):
        runtime.connect(cam.outputs["video"], cam.outputs["video"])


def test_type_mismatch_input_as_source(graph: tuple) -> None:
    runtime, _, inv, _, out = graph
    with pytest.raises(GraphError, match=r"type mismatch: 'inv\.video' is an input"):
        runtime.connect(inv.inputs["video"], out.inputs["video"])


def test_cycle_is_refused(graph: tuple) -> None:
    runtime, _, inv, tinted, _ = graph
    runtime.connect(inv, tinted)
    with pytest.raises(GraphError, match=r"connecting 'tinted\.video' → 'inv\.video' would make a cycle"):
        runtime.connect(tinted, inv)
    with pytest.raises(GraphError, match=r"'inv\.video' → 'inv\.video' would make a cycle"):
        runtime.connect(inv, inv)


def test_missing_input_at_run(graph: tuple) -> None:
    runtime, _, inv, _, out = graph
    runtime.connect(inv, out)
    with pytest.raises(GraphError, match=r"missing input: 'inv\.video' is not connected"):
        runtime.run(frames=1)


def test_missing_second_texture_input_at_run() -> None:
    runtime = Runtime()
    blend = Effect(BLEND, name="blend")
    runtime.connect(TestPattern(320, 180), blend.inputs["video"])
    runtime.connect(blend, NumpySink())
    with pytest.raises(GraphError, match=r"missing input: 'blend\.overlay' is not connected"):
        runtime.run(frames=1)


def test_resolution_mismatch() -> None:
    runtime = Runtime()
    blend = Effect(BLEND, name="blend")
    runtime.connect(TestPattern(320, 180, name="big"), blend.inputs["video"])
    with pytest.raises(GraphError, match=r"resolution mismatch: 'small\.video' is 160x90 .*'blend'.*320x180"):
        runtime.connect(TestPattern(160, 90, name="small"), blend.inputs["overlay"])


def test_already_connected_input(graph: tuple) -> None:
    runtime, cam, inv, _, out = graph
    runtime.connect(cam, out)
    with pytest.raises(GraphError, match=r"'out\.video' is already connected to 'cam\.video'"):
        runtime.connect(inv, out)


def test_duplicate_node_name(graph: tuple) -> None:
    runtime = graph[0]
    with pytest.raises(GraphError, match=r"a node named 'out' is already in the graph"):
        runtime.add_stream(NumpySink(name="out"))


# ----------------------------------------------------------------------------- 4. a second texture input
def test_extra_texture_input_blends_two_images() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    b = rng.integers(0, 256, (40, 60, 4), dtype=np.uint8)
    a[..., 3] = b[..., 3] = 255
    runtime = Runtime()
    blend, sink = Effect(BLEND), NumpySink()
    assert list(blend.inputs) == ["video", "overlay"]
    runtime.connect(ImageSource(a).outputs["video"], blend.inputs["video"])
    runtime.connect(ImageSource(b).outputs["video"], blend.inputs["overlay"])
    runtime.connect(blend, sink)

    runtime.run(frames=2)

    expected = (a.astype(np.float64) + b) / 2  # lerp(a, b, 0.5) of values /255, back to uint8
    assert np.abs(sink.latest().astype(np.float64) - expected).max() <= 0.5 + 1e-9


# ----------------------------------------------------------------------------------------- 5. memory
def test_memory_flat_over_10000_frames_with_unread_preview() -> None:
    runtime = Runtime()
    source = TestPattern(640, 360)
    effect = Effect(SHADERS / "invert.hlsl")
    preview = PreviewSink()
    runtime.connect(source, effect)
    runtime.connect(effect, preview)

    runtime.start(frames=10_000, fps=None)
    deadline = time.monotonic() + 60
    while runtime.stats()["frames"] < 1_000 and runtime.is_running:
        assert time.monotonic() < deadline, "1,000 frames took over a minute"
        time.sleep(0.01)
    after_1000 = rss_mb()
    stats = runtime.wait()
    after_10000 = rss_mb()

    assert stats["error"] is None and stats["frames"] == 10_000
    assert after_10000 - after_1000 < 20, f"RSS grew {after_1000:.1f} → {after_10000:.1f} MB"
    assert stats["dropped"][preview.name] >= 9_990
    assert preview.dropped == stats["dropped"][preview.name]
    taken = preview.take(1.0)
    assert taken is not None and taken[1:4] == (640, 360, "image/jpeg")
    assert preview.take(0.05) is None  # only one frame was ever waiting


def test_preview_take_returns_newest_frame() -> None:
    runtime = Runtime()
    preview = PreviewSink()
    runtime.connect(TestPattern(320, 180), preview)
    runtime.run(frames=50)
    taken = preview.take(1.0)
    assert taken is not None and taken[0] == 49


# ---------------------------------------------------------------------------- 6. PushSource every frame
def test_push_source_every_frame_delivers_all_pushed_frames(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    frames = [rng.integers(0, 256, (48, 64, 4), dtype=np.uint8) for _ in range(20)]
    runtime = Runtime()
    push = PushSource(64, 48, every_frame=True)
    identity = Effect(SHADERS / "invert.hlsl", params={"amount": 0.0})
    runtime.connect(push, identity)
    runtime.connect(identity, ImageSequenceSink(tmp_path))
    errors: list[BaseException] = []

    def pusher() -> None:
        try:
            for frame in frames:
                push.push(frame)
        except BaseException as err:  # reported in the test thread
            errors.append(err)

    thread = threading.Thread(target=pusher)
    thread.start()
    stats = runtime.run(frames=20)
    thread.join(10)

    assert errors == [] and push.pushed == 20 and stats["frames"] == 20
    written = sorted(tmp_path.glob("*.png"))
    assert len(written) == 20
    for i, path in enumerate(written):
        assert np.array_equal(png(path), frames[i]), f"frame {i}"


def test_a_sink_fed_by_a_source_gets_each_frame_as_pushed(tmp_path: Path) -> None:
    """A sink fed straight by a source takes the pushed pixels themselves (no GPU readback): the same bytes,
    under the loop's frame numbers, beside a sink that reads the frame back after an effect."""
    rng = np.random.default_rng(12)
    frames = [rng.integers(0, 256, (36, 52, 4), dtype=np.uint8) for _ in range(12)]
    runtime = Runtime()
    push = PushSource(52, 36, every_frame=True)
    identity = Effect(SHADERS / "invert.hlsl", params={"amount": 0.0})
    runtime.connect(push, ImageSequenceSink(tmp_path / "direct"))
    runtime.connect(push, identity)
    runtime.connect(identity, ImageSequenceSink(tmp_path / "after"))
    thread = threading.Thread(target=lambda: [push.push(frame) for frame in frames])
    thread.start()
    stats = runtime.run(frames=len(frames))
    thread.join(10)

    assert stats["frames"] == len(frames)
    assert stats["uploads"] == len(frames)  # the effect reads the source's texture
    for kind in ("direct", "after"):
        written = sorted((tmp_path / kind).glob("*.png"))
        assert [p.name for p in written] == [p.name for p in sorted((tmp_path / "after").glob("*.png"))]
        assert len(written) == len(frames), kind
        for i, path in enumerate(written):
            assert np.array_equal(png(path), frames[i]), f"{kind} frame {i}"


def test_a_source_only_full_size_sinks_read_copies_nothing_to_the_gpu(tmp_path: Path) -> None:
    """Nothing reads the push source's texture, so its frames are not uploaded: its sink gets them as they
    came, and on loop frames with nothing new (the loop runs at the test pattern's rate) the last one again,
    as a readback of the texture would have given."""
    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (36, 52, 4), dtype=np.uint8) for _ in range(4)]
    with Runtime() as runtime:
        push = PushSource(52, 36, fallback=None)
        runtime.connect(push, ImageSequenceSink(tmp_path / "direct"))
        runtime.connect(TestPattern(16, 16), NumpySink())
        runtime.start(fps=200)
        for frame in frames:
            push.push(frame)
            time.sleep(0.06)  # about ten loop frames each
        stats = runtime.stop()

    assert stats["frames"] > 3 * len(frames)
    assert stats["uploads"] == 0
    written = [png(p) for p in sorted((tmp_path / "direct").glob("*.png"))]
    shown = [next((i for i, f in enumerate(frames) if np.array_equal(image, f)), None) for image in written]
    first = shown.index(0)
    assert not any(image.any() for image in written[:first])  # the empty texture before the first push
    got = shown[first:]
    assert None not in got and got == sorted(got) and set(got) == set(range(len(frames))), got
    assert len(got) > len(frames)  # frames repeated on loop frames with nothing new


def test_a_preview_that_starts_scaling_a_source_nothing_read_gets_its_last_frame() -> None:
    """A source read only at full size keeps its frames off the GPU. A preview that then starts scaling it
    down reads its texture, which the loop first brings up to the kept frame: the scaled preview shows the
    pushed picture (one upload), not the empty texture, though nothing new was pushed."""
    colour = [200, 60, 20, 255]
    with Runtime() as runtime:
        push = PushSource(64, 48, fallback=None)
        preview = PreviewSink()
        preview.set_lossless(True)
        runtime.connect(push, preview)
        runtime.connect(TestPattern(16, 16), NumpySink())
        runtime.start(fps=100)
        push.push(np.full((48, 64, 4), colour, np.uint8))

        def shown(width: int) -> bool:
            taken = preview.take(timeout=0.2)
            if taken is None or taken[1] != width:
                return False
            return bool((np.asarray(Image.open(io.BytesIO(taken[4])).convert("RGBA")) == colour).all())

        poll_until(lambda: shown(64), "the pushed frame at full size")
        assert runtime.stats()["uploads"] == 0
        preview.set_display_size(16, 12)
        poll_until(lambda: shown(16), "the pushed frame scaled down")
        poll_until(lambda: runtime.stats()["uploads"] == 1, "the upload counted (stats follow the frame)")
        time.sleep(0.1)
        assert runtime.stats()["uploads"] == 1  # nothing new was pushed: one upload, not one a frame


def test_a_camera_driven_graph_renders_once_per_pushed_frame() -> None:
    """Its only moving source is a live push source, so the loop follows it instead of its own rate: no frame
    is rendered (and sent to a preview) twice."""
    with Runtime() as runtime:
        camera = PushSource(16, 8, fallback=None)
        sink = NumpySink()
        runtime.connect(camera, sink)
        runtime.start(fps=500)
        camera.push(np.full((8, 16, 4), 10, np.uint8))
        poll_until(lambda: (f := sink.latest()) is not None and f[0, 0, 0] == 10, "the first pushed frame")
        before = runtime.stats()["frames"]
        for value in (20, 30):
            time.sleep(0.15)
            camera.push(np.full((8, 16, 4), value, np.uint8))
        poll_until(lambda: (f := sink.latest()) is not None and f[0, 0, 0] == 30, "the last pushed frame")
        time.sleep(0.2)
        rendered = runtime.stats()["frames"] - before
    # Two pushes after the first: at most two frames (one more if the first push's frame was still in flight
    # when counted; one fewer if the second push replaced the first before the loop took it), where the
    # loop's own 500 fps would have rendered about 250.
    assert 1 <= rendered <= 3, rendered


def test_a_run_of_n_frames_does_not_wait_for_a_camera() -> None:
    """A bounded run renders its frames at its own rate even when the camera has gone quiet."""
    with Runtime() as runtime:
        camera = PushSource(16, 8, fallback=None)
        sink = NumpySink()
        runtime.connect(camera, sink)
        camera.push(np.full((8, 16, 4), 10, np.uint8))
        stats = runtime.run(frames=5)
    assert stats["frames"] == 5 and sink.received == 5


# ------------------------------------------------------------------------------ 7. video file round trip
def test_video_file_round_trip(tmp_path: Path) -> None:
    movie = pattern_movie(tmp_path / "pattern.mp4", 320, 180, frames=30)
    assert movie.is_file()

    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0"]
        + ["-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", str(movie)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["320,180,30"]

    reader = Runtime()
    reader.connect(VideoFileSource(movie), ImageSequenceSink(tmp_path / "decoded"))
    stats = reader.run(frames=30)
    decoded = sorted((tmp_path / "decoded").glob("*.png"))
    assert stats["frames"] == 30 and len(decoded) == 30
    for i, path in enumerate(decoded):
        frame = png(path)
        assert frame.shape == (180, 320, 4)
        difference = np.abs(frame[..., :3].astype(int) - pattern(i, 320, 180)[..., :3]).mean()
        assert difference < 6, f"frame {i}: mean |decoded - pattern| = {difference:.2f}"


# ------------------------------------------------------------------------------------- 8. start / stop
def test_start_stop_and_live_parameter_change() -> None:
    runtime = Runtime()
    tint = Effect(SHADERS / "tint.hlsl", params={"strength": 1.0, "tint": (1.0, 0.0, 0.0)})
    sink = NumpySink()
    runtime.connect(TestPattern(320, 180), tint)
    runtime.connect(tint, sink)

    runtime.start(fps=60)
    try:
        assert runtime.is_running
        first = sink.wait(5, timeout=10)
        assert sink.received >= 5
        assert tuple(first[30, 20]) == (191, 0, 0, 255)  # white bar, fully red-tinted

        tint.set(strength=0.0)
        changed = sink.wait(runtime.stats()["frames"] + 2, timeout=10)
        assert tuple(changed[30, 20]) == (191, 191, 191, 255)  # untinted
    finally:
        stats = runtime.stop()
    assert stats["frames"] >= 5
    assert not runtime.is_running


# ------------------------------------------------------------------------------------------- 9. stats
def test_stats_keys_and_values() -> None:
    runtime = Runtime()
    runtime.connect(TestPattern(320, 180), Effect(SHADERS / "invert.hlsl"))
    runtime.connect(runtime.node("invert"), NumpySink(name="stats_sink"))
    result = runtime.run(frames=30)
    stats = runtime.stats()
    for snapshot in (result, stats):
        for key in ("frames", "fps", "frame_ms_p50", "frame_ms_p99", "dropped", "adapter", "error", "ended"):
            assert key in snapshot, key
    assert stats["frames"] == 30
    assert stats["fps"] > 0
    assert 0 < stats["frame_ms_p50"] <= stats["frame_ms_p99"]
    assert stats["dropped"] == {"stats_sink": 0}
    assert isinstance(stats["adapter"], str) and stats["adapter"]
    assert stats["error"] is None


# ------------------------------------------------------------------------------------------ 10. features
def test_has_feature() -> None:
    runtime = Runtime()
    assert runtime.has_feature("vulkan") is True
    assert runtime.has_feature("metal") is False
    assert runtime.has_feature("video_file") is (shutil.which("ffmpeg") is not None)
    assert streamlib.has_feature("no_such_feature") is False
