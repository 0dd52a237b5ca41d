"""`streamlib.shaders`: named shaders (from `%%hlsl NAME` cells) and the effects using them, for hot swap."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

from streamlib.errors import StreamlibError

if TYPE_CHECKING:
    from streamlib.nodes import Effect
    from streamlib.shader import Shader


class ShaderRegistry(MutableMapping[str, "Shader"]):
    """Maps names to compiled shaders. Assigning a new shader to a name hot-swaps it into every live
    effect created from that name; effects keep running their last good shader if a swap fails."""

    def __init__(self) -> None:
        self._shaders: dict[str, Shader] = {}
        self._users: dict[str, weakref.WeakSet[Effect]] = {}
        self._file_users: dict[Path, weakref.WeakSet[Effect]] = {}

    def __getitem__(self, name: str) -> Shader:
        try:
            return self._shaders[name]
        except KeyError:
            known = ", ".join(sorted(self._shaders)) or "none yet (run a %%hlsl NAME cell)"
            raise KeyError(f"no shader named '{name}' (registered: {known})") from None

    def __setitem__(self, name: str, shader: Shader) -> None:
        self._shaders[name] = shader
        _swap_into(list(self._users.get(name, ())), shader, f"shader '{name}' registered")

    def __delitem__(self, name: str) -> None:
        del self._shaders[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._shaders)

    def __len__(self) -> int:
        return len(self._shaders)

    def track(self, name: str, effect: Effect) -> None:
        """Remembers that `effect` runs shader `name`, so re-registering the name swaps it in."""
        self._users.setdefault(name, weakref.WeakSet()).add(effect)

    def users(self, name: str) -> list[Effect]:
        return list(self._users.get(name, ()))

    def track_file(self, path: str | os.PathLike[str], effect: Effect) -> None:
        """Remembers that `effect` runs the shader in file `path`, so `reload_file(path)` swaps it in."""
        self._file_users.setdefault(_key(path), weakref.WeakSet()).add(effect)

    def reload_file(self, path: str | os.PathLike[str]) -> list[str]:
        """Recompiles the file and swaps it into every live effect made from it (the JupyterLab extension
        calls this when the file is saved); returns those effects' names, none if no effect uses the file.

        A compile error raises `ShaderCompileError` and every effect keeps its last good shader.
        """
        users = sorted(self._file_users.get(_key(path), ()), key=lambda e: e.name)
        if not users:
            return []
        from streamlib.shader import compile_file

        _swap_into(users, compile_file(_key(path)), f"'{path}' compiled")
        return [effect.name for effect in users]


def _swap_into(effects: list[Effect], shader: Shader, done: str) -> None:
    """Swaps `shader` into each effect; one that refuses keeps its old shader and is named in the error."""
    failures = []
    for effect in effects:
        try:
            effect.replace_shader(shader)
        except StreamlibError as err:
            failures.append(f"{effect.name}: {err}")
    if failures:
        raise StreamlibError(f"{done}, but some effects kept their old shader: " + "; ".join(failures))


def _key(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser().resolve()


shaders = ShaderRegistry()
