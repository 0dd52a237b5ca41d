"""Broken shaders give diagnostics at the user's own line and column, and never crash or hang."""

from __future__ import annotations

import pytest

import streamlib
from streamlib import ShaderCompileError

from ..conftest import TEST_INPUTS

BROKEN = TEST_INPUTS / "broken"

# file → (line, column, message fragment); None where the front end gives no position.
EXPECTED = {
    "missing_semicolon.hlsl": (2, 32, "expected ';'"),
    "undeclared_identifier.hlsl": (3, 16, "'brightness': unknown variable"),
    "type_mismatch.hlsl": (2, 17, "cannot convert"),
    "wrong_entry.hlsl": (None, None, "entry point 'main' not found"),
    "unknown_semantic.hlsl": (1, 37, "did you mean 'SV_Target'"),
    "bad_register.hlsl": (1, 30, "invalid register 'q3'"),
    "include_escape.hlsl": (1, 1, "'..' would leave the shader library"),
    "missing_include.hlsl": (1, 1, "cannot find include 'no_such_file.hlsl'"),
    "empty.hlsl": (None, None, "source is empty"),
    "non_utf8.hlsl": (2, 11, "not valid UTF-8: byte 0xe9"),
    "unbalanced_braces.hlsl": (1, 47, "'{' is never closed"),
    "no_return.hlsl": (1, None, "function 'main' does not return a value"),
    "bad_swizzle.hlsl": (3, 14, "'rgbz'"),
    "wrong_arg_count.hlsl": (3, 12, "'lerp': no matching overloaded function"),
}


def test_every_broken_input_has_an_expectation() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.hlsl")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_shader_diagnostic(name: str) -> None:
    line, column, fragment = EXPECTED[name]
    with pytest.raises(ShaderCompileError) as info:
        streamlib.compile_file(BROKEN / name)
    first = info.value.diagnostics[0]
    assert fragment in first.message, str(info.value)
    assert (first.line, first.column) == (line, column), str(info.value)
    assert first.severity == "error"
    if line is not None:
        source_lines = (BROKEN / name).read_bytes().decode("utf-8", errors="replace").splitlines()
        assert first.source_line == source_lines[line - 1]


def test_two_megabyte_source_is_refused_quickly() -> None:
    source = "float4 main(float2 uv : TEXCOORD) : SV_Target { return 0; }\n" + "// padding\n" * 200_000
    assert len(source) > 2_000_000
    with pytest.raises(ShaderCompileError, match="over the 1048576 byte limit"):
        streamlib.compile(source, name="huge.hlsl")


def test_errors_in_included_files_name_the_include(tmp_path) -> None:
    (tmp_path / "helpers.hlsl").write_text("float helper() {\n    return undefined_thing;\n}\n")
    source = '#include "helpers.hlsl"\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return helper(); }\n'
    with pytest.raises(ShaderCompileError) as info:
        streamlib.compile(source, name="user.hlsl", include_dirs=[tmp_path])
    first = info.value.diagnostics[0]
    assert (first.file, first.line, first.column) == ("helpers.hlsl", 2, 12)


def test_include_from_the_library_works() -> None:
    source = '#include "common/color.hlsl"\nfloat4 main(float2 uv : TEXCOORD) : SV_Target {\n'
    source += "    float4 c = tex2D(input, uv); return float4(luma709(c.rgb).xxx, c.a);\n}\n"
    assert streamlib.compile(source, name="luma").spirv


def test_absolute_include_is_refused_without_reading(tmp_path) -> None:
    secret = tmp_path / "secret.hlsl"
    secret.write_text("#error this file must never be read\n")
    with pytest.raises(ShaderCompileError, match="absolute paths are not allowed"):
        streamlib.compile(f'#include "{secret}"\nfloat4 main() : SV_Target {{ return 0; }}')


def test_non_ascii_source_text_is_a_diagnostic_not_a_crash() -> None:
    for source in ("é", "float4 main(float2 uv : TEXCOORD) : SV_Target { return 0; }\n日本\n"):
        with pytest.raises(ShaderCompileError) as info:
            streamlib.compile(source, name="utf8.hlsl")
        assert info.value.diagnostics
