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
from streamlib.node_types import *  # noqa: F403 - every node type the core declares with no Python of its own
from streamlib.node_types import __all__ as _node_types
from streamlib.nodes import Effect, ImageSource, Node, NumpySink, PreviewSink, PushSource
from streamlib.registry import shaders
from streamlib.remote import RemoteRuntime
from streamlib.runtime import Runtime, Texture
from streamlib.shader import Parameter, Shader, compile, compile_file, compilers, detect_stage


def _installed_version() -> str:
    # The installed distribution's version (from pyproject.toml), so it cannot drift from what pip reports.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("streamlib")
    except PackageNotFoundError:  # the package directory on sys.path without an install
        return "0+unknown"


__version__ = _installed_version()


def adapters() -> list[dict[str, object]]:
    """Every GPU adapter wgpu can see: name, backend, device type, driver."""
    from streamlib import _native

    return list(_native.adapters())


__all__ = [
    *_node_types,
    "CameraError",
    "Effect",
    "ImageSource",
    "Node",
    "NumpySink",
    "Port",
    "PreviewSink",
    "PushSource",
    "Stream",
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
    "detect_stage",
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
    from typing import Any, cast

    if os.environ.get("STREAMLIB_COMPILE_WORKER") or "IPython" not in sys.modules:
        return
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:
        return
    shell = get_ipython()  # type: ignore[no-untyped-call,unused-ignore]  # typed in newer IPython
    if shell is None:
        return
    try:
        load_ipython_extension(shell)
    except ImportError as error:
        # `import streamlib` works without the jupyter extra; `%%hlsl` then says what to install instead of
        # IPython's "Cell magic `%%hlsl` not found". (`error` itself is unbound when the block ends.)
        kind, args, name = type(error), error.args, error.name

        def hlsl(line: str, cell: str | None = None) -> None:
            raise kind(*args, name=name)

        # Any: IPython's decorator on the method hides its signature from mypy.
        cast(Any, shell).register_magic_function(hlsl, magic_kind="cell", magic_name="hlsl")


_register_magic_when_in_ipython()
