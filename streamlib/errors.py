"""The exception tree: everything streamlib raises derives from `StreamlibError`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# What installs the notebook side (widgets, magics, the kernel's MCP server), for errors that need it.
NOTEBOOK_INSTALL_HINT = 'pip install "streamlib[jupyter]"'


@dataclass(frozen=True)
class Diagnostic:
    """One compiler message, in the user's own line numbers (1-based)."""

    severity: str
    file: str
    line: int | None
    column: int | None
    message: str
    source_line: str | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Diagnostic:
        return cls(
            severity=str(data["severity"]),
            file=str(data["file"]),
            line=data.get("line"),
            column=data.get("column"),
            message=str(data["message"]),
            source_line=data.get("source_line"),
        )

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.source_line is not None:
            text += "\n    " + self.source_line.rstrip()
            if self.column is not None:
                pad = "".join("\t" if c == "\t" else " " for c in self.source_line[: self.column - 1])
                text += "\n    " + pad + "^"
        return text


class StreamlibError(Exception):
    """Base of every streamlib error."""


class ShaderCompileError(StreamlibError):
    """A shader failed to compile; `.diagnostics` says where and why."""

    def __init__(self, message: str, name: str = "", diagnostics: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self.name = name
        self.diagnostics: list[Diagnostic] = [
            d if isinstance(d, Diagnostic) else Diagnostic.from_dict(d) for d in diagnostics
        ]


class CompilerUnavailable(StreamlibError):
    """The requested compiler backend is not installed; `.searched` lists where it was looked for."""

    def __init__(self, message: str, backend: str = "", searched: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.backend = backend
        self.searched = list(searched)


class GraphError(StreamlibError):
    """A stream graph is invalid (unknown port, type mismatch, cycle, …)."""


class GpuError(StreamlibError):
    """No usable GPU adapter, or a GPU operation failed."""


class EffectError(StreamlibError):
    """An effect cannot run as asked (wrong inputs, unsupported resources, unknown parameter)."""


class ParameterError(EffectError, TypeError):
    """A parameter value does not fit its declared type; the message names effect, parameter and type."""


class ConfigError(StreamlibError):
    """A graph config is malformed. The message names the field; `field` holds its JSON path
    (`nodes[2].params.width`), or None when the whole document is at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CameraError(StreamlibError):
    """The browser camera could not be opened (permission denied, no device) or stopped with an error."""


class RemoteError(StreamlibError):
    """A remote streamlib-runtime answered with an error."""
