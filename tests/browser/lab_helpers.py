"""Small verbs for driving JupyterLab: open a notebook, run all, edit a cell, read the preview's pixels."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

PREVIEW = ".streamlib-preview-canvas"


def _canvas(index: int, cell: int | None) -> str:
    """JS expression for a preview canvas: the index-th on the page, or the first inside cell `cell`."""
    if cell is None:
        return f"document.querySelectorAll('{PREVIEW}')[{index}]"
    return f"document.querySelectorAll('.jp-NotebookPanel .jp-Cell')[{cell}].querySelector('{PREVIEW}')"


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """A notebook of code cells `cells` saved as `root/name`; returns `name`."""
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
            for source in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / name).write_text(json.dumps(notebook))
    return name


def open_notebook(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    # The kernel is ready once the status bar names it and reads Idle (before that, key presses are lost).
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')].some("
        "(e) => /ipykernel\\)? \\| Idle/.test(e.textContent))",
        timeout=120_000,
    )
    time.sleep(0.5)


def wait_idle(page: Any, timeout: float = 120) -> None:
    """Waits for the kernel status in the toolbar/status bar to read Idle."""
    page.wait_for_function(
        """() => {
            const status = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelStatus, .jp-StatusBar-TextItem');
            const text = [...document.querySelectorAll('.jp-StatusBar-TextItem, [data-status]')]
                .map((e) => e.textContent + ' ' + (e.getAttribute('data-status') || '')).join(' ');
            return /Idle|idle/.test(text) && !/Busy|busy|Starting|starting/.test(text);
        }""",
        timeout=timeout * 1000,
    )


def run_all(page: Any) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def wait_for_output(page: Any, index: int, text: str, timeout: float = 120) -> str:
    """Waits until cell `index` shows `text` in its output (how "Run all" is known to be finished)."""
    locator = cell(page, index).locator(".jp-OutputArea-output").filter(has_text=text).first
    locator.wait_for(timeout=timeout * 1000)
    return str(locator.text_content())


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index)


def replace_cell_source(page: Any, index: int, source: str) -> None:
    editor = cell(page, index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # Typing line by line keeps CodeMirror's auto-indent from adding spaces.
    for number, line in enumerate(source.split("\n")):
        if number:
            page.keyboard.press("Enter")
            page.keyboard.press("Home")
            page.keyboard.press("Shift+Home")
            page.keyboard.press("Delete")
        page.keyboard.insert_text(line)
    page.keyboard.press("Shift+Enter")


def wait_for_frames(
    page: Any, minimum_fps: float = 0.0, index: int = 0, timeout: float = 90, cell: int | None = None
) -> dict[str, float]:
    """Waits until the preview canvas has drawn frames (and reads > minimum_fps); returns its state.
    A preview only streams while visible, so the cell is scrolled into view first."""
    if cell is not None:
        page.wait_for_function(f"() => !!({_canvas(index, cell)})", timeout=timeout * 1000)
        page.evaluate(f"() => {_canvas(index, cell)}.scrollIntoView({{block: 'center'}})")
    page.wait_for_function(
        f"""() => {{
            const canvas = {_canvas(index, cell)};
            return canvas && canvas.dataset.frameIndex !== undefined && parseFloat(canvas.dataset.fps || '0') > {minimum_fps};
        }}""",
        timeout=timeout * 1000,
    )
    return preview_state(page, index, cell)


def preview_state(page: Any, index: int = 0, cell: int | None = None) -> dict[str, float]:
    return page.evaluate(
        f"""() => {{
            const canvas = {_canvas(index, cell)};
            return {{ frame: Number(canvas.dataset.frameIndex), fps: Number(canvas.dataset.fps),
                      width: canvas.width, height: canvas.height }};
        }}"""
    )


def sample(
    page: Any, x: int, y: int, index: int = 0, size: int = 5, cell: int | None = None
) -> tuple[float, float, float]:
    """Mean RGB of a size×size patch of the preview canvas (JPEG frames: average out the noise). Read through
    a 2D copy, so it works for the in-page (WebGL2) preview's canvas too."""
    return tuple(
        page.evaluate(
            f"""() => {{
                const canvas = {_canvas(index, cell)};
                const copy = document.createElement('canvas');
                copy.width = {size};
                copy.height = {size};
                const context = copy.getContext('2d');
                context.drawImage(canvas, {x}, {y}, {size}, {size}, 0, 0, {size}, {size});
                const data = context.getImageData(0, 0, {size}, {size}).data;
                const sum = [0, 0, 0];
                for (let i = 0; i < data.length; i += 4) {{ sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }}
                const n = data.length / 4;
                return [sum[0] / n, sum[1] / n, sum[2] / n];
            }}"""
        )
    )


def wait_until(check: Any, timeout: float = 30, interval: float = 0.25) -> Any:
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    return last


def screenshot(page: Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
