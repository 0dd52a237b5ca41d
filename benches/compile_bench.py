"""Compile-time benchmark: streamlib against `glslangValidator`, on every effect in `shaders/`.

What is compared, per shader and repetition (all wall time around the call, `time.perf_counter()`):

* **streamlib cold** — `streamlib.compile()` on a source made unique by a trailing `// bench <n>` comment,
  so the cache misses and the whole pipeline runs: cheap source checks, hand-off to the supervised worker
  process, glslang HLSL → SPIR-V, SPIRV-Cross reflection, MSL and (pixel stage) GLSL ES. The worker is
  started by one warm-up compile first; that first compile is timed and reported on its own as the
  worker start cost, and is not part of any median.
* **streamlib cached** — the same unique source compiled again right away: a cache hit. `Shader.cached`
  confirms the hit and `Shader.compile_ms` gives the time the core itself reports.
* **glslangValidator CLI** — the peer: the tool a shader author would otherwise reach for. It compiles the
  same source with the runtime's prelude prepended and the same binding shifts, as one subprocess. It only
  produces SPIR-V; streamlib also reflects and emits MSL and GLSL ES, so the comparison favours the CLI.

The repetitions interleave the methods (cold, cached, CLI) so that drift in machine load hits all of
them alike. Medians and p90s (linear interpolation between samples) are reported per shader and method;
the overall row pools every sample. This is a benchmark, not a test: it prints a table, writes JSON with
every raw sample, and asserts nothing about timings.

Usage: .venv/bin/python benches/compile_bench.py [--repeat N | --quick] [--out bench-results/compile.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlib

REPO_ROOT = Path(__file__).resolve().parent.parent
SHADER_DIR = REPO_ROOT / "shaders"
DEFAULT_OUT = Path("bench-results/compile.json")
DEFAULT_REPEAT = 7
QUICK_REPEAT = 3

# Targets: cold compile at most half the CLI's time; a cache hit under a millisecond.
TARGET_COLD_RATIO = 0.5
TARGET_CACHED_MS = 1.0

# The runtime's prelude (see shaders/README.md). Pixel shaders get `input`, its sampler and `tex2D`;
# every stage gets the frame cbuffer. No effect in `shaders/` declares its own sampler or frame names, so
# the runtime prepends the full text for each stage here too.
FRAME_PRELUDE = (
    "cbuffer streamlib_frame : register(b0, space1) "
    "{ float time; uint frame; float2 resolution; float4 mouse; };\n"
)
PIXEL_PRELUDE = (
    "Texture2D input : register(t0);\n"
    "SamplerState input_sampler : register(s0);\n"
    "#define tex2D(tex, uv) ((tex).Sample(input_sampler, (uv)))\n" + FRAME_PRELUDE
)
CLI_STAGE = {"pixel": "frag", "compute": "comp"}


@dataclass
class ShaderRun:
    """Raw samples for one shader; times in milliseconds."""

    name: str
    stage: str
    path: str
    cold_ms: list[float] = field(default_factory=list)
    cold_core_ms: list[float] = field(default_factory=list)
    cached_ms: list[float] = field(default_factory=list)
    cached_core_ms: list[float] = field(default_factory=list)
    cached_hits: list[bool] = field(default_factory=list)
    cli_ms: list[float] = field(default_factory=list)
    error: str | None = None
    cli_error: str | None = None


@dataclass(frozen=True)
class Cli:
    """The peer compiler, or why it is not measured."""

    path: str | None
    version: str | None
    skip_reason: str | None


def median(samples: Sequence[float]) -> float | None:
    return statistics.median(samples) if samples else None


def p90(samples: Sequence[float]) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=10, method="inclusive")[8]


def summary(samples: Sequence[float]) -> dict[str, float | int | None]:
    return {"n": len(samples), "median": median(samples), "p90": p90(samples)}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def stage_of(source: str) -> str:
    return streamlib.detect_stage(source)


def prelude_for(stage: str) -> str:
    return PIXEL_PRELUDE if stage == "pixel" else FRAME_PRELUDE


def find_cli() -> Cli:
    path = shutil.which("glslangValidator")
    if path is None:
        return Cli(None, None, "glslangValidator not found on PATH (Debian: apt install glslang-tools)")
    try:
        run = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Cli(path, None, f"glslangValidator --version failed: {exc}")
    first_line = run.stdout.strip().splitlines()[0] if run.stdout.strip() else "unknown version"
    return Cli(path, first_line, None)


def cli_command(cli_path: str, stage: str, source_file: Path, spirv_file: Path) -> list[str]:
    s = CLI_STAGE[stage]
    return [
        cli_path,
        "-V",
        "-D",
        "-S",
        s,
        "-e",
        "main",
        "--hlsl-iomap",
        "--auto-map-bindings",
        "--stb",
        s,
        "16",
        "--ssb",
        s,
        "32",
        "--suavb",
        s,
        "48",
        "--scb",
        s,
        "0",
        str(source_file),
        "-o",
        str(spirv_file),
    ]


def run_cli(command: list[str]) -> tuple[float, str | None]:
    """One timed CLI compile: (wall ms, error text or None)."""
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = (time.perf_counter() - start) * 1e3
    if run.returncode != 0:
        output = (run.stdout + run.stderr).strip()
        return elapsed, f"exit {run.returncode}: {output[-500:]}"
    return elapsed, None


def machine_facts(cli: Cli) -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cpu_model = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": affinity,
        "cpu_model": cpu_model or platform.processor() or None,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "streamlib_compilers": streamlib.compilers(),
        "streamlib_cache_dir_env": os.environ.get("STREAMLIB_CACHE_DIR"),
        "glslangValidator": {"path": cli.path, "version": cli.version, "skip_reason": cli.skip_reason},
    }


def shader_files() -> list[Path]:
    return sorted(SHADER_DIR.glob("*.hlsl"))


def bench(repeat: int, cli: Cli, workdir: Path) -> tuple[list[ShaderRun], dict[str, Any]]:
    files = shader_files()
    if not files:
        raise SystemExit(f"no shaders found in {SHADER_DIR}")
    counter: Iterator[int] = itertools.count()

    def unique(source: str) -> str:
        return f"{source}\n// bench {next(counter)}"

    # Worker start: the very first compile after configure() starts the worker process; it doubles as
    # the warm-up, so no later sample pays for the start.
    streamlib.configure()
    first_source = files[0].read_text()
    start = time.perf_counter()
    first = streamlib.compile(unique(first_source), stage=stage_of(first_source), name=files[0].name)
    worker_start: dict[str, Any] = {
        "shader": files[0].name,
        "first_compile_ms": (time.perf_counter() - start) * 1e3,
        "first_compile_core_ms": first.compile_ms,
    }

    # Warm the CLI too (binary and shared libraries into the page cache).
    if cli.path is not None:
        warm_file = workdir / "warmup.hlsl"
        warm_file.write_text(prelude_for(stage_of(first_source)) + first_source)
        run_cli(cli_command(cli.path, stage_of(first_source), warm_file, workdir / "warmup.spv"))

    runs: list[ShaderRun] = []
    for file in files:
        source = file.read_text()
        stage = stage_of(source)
        run = ShaderRun(name=file.stem, stage=stage, path=str(file.relative_to(REPO_ROOT)))
        runs.append(run)
        command: list[str] | None = None
        if cli.path is not None:
            cli_source = workdir / file.name
            cli_source.write_text(prelude_for(stage) + source)
            command = cli_command(cli.path, stage, cli_source, workdir / f"{file.stem}.spv")
        for _ in range(repeat):
            text = unique(source)
            try:
                start = time.perf_counter()
                shader = streamlib.compile(text, stage=stage, name=file.name)
                run.cold_ms.append((time.perf_counter() - start) * 1e3)
                run.cold_core_ms.append(shader.compile_ms)

                start = time.perf_counter()
                again = streamlib.compile(text, stage=stage, name=file.name)
                run.cached_ms.append((time.perf_counter() - start) * 1e3)
                run.cached_core_ms.append(again.compile_ms)
                run.cached_hits.append(again.cached)
            except streamlib.StreamlibError as exc:
                run.error = f"{type(exc).__name__}: {exc}"
                break
            if command is not None and run.cli_error is None:
                elapsed, error = run_cli(command)
                if error is None:
                    run.cli_ms.append(elapsed)
                else:
                    run.cli_error = error
                    run.cli_ms.clear()
    cold_median = median(runs[0].cold_ms)  # runs[0] is files[0], the shader of the first compile
    worker_start["cold_median_ms_same_shader"] = cold_median
    worker_start["estimated_start_ms"] = (
        worker_start["first_compile_ms"] - cold_median if cold_median is not None else None
    )
    return runs, worker_start


def overall(runs: list[ShaderRun]) -> dict[str, Any]:
    cold = [t for r in runs for t in r.cold_ms]
    cached = [t for r in runs for t in r.cached_ms]
    cached_core = [t for r in runs for t in r.cached_core_ms]
    # The cold/CLI ratio compares only shaders both compiled, so a CLI failure cannot skew it.
    paired = [r for r in runs if r.cold_ms and r.cli_ms]
    paired_cold = [t for r in paired for t in r.cold_ms]
    cli = [t for r in paired for t in r.cli_ms]
    hits = [h for r in runs for h in r.cached_hits]
    return {
        "cold_ms": summary(cold),
        "cached_ms": summary(cached),
        "cached_core_ms": summary(cached_core),
        "cached_max_ms": max(cached) if cached else None,
        "cache_hits": sum(hits),
        "cache_lookups": len(hits),
        "cli_ms": summary(cli),
        "paired_shaders": len(paired),
        "paired_cold_ms": summary(paired_cold),
        "cold_over_cli": ratio(median(paired_cold), median(cli)),
    }


def verdict(measured: float | None, met: Callable[[float], bool]) -> str:
    if measured is None:
        return "SKIP"
    return "PASS" if met(measured) else "MISS"


def targets(totals: dict[str, Any], cli: Cli) -> dict[str, Any]:
    cold_ratio = totals["cold_over_cli"]
    cached = totals["cached_ms"]["median"]
    return {
        "cold_le_half_cli": {
            "goal": f"cold <= {TARGET_COLD_RATIO}x CLI (ratio of overall medians)",
            "measured": cold_ratio,
            "status": verdict(cold_ratio, lambda v: v <= TARGET_COLD_RATIO),
            "note": cli.skip_reason,
        },
        "cache_hit_lt_1ms": {
            "goal": f"cache hit < {TARGET_CACHED_MS} ms (overall median wall time)",
            "measured": cached,
            "status": verdict(cached, lambda v: v < TARGET_CACHED_MS),
            "all_hits": totals["cache_hits"] == totals["cache_lookups"],
        },
    }


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def fmt_ratio(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}x"


def print_report(
    runs: list[ShaderRun],
    totals: dict[str, Any],
    goals: dict[str, Any],
    facts: dict[str, Any],
    worker_start: dict[str, Any],
    cli: Cli,
    repeat: int,
) -> None:
    compilers = "; ".join(
        f"{c['name']} {c['version'] or '-'} ({'available' if c['available'] else 'unavailable'})"
        for c in facts["streamlib_compilers"]
    )
    print(f"streamlib compile benchmark: {len(runs)} shaders x {repeat} repetitions, wall time in ms")
    cpus = f"{facts['cpu_count']} CPUs (affinity {facts['cpu_affinity']})"
    print(f"machine   : {cpus}, {facts['cpu_model'] or '?'}")
    print(f"python    : {facts['python_implementation']} {facts['python']} on {facts['platform']}")
    print(f"streamlib : {compilers}")
    peer = (
        f"{cli.path} ({cli.version})" if cli.skip_reason is None else f"CLI column skipped: {cli.skip_reason}"
    )
    print(f"peer      : {peer}")
    print(
        f"worker    : first compile after configure() {fmt(worker_start['first_compile_ms'])} ms "
        f"({worker_start['shader']}; ~{fmt(worker_start['estimated_start_ms'])} ms above its cold median)"
    )
    print()

    header = (
        f"{'shader':<22} {'stage':<8} {'cold med':>9} {'p90':>8} {'cached med':>11} {'p90':>8} "
        f"{'CLI med':>9} {'p90':>8} {'cold/CLI':>9}"
    )
    print(header)
    print("-" * len(header))

    def row(name: str, stage: str, cold: list[float], cached: list[float], cli_ms: list[float]) -> str:
        return (
            f"{name:<22} {stage:<8} {fmt(median(cold)):>9} {fmt(p90(cold)):>8} "
            f"{fmt(median(cached), 3):>11} {fmt(p90(cached), 3):>8} "
            f"{fmt(median(cli_ms)):>9} {fmt(p90(cli_ms)):>8} "
            f"{fmt_ratio(ratio(median(cold), median(cli_ms))):>9}"
        )

    for r in runs:
        print(row(r.name, r.stage, r.cold_ms, r.cached_ms, r.cli_ms))
    print("-" * len(header))
    print(
        f"{'overall':<22} {'':<8} {fmt(totals['cold_ms']['median']):>9} {fmt(totals['cold_ms']['p90']):>8} "
        f"{fmt(totals['cached_ms']['median'], 3):>11} {fmt(totals['cached_ms']['p90'], 3):>8} "
        f"{fmt(totals['cli_ms']['median']):>9} {fmt(totals['cli_ms']['p90']):>8} "
        f"{fmt_ratio(totals['cold_over_cli']):>9}"
    )
    print()
    print("cold   = streamlib.compile() on a fresh source: checks, worker IPC, glslang HLSL->SPIR-V,")
    print("         SPIRV-Cross reflection, MSL and GLSL ES (pixel). cached = same source again (cache hit).")
    print(
        "CLI    = glslangValidator subprocess, prelude prepended: SPIR-V only (no reflection, MSL, GLSL ES)."
    )
    print(
        "overall pools all samples; cold/CLI overall is the ratio of medians over shaders both compiled "
        f"({totals['paired_shaders']}/{len(runs)})."
    )
    print(
        f"cache hits confirmed via Shader.cached: {totals['cache_hits']}/{totals['cache_lookups']}; "
        f"core-reported hit time (Shader.compile_ms) median {fmt(totals['cached_core_ms']['median'], 3)} ms."
    )
    for r in runs:
        if r.error:
            print(f"error  {r.name}: {r.error}")
        if r.cli_error:
            print(f"CLI error  {r.name}: {r.cli_error}")

    print()
    print("targets")
    cold_goal, cached_goal = goals["cold_le_half_cli"], goals["cache_hit_lt_1ms"]
    print(f"  {cold_goal['status']:<5} {cold_goal['goal']}: measured {fmt_ratio(cold_goal['measured'], 3)}")
    print(
        f"  {cached_goal['status']:<5} {cached_goal['goal']}: measured {fmt(cached_goal['measured'], 3)} ms "
        f"(max {fmt(totals['cached_max_ms'], 3)} ms)"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="samples per shader/method")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: --repeat {QUICK_REPEAT}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = QUICK_REPEAT
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli = find_cli()
    facts = machine_facts(cli)
    with tempfile.TemporaryDirectory(prefix="streamlib-bench-") as tmp:
        runs, worker_start = bench(args.repeat, cli, Path(tmp))
    totals = overall(runs)
    goals = targets(totals, cli)
    print_report(runs, totals, goals, facts, worker_start, cli, args.repeat)

    result = {
        "benchmark": "compile",
        "repeat": args.repeat,
        "timer": "time.perf_counter (wall), milliseconds",
        "machine": facts,
        "worker_start": worker_start,
        "shaders": [
            {
                "name": r.name,
                "stage": r.stage,
                "path": r.path,
                "samples": {
                    "cold_ms": r.cold_ms,
                    "cold_core_ms": r.cold_core_ms,
                    "cached_ms": r.cached_ms,
                    "cached_core_ms": r.cached_core_ms,
                    "cached_hits": r.cached_hits,
                    "cli_ms": r.cli_ms,
                },
                "cold_ms": summary(r.cold_ms),
                "cached_ms": summary(r.cached_ms),
                "cli_ms": summary(r.cli_ms),
                "cold_over_cli": ratio(median(r.cold_ms), median(r.cli_ms)),
                "error": r.error,
                "cli_error": r.cli_error,
            }
            for r in runs
        ],
        "overall": totals,
        "targets": goals,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 1 if any(r.error for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
