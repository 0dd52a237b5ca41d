"""`compile()` and the `Shader` it returns: SPIR-V, MSL, GLSL ES, reflection and parameters."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamlib import _library, _native
from streamlib.errors import Diagnostic, StreamlibError


@dataclass(frozen=True)
class Parameter:
    """A tweakable value reflected from the shader's cbuffer, with its `@range/@default/@color` notes."""

    name: str
    type: str
    default: tuple[float, ...]
    min: float | None
    max: float | None
    kind: str
    buffer: str = "Params"
    offset: int = 0
    size: int = 0
    array_length: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parameter:
        return cls(
            name=data["name"],
            type=data["type"],
            default=tuple(float(v) for v in data["default"]),
            min=data.get("min"),
            max=data.get("max"),
            kind=data["kind"],
            buffer=data["buffer"],
            offset=data["offset"],
            size=data["size"],
            array_length=data.get("array_len"),
        )


class Shader:
    """A compiled effect. Immutable; compiling the same source again returns a cached copy."""

    def __init__(self, native: _native.NativeShader) -> None:
        self._native = native
        metadata = json.loads(native.metadata_json())
        self.source: str = native.source
        self.name: str = metadata["name"]
        self.stage: str = metadata["stage"]
        self.language: str = metadata["language"]
        self.entry: str = metadata["entry"]
        self.backend: str = metadata["backend"]
        self.backend_version: str = metadata["backend_version"]
        self.spirv = native.spirv()
        self.msl: str = metadata["msl"]
        self.glsl_es: str | None = metadata["glsl_es"]
        self.reflection: dict[str, Any] = metadata["reflection"]
        self.parameters: list[Parameter] = [Parameter.from_dict(p) for p in metadata["parameters"]]
        self.source_hash: str = metadata["source_hash"]
        self.uses_prelude: bool = metadata["uses_prelude"]
        self.warnings: list[Diagnostic] = [Diagnostic.from_dict(d) for d in metadata["warnings"]]
        self.compile_ms: float = metadata["compile_ms"]
        self.cached: bool = metadata["cached"]

    @property
    def native(self) -> _native.NativeShader:
        """The compiled shader on the Rust side (what graphs and pipelines use)."""
        return self._native

    @property
    def wgsl(self) -> str:
        """WGSL of the compute form, for WebGPU pages (translated by naga from the SPIR-V); ValueError saying
        why for a pixel shader or one WebGPU cannot take."""
        return self._native.wgsl()

    @property
    def workgroup_size(self) -> tuple[int, int, int] | None:
        size = self.reflection.get("workgroup_size")
        return (size[0], size[1], size[2]) if size else None

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise StreamlibError(f"shader '{self.name}' has no parameter '{name}' (parameters: {known})")

    def __repr__(self) -> str:
        params = ", ".join(p.name for p in self.parameters)
        return (
            f"<Shader {self.name!r} {self.stage} via {self.backend}, {len(self.spirv)} bytes SPIR-V, "
            f"parameters [{params}], {self.compile_ms:.1f} ms{' (cached)' if self.cached else ''}>"
        )


def compile(
    source: str | bytes,
    *,
    stage: str = "auto",
    entry: str = "main",
    name: str | None = None,
    backend: str | None = None,
    defines: Mapping[str, str | int | float] | None = None,
    optimization: str = "performance",
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    prelude: str = "auto",
    language: str = "hlsl",
) -> Shader:
    """Compiles HLSL to SPIR-V, reflects it, and cross-compiles it to MSL and (pixel stage) GLSL ES.

    `stage="auto"` compiles a source whose entry point carries `[numthreads(…)]` as compute, anything else
    as a pixel shader (see `detect_stage`).

    Raises `ShaderCompileError` with `.diagnostics` on bad source; a crash of the C++ compiler is
    reported the same way, and this process is never affected.
    """
    _library.ensure_configured()
    raw = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    native = _native.compile(
        raw,
        name=name or "shader",
        stage=stage,
        entry=entry,
        backend=backend,
        defines=[(str(k), str(v)) for k, v in (defines or {}).items()],
        optimization=optimization,
        include_dirs=[str(d) for d in include_dirs],
        prelude=prelude,
        language=language,
    )
    return Shader(native)


def detect_stage(source: str) -> str:
    """The stage `compile(source)` picks: "compute" when an attribute `[numthreads(…)]` marks the entry
    point, else "pixel". Comments and strings do not count."""
    return _native.detect_stage(source)


def compile_file(path: str | os.PathLike[str], **options: Any) -> Shader:
    """Compiles a shader file: HLSL, or Shadertoy-style GLSL for `.glsl`/`.frag`/`.fs` (the core's rule);
    the stage as `compile` picks it unless given."""
    file = Path(path)
    raw = file.read_bytes()
    options.setdefault("include_dirs", [file.parent])
    options.setdefault("language", _native.language_of_path(file))
    return compile(raw, name=options.pop("name", file.name), **options)


def compilers() -> list[dict[str, Any]]:
    """Every compiler backend this build knows: name, version, available, detail."""
    return list(_native.compilers())
