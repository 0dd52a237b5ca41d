"""What the JupyterLab extension gets from the server side: compile payloads and the library listing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tornado import web

from streamlib.jupyter.library import KernelShaders, library_listing
from streamlib.jupyter.server import _compile_payload
from streamlib.registry import shaders
from streamlib.shader import compile

LIBRARY = Path(__file__).resolve().parents[2] / "shaders"
USES_INCLUDE = (
    '#include "helpers.hlsli"\n'
    "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(half_of(uv.x).xxx, 1); }\n"
)


def test_library_listing_names_every_effect_with_its_summary_and_stage() -> None:
    listing = {entry["name"]: entry for entry in library_listing(root_dir=LIBRARY.parent)}
    assert sorted(listing) == sorted(p.stem for p in LIBRARY.glob("*.hlsl"))
    vignette = listing["vignette"]
    assert vignette["path"] == "shaders/vignette.hlsl" and vignette["stage"] == "pixel"
    assert vignette["summary"] == "Vignette: darkens towards the edges."
    assert vignette["source"] == (LIBRARY / "vignette.hlsl").read_text()
    assert listing["threshold_compute"]["stage"] == "compute"


def test_library_outside_the_root_has_no_path(tmp_path: Path) -> None:
    assert {entry["path"] for entry in library_listing(root_dir=tmp_path)} == {None}


def test_compile_payload_reports_diagnostics_in_the_shader_lines(tmp_path: Path) -> None:
    broken = "float4 main(float2 uv : TEXCOORD) : SV_Target {\n    return gain;\n}\n"
    payload = _compile_payload({"source": broken, "name": "live"}, tmp_path)
    assert payload["ok"] is False
    [diagnostic] = payload["diagnostics"]
    assert diagnostic | {"message": ""} == {
        "severity": "error",
        "line": 2,
        "column": 12,
        "message": "",
        "file": "live",
        "in_source": True,
    }
    assert "'gain'" in diagnostic["message"]


def test_a_glsl_cell_compiles_as_glsl_with_its_own_lines(tmp_path: Path) -> None:
    broken = "void mainImage(out vec4 o, in vec2 p) {\n    o = vec4(gain);\n}\n"
    payload = _compile_payload({"source": broken, "name": "toy", "language": "glsl"}, tmp_path)
    assert payload["ok"] is False and payload["diagnostics"][0]["line"] == 2, payload
    assert "gain" in payload["diagnostics"][0]["message"]
    fixed = _compile_payload({"source": broken.replace("gain", "1.0"), "language": "glsl"}, tmp_path)
    assert fixed["ok"] is True, fixed
    with pytest.raises(web.HTTPError):
        _compile_payload({"source": broken, "language": "wgsl"}, tmp_path)


def test_a_files_includes_resolve_beside_it_but_never_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "fx").mkdir(parents=True)
    (root / "fx" / "helpers.hlsli").write_text("float half_of(float x) { return x * 0.5; }\n")
    ok = _compile_payload({"source": USES_INCLUDE, "name": "a.hlsl", "path": "fx/a.hlsl"}, root)
    assert ok["ok"] is True, ok
    # Beside a path that climbs out of the root, no include directory is added: the include is not found.
    (tmp_path / "helpers.hlsli").write_text("float half_of(float x) { return x * 0.5; }\n")
    escaped = _compile_payload({"source": USES_INCLUDE, "name": "a.hlsl", "path": "../a.hlsl"}, root)
    assert escaped["ok"] is False
    assert "helpers.hlsli" in escaped["diagnostics"][0]["message"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"source": 3}, "'source' must be a string"),
        ({"source": "x", "stage": "geometry"}, "'stage' must be one of auto, pixel, compute"),
        ({"source": "x" * (1 << 20 | 1)}, "'source' is over 1 MiB"),
        ({"source": "x", "backend": "fxc"}, "'backend' must be one of glslang, dxc"),
        ({"source": "x", "path": "fx/a\0.hlsl"}, "'path' contains a NUL character"),
    ],
)
def test_compile_payload_refuses_bad_requests_by_field(body: dict[str, object], reason: str) -> None:
    with pytest.raises(web.HTTPError) as info:
        _compile_payload(body, Path("."))
    assert info.value.reason == reason


def test_kernel_listing_is_the_registry_as_json() -> None:
    source = "float4 main(float2 uv : TEXCOORD) : SV_Target { return float4(uv, 0, 1); }\n"
    shaders["listing_test"] = compile(source, name="listing_test")
    try:
        listed = {s["name"]: s for s in KernelShaders()._repr_json_()["shaders"]}
        assert listed["listing_test"] == {
            "name": "listing_test",
            "stage": "pixel",
            "parameters": [],
            "source": source,
        }
    finally:
        del shaders["listing_test"]
