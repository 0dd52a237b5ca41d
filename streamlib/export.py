"""Graph configs (`*.streamlib.json`): `Runtime.export` writes one, `streamlib.load` reads one back.

The core writes, hashes, validates and builds them (`Graph::to_config`, `Graph::from_config`), so Python
and `streamlib-runtime` read and write the same files and refuse the same mistakes with the same messages.
"""

from __future__ import annotations

import os
from pathlib import Path

from streamlib.errors import ConfigError
from streamlib.runtime import Runtime


def load(path: str | os.PathLike[str]) -> Runtime:
    """A runtime holding the graph of the config at `path`, usable like a hand-built one (`run`, `stats`,
    `node(name).set(...)`). Shaders come from the config's SPIR-V when it was built from the same source,
    else they are recompiled; `runtime.load_report` says which, per shader. Raises `ConfigError` naming the
    field for anything this runtime refuses."""
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"'{path}' is not UTF-8 text ({err})") from None
    return loads(text)


def loads(text: str) -> Runtime:
    """`load` from the config's text."""
    return Runtime.from_config(text)
