"""Type stubs for the compiled extension `streamlib._native` (checked by `python -m mypy.stubtest`)."""

from typing import Any, final

__all__ = [
    "NativeGpu",
    "NativePipeline",
    "NativeShader",
    "NativeTexture",
    "__version__",
    "adapters",
    "compile",
    "compiler_stats",
    "compilers",
    "configure",
    "serve_compile_worker",
]
__version__: str

@final
class NativeShader:
    def metadata_json(self) -> str: ...
    def spirv(self) -> bytes: ...

@final
class NativeTexture:
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def format(self) -> str: ...
    def read(self) -> bytes: ...
    def upload(self, data: bytes) -> None: ...

@final
class NativePipeline:
    @property
    def gpu_path(self) -> str: ...
    @property
    def input_names(self) -> list[str]: ...
    @property
    def output_format(self) -> str: ...

@final
class NativeGpu:
    def __new__(cls, adapter: str | None = None, low_power: bool = False) -> NativeGpu: ...
    def adapter(self) -> dict[str, Any]: ...
    def create_texture(
        self, width: int, height: int, format: str = "rgba8unorm", data: bytes | None = None
    ) -> NativeTexture: ...
    def create_pipeline(self, shader: NativeShader) -> NativePipeline: ...
    def run(
        self,
        pipeline: NativePipeline,
        inputs: list[NativeTexture],
        output: NativeTexture | None = None,
        params: dict[str, Any] | None = None,
        time: float = 0.0,
        frame: int = 0,
    ) -> NativeTexture: ...

def configure(
    *,
    worker_command: list[str] | None,
    library_dirs: list[str],
    cache_dir: str | None = None,
    timeout_s: float = 10.0,
    workers: int = 1,
) -> None: ...
def compile(
    source: bytes,
    *,
    name: str,
    stage: str,
    entry: str,
    backend: str | None,
    defines: list[tuple[str, str]],
    optimization: str,
    include_dirs: list[str],
    prelude: str,
) -> NativeShader: ...
def compilers() -> list[dict[str, Any]]: ...
def compiler_stats() -> dict[str, int]: ...
def adapters() -> list[dict[str, Any]]: ...
def serve_compile_worker() -> None: ...
