"""Every tutorial runs top to bottom headless (no browser: previews start, cameras fall back)."""

from __future__ import annotations

from pathlib import Path

import nbclient
import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_the_tutorials_exist() -> None:
    names = [p.stem for p in NOTEBOOKS]
    for required in (
        "01-first-effect",
        "02-parameters-and-controls",
        "03-camera-effects",
        "04-chaining-effects",
    ):
        assert required in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), (
        "outputs must be stripped"
    )
    client = nbclient.NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors, "\n".join(f"{e['ename']}: {e['evalue']}" for e in errors)
