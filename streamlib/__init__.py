"""streamlib: HLSL video effects compiled by a Rust core and run on the GPU."""

from streamlib._library import configure
from streamlib.decorators import camera_source, stream_effect, test_pattern_source
from streamlib.errors import (
    CameraError,
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
from streamlib.export import load
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
from streamlib.registry import shaders
from streamlib.remote import RemoteRuntime
from streamlib.runtime import Runtime, Texture
from streamlib.shader import Parameter, Shader, compile, compile_file, compilers


def adapters() -> list[dict[str, object]]:
    """Every GPU adapter wgpu can see: name, backend, device type, driver."""
    from streamlib import _native

    return list(_native.adapters())


__all__ = [
    "CameraError",
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
    "RemoteRuntime",
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
    "load",
    "shaders",
    "stream_effect",
    "test_pattern_source",
]


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext streamlib`: registers the `%%hlsl` cell magic."""
    from streamlib.jupyter import load_ipython_extension as load

    load(ipython)


def _register_magic_when_in_ipython() -> None:
    # `import streamlib` inside IPython/Jupyter makes %%hlsl available without %load_ext.
    import os
    import sys

    if os.environ.get("STREAMLIB_COMPILE_WORKER") or "IPython" not in sys.modules:
        return
    try:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer IPython
        if shell is not None:
            load_ipython_extension(shell)
    except ImportError:
        return


_register_magic_when_in_ipython()
