"""Editor benchmark: how fast compile diagnostics reach the HLSL editor, in a real JupyterLab on 127.0.0.1.

Measured (wall time; one machine, one clock):

1. **Diagnostics round trip over HTTP** — `POST /streamlib/compile` (what the JupyterLab extension sends
   while the user types) for every effect in `shaders/`, from a Python client: *cold* with a source made
   unique by a trailing `// bench <n>` comment (the whole pipeline runs), and *cached* (the same text again,
   as when a user types and deletes a character). The peer is what an editor linter without a compile
   server does: run `glslangValidator` on the buffer as a subprocess per check (flags of compile_bench.py).
2. **Keystroke to marker** — in headless Chromium, a `%%hlsl` cell is broken (one paste: `tint` undeclared)
   and fixed (one paste declaring `tint`, the marked word untouched) alternately; the page times from the
   paste to the marker appearing (or going). This includes the
   extension's deliberate 400 ms pause after the last key, reported separately as the part after the pause.

A benchmark, not a test: it prints a table, writes every sample to JSON, and asserts nothing about timings.

Usage: .venv/bin/python benches/editor_bench.py [--reps N] [--out bench-results/editor.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benches"))

from compile_bench import cli_command, find_cli, prelude_for, run_cli, stage_of  # noqa: E402

from tests.browser.lab import CHROMIUM, CHROMIUM_ARGS, Lab, start_lab, stop_lab  # noqa: E402

TYPING_PAUSE_MS = 400  # the default of typingPauseMs, widgets/labextension/schema/diagnostics.json
GOOD = (
    "float4 main(float2 uv : TEXCOORD) : SV_Target {\n"
    "    return tex2D(input, uv) * float4(1, 0.5, 0.5, 1);\n}"
)
BROKEN = GOOD.replace("float4(1, 0.5, 0.5, 1)", "tint")


def percentile(samples: Sequence[float], q: float) -> float | None:
    if not samples:
        return None
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def summary(samples: Sequence[float]) -> dict[str, Any]:
    return {"n": len(samples), "p50": percentile(samples, 50), "p90": percentile(samples, 90)}


def post_compile(lab: Lab, source: str, name: str) -> float:
    body = json.dumps({"source": source, "name": name}).encode()
    request = urllib.request.Request(
        f"{lab.url}/streamlib/compile?token={lab.token}", data=body, method="POST"
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    elapsed = (time.perf_counter() - start) * 1e3
    if not payload["ok"]:
        raise RuntimeError(f"{name} did not compile: {payload['diagnostics']}")
    return elapsed


def http_round_trips(lab: Lab, reps: int, scratch: Path) -> dict[str, list[float]]:
    cli = find_cli()
    samples: dict[str, list[float]] = {"cold": [], "cached": [], "cli": []}
    counter = 0
    for path in sorted((REPO_ROOT / "shaders").glob("*.hlsl")):
        source = path.read_text()
        for _ in range(reps):
            counter += 1
            unique = f"{source}\n// bench {counter}\n"
            samples["cold"].append(post_compile(lab, unique, path.stem))
            samples["cached"].append(post_compile(lab, unique, path.stem))
            if cli.path is not None:
                stage = stage_of(source)
                # The same text with the prelude inlined and the library on the include path.
                file = scratch / f"{path.stem}.hlsl"
                file.write_text(prelude_for(stage) + unique)
                command = cli_command(cli.path, stage, file, scratch / f"{path.stem}.spv")
                command[1:1] = [f"-I{REPO_ROOT / 'shaders'}"]
                elapsed, error = run_cli(command)
                if error is None:
                    samples["cli"].append(elapsed)
    return samples


def keystroke_to_marker(lab: Lab, reps: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {
        "cells": [dict(cell, id="a", source="%%hlsl tint\n" + GOOD)],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / "editor-bench.ipynb").write_text(json.dumps(notebook))
    samples: dict[str, list[float]] = {"appear": [], "clear": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(lab.notebook_url("editor-bench.ipynb"))
        page.wait_for_selector(".jp-Cell .cm-hlsl-keyword", timeout=120_000)
        page.locator(".jp-Cell .cm-content").first.click()
        for i in range(2 * reps):
            broken = i % 2 == 0
            if broken:
                page.keyboard.press("Control+A")
                page.evaluate("() => { window.__pasteAt = performance.now(); }")
                page.keyboard.insert_text("%%hlsl tint\n" + BROKEN)
            else:
                # Fixed by declaring `tint`, leaving the marked word in place: only a compile clears it.
                page.keyboard.press("Control+Home")
                page.keyboard.press("End")
                page.evaluate("() => { window.__pasteAt = performance.now(); }")
                page.keyboard.insert_text("\nstatic const float4 tint = float4(1, 0.5, 0.5, 1);")
            elapsed = page.evaluate(
                """(broken) => new Promise((resolve) => {
                    const check = () => {
                        const marked = !!document.querySelector('.jp-Cell .cm-lintRange-error');
                        if (marked === broken) resolve(performance.now() - window.__pasteAt);
                        else requestAnimationFrame(check);
                    };
                    check();
                })""",
                broken,
            )
            samples["appear" if broken else "clear"].append(float(elapsed))
        browser.close()
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-results" / "editor.json")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: this benchmark needs Debian's chromium", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="streamlib-editor-bench-"))
    lab = start_lab(root)
    try:
        http = http_round_trips(lab, args.reps, root)
        typing = keystroke_to_marker(lab, args.reps)
    finally:
        stop_lab(lab)
        shutil.rmtree(root, ignore_errors=True)

    results = {name: summary(values) for name, values in {**http, **typing}.items()}
    cold, cli = results["cold"]["p50"], results["cli"]["p50"]
    print("\nDiagnostics round trip (ms), every library shader ×", args.reps)
    print(f"  {'':44}{'p50':>9}{'p90':>9}")
    rows = [
        ("POST /streamlib/compile, cold", "cold"),
        ("POST /streamlib/compile, cached", "cached"),
        ("peer: glslangValidator subprocess", "cli"),
    ]
    for label, key in rows:
        print(f"  {label:44}{_f(results[key]['p50']):>9}{_f(results[key]['p90']):>9}")
    if cold is not None and cli:
        print(f"  cold / peer: {cold / cli:.2f}×")
    print("\nKeystroke to marker in the browser (ms), including the 400 ms typing pause")
    for label, key in (("marker appears", "appear"), ("marker clears", "clear")):
        p50 = results[key]["p50"]
        after = p50 - TYPING_PAUSE_MS if p50 is not None else None
        print(f"  {label:44}{_f(p50):>9}   after the pause: {_f(after)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": results, "raw": {**http, **typing}}, indent=1))
    print(f"wrote {args.out}")
    return 0


def _f(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
