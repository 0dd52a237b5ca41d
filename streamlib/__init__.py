"""streamlib: HLSL video effects compiled by a Rust core and run on the GPU."""

from streamlib._library import configure
from streamlib.errors import (
    CompilerUnavailable,
    ConfigError,
    Diagnostic,
    GpuError,
    GraphError,
    RemoteError,
    ShaderCompileError,
    StreamlibError,
)
from streamlib.shader import Parameter, Shader, compile, compile_file, compilers

__all__ = [
    "CompilerUnavailable",
    "ConfigError",
    "Diagnostic",
    "GpuError",
    "GraphError",
    "Parameter",
    "RemoteError",
    "Shader",
    "ShaderCompileError",
    "StreamlibError",
    "compile",
    "compile_file",
    "compilers",
    "configure",
]
