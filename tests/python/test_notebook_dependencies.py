"""Without the `jupyter` extra, `import streamlib` works and the notebook side says what to install.

Each case runs in a fresh interpreter in which the notebook packages cannot be imported (a `None` entry in
sys.modules makes `import` raise ModuleNotFoundError, as a missing package does)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

HINT = 'pip install "streamlib[jupyter]"'


def run_without(modules: list[str], code: str) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys\nfor name in {modules!r}:\n    sys.modules[name] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_streamlib_needs_no_notebook_package() -> None:
    result = run_without(
        ["IPython", "ipywidgets", "anywidget", "traitlets"],
        """
        import streamlib
        print(streamlib.__version__)
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("missing", ["anywidget", "ipywidgets", "IPython", "traitlets"])
@pytest.mark.parametrize(
    "statement",
    [
        "import streamlib.jupyter",
        "from streamlib.jupyter import Preview",
        "from streamlib.jupyter.controls import Controls",
        "import streamlib; streamlib.load_ipython_extension(None)",
    ],
)
def test_a_missing_notebook_package_names_itself_and_the_install(missing: str, statement: str) -> None:
    result = run_without(
        [missing],
        f"""
        try:
            {statement}
        except ImportError as error:
            print(type(error).__name__, error.name, str(error), sep="\\n")
        """,
    )
    assert result.returncode == 0, result.stderr
    kind, name, message = result.stdout.splitlines()
    assert kind == "MissingNotebookDependency"
    assert name == missing
    assert f"'{missing}'" in message
    assert HINT in message


def test_hlsl_magic_without_the_extra_says_what_to_install() -> None:
    # IPython present (a plain IPython shell), anywidget not: `import streamlib` still works, and `%%hlsl`
    # explains itself instead of "Cell magic not found".
    result = run_without(
        ["anywidget"],
        """
        from IPython.testing.globalipapp import start_ipython
        shell = start_ipython()
        import streamlib
        try:
            shell.run_cell_magic("hlsl", "tint", "float4 main() : SV_Target { return 1; }")
        except ImportError as error:
            print(type(error).__name__, error.name, str(error), sep="\\n")
        """,
    )
    assert result.returncode == 0, result.stderr
    kind, name, message = result.stdout.splitlines()[-3:]
    assert (kind, name) == ("MissingNotebookDependency", "anywidget")
    assert HINT in message
