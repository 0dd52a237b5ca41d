"""The wheel carries everything a user needs besides Python dependencies: the extension module, the widgets'
ES modules, the `streamlib-runtime` binary, the JupyterLab extension and the server extension's config — so
`pip install streamlib` is all it takes to get HLSL highlighting and markers."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = "streamlib-0.1.0.data/data/"
LABEXTENSION = DATA + "share/jupyter/labextensions/@streamlib/jupyterlab/"


def test_wheel_contains_the_front_end_the_binary_and_the_jupyter_config(tmp_path: Path) -> None:
    # `pip wheel .` through the project's build backend (widgets/build_backend.py), without the network:
    # it reuses the release build and the front-end builds that `make build` left behind.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    [wheel] = tmp_path.glob("streamlib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        package = json.loads(archive.read(LABEXTENSION + "package.json"))
        server_config = json.loads(archive.read(DATA + "etc/jupyter/jupyter_server_config.d/streamlib.json"))
        install = json.loads(archive.read(LABEXTENSION + "install.json"))
    assert package["name"] == "@streamlib/jupyterlab"
    # The federated entry point the package.json names is in the wheel beside it.
    assert LABEXTENSION + package["jupyterlab"]["_build"]["load"] in entries
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
