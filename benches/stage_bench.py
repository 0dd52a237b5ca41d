"""Pixel stage against compute stage on one adapter: the same effect written both ways, in one graph each.

Why: on the lent NVIDIA H200 the fused 4K chain ran no faster than the gaussian blur alone (5 ms a frame),
far below what the chip's memory moves, and NVIDIA's compute parts run pixel shaders on few of their units.
This measures whether a compute dispatch of the same work is faster there, before any planner uses it.

Two effects, each as a pixel shader (sampler reads at texel centres) and as a compute shader (texel loads,
8×8 groups): the library's invert and invert_compute (one tap), and a nine-tap 3×3 box blur. Each runs
`ImageSource(W×H) → Effect → PreviewSink` for `--frames` frames (no readback after the first: the
preview queue stays full); frames/s from the loop's own elapsed time, best of `--repeat` interleaved
rounds. Before timing, the pixel and compute outputs are compared (max abs difference ≤ 1). A benchmark:
it prints a table, writes JSON and asserts nothing about speed.

Usage: python benches/stage_bench.py [--size 3840x2160] [--frames 200] [--repeat 3] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import streamlib

PIXEL_BOX = """
float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 sum = 0;
    for (int y = -1; y <= 1; y++)
        for (int x = -1; x <= 1; x++)
            sum += tex2D(input, uv + float2(x, y) / resolution);
    return sum / 9.0;
}
"""
# The box as the library's compute effects are written (shaders/invert_compute.hlsl): one thread a pixel.
COMPUTE_BOX = """
Texture2D<float4> input;
[[spv::format_rgba8]] RWTexture2D<float4> output;
[numthreads(8, 8, 1)]
void main(uint3 id : SV_DispatchThreadID) {
    uint w, h;
    output.GetDimensions(w, h);
    if (id.x >= w || id.y >= h) return;
    float4 sum = 0;
    for (int y = -1; y <= 1; y++)
        for (int x = -1; x <= 1; x++)
            sum += input[uint2(clamp(int2(id.xy) + int2(x, y), int2(0, 0), int2(w - 1, h - 1)))];
    output[id.xy] = sum / 9.0;
}
"""
SHADERS = Path(__file__).resolve().parent.parent / "shaders"
EFFECTS = {
    # The library's own pair (amount defaults to 1: a full invert either way).
    "invert": ((SHADERS / "invert.hlsl").read_text(), (SHADERS / "invert_compute.hlsl").read_text()),
    "box3x3": (PIXEL_BOX, COMPUTE_BOX),
}


def graph(source: np.ndarray, hlsl: str) -> tuple[streamlib.Runtime, streamlib.NumpySink]:
    runtime, effect, sink = streamlib.Runtime(), streamlib.Effect(hlsl), streamlib.NumpySink()
    runtime.connect(streamlib.ImageSource(source), effect)
    runtime.connect(effect, sink)
    return runtime, sink


def frames_per_second(source: np.ndarray, hlsl: str, frames: int) -> float:
    runtime = streamlib.Runtime()
    effect = streamlib.Effect(hlsl)
    runtime.connect(streamlib.ImageSource(source), effect)
    runtime.connect(effect, streamlib.PreviewSink())
    stats = runtime.run(frames)
    return float(stats["frames"] / stats["elapsed_s"])


def output(source: np.ndarray, hlsl: str) -> np.ndarray:
    runtime, sink = graph(source, hlsl)
    runtime.run(1)
    return np.asarray(sink.latest())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size", default="3840x2160")
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-results/stage.json"))
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    source = np.random.default_rng(7).integers(0, 256, (height, width, 4), dtype=np.uint8)
    source[..., 3] = 255
    adapter = streamlib.Runtime().adapter

    checks = {}
    for name, (pixel, compute) in EFFECTS.items():
        diff = np.abs(output(source, pixel).astype(int) - output(source, compute).astype(int)).max()
        checks[name] = int(diff)
    samples: dict[str, list[float]] = {f"{n} {s}": [] for n in EFFECTS for s in ("pixel", "compute")}
    for round_ in range(args.repeat):
        order = list(EFFECTS.items())[round_ % 2 :] + list(EFFECTS.items())[: round_ % 2]
        for name, (pixel, compute) in order:
            samples[f"{name} pixel"].append(frames_per_second(source, pixel, args.frames))
            samples[f"{name} compute"].append(frames_per_second(source, compute, args.frames))

    print(f"adapter: {adapter.get('name')} ({adapter.get('backend')}, {adapter.get('driver_info')})")
    print(f"{width}x{height}, {args.frames} frames, best of {args.repeat}; frames/s (ms/frame)")
    print(f"{'effect':10} {'pixel':>18} {'compute':>18} {'compute/pixel':>14} {'max diff':>9}")
    for name in EFFECTS:
        pixel, compute = max(samples[f"{name} pixel"]), max(samples[f"{name} compute"])
        print(
            f"{name:10} {pixel:10.1f} ({1000 / pixel:5.2f}) {compute:10.1f} ({1000 / compute:5.2f}) "
            f"{compute / pixel:13.2f}x {checks[name]:9d}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"adapter": adapter, "size": [width, height], "frames": args.frames, "samples": samples}
    args.out.write_text(json.dumps({**report, "max_abs_diff": checks}, indent=2, default=str) + "\n")
    print(f"raw samples: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
