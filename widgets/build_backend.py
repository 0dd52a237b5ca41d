"""PEP 517 build backend: maturin's, after building what the wheel carries besides the extension module.

maturin has no build hooks, so without this a wheel built from a fresh clone (`pip wheel .`) would lack the
widgets' ES modules (`streamlib/jupyter/static`), the JupyterLab extension (`widgets/wheel-data`) and the
`streamlib-runtime` binary (`streamlib/bin`). The front-ends are rebuilt only when their sources are newer
than their build (they need Node.js with npm, as `make build` does; STREAMLIB_SKIP_FRONTEND=1 builds without
them); the binary is left to cargo, which does nothing when it is current.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import maturin  # type: ignore[import-untyped]
from maturin import (  # type: ignore[import-untyped]  # noqa: F401  (the rest of the interface, as maturin has it)
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

WIDGETS = Path(__file__).resolve().parent
ROOT = WIDGETS.parent


@dataclass(frozen=True)
class Frontend:
    package: Path
    sources: tuple[str, ...]
    built: Path

    def stale(self) -> bool:
        newest = max((p.stat().st_mtime for g in self.sources for p in self.package.glob(g)), default=0.0)
        return not self.built.is_file() or newest > self.built.stat().st_mtime

    def build(self, npm: str) -> None:
        if not (self.package / "node_modules").is_dir():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=self.package, check=True
            )
        subprocess.run(
            [npm, "run", "build", "--silent"], cwd=self.package, check=True, stdout=subprocess.DEVNULL
        )


FRONTENDS = (
    Frontend(
        WIDGETS,
        ("src/*.js", "build.mjs", "package*.json"),
        ROOT / "streamlib/jupyter/static/preview.js",
    ),
    Frontend(
        WIDGETS / "labextension",
        ("src/*.ts", "style/*.css", "schema/*.json", "package*.json", "install.json"),
        WIDGETS / "wheel-data/data/share/jupyter/labextensions/@streamlib/jupyterlab/install.json",
    ),
)


def build_frontend() -> None:
    stale = [frontend for frontend in FRONTENDS if frontend.stale()]
    if not stale or os.environ.get("STREAMLIB_SKIP_FRONTEND") == "1":
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "building streamlib needs Node.js with npm for its widgets and JupyterLab extension "
            "(or set STREAMLIB_SKIP_FRONTEND=1 to build without them)"
        )
    for frontend in stale:
        frontend.build(npm)


def build_runtime_binary() -> None:
    # An sdist carries only the extension module's crates; there the binary is not built.
    cargo = shutil.which("cargo")
    if cargo is None or not (ROOT / "native/streamlib-runtime/Cargo.toml").is_file():
        return
    subprocess.run(
        [cargo, "build", "--release", "-q", "-p", "streamlib-runtime"], cwd=ROOT / "native", check=True
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "native/target")
    shipped = ROOT / "streamlib/bin/streamlib-runtime"
    shipped.parent.mkdir(exist_ok=True)
    shutil.copy2(target / "release/streamlib-runtime", shipped)


def build_wheel(
    wheel_directory: str, config_settings: Any = None, metadata_directory: str | None = None
) -> str:
    build_frontend()
    build_runtime_binary()
    return str(maturin.build_wheel(wheel_directory, config_settings, metadata_directory))


def build_editable(
    wheel_directory: str, config_settings: Any = None, metadata_directory: str | None = None
) -> str:
    build_frontend()
    build_runtime_binary()
    return str(maturin.build_editable(wheel_directory, config_settings, metadata_directory))
