"""NumPy references for the D3D9-style effects in shaders/d3d9/ (float64, then rgba8 rounding).

Host constants follow the video-player convention the runtime fills: p0 = (width, height, frame counter,
clock s), p1 = (1 / width, 1 / height, 0, 0). Names match the files.
"""

from __future__ import annotations

import numpy as np

from .references import lerp, pixel_uv, sample, to_float, to_uint8

REC601 = np.array([0.299, 0.587, 0.114])
SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
TO_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def _start(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    height, width = img.shape[:2]
    u, v = pixel_uv(height, width)
    return to_float(img), u, v, width, height


def _rgba(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    return to_uint8(np.concatenate([rgb, alpha[..., None]], axis=-1))


def invert(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    return _rgba(1.0 - f[..., :3], f[..., 3])


def sharpen(img: np.ndarray) -> np.ndarray:
    f, u, v, width, height = _start(img)
    px, py = 1.0 / width, 1.0 / height
    blur = (sample(f, u + px, v) + sample(f, u - px, v) + sample(f, u, v + py) + sample(f, u, v - py)) * 0.25
    return _rgba(np.clip(f[..., :3] + 0.75 * (f[..., :3] - blur[..., :3]), 0, 1), f[..., 3])


def sepia_matrix(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    return _rgba(np.clip(f[..., :3] @ SEPIA.T, 0, 1), f[..., 3])


def channel_mix(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    return _rgba(f[..., [1, 2, 0]], f[..., 3])


def anaglyph(img: np.ndarray) -> np.ndarray:
    f, u, v, _, _ = _start(img)
    left = sample(f, u * 0.5, v)
    right = sample(f, u * 0.5 + 0.5, v)
    rgb = np.stack([left[..., 0], right[..., 1], right[..., 2]], axis=-1)
    return _rgba(rgb, np.ones(rgb.shape[:2]))


def levels(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    black, white = 16.0 / 255.0, 235.0 / 255.0
    expanded = np.clip((f[..., :3] - black) / (white - black), 0, 1)
    return _rgba(lerp(f[..., :3], expanded, 0.8), f[..., 3])


def scanlines(img: np.ndarray) -> np.ndarray:
    f, _, v, _, height = _start(img)
    phase = np.mod(v * height * 0.5, 1.0)
    return _rgba(f[..., :3] * np.where(phase < 0.5, 1.0, 0.6)[..., None], f[..., 3])


def chroma_420(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    height, width = f.shape[:2]
    ycc = f[..., :3] @ TO_YCBCR.T
    ys, xs = np.mgrid[0:height, 0:width]
    top, left = ys // 2 * 2, xs // 2 * 2
    chroma = np.zeros((height, width, 2))
    for dy in (0, 1):
        for dx in (0, 1):
            chroma += ycc[np.minimum(top + dy, height - 1), np.minimum(left + dx, width - 1), 1:]
    cb, cr = chroma[..., 0] * 0.25, chroma[..., 1] * 0.25
    y = ycc[..., 0]
    rgb = np.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], axis=-1)
    return _rgba(np.clip(rgb, 0, 1), f[..., 3])


def box_blur(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    width = f.shape[1]
    xs = np.arange(width)
    taps = [f[:, np.clip(xs + i, 0, width - 1)] for i in range(-2, 3)]
    return to_uint8(sum(taps) / 5.0)


def threshold_luma(img: np.ndarray) -> np.ndarray:
    """Rec.601 luma of each pixel (threshold's decision variable)."""
    return np.asarray(to_float(img)[..., :3] @ REC601)


def threshold(img: np.ndarray) -> np.ndarray:
    f = to_float(img)
    white = (threshold_luma(img) > 0.45)[..., None]
    return _rgba(np.where(white, 1.0, 0.0) * np.ones(3), f[..., 3])


def mirror(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[:, ::-1])


def flip(img: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(img[::-1])


def pulse(img: np.ndarray, *, time: float, frame: int) -> np.ndarray:
    f = to_float(img)
    gain = 0.75 + 0.25 * np.sin(time * 3.0)
    flicker = np.fmod(float(frame), 2.0) * 0.1
    return _rgba(np.clip(f[..., :3] * gain + flicker, 0, 1), f[..., 3])
