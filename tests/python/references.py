"""NumPy reference implementations of the effects in shaders/*.hlsl, for the GPU pixel tests.

Every effect function takes an (H, W, 4) uint8 image plus the effect's parameters as keyword arguments
(defaults are those of the shader's `@default` annotations) and returns the (H, W, 4) uint8 image the GPU
should produce. The maths follows each shader line by line in float64 on values / 255; the GPU's sampler
and output conversion are modelled by `sample` (bilinear, clamp-to-edge) and `to_uint8` (clamp, round).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LUMA709 = np.array([0.2126, 0.7152, 0.0722])


# ----------------------------------------------------------------------------------------------- helpers
def to_float(img: np.ndarray) -> np.ndarray:
    """uint8 pixels → float64 in 0..1, as an rgba8unorm texture read returns them."""
    return img.astype(np.float64) / 255.0


def to_uint8(values: np.ndarray) -> np.ndarray:
    """A shader's float result → rgba8unorm: clamped to 0..1, then value * 255 rounded to nearest."""
    return np.clip(np.floor(values * 255.0 + 0.5), 0, 255).astype(np.uint8)


def pixel_uv(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The `uv` a pixel-form shader gets: pixel centres, ((x + 0.5) / W, (y + 0.5) / H), as (H, W) arrays."""
    u = (np.arange(width) + 0.5) / width
    v = (np.arange(height) + 0.5) / height
    return np.broadcast_to(u[None, :], (height, width)), np.broadcast_to(v[:, None], (height, width))


def sample(img: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`tex2D(input, uv)`: bilinear filtering with clamp-to-edge addressing at arbitrary uv.

    `img` is a float (H, W, 4) image; `u`, `v` are arrays of one shape S; the result has shape S + (4,).
    """
    height, width = img.shape[:2]
    x = np.asarray(u, dtype=np.float64) * width - 0.5
    y = np.asarray(v, dtype=np.float64) * height - 0.5
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = (x - x0)[..., None]
    fy = (y - y0)[..., None]
    xa = np.clip(x0, 0, width - 1).astype(np.intp)
    xb = np.clip(x0 + 1, 0, width - 1).astype(np.intp)
    ya = np.clip(y0, 0, height - 1).astype(np.intp)
    yb = np.clip(y0 + 1, 0, height - 1).astype(np.intp)
    top = img[ya, xa] * (1 - fx) + img[ya, xb] * fx
    bottom = img[yb, xa] * (1 - fx) + img[yb, xb] * fx
    return top * (1 - fy) + bottom * fy


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luma of the stored values, over the last axis."""
    return rgb @ LUMA709


def lerp(a: np.ndarray | float, b: np.ndarray | float, t: np.ndarray | float) -> np.ndarray:
    """HLSL `lerp`: a + (b - a) * t."""
    return np.asarray(a + (np.asarray(b) - a) * t)


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """HLSL `smoothstep`: Hermite step between edge0 and edge1."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _with_alpha(rgb: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.concatenate([rgb, c[..., 3:4]], axis=-1)


def _frame(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """The float image, the pixel-centre uv and the size (W, H): what every pixel-form shader starts from."""
    height, width = img.shape[:2]
    u, v = pixel_uv(height, width)
    return to_float(img), u, v, width, height


# ----------------------------------------------------------------------------------------------- effects
def red_tint(img: np.ndarray) -> np.ndarray:
    """red_tint.hlsl: tex2D(input, uv) * (1, 0, 0, 1)."""
    c = to_float(img)
    return to_uint8(c * np.array([1.0, 0.0, 0.0, 1.0]))


def tint(img: np.ndarray, *, tint: Sequence[float] = (1.0, 0.0, 0.0), strength: float = 0.5) -> np.ndarray:
    """tint.hlsl: lerp(c, c * float4(tint, 1), strength) — alpha is multiplied by 1, so it is kept."""
    c = to_float(img)
    return to_uint8(lerp(c, c * np.array([*tint, 1.0]), strength))


def grayscale(img: np.ndarray, *, amount: float = 1.0) -> np.ndarray:
    """grayscale.hlsl: lerp(rgb, Rec.709 luma, amount), alpha kept."""
    c = to_float(img)
    y = luma(c[..., :3])[..., None]
    return to_uint8(_with_alpha(lerp(c[..., :3], y, amount), c))


def sepia(img: np.ndarray, *, amount: float = 1.0) -> np.ndarray:
    """sepia.hlsl: lerp(rgb, saturate(sepia matrix * rgb), amount), alpha kept."""
    c = to_float(img)
    matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    s = np.clip(c[..., :3] @ matrix.T, 0.0, 1.0)
    return to_uint8(_with_alpha(lerp(c[..., :3], s, amount), c))


def invert(img: np.ndarray, *, amount: float = 1.0) -> np.ndarray:
    """invert.hlsl: lerp(rgb, 1 - rgb, amount), alpha kept."""
    c = to_float(img)
    return to_uint8(_with_alpha(lerp(c[..., :3], 1.0 - c[..., :3], amount), c))


def invert_compute(img: np.ndarray, *, amount: float = 1.0) -> np.ndarray:
    """invert_compute.hlsl: same formula as invert.hlsl, one compute thread per texel."""
    return invert(img, amount=amount)


def color_adjust(
    img: np.ndarray, *, brightness: float = 0.0, contrast: float = 1.0, saturation: float = 1.0
) -> np.ndarray:
    """color_adjust.hlsl: + brightness, contrast about 0.5, saturation about Rec.709 luma, saturate."""
    c = to_float(img)
    rgb = c[..., :3] + brightness
    rgb = (rgb - 0.5) * contrast + 0.5
    y = luma(rgb)[..., None]
    rgb = lerp(y, rgb, saturation)
    return to_uint8(_with_alpha(np.clip(rgb, 0.0, 1.0), c))


def gaussian_blur(img: np.ndarray, *, radius: float = 1.0) -> np.ndarray:
    """gaussian_blur.hlsl: 3x3 binomial kernel (1 2 1 / 2 4 2 / 1 2 1) / 16, taps `radius` px apart, RGBA."""
    c, u, v, width, height = _frame(img)
    dx, dy = radius / width, radius / height
    total = np.zeros_like(c)
    for j, wy in ((-1, 1), (0, 2), (1, 1)):
        for i, wx in ((-1, 1), (0, 2), (1, 1)):
            total += wx * wy * sample(c, u + i * dx, v + j * dy)
    return to_uint8(total / 16.0)


def sharpen(img: np.ndarray, *, amount: float = 0.5) -> np.ndarray:
    """sharpen.hlsl: saturate(rgb + amount * (4 * centre - 4-neighbours)), clamp-to-edge, alpha kept."""
    c, u, v, width, height = _frame(img)
    tx, ty = 1.0 / width, 1.0 / height
    n = sample(c, u - tx, v) + sample(c, u + tx, v) + sample(c, u, v - ty) + sample(c, u, v + ty)
    rgb = c[..., :3] + amount * (4.0 * c[..., :3] - n[..., :3])
    return to_uint8(_with_alpha(np.clip(rgb, 0.0, 1.0), c))


def sobel_magnitude(img: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """sobel_edges.hlsl's m: strength * |Sobel gradient of the luma|, neighbours one px apart."""
    c, u, v, width, height = _frame(img)
    tx, ty = 1.0 / width, 1.0 / height

    def at(i: int, j: int) -> np.ndarray:
        return luma(sample(c, u + i * tx, v + j * ty)[..., :3])

    tl, tc, tr = at(-1, -1), at(0, -1), at(1, -1)
    ml, mr = at(-1, 0), at(1, 0)
    bl, bc, br = at(-1, 1), at(0, 1), at(1, 1)
    gx = (tr + 2.0 * mr + br) - (tl + 2.0 * ml + bl)
    gy = (bl + 2.0 * bc + br) - (tl + 2.0 * tc + tr)
    return np.asarray(strength * np.sqrt(gx * gx + gy * gy))


def sobel_edges(
    img: np.ndarray,
    *,
    color: Sequence[float] = (1.0, 1.0, 1.0),
    strength: float = 1.0,
    threshold: float = 0.1,
    overlay: bool = False,
) -> np.ndarray:
    """sobel_edges.hlsl: e = m >= threshold ? saturate(m) : 0; color * e, overlay: lerp(rgb, color, e)."""
    c = to_float(img)
    m = sobel_magnitude(img, strength)
    e = np.where(m >= threshold, np.clip(m, 0.0, 1.0), 0.0)[..., None]
    col = np.array(color, dtype=np.float64)
    rgb = lerp(c[..., :3], col, e) if overlay else col * e
    return to_uint8(_with_alpha(rgb, c))


def pixelate(img: np.ndarray, *, block_size: float = 8.0) -> np.ndarray:
    """pixelate.hlsl: blocks of n = floor(block_size) px take pixel floor(n / 2) of the block (clamped)."""
    height, width = img.shape[:2]
    n = max(np.floor(block_size), 1.0)
    sx = np.minimum(np.floor(np.arange(width) / n) * n + np.floor(n * 0.5), width - 1).astype(np.intp)
    sy = np.minimum(np.floor(np.arange(height) / n) * n + np.floor(n * 0.5), height - 1).astype(np.intp)
    return img[sy[:, None], sx[None, :]].copy()


def vignette(
    img: np.ndarray, *, strength: float = 0.5, radius: float = 0.75, softness: float = 0.45
) -> np.ndarray:
    """vignette.hlsl: rgb *= 1 - strength * smoothstep(radius, radius + max(softness, 1e-4), 2|uv - 0.5|)."""
    c, u, v, _, _ = _frame(img)
    d = 2.0 * np.hypot(u - 0.5, v - 0.5)
    k = 1.0 - strength * smoothstep(radius, radius + max(softness, 1e-4), d)
    return to_uint8(_with_alpha(c[..., :3] * k[..., None], c))


def chromatic_aberration(img: np.ndarray, *, amount: float = 4.0) -> np.ndarray:
    """chromatic_aberration.hlsl: o = 2 (uv - 0.5) amount / res; r at uv + o, g, a at uv, b at uv - o."""
    c, u, v, width, height = _frame(img)
    ox = 2.0 * (u - 0.5) * amount / width
    oy = 2.0 * (v - 0.5) * amount / height
    r = sample(c, u + ox, v + oy)[..., 0]
    b = sample(c, u - ox, v - oy)[..., 2]
    return to_uint8(np.stack([r, c[..., 1], b, c[..., 3]], axis=-1))


def wave(
    img: np.ndarray,
    *,
    amplitude: float = 8.0,
    frequency: float = 4.0,
    speed: float = 1.0,
    time: float = 0.0,
) -> np.ndarray:
    """wave.hlsl: each row read shifted by amplitude * sin(2 pi (frequency * v + speed * time)) px in x."""
    c, u, v, width, _ = _frame(img)
    phase = 2.0 * np.pi * (frequency * v + speed * time)
    dx = amplitude * np.sin(phase) / width
    return to_uint8(sample(c, u + dx, v))


def threshold_compute(img: np.ndarray, *, threshold: float = 0.5, invert: bool = False) -> np.ndarray:
    """threshold_compute.hlsl: rgb = (luma >= threshold) != invert ? 1 : 0, alpha kept."""
    c = to_float(img)
    on = luma(c[..., :3]) >= threshold
    white = (on != invert).astype(np.float64)[..., None]
    return to_uint8(_with_alpha(np.repeat(white, 3, axis=-1), c))


def posterize_compute(img: np.ndarray, *, levels: int = 4) -> np.ndarray:
    """posterize_compute.hlsl: v -> floor(v * (levels - 1) + 0.5) / (levels - 1), levels below 2 act as 2."""
    c = to_float(img)
    steps = float(max(levels, 2) - 1)
    return to_uint8(_with_alpha(np.floor(c[..., :3] * steps + 0.5) / steps, c))


# The test frame every pixel test runs on. Neither side is a multiple of 8, so the compute effects' bounds
# checks are exercised.
HEIGHT, WIDTH = 45, 67


def make_test_image() -> np.ndarray:
    """Deterministic (45, 67, 4) uint8 test frame.

    R: horizontal ramp, G: vertical ramp, B: noise (seed 7); a 5 px black/white checkerboard (hard edges for
    sobel, sharpen, blur); alpha 255 except a bottom-left block at 128 and a vertical alpha ramp on the right.
    """
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    img = np.empty((HEIGHT, WIDTH, 4), np.uint8)
    img[..., 0] = np.round(x * 255 / (WIDTH - 1))
    img[..., 1] = np.round(y * 255 / (HEIGHT - 1))
    img[..., 2] = rng.integers(0, 256, (HEIGHT, WIDTH))
    img[..., 3] = 255
    board = (x >= 36) & (x < 61) & (y >= 5) & (y < 25)
    white = ((x // 5 + y // 5) % 2).astype(bool)
    img[board & white, :3] = 255
    img[board & ~white, :3] = 0
    img[30:, :25, 3] = 128
    img[:, 62:, 3] = np.round(y[:, 62:] * 255 / (HEIGHT - 1))
    return img
