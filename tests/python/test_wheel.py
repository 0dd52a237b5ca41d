"""The wheel carries the JupyterLab extension and the server extension's config, so `pip install streamlib`
is all a user does to get HLSL highlighting and markers."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = "streamlib-0.1.0.data/data/"
LABEXTENSION = DATA + "share/jupyter/labextensions/@streamlib/jupyterlab/"


def test_wheel_contains_the_labextension_and_server_config(tmp_path: Path) -> None:
    # The same build pip runs for `pip wheel .`; maturin reuses the release build `make build` left behind.
    subprocess.run(
        [sys.executable, "-m", "maturin", "build", "--release", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    [wheel] = tmp_path.glob("streamlib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        package = json.loads(archive.read(LABEXTENSION + "package.json"))
        server_config = json.loads(archive.read(DATA + "etc/jupyter/jupyter_server_config.d/streamlib.json"))
        install = json.loads(archive.read(LABEXTENSION + "install.json"))
    assert package["name"] == "@streamlib/jupyterlab"
    # The federated entry point the package.json names is in the wheel beside it.
    assert LABEXTENSION + package["jupyterlab"]["_build"]["load"] in names
    assert server_config == {"ServerApp": {"jpserver_extensions": {"streamlib.jupyter.server": True}}}
    assert install["packageName"] == "streamlib"
    assert {
        "streamlib/jupyter/server.py",
        "streamlib/jupyter/library.py",
        "streamlib/_native.abi3.so",
    } <= names
