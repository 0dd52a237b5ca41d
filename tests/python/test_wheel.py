"""The wheel carries everything a user needs besides Python dependencies: the extension module, the widgets'
ES modules, the `streamlib-runtime` binary, the JupyterLab extension and the server extension's config — so
`pip install streamlib` is all it takes to get HLSL highlighting and markers. Installed into a fresh venv
with only its declared dependencies it works: the core without extras, the first tutorial with `[jupyter]`."""

from __future__ import annotations

import email.parser
import importlib.metadata
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_TUTORIAL = ROOT / "notebooks" / "01-first-effect.ipynb"
HINT = 'pip install "streamlib[jupyter]"'


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # `pip wheel .` through the project's build backend (widgets/build_backend.py), without the network:
    # it reuses the release build and the front-end builds that `make build` left behind.
    out = tmp_path_factory.mktemp("wheel")
    # maturin's PEP 517 hook runs `maturin` from PATH: this interpreter's, as under `make`.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    wheel_args = ["wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), "."]
    build = subprocess.run(
        [sys.executable, "-m", "pip", *wheel_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}"
    [built] = out.glob("streamlib-*.whl")
    return built


def wheel_version(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        version = email.parser.Parser().parsestr(archive.read(metadata).decode())["Version"]
    assert version, f"{metadata} has no Version"
    return str(version)


def test_wheel_contains_the_front_end_the_binary_and_the_jupyter_config(wheel: Path) -> None:
    version = wheel_version(wheel)
    assert wheel.name.startswith(f"streamlib-{version}-")
    assert version == importlib.metadata.version("streamlib")  # the same pyproject.toml as this checkout's
    data = f"streamlib-{version}.data/data/"
    labextension = data + "share/jupyter/labextensions/@streamlib/jupyterlab/"
    with zipfile.ZipFile(wheel) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        package = json.loads(archive.read(labextension + "package.json"))
        server_config = json.loads(archive.read(data + "etc/jupyter/jupyter_server_config.d/streamlib.json"))
        install = json.loads(archive.read(labextension + "install.json"))
    assert package["name"] == "@streamlib/jupyterlab"
    # The federated entry point the package.json names is in the wheel beside it.
    assert labextension + package["jupyterlab"]["_build"]["load"] in entries
    assert server_config == {"ServerApp": {"jpserver_extensions": {"streamlib.jupyter.server": True}}}
    assert install["packageName"] == "streamlib"
    expected = {
        "streamlib/_native.abi3.so",
        "streamlib/jupyter/server.py",
        "streamlib/jupyter/static/preview.js",
        "streamlib/jupyter/static/camera.js",
        "streamlib/bin/streamlib-runtime",
    }
    assert expected <= set(entries)
    mode = entries["streamlib/bin/streamlib-runtime"].external_attr >> 16
    assert mode & 0o111, f"the runtime binary is not executable in the wheel ({oct(mode)})"


# Run by the fresh venv's Python from a directory without a streamlib in it.
CORE_CHECK = """
import json, streamlib
try:
    from streamlib.jupyter import Preview
    error = None
except ImportError as e:
    error = {"type": type(e).__name__, "name": e.name, "message": str(e)}
print(json.dumps({"file": streamlib.__file__, "version": streamlib.__version__, "error": error}))
"""

# nbclient in the venv, on a kernel spec naming the venv's Python; a last cell reports which streamlib ran.
NOTEBOOK_RUN = """
import json, sys
import nbclient, nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
notebook.cells.append(nbformat.v4.new_code_cell("import streamlib; print(streamlib.__file__, end='')"))
client = nbclient.NotebookClient(
    notebook, timeout=300, kernel_name=sys.argv[2], resources={"metadata": {"path": sys.argv[3]}}
)
client.execute()
print(json.dumps([[dict(o) for o in c.outputs] for c in notebook.cells if c.cell_type == "code"]))
"""


@pytest.mark.slow  # a fresh venv, the `jupyter` extra from PyPI or pip's cache: ~50 s, the wheel build aside
def test_the_wheel_in_a_fresh_venv_runs_the_first_tutorial(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    # Nothing of this checkout's environment may leak in: no PYTHONPATH, no active venv. Nor pytest's
    # variable, which keeps ipykernel from forwarding fd-level output (a driver's stderr) to the notebook.
    leaks = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_CURRENT_TEST"}
    env = {k: v for k, v in os.environ.items() if k not in leaks}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    timings: dict[str, float] = {}

    def run(step: str, *args: str | Path) -> str:
        start = time.monotonic()
        result = subprocess.run(
            [str(a) for a in args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200
        )
        timings[step] = time.monotonic() - start
        assert result.returncode == 0, f"{step} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        return result.stdout

    version = wheel_version(wheel)
    run("venv", sys.executable, "-m", "venv", venv)
    # Only what the wheel declares: numpy and pillow.
    run("install", python, "-m", "pip", "install", "-q", wheel)
    core = json.loads(run("core", python, "-c", CORE_CHECK))
    assert Path(core["file"]).resolve().is_relative_to(venv.resolve()), core["file"]
    assert core["version"] == version
    assert core["error"] is not None, "streamlib.jupyter imported without the jupyter extra"
    assert core["error"]["type"] == "MissingNotebookDependency"
    assert HINT in core["error"]["message"] and core["error"]["name"] in core["error"]["message"]

    # The extra, plus nbclient as the test's driver (not a dependency of streamlib).
    run("install [jupyter]", python, "-m", "pip", "install", "-q", f"{wheel}[jupyter]", "nbclient")
    kernel = "streamlib-wheel-test"
    run("kernelspec", python, "-m", "ipykernel", "install", "--prefix", venv, "--name", kernel)
    cells = json.loads(
        run("notebook", python, "-c", NOTEBOOK_RUN, FIRST_TUTORIAL, kernel, FIRST_TUTORIAL.parent)
    )
    print("wheel test timings (s):", {step: round(seconds, 1) for step, seconds in timings.items()})

    outputs = [o for cell in cells for o in cell]
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
    assert not errors, "\n".join(errors)
    stderr = [o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not stderr, "cells wrote to stderr:\n" + "".join(stderr)
    ran_from = "".join(o["text"] for o in cells[-1] if o["output_type"] == "stream")
    assert Path(ran_from).resolve().is_relative_to(venv.resolve()), ran_from
