"""streamlib: HLSL video effects compiled by a Rust core and run on the GPU."""

from streamlib._library import configure
from streamlib.decorators import camera_source, stream_effect, test_pattern_source
from streamlib.errors import (
    CompilerUnavailable,
    ConfigError,
    Diagnostic,
    EffectError,
    GpuError,
    GraphError,
    ParameterError,
    RemoteError,
    ShaderCompileError,
    StreamlibError,
)
from streamlib.features import has_feature
from streamlib.graph import Port, Stream
from streamlib.nodes import (
    Effect,
    ImageSequenceSink,
    ImageSource,
    NumpySink,
    PreviewSink,
    PushSource,
    TestPattern,
    VideoFileSink,
    VideoFileSource,
)
from streamlib.runtime import Runtime, Texture
from streamlib.shader import Parameter, Shader, compile, compile_file, compilers


def adapters() -> list[dict[str, object]]:
    """Every GPU adapter wgpu can see: name, backend, device type, driver."""
    from streamlib import _native

    return list(_native.adapters())


__all__ = [
    "Effect",
    "ImageSequenceSink",
    "ImageSource",
    "NumpySink",
    "Port",
    "PreviewSink",
    "PushSource",
    "Stream",
    "TestPattern",
    "VideoFileSink",
    "VideoFileSource",
    "CompilerUnavailable",
    "ConfigError",
    "Diagnostic",
    "EffectError",
    "GpuError",
    "GraphError",
    "Parameter",
    "ParameterError",
    "RemoteError",
    "Runtime",
    "Shader",
    "ShaderCompileError",
    "StreamlibError",
    "Texture",
    "adapters",
    "compile",
    "compile_file",
    "compilers",
    "camera_source",
    "configure",
    "has_feature",
    "stream_effect",
    "test_pattern_source",
]
