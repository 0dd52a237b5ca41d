"""`Controls(effect)`: ipywidgets generated from the shader's reflected parameters, changing it live."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped]

from streamlib.nodes import Effect
from streamlib.shader import Parameter


def _hex(values: tuple[float, ...]) -> str:
    r, g, b = (max(0, min(255, round(v * 255))) for v in (list(values) + [0.0, 0.0, 0.0])[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _floats(color: str, alpha: float | None) -> tuple[float, ...]:
    text = color.lstrip("#")
    rgb = tuple(int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return rgb if alpha is None else (*rgb, alpha)


_live: weakref.WeakSet[Controls] = weakref.WeakSet()


def live_controls() -> Iterator[Controls]:
    """Every `Controls` not yet garbage: in-page previews bind their widgets to the page's uniforms."""
    return iter(list(_live))


class Controls(widgets.VBox):  # type: ignore[misc]
    """Sliders (`@range`), colour pickers (`@color`), checkboxes (bool) and number boxes for every
    parameter of `effect`; each change takes effect on the next frame. "reset" restores `@default`s."""

    def __init__(self, effect: Effect) -> None:
        self.effect = effect
        self.controls: dict[str, widgets.Widget] = {}
        self._kinds: dict[str, str] = {}
        rows = [self._control(p) for p in effect.parameters]
        reset = widgets.Button(
            description="reset", tooltip="restore every @default", layout={"width": "80px"}
        )
        reset.on_click(lambda _: self.reset())
        title = widgets.HTML(f"<b>{effect.name}</b>")
        super().__init__([title, *[r for r in rows if r is not None], reset])
        _live.add(self)

    def kind_of(self, name: str) -> str:
        """How parameter `name` is shown: "color", "checkbox", "slider", "number" or "vector"."""
        return self._kinds[name]

    def _control(self, parameter: Parameter) -> widgets.Widget | None:
        # Start where the effect is (values given at construction, set by code or an agent), not at @default.
        current = self.effect.values.get(parameter.name, parameter.default)
        name, kind = parameter.name, parameter.kind
        default = list(current) if isinstance(current, (list, tuple)) else [current]
        description = name
        control: widgets.Widget
        if kind == "color":
            alpha = default[3] if len(default) == 4 else None
            control = widgets.ColorPicker(value=_hex(tuple(default)), description=description, concise=False)
            control.observe(
                lambda c, n=name, a=alpha: self.effect.set(**{n: _floats(c["new"], a)}), names="value"
            )
        elif kind == "checkbox" or parameter.type == "bool":
            control = widgets.Checkbox(value=bool(default[0]), description=description)
            control.observe(lambda c, n=name: self.effect.set(**{n: bool(c["new"])}), names="value")
        elif kind == "slider" and parameter.type in ("int", "uint"):
            int_low, int_high = int(parameter.min or 0), int(parameter.max or 100)
            control = widgets.IntSlider(
                value=int(default[0]), min=int_low, max=int_high, description=description
            )
            control.observe(lambda c, n=name: self.effect.set(**{n: int(c["new"])}), names="value")
        elif kind == "slider":
            low, high = float(parameter.min or 0.0), float(parameter.max or 1.0)
            control = widgets.FloatSlider(
                value=float(default[0]),
                min=low,
                max=high,
                step=(high - low) / 200 or 0.01,
                description=description,
            )
            control.observe(lambda c, n=name: self.effect.set(**{n: float(c["new"])}), names="value")
        elif kind == "number":
            control = widgets.FloatText(value=float(default[0]), description=description)
            control.observe(lambda c, n=name: self.effect.set(**{n: c["new"]}), names="value")
        elif kind == "vector":
            boxes = [widgets.FloatText(value=float(v), layout={"width": "80px"}) for v in default]

            def changed(_: Any, n: str = name, b: list[widgets.FloatText] = boxes) -> None:
                self.effect.set(**{n: tuple(x.value for x in b)})

            for box in boxes:
                box.observe(changed, names="value")
            control = widgets.HBox([widgets.Label(name), *boxes])
        else:
            return None
        self.controls[name] = control
        self._kinds[name] = "checkbox" if parameter.type == "bool" and kind != "color" else kind
        return control

    def reset(self) -> None:
        """Every control (and so the effect) back to the shader's `@default`s."""
        for parameter in self.effect.parameters:
            control = self.controls.get(parameter.name)
            default = parameter.default
            if isinstance(control, widgets.ColorPicker):
                control.value = _hex(default)
            elif isinstance(control, widgets.Checkbox):
                control.value = bool(default[0])
            elif isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatText)):
                control.value = type(control.value)(default[0])
            elif isinstance(control, widgets.HBox):
                for box, value in zip(control.children[1:], default, strict=False):
                    box.value = float(value)
            self.effect.set(**{parameter.name: default[0] if len(default) == 1 else default})
