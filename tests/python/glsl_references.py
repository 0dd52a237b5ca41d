"""NumPy references for the Shadertoy-style effects in shaders/glsl/ (float64, then rgba8 rounding).

`fragCoord` and texture coordinates grow upwards, as on Shadertoy: pixel row y of the stored frame (row 0 at
the top) has `fragCoord.y = height - (y + 0.5)`, and `texture(iChannel0, (u, w))` reads the stored frame at
`v = 1 - w`. Names match the files.
"""

from __future__ import annotations

import numpy as np

from .references import pixel_uv, sample, to_float, to_uint8

REC709 = np.array([0.2126, 0.7152, 0.0722])


def _opaque(rgb: np.ndarray) -> np.ndarray:
    return to_uint8(np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=-1))


def warm(img: np.ndarray, *, warmth: float = 0.6, tint: tuple[float, ...] = (1.0, 0.8, 0.6)) -> np.ndarray:
    rgb = to_float(img)[..., :3]
    return _opaque(rgb + (rgb * np.asarray(tint) - rgb) * warmth)


def crt(img: np.ndarray, *, darkness: float = 0.35) -> np.ndarray:
    rgb = to_float(img)[..., :3]
    height, width = rgb.shape[:2]
    u, v = pixel_uv(height, width)
    up = 1.0 - v
    row = np.mod(height - 1 - np.arange(height), 2.0)[:, None]
    corner = 1.0 - ((u - 0.5) ** 2 + (up - 0.5) ** 2)
    return _opaque(rgb * ((1.0 - darkness * row) * corner)[..., None])


def edges(img: np.ndarray) -> np.ndarray:
    luma = to_float(img)[..., :3] @ REC709
    height, width = luma.shape
    ys, xs = np.mgrid[0:height, 0:width]

    def at(dy: int, dx: int) -> np.ndarray:
        return luma[np.clip(ys + dy, 0, height - 1), np.clip(xs + dx, 0, width - 1)]

    around = at(0, 1) + at(0, -1) + at(1, 0) + at(-1, 0)
    edge = np.clip(np.abs(4.0 * luma - around) * 2.0, 0.0, 1.0)
    return _opaque(np.repeat(edge[..., None], 3, axis=-1))


def ripple(img: np.ndarray, *, amplitude: float = 0.01, time: float = 0.0) -> np.ndarray:
    f = to_float(img)
    height, width = f.shape[:2]
    u, v = pixel_uv(height, width)
    shifted = u + amplitude * np.sin((1.0 - v) * 20.0 - time * 3.0)
    return _opaque(sample(f, shifted, v)[..., :3])
