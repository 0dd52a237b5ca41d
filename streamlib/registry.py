"""`streamlib.shaders`: named shaders (from `%%hlsl NAME` cells) and the effects using them, for hot swap."""

from __future__ import annotations

import weakref
from collections.abc import Iterator, MutableMapping
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

    def __getitem__(self, name: str) -> Shader:
        try:
            return self._shaders[name]
        except KeyError:
            known = ", ".join(sorted(self._shaders)) or "none yet (run a %%hlsl NAME cell)"
            raise KeyError(f"no shader named '{name}' (registered: {known})") from None

    def __setitem__(self, name: str, shader: Shader) -> None:
        self._shaders[name] = shader
        failures = []
        for effect in list(self._users.get(name, ())):
            try:
                effect.replace_shader(shader)
            except StreamlibError as err:
                failures.append(f"{effect.name}: {err}")
        if failures:
            raise StreamlibError(
                f"shader '{name}' registered, but some effects kept their old shader: " + "; ".join(failures)
            )

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


shaders = ShaderRegistry()
