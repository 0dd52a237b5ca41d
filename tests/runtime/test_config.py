"""Graph configs: export → load → export is byte-identical, every refusal names its field, artifacts are used
only when built from the very source, and the committed example and schema stay current.

`STREAMLIB_UPDATE_EXAMPLES=1 pytest tests/runtime/test_config.py` rewrites examples/ from a fresh build.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from PIL import Image

import streamlib
from streamlib import (
    ConfigError,
    Effect,
    ImageSequenceSink,
    ImageSource,
    NumpySink,
    PreviewSink,
    PushSource,
    Runtime,
    TestPattern,
    VideoFileSink,
    VideoFileSource,
)

from ..conftest import ROOT
from .graphs import EXAMPLE, EXAMPLE_TARGETS, example_graph

SCHEMA = ROOT / "schemas" / "graph.streamlib.v1.schema.json"
BLEND = """Texture2D overlay;
float4 main(float2 uv : TEXCOORD) : SV_Target { return lerp(tex2D(input, uv), tex2D(overlay, uv), 0.5); }
"""


def every_node_type(tmp_path: Path) -> Runtime:
    """A graph with every node type the config knows (nothing here is run: the video file is a stand-in)."""
    runtime = Runtime()
    pixels = np.zeros((32, 64, 4), np.uint8)
    pixels[..., 0] = np.arange(64, dtype=np.uint8)[None, :] * 4
    pixels[..., 3] = 255
    photo_file = tmp_path / "photo.png"
    Image.fromarray(pixels).save(photo_file)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not decoded: the graph is only exported and loaded")

    pattern = TestPattern(64, 32, name="pattern")
    inline = ImageSource(pixels, name="inline")
    photo = ImageSource(photo_file, name="photo")
    camera = PushSource(64, 32, name="camera")
    video = VideoFileSource(clip, width=64, height=32, loop=True, name="video")
    blend = Effect(BLEND, name="blend")
    tint = Effect("tint.hlsl", params={"strength": 0.25, "tint": (0.5, 1.0, 0.125)}, name="tint")
    invert = Effect("invert.hlsl", name="invert")
    gray = Effect("grayscale.hlsl", name="gray")
    runtime.connect(pattern, blend)
    runtime.connect(inline.outputs["video"], blend.inputs["overlay"])
    runtime.connect(blend, tint)
    runtime.connect(tint, NumpySink(name="numpy"))
    runtime.connect(tint, PreviewSink(quality=70, name="preview"))
    runtime.connect(photo, invert)
    runtime.connect(invert, ImageSequenceSink(tmp_path / "frames", prefix="f_", name="frames"))
    runtime.connect(camera, gray)
    runtime.connect(gray, VideoFileSink(tmp_path / "out.mp4", fps=24, name="movie"))
    runtime.connect(video, NumpySink(name="video_frames"), delivery="every_frame")
    return runtime


def write(tmp_path: Path, config: dict[str, Any], name: str = "edited.streamlib.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=2))
    return path


def refusal(tmp_path: Path, config: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        streamlib.load(write(tmp_path, config))
    return str(caught.value)


@pytest.fixture(scope="module")
def example_text() -> str:
    return example_graph().config_text(targets=EXAMPLE_TARGETS)


@pytest.fixture()
def example(example_text: str) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(example_text)
    return config


# ------------------------------------------------------------------------------------------ round trip
def test_export_load_export_is_byte_identical(tmp_path: Path) -> None:
    first = every_node_type(tmp_path).export(
        tmp_path / "a.streamlib.json", targets=("vulkan", "metal", "webgl")
    )
    loaded = streamlib.load(first)
    second = loaded.export(tmp_path / "b.streamlib.json", targets=("vulkan", "metal", "webgl"))
    assert first.read_bytes() == second.read_bytes()

    config = json.loads(first.read_text())
    assert [n["id"] for n in config["nodes"]][:5] == ["pattern", "blend", "inline", "tint", "numpy"]
    assert config["edges"] == sorted(config["edges"], key=lambda e: (e["from"], e["to"]))
    types = {(n["kind"], n["type"]) for n in config["nodes"]}
    assert len(types) == 9, types
    by_id = {n["id"]: n for n in config["nodes"]}
    assert by_id["photo"]["params"] == {"path": str(tmp_path / "photo.png")}
    assert "png_base64" in by_id["inline"]["params"]
    assert by_id["tint"]["params"]["values"] == {"strength": [0.25], "tint": [0.5, 1.0, 0.125]}
    assert {e["to"]: e["delivery"] for e in config["edges"]}["video_frames.video"] == "every_frame"
    assert set(config["shaders"]) == {"blend", "tint", "invert", "grayscale"}
    assert config["shaders"]["blend"]["artifacts"]["glsl_es"].startswith("#version 300 es")
    assert [line["used"] for line in loaded.load_report] == ["artifact"] * 4


def blend_graph() -> tuple[Runtime, NumpySink]:
    """Two sources into a two-input effect, then a tint: runnable without camera or files."""
    runtime = Runtime()
    overlay = np.zeros((32, 64, 4), np.uint8)
    overlay[..., 1] = np.arange(32, dtype=np.uint8)[:, None] * 8
    overlay[..., 3] = 255
    blend = Effect(BLEND, name="blend")
    tint = Effect("tint.hlsl", params={"strength": 0.25, "tint": (0.5, 1.0, 0.125)}, name="tint")
    sink = NumpySink(name="numpy")
    runtime.connect(TestPattern(64, 32, name="pattern"), blend)
    runtime.connect(ImageSource(overlay, name="overlay"), blend.inputs["overlay"])
    runtime.connect(blend, tint)
    runtime.connect(tint, sink)
    return runtime, sink


def test_loaded_runtime_works_like_a_hand_built_one(tmp_path: Path) -> None:
    built, built_sink = blend_graph()
    loaded = streamlib.load(built.export(tmp_path / "graph.streamlib.json"))
    assert {line["shader"]: line["used"] for line in loaded.load_report} == {
        "blend": "artifact",
        "tint": "artifact",
    }
    assert loaded.config_fps == 30.0

    built.run(3)
    stats = loaded.run(3)
    assert stats["frames"] == 3 and stats["error"] is None
    loaded_sink = loaded.node("numpy")
    assert isinstance(loaded_sink, NumpySink)
    expected, got = built_sink.latest(), loaded_sink.latest()
    assert expected is not None and got is not None
    assert np.array_equal(expected, got)

    # Parameters stay live: the same change gives the same pixels in both.
    tint, built_tint = loaded.node("tint"), built.node("tint")
    assert isinstance(tint, Effect) and isinstance(built_tint, Effect)
    assert tint.values == built_tint.values == {"strength": 0.25, "tint": (0.5, 1.0, 0.125)}
    loaded.run(1)
    before = loaded_sink.latest()
    tint.set(strength=0.0)
    built_tint.set(strength=0.0)
    loaded.run(1)
    built.run(1)
    after, expected = loaded_sink.latest(), built_sink.latest()
    assert before is not None and after is not None and expected is not None
    assert not np.array_equal(before, after)
    assert np.array_equal(after, expected)


def test_example_graph_runs_after_load(
    tmp_path: Path, example_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "example.streamlib.json"
    path.write_text(example_text)
    monkeypatch.chdir(tmp_path)  # the sink's directory, "frames", is relative to the working directory
    stats = streamlib.load(path).run(2)
    assert stats["frames"] == 2 and stats["error"] is None
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["frame_000000.png", "frame_000001.png"]


# --------------------------------------------------------------------------------------------- refusals
def test_newer_version_is_refused(tmp_path: Path, example: dict[str, Any]) -> None:
    example["version"] = 2
    assert (
        refusal(tmp_path, example)
        == "version: version 2 is newer than this runtime's 1; update streamlib to load it"
    )


def test_schema_violations_name_the_field_path(tmp_path: Path, example: dict[str, Any]) -> None:
    example["nodes"][0]["params"]["width"] = "wide"
    assert refusal(tmp_path, example) == (
        "nodes[0].params.width: node 'pattern': invalid type: string \"wide\", expected u32"
    )
    example["nodes"][0]["params"]["width"] = 640
    example["nodes"][1]["params"]["colour"] = 1
    message = refusal(tmp_path, example)
    assert message.startswith(
        "nodes[1].params.colour: node 'tint': unknown field `colour`, "
        "expected one of `shader`, `values`, `fuse`"
    )
    del example["nodes"][1]["params"]["colour"]
    del example["edges"][2]["delivery"]
    assert refusal(tmp_path, example) == "edges[2]: missing field `delivery`"


def test_the_field_at_fault_is_an_attribute(tmp_path: Path, example: dict[str, Any]) -> None:
    example["nodes"][0]["params"]["width"] = "wide"
    with pytest.raises(ConfigError) as caught:
        streamlib.load(write(tmp_path, example))
    assert caught.value.field == "nodes[0].params.width"
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(ConfigError) as whole:
        streamlib.load(tmp_path / "broken.json")
    assert whole.value.field is None
    with pytest.raises(ConfigError) as target:
        example_graph().config_text(targets=("vulcan",))
    assert target.value.field == "targets"


def test_tampered_shader_source_fails_the_hash_check(tmp_path: Path, example: dict[str, Any]) -> None:
    example["shaders"]["tint"]["source"] = example["shaders"]["tint"]["source"].replace("0.5", "0.9")
    assert refusal(tmp_path, example) == (
        "shaders.tint.sha256: shader 'tint': source sha256 mismatch — the config was edited or corrupted"
    )


def test_unknown_node_type_is_refused(tmp_path: Path, example: dict[str, Any]) -> None:
    example["nodes"][2]["type"] = "warp"
    assert refusal(tmp_path, example) == (
        "nodes[2].type: node 'blur': type 'warp' is not supported by this runtime (supported: effect)"
    )
    example["nodes"][2]["type"] = "effect"
    example["nodes"][0]["type"] = "camera"
    # Every source type of the core's catalog, in its order.
    sources = ", ".join(t["type"] for t in streamlib._native.node_types() if t["kind"] == "source")
    assert sources.startswith("test_pattern, image, video_file, push")
    assert refusal(tmp_path, example) == (
        "nodes[0].type: node 'pattern': type 'camera' is not supported by this runtime "
        f"(supported: {sources})"
    )


def test_edges_to_missing_nodes_or_ports_are_refused(tmp_path: Path, example: dict[str, Any]) -> None:
    edge = next(i for i, e in enumerate(example["edges"]) if e["to"] == "out.video")
    example["edges"][edge]["to"] = "out.audio"
    assert (
        refusal(tmp_path, example)
        == f"edges[{edge}].to: sink 'out' has no input port 'audio' (inputs: 'video')"
    )
    example["edges"][edge]["to"] = "display.video"
    assert refusal(tmp_path, example) == (
        f"edges[{edge}].to: no node 'display' (nodes: pattern, tint, blur, vignette, out)"
    )
    # An effect's inputs come from its shader, so this one is found when the graph is built.
    example["edges"][edge]["to"] = "out.video"
    into_blur = next(i for i, e in enumerate(example["edges"]) if e["to"] == "blur.video")
    example["edges"][into_blur]["to"] = "blur.overlay"
    message = refusal(tmp_path, example)
    assert message.startswith(f"edges[{into_blur}]: unknown port 'blur.overlay'"), message


def test_values_must_name_shader_parameters(tmp_path: Path, example: dict[str, Any]) -> None:
    example["nodes"][1]["params"]["values"]["strenght"] = [1.0]
    assert refusal(tmp_path, example) == (
        "nodes[1].params.values.strenght: node 'tint': shader 'tint.hlsl' has no parameter 'strenght' "
        "(parameters: tint, strength)"
    )
    del example["nodes"][1]["params"]["values"]["strenght"]
    example["nodes"][1]["params"]["values"]["tint"] = [1.0, 0.0]
    message = refusal(tmp_path, example)
    assert (
        message.startswith("nodes[1].params.values.tint: node 'tint': ")
        and "expects float3 (3 numbers), got 2 numbers" in message
    )


def test_unknown_export_target_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"targets: unknown target 'vulcan' \(known: vulkan, metal, webgl\)"
    ):
        example_graph().config_text(targets=("vulcan",))


def test_non_json_and_foreign_documents_are_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"format": "streamlib.graph", ')
    with pytest.raises(ConfigError, match="^not valid JSON: "):
        streamlib.load(tmp_path / "broken.json")
    assert refusal(tmp_path, {"format": "other", "version": 1}) == (
        "format: 'other' is not a streamlib graph config (expected \"streamlib.graph\")"
    )


# -------------------------------------------------------------------------------------------- artifacts
def test_artifacts_are_used_only_when_built_from_this_source(
    tmp_path: Path, example: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the example's image_sequence sink writes to ./frames
    fresh = streamlib.load(write(tmp_path, example, "fresh.json"))
    assert {line["shader"]: line["used"] for line in fresh.load_report} == {
        "gaussian_blur": "artifact",
        "tint": "artifact",
        "vignette": "artifact",
    }

    example["shaders"]["tint"]["artifact_source_sha256"] = "0" * 64
    del example["shaders"]["vignette"]["artifacts"]["spirv"]
    stale = streamlib.load(write(tmp_path, example, "stale.json"))
    report = {line["shader"]: line for line in stale.load_report}
    assert report["gaussian_blur"]["used"] == "artifact"
    assert report["tint"]["used"] == "recompiled"
    assert "artifacts are stale" in report["tint"]["why"]
    assert report["vignette"]["used"] == "recompiled"
    assert report["vignette"]["why"].startswith("no spirv artifact")

    # Either way the shaders are the same programs: identical pixels.
    def render(runtime: Runtime) -> np.ndarray:
        sink = NumpySink()
        runtime.connect(runtime.node("vignette"), sink)
        runtime.run(2)
        frame = sink.latest()
        assert frame is not None
        return frame

    assert np.array_equal(render(fresh), render(stale))


def test_artifacts_with_a_corrupt_spirv_are_refused(tmp_path: Path, example: dict[str, Any]) -> None:
    example["shaders"]["gaussian_blur"]["artifacts"]["spirv"] = "AAAA"
    message = refusal(tmp_path, example)
    assert message.startswith(
        "shaders.gaussian_blur.artifacts.spirv: shader 'gaussian_blur': SPIR-V artifact is 3 bytes"
    )


# ------------------------------------------------------------------------------------ example and schema
def test_committed_example_is_current(example_text: str) -> None:
    if os.environ.get("STREAMLIB_UPDATE_EXAMPLES") == "1":
        EXAMPLE.parent.mkdir(exist_ok=True)
        EXAMPLE.write_bytes(example_text.encode("utf-8"))
    assert EXAMPLE.is_file(), f"{EXAMPLE} is missing: run STREAMLIB_UPDATE_EXAMPLES=1 pytest {__file__}"
    assert EXAMPLE.read_bytes() == example_text.encode("utf-8"), (
        f"{EXAMPLE.name} differs from a fresh export of its graph (did a shader or the compiler change?); "
        f"regenerate with STREAMLIB_UPDATE_EXAMPLES=1 pytest {__file__}"
    )


def test_configs_validate_against_the_committed_schema(tmp_path: Path) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    exported = every_node_type(tmp_path).export(tmp_path / "all.json", targets=("vulkan", "metal", "webgl"))
    for path in [EXAMPLE, exported]:
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(json.loads(path.read_text()))
        ]
        assert errors == [], path


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda c: c.update(version=2), "version"),
        (lambda c: c["nodes"][0]["params"].update(width="wide"), "nodes[0].params.width"),
        (lambda c: c["nodes"][4]["params"].pop("directory"), "nodes[4].params"),
        (lambda c: c["nodes"][2].update(type="warp"), "nodes[2].type"),
        (lambda c: c["edges"][0].update(delivery="sometimes"), "edges[0].delivery"),
        (lambda c: c["shaders"]["tint"].update(stage="geometry"), "shaders.tint.stage"),
        (lambda c: c["runtime"].update(fps=0), "runtime.fps"),
        (lambda c: c.update(extra=True), "extra"),
    ],
)
def test_schema_and_loader_refuse_the_same_mistakes(
    tmp_path: Path, example: dict[str, Any], edit: Any, field: str
) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    edit(example)
    assert not validator.is_valid(example)
    assert refusal(tmp_path, example).startswith(f"{field}: ")
