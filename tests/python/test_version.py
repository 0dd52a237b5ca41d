"""`streamlib.__version__` is the installed distribution's version, the one pyproject.toml declares."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import streamlib

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_comes_from_the_installed_metadata() -> None:
    assert streamlib.__version__ == importlib.metadata.version("streamlib")


def test_version_is_the_one_pyproject_declares() -> None:
    # A regex rather than tomllib, which Python 3.10 (still supported) lacks.
    declared = re.search(r'^version = "([^"]+)"$', PYPROJECT.read_text(), re.MULTILINE)
    assert declared is not None
    assert streamlib.__version__ == declared.group(1)
