"""Preview benchmark: streamlib's `Preview` against jupyter_rfb, and the camera round trip, in a real
JupyterLab on 127.0.0.1 driven by Debian's headless Chromium (the browser tests' setup, reused from
`tests/browser/`). One run measures four things, each in its own notebook and kernel, one after the other:

1. **streamlib preview, 1280×720** — `TestPattern(1280, 720)` → `Preview(src, fps=60)` (JPEG q80, 2 frames
   in flight, the defaults). The pattern stamps its frame index in binary in the top-left (32 cells of
   8×8 px, white = 1, MSB first).
2. **peer: jupyter_rfb** — a `RemoteFrameBuffer` whose `get_frame()` returns pre-rendered streamlib test
   pattern frames (1280×720 RGB, rendered once by a `TestPattern → NumpySink` graph) with the draw counter
   stamped in the same binary form in numpy, and calls `request_draw()` each time (its animation idiom;
   JPEG q80 and `max_buffered_frames=2` are its defaults). Its JPEG encoder is set to streamlib's settings
   (simplejpeg, the peer's own first choice, at q80 with 4:2:0 chroma subsampling; `--peer-subsampling 444`
   gives the peer's default 4:4:4 instead). Both sides' subsampling is read back from the JPEG bytes each
   sent (the SOF header), and both sides' frame sizes are recorded, so the table shows what was compared.

The preview and the peer run in alternating order (streamlib first in odd rounds, the peer first in even
ones), `--rounds` times (default 3); the table gives each figure's median over the rounds and its spread
(min–max), and the ratio is the median of the per-round ratios. Every ratio compares two measurements of
the same run on the same machine.
3. **camera round trip, 640×480** — Chromium's fake camera → `Camera(640, 480, fps=30)` → `Effect(invert)`
   → `Preview` (the loop at the Preview's default 30 fps, as in `notebooks/03-camera-effects.ipynb`); and the
   same graph with `Preview(effect, run="browser")`, the effect running in the page (measured the same way:
   its round trip is the latency the in-page effect adds to the camera picture). `--cpu-load N` runs N busy
   processes beside every camera measurement (the round trip's p95 per third of the window shows growth).

How it is measured (all times are wall-clock epoch, `time.time()` in the kernel and
`performance.timeOrigin + performance.now()` in the page: one machine, one clock):

* **Displayed fps** — in the page. streamlib: a MutationObserver on the canvas' `data-frame-index`, which
  `preview.js` sets right after `drawImage`; jupyter_rfb: the `<img>`'s `load` event. On each, the stamp
  is read back from the element's pixels (drawn into a small scratch canvas). fps = new frames / window.
* **Latency (1, 2)** — page draw time minus the time the frame was *started* in the kernel, matched by the
  stamp. jupyter_rfb: `time.time()` when `get_frame()` is called (encoding and sending follow). streamlib:
  exact within the existing API — `Runtime.stats()` updates `frames` and `elapsed_s` together as each frame
  completes, so a kernel thread polling it every 2 ms gives, per frame k, the loop-relative completion
  time E_k and (min over samples of `time.time() - elapsed_s`) the loop's start t0 in epoch time. The loop
  starts frame i at max(t0 + i/fps, t0 + E_i) (it sleeps until i/fps unless behind), which is the start of
  the frame's render, readback and JPEG encode. A graph whose only sink is the preview makes each frame
  when the preview asks for it (`PreviewSink.set_paced`): the preview's `take` is wrapped on the instance
  too, and such a frame started at max(the ask, t0 + E_i). The Preview's `send` is wrapped on the instance
  (nothing in the package changes) to split the latency into kernel (start → handed to the comm) and
  transport + page.
* **Camera (3)** — exact, in the page alone: Chromium's fake camera is fed a generated Y4M file
  (`--use-file-for-fake-video-capture`, 640×480 at 30 fps, looping every 3 s) whose frames carry their
  number in binary (16 cells of 16×16 px). `requestVideoFrameCallback` on the Camera widget's `<video>` gives
  the time each camera frame was presented in the page (and its stamp); the preview canvas shows it
  inverted; round trip = preview draw time − presentation time of the same stamp. The built-in fake
  generator (a moving pacman with a text clock) is not machine-readable and caps at 20 fps, below the
  30 fps target. Round-trip fps = new camera frames reaching the preview canvas per second (the loop
  re-sends an unchanged camera frame when none arrived; those draws are counted separately).
  The kernel's `camera.frames_received` is sampled every 100 ms for the kernel-received rate.
4. **peer: anywidget echo, 640×480** — the camera round trip as a plain anywidget would do it, in the same
   run: the page JPEG-encodes each camera frame with `canvas.toBlob` (q80), the kernel sends the bytes
   straight back, the page decodes and draws them, at most `--echo-in-flight` (2) frames between capture and
   draw. Measured exactly as (3), from the same stamped file.

Kernel CPU is `time.process_time()` of the kernel process over the window (every thread: on lavapipe that
includes the rasteriser). This is a benchmark, not a test: it prints a table with the targets from the issue
(set for a real machine: preview ≥ 30 fps at 720p and ≥ 1.5× the peer; camera round trip ≥ 30 fps with p50
< 50 ms), writes every raw sample to JSON, and asserts nothing about timings.

Usage: .venv/bin/python benches/preview_bench.py [--quick] [--rounds N] [--seconds S] [--out FILE.json]
Needs: /usr/bin/chromium (or STREAMLIB_CHROMIUM), jupyterlab, playwright (Python), nbformat, and for the
peer jupyter_rfb with simplejpeg (`pip install --group bench`; skipped with a printed reason when missing).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.browser.lab import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    WITHOUT_SERVER_EXTENSION,
    Lab,
    shutdown_kernels,
    start_lab,
    stop_lab,
)
from tests.browser.lab_helpers import cell, open_notebook, wait_for_output  # noqa: E402

DEFAULT_OUT = Path("bench-results/preview.json")
DEFAULT_SECONDS = 10.0
QUICK_SECONDS = 3.0
DEFAULT_WARMUP = 3.0
QUICK_WARMUP = 1.5
PREVIEW_SIZE = (1280, 720)
CAMERA_SIZE = (640, 480)
CAMERA_FILE_FPS = 30
CAMERA_FILE_FRAMES = 90  # the fake camera loops the file: stamps repeat every 3 s
CAMERA_LOOP_MS = 1000 * CAMERA_FILE_FRAMES / CAMERA_FILE_FPS
CAMERA_CELLS, CAMERA_CELL_PX = 16, 16
PATTERN_CELLS, PATTERN_CELL_PX = 32, 8
PEER_FRAMES = 30

TARGET_PREVIEW_FPS = 30.0
TARGET_PREVIEW_RATIO = 1.5
TARGET_CAMERA_FPS = 30.0
TARGET_CAMERA_P50_MS = 50.0
JPEG_QUALITY = 80  # both sides' default
DEFAULT_ROUNDS = 3

# ------------------------------------------------------------------------------------------- the page

# Installed once the widget is on the page; records into window.__bench. A stamp is read at the centre of
# each cell's middle row from a scratch copy of the element's top-left strip.
RECORDER_JS = """
(spec) => {
  const now = () => performance.timeOrigin + performance.now();
  const rec = { draws: [], video: [], errors: [] };
  window.__bench = rec;
  function reader(cells, size, invert) {
    const scratch = document.createElement('canvas');
    scratch.width = cells * size;
    scratch.height = size;
    const ctx = scratch.getContext('2d', { willReadFrequently: true });
    return (source) => {
      ctx.drawImage(source, 0, 0, scratch.width, size, 0, 0, scratch.width, size);
      const row = ctx.getImageData(0, size >> 1, scratch.width, 1).data;
      let value = 0;
      for (let c = 0; c < cells; c++) {
        const v = row[(c * size + (size >> 1)) * 4];
        value = value * 2 + ((invert ? v < 128 : v > 127) ? 1 : 0);
      }
      return value;
    };
  }
  const target = document.querySelector(spec.target);
  const stamp = reader(spec.cells, spec.size, spec.invert);
  // The time is taken after the read: drawing an <img> forces its decode, which a canvas has behind it.
  const record = (index) => {
    try {
      const value = stamp(target);
      rec.draws.push([now(), index, value]);
    } catch (e) { rec.errors.push(String(e)); }
  };
  if (spec.kind === 'canvas') {
    new MutationObserver(() => record(Number(target.dataset.frameIndex)))
      .observe(target, { attributes: true, attributeFilter: ['data-frame-index'] });
  } else {
    target.addEventListener('load', () => record(-1));
  }
  if (spec.video) {
    const video = document.querySelector(spec.video);
    const videoStamp = reader(spec.cells, spec.size, false);
    const onFrame = (_, meta) => {
      try {
        rec.video.push([performance.timeOrigin + meta.presentationTime, videoStamp(video)]);
      } catch (e) { rec.errors.push(String(e)); }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  }
  return !!target;
}
"""

PAGE_NOW_JS = "() => performance.timeOrigin + performance.now()"

# --------------------------------------------------------------------------------------- the notebooks

# Each notebook: cell 0 sets up, displays and starts sampling; cell 1 stops, writes the kernel's samples
# to OUT and prints BENCH-DONE. No cell runs while measuring: a busy kernel would not process acks.
CPU_SAMPLER = """
_stop = threading.Event()
bench = {"cpu": []}


def _sample_cpu():
    while not _stop.wait(0.25):
        bench["cpu"].append((time.time(), time.process_time()))


threading.Thread(target=_sample_cpu, daemon=True).start()
"""

PREVIEW_SETUP = """
import json, threading, time
from pathlib import Path
from streamlib import Runtime, TestPattern
from streamlib.jupyter import Preview
__CPU_SAMPLER__
FPS = __FPS__
rt = Runtime()
src = TestPattern(__W__, __H__)
rt.add_stream(src)  # Preview needs its node in a runtime
bench.update(stats=[], sent=[], fps=FPS)
preview = Preview(src, fps=FPS)
_send = preview.send


def _timed_send(content, buffers=None):  # instance-level wrapper: when each frame is handed to the comm
    if content.get("type") == "frame":
        bench["sent"].append((time.time(), content["index"], len(buffers[0])))
        if len(bench["sent"]) == 1:
            bench["first_jpeg_head"] = list(bytes(buffers[0][:1024]))
    return _send(content, buffers=buffers)


preview.send = _timed_send
bench["asked"] = []
_take = preview.sink.take


def _timed_take(timeout=1.0):  # when the page's side asked for each frame the graph then made
    asked = time.time()
    frame = _take(timeout)
    if frame is not None:
        bench["asked"].append((asked, frame[0]))
    return frame


preview.sink.take = _timed_take


def _poll():  # frames/elapsed_s change together at the end of each frame
    last = -1
    while not _stop.is_set():
        stats = rt.stats()
        now = time.time()
        if stats["frames"] != last:
            last = stats["frames"]
            bench["stats"].append((now, last, stats["elapsed_s"]))
        time.sleep(0.002)


threading.Thread(target=_poll, daemon=True).start()
preview
"""

PREVIEW_DUMP = """
_stop.set()
bench["final"] = rt.stats()
bench["frames_sent"] = preview.frames_sent
bench["dropped"] = preview.sink.dropped
preview.close()
rt.stop()
Path(__OUT__).write_text(json.dumps(bench))
print("BENCH-DONE")
"""

PEER_SETUP = """
import json, threading, time
from pathlib import Path
import numpy as np
import jupyter_rfb._jpg
import simplejpeg
from jupyter_rfb import RemoteFrameBuffer
from streamlib import NumpySink, Runtime, TestPattern
__CPU_SAMPLER__
# The streamlib test pattern, rendered once (RGB; every other frame, so the box moves 8 px a frame).
_rt = Runtime()
_sink = NumpySink()
_rt.connect(TestPattern(__W__, __H__), _sink)
_rt.start(fps=30)
frames = [np.ascontiguousarray(_sink.wait(2 * i, timeout=60)[:, :, :3]) for i in range(__K__)]
_rt.stop()
del _rt, _sink
_SHIFTS = np.arange(31, -1, -1)
bench["sent"] = []


class _MatchedJpeg(jupyter_rfb._jpg.JpegEncoder):  # simplejpeg as the peer uses it, at the compared settings
    def _encode(self, array, quality):
        data = simplejpeg.encode_jpeg(
            np.ascontiguousarray(array), quality=quality, colorspace="RGB", colorsubsampling="__SUBSAMPLING__"
        )
        bench["sent"].append((time.time(), len(data)))
        if len(bench["sent"]) == 1:
            bench["first_jpeg_head"] = list(data[:1024])
        return data


jupyter_rfb._jpg.encoder = _MatchedJpeg()


def stamp(frame, index):  # 32 cells of 8x8 px, white = 1, MSB first: the TestPattern's own stamp
    bits = ((index >> _SHIFTS) & 1).astype(np.uint8) * 255
    frame[:8, :256] = np.repeat(bits, 8)[None, :, None]


class StampedFrames(RemoteFrameBuffer):
    def __init__(self):
        super().__init__(css_width="__W__px", css_height="__H__px", resizable=False, quality=__QUALITY__)
        self.count = 0
        self.running = True
        self.produced = []

    def get_frame(self):
        index = self.count
        self.count += 1
        self.produced.append((time.time(), index))
        frame = frames[index % len(frames)]
        stamp(frame, index)
        if self.running:
            self.request_draw()
        return frame


rfb = StampedFrames()
rfb
"""

PEER_DUMP = """
_stop.set()
rfb.running = False
bench["produced"] = rfb.produced
bench["rfb_stats"] = rfb.get_stats()
rfb.close()
Path(__OUT__).write_text(json.dumps(bench))
print("BENCH-DONE")
"""

CAMERA_SETUP = """
import json, threading, time
from pathlib import Path
import ipywidgets
from streamlib import Effect, Runtime
from streamlib.jupyter import Camera, Preview
__CPU_SAMPLER__
camera = Camera(__W__, __H__, fps=30)
rt = Runtime()
effect = Effect(__SHADER__)
rt.connect(camera.source, effect)
preview = Preview(effect, fps=__FPS____RUN__)
bench.update(kernel=[], fps=__FPS__)


def _sample_kernel():
    while not _stop.wait(0.1):
        counts = (camera.frames_received, camera.decode_errors, preview.frames_sent, rt.stats()["frames"])
        bench["kernel"].append((time.time(), *counts))


threading.Thread(target=_sample_kernel, daemon=True).start()
# Instance-level wrappers (nothing in the package changes): when each camera frame reached the kernel, and
# when a preview frame naming it as handled was handed to the comm: the kernel's part of the round trip.
bench.update(arrived=[], left=[])
_push = camera.source.push_encoded


def _timed_push(data, timeout=1.0):
    bench["arrived"].append(time.time())
    return _push(data, timeout)


camera.source.push_encoded = _timed_push
if hasattr(preview, "sink"):
    _psend = preview.send

    def _timed_psend(content, buffers=None):
        if content.get("type") == "frame":
            handled = content.get("cameras", {}).get(camera.key, 0)
            bench["left"].append((time.time(), handled, content["index"]))
        return _psend(content, buffers=buffers)

    preview.send = _timed_psend
ipywidgets.HBox([camera, preview])
"""

CAMERA_DUMP = """
_stop.set()
bench["final"] = rt.stats()
bench["camera"] = {"state": camera.state, "error": camera.error, "label": camera.device_label,
                   "resolution": camera.device_resolution, "actual_fps": camera.actual_fps,
                   "frames_received": camera.frames_received, "decode_errors": camera.decode_errors}
camera.stop()
preview.close()
rt.stop()
Path(__OUT__).write_text(json.dumps(bench))
print("BENCH-DONE")
"""


# The camera peer: a plain anywidget echo, as anyone would write one. The page JPEG-encodes each camera
# frame with canvas.toBlob (q80) and sends it; the kernel sends the same bytes straight back; the page
# decodes and draws them. At most __IN_FLIGHT__ frames between capture and draw.
ECHO_SETUP = """
import json, threading, time
from pathlib import Path
import anywidget, traitlets
__CPU_SAMPLER__


class Echo(anywidget.AnyWidget):
    _esm = r\"\"\"
    function render({ model, el }) {
      const video = document.createElement("video");
      video.className = "bench-echo-video";
      video.muted = true;
      video.playsInline = true;
      const canvas = document.createElement("canvas");
      canvas.className = "bench-echo-canvas";
      canvas.width = __W__;
      canvas.height = __H__;
      const grab = document.createElement("canvas");
      grab.width = __W__;
      grab.height = __H__;
      el.append(video, canvas);
      let inFlight = 0;
      let index = 0;
      function pump() {
        if (inFlight < __IN_FLIGHT__ && video.readyState >= 2) {
          inFlight += 1;
          grab.getContext("2d").drawImage(video, 0, 0, __W__, __H__);
          grab.toBlob(async (blob) => {
            model.send({ type: "frame" }, undefined, [await blob.arrayBuffer()]);
          }, "image/jpeg", __QUALITY__ / 100);
        }
        setTimeout(pump, 1000 / 30);
      }
      model.on("msg:custom", async (message, buffers) => {
        const bitmap = await createImageBitmap(new Blob([buffers[0]], { type: "image/jpeg" }));
        canvas.getContext("2d").drawImage(bitmap, 0, 0);
        bitmap.close();
        canvas.dataset.frameIndex = String(index++);
        inFlight -= 1;
      });
      navigator.mediaDevices.getUserMedia({ video: { width: __W__, height: __H__ }, audio: false }).then(
        async (stream) => { video.srcObject = stream; await video.play(); pump(); });
    }
    export default { render };
    \"\"\"

    def __init__(self):
        super().__init__()
        self.received = 0
        self.on_msg(self._echo)

    def _echo(self, _, message, buffers):
        self.received += 1
        self.send({"type": "frame"}, buffers=[bytes(buffers[0])])


echo = Echo()
bench.update(kernel=[])


def _sample_kernel():
    while not _stop.wait(0.1):
        bench["kernel"].append((time.time(), echo.received, 0, echo.received, echo.received))


threading.Thread(target=_sample_kernel, daemon=True).start()
echo
"""

ECHO_DUMP = """
_stop.set()
echo.close()
Path(__OUT__).write_text(json.dumps(bench))
print("BENCH-DONE")
"""


def _fill(template: str, **values: Any) -> str:
    text = template.replace("__CPU_SAMPLER__", CPU_SAMPLER)
    for key, value in values.items():
        text = text.replace(f"__{key}__", str(value))
    return textwrap.dedent(text).strip()


def write_notebook(path: Path, setup: str, dump: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(dump)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)


def write_camera_file(path: Path) -> None:
    """A Y4M clip for Chromium's fake camera: frame number in binary (16×16 px cells, white = 1) on a
    gradient with a moving box, luma only (U = V = 128), studio range."""
    width, height = CAMERA_SIZE
    ramp = (16 + (219 * np.arange(width) / (width - 1))).astype(np.uint8)
    chroma = np.full((height // 2) * (width // 2) * 2, 128, np.uint8).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{CAMERA_FILE_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for index in range(CAMERA_FILE_FRAMES):
            luma = np.repeat(ramp[None, :], height, axis=0)
            x = (index * 7) % (width - 64)
            luma[height // 2 : height // 2 + 64, x : x + 64] = 235
            bits = (index >> np.arange(CAMERA_CELLS - 1, -1, -1)) & 1
            strip = np.where(np.repeat(bits, CAMERA_CELL_PX) > 0, 235, 16).astype(np.uint8)
            luma[:CAMERA_CELL_PX, : CAMERA_CELLS * CAMERA_CELL_PX] = strip[None, :]
            out.write(b"FRAME\n" + luma.tobytes() + chroma)


# ---------------------------------------------------------------------------------------- lab & browser


def run_cell(page: Any, index: int) -> None:
    cell(page, index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


# ------------------------------------------------------------------------------------------- analysis


def jpeg_subsampling(head: Sequence[int] | None) -> str | None:
    """Chroma subsampling of a JPEG from its frame header (SOF0/1/2): "4:2:0", "4:2:2", "4:4:4" or None."""
    if not head:
        return None
    data, at = bytes(head), 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2) and at + 10 + 3 <= len(data):
            components = data[at + 9]
            factors = [data[at + 11 + 3 * c] for c in range(components) if at + 11 + 3 * c < len(data)]
            if components == 1:
                return "gray"
            h, v = factors[0] >> 4, factors[0] & 15
            return {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0"}.get((h, v), f"{h}x{v}")
        at += 2 + length
    return None


def _jpeg_kb(sent: Sequence[Sequence[float]], window: tuple[float, float]) -> float | None:
    sizes = [row[-1] for row in sent if window[0] <= 1000 * row[0] <= window[1]]
    return float(np.mean(sizes)) / 1024 if sizes else None


def _pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if len(values) else None


def _summary(values: Sequence[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": _pct(values, 50), "p95": _pct(values, 95), "max": _pct(values, 100)}


def _in_window(samples: Sequence[Sequence[float]], window: tuple[float, float]) -> list[Sequence[float]]:
    return [s for s in samples if window[0] <= s[0] <= window[1]]


def _interp(samples: Sequence[Sequence[float]], column: int, at: float) -> float:
    times = [s[0] for s in samples]
    return float(np.interp(at, times, [s[column] for s in samples]))


def _rate(samples: Sequence[Sequence[float]], column: int, window_s: tuple[float, float]) -> float | None:
    if len(samples) < 2:
        return None
    start, end = window_s
    return (_interp(samples, column, end) - _interp(samples, column, start)) / (end - start)


def _cpu_percent(kernel: dict[str, Any], window_s: tuple[float, float]) -> float | None:
    rate = _rate(kernel.get("cpu", []), 1, window_s)
    return None if rate is None else 100 * rate


def analyse_preview(page_rec: dict[str, Any], kernel: dict[str, Any], window: tuple[float, float]) -> dict:
    """streamlib: frame i started at t0 + max(i/fps, E_i); see the module docstring."""
    fps = kernel["fps"]
    stats = kernel["stats"]
    t0 = min(now - elapsed for now, frames, elapsed in stats if frames > 0)
    completed = {frames: elapsed for _, frames, elapsed in stats}  # frames = i ⇒ frame i-1 done at E_i
    missing = 0

    # A preview paces its graph: a frame is made once the preview asks for it (and not before the frame
    # ahead of it is done), so it started at the later of the two.
    asked = {index: at for at, index in kernel.get("asked", [])}

    def started(i: int) -> float:
        nonlocal missing
        if i in asked:
            return max(asked[i], t0 + completed.get(i, 0.0))
        paced = i / fps if fps else 0.0
        if i == 0:
            return t0
        if i not in completed:
            missing += 1
            return t0 + paced
        return t0 + max(paced, completed[i])

    sent = {index: at for at, index, _ in kernel["sent"]}
    draws = _in_window(page_rec["draws"], window)
    latency, kernel_ms, transport_ms, mismatched = [], [], [], 0
    for at, index, stamp in draws:
        if int(index) != int(stamp):
            mismatched += 1
            continue
        begin = started(int(stamp))
        latency.append(at - 1000 * begin)
        if int(stamp) in sent:
            kernel_ms.append(1000 * (sent[int(stamp)] - begin))
            transport_ms.append(at - 1000 * sent[int(stamp)])
    seconds = (window[1] - window[0]) / 1000
    return {
        "fps": len({int(d[1]) for d in draws}) / seconds,
        "latency_ms": _summary(latency),
        "kernel_ms": _summary(kernel_ms),
        "transport_ms": _summary(transport_ms),
        "stamp_mismatches": mismatched,
        "frames_without_completion_sample": missing,
        "jpeg_kb_mean": _jpeg_kb(kernel["sent"], window),
        "jpeg_subsampling": jpeg_subsampling(kernel.get("first_jpeg_head")),
        "loop_fps": _rate([(s[0], s[1]) for s in stats], 1, (window[0] / 1000, window[1] / 1000)),
        "kernel_cpu_percent": _cpu_percent(kernel, (window[0] / 1000, window[1] / 1000)),
        "frames_sent": kernel.get("frames_sent"),
        "page_errors": page_rec["errors"][:5],
    }


def analyse_peer(page_rec: dict[str, Any], kernel: dict[str, Any], window: tuple[float, float]) -> dict:
    produced = {index: at for at, index in kernel["produced"]}
    draws = _in_window(page_rec["draws"], window)
    latency, unknown = [], 0
    for at, _, stamp in draws:
        if int(stamp) not in produced:
            unknown += 1
            continue
        latency.append(at - 1000 * produced[int(stamp)])
    seconds = (window[1] - window[0]) / 1000
    stats = kernel.get("rfb_stats", {})
    return {
        "fps": len({int(d[2]) for d in draws}) / seconds,
        "latency_ms": _summary(latency),
        "unreadable_stamps": unknown,
        "kernel_cpu_percent": _cpu_percent(kernel, (window[0] / 1000, window[1] / 1000)),
        "jpeg_kb_mean": _jpeg_kb(kernel.get("sent", []), window),
        "jpeg_subsampling": jpeg_subsampling(kernel.get("first_jpeg_head")),
        "img_encoding_ms": 1000 * stats["img_encoding"] if "img_encoding" in stats else None,
        "rfb_stats": stats,
        "page_errors": page_rec["errors"][:5],
    }


def analyse_camera(page_rec: dict[str, Any], kernel: dict[str, Any], window: tuple[float, float]) -> dict:
    seconds = (window[1] - window[0]) / 1000
    video = page_rec["video"]
    video_window = _in_window(video, window)
    new_video = [v for k, v in enumerate(video_window) if k == 0 or v[1] != video_window[k - 1][1]]
    draws = page_rec["draws"]
    latency, new_draws, unreadable, unmatched = [], 0, 0, 0
    timed: list[tuple[float, float]] = []  # (draw time, round trip): does the latency grow over the run?
    previous = None
    for at, _, stamp in draws:
        stamp = int(stamp)
        fresh = stamp != previous
        previous = stamp
        if not (window[0] <= at <= window[1]) or not fresh:
            continue
        if stamp >= CAMERA_FILE_FRAMES:
            unreadable += 1
            continue
        new_draws += 1
        # The file loops: a presentation of this stamp a whole loop earlier is another frame (its own
        # presentation was not seen), not a multi-second round trip.
        shown = [v[0] for v in video if v[1] == stamp and at - CAMERA_LOOP_MS < v[0] <= at]
        if not shown:
            unmatched += 1
            continue
        latency.append(at - max(shown))
        timed.append((at, at - max(shown)))
    third = (window[1] - window[0]) / 3
    thirds = [
        [ms for at, ms in timed if window[0] + k * third <= at < window[0] + (k + 1) * third]
        for k in range(3)
    ]
    samples = kernel.get("kernel", [])
    window_s = (window[0] / 1000, window[1] / 1000)
    # Camera frame n (1-based, in arrival order) left the kernel in the first preview frame handling it.
    arrived = kernel.get("arrived", [])
    stays, first_left = [], {}
    for at, handled, *_ in kernel.get("left", []):
        first_left.setdefault(handled, at)
    for n, at in enumerate(arrived, start=1):
        if n in first_left and window_s[0] <= at <= window_s[1]:
            stays.append(1000 * (first_left[n] - at))
    # And each preview frame from the comm to the page's canvas (transport, decode, draw).
    sent_at = {index: 1000 * at for at, _, index in kernel.get("left", [])}
    drawn = [(at, int(i)) for at, i, _ in draws if window[0] <= at <= window[1]]
    to_page = [at - sent_at[i] for at, i in drawn if i in sent_at]
    return {
        "camera_presented_fps": len(new_video) / seconds,
        "kernel_received_fps": _rate(samples, 1, window_s),
        "round_trip_fps": new_draws / seconds,
        "preview_draws_fps": len(_in_window(draws, window)) / seconds,
        "loop_fps": _rate(samples, 4, window_s),
        "round_trip_ms": _summary(latency),
        "round_trip_p95_by_third_ms": [_pct(part, 95) for part in thirds],
        "kernel_stay_ms": _summary(stays),
        "sent_to_drawn_ms": _summary(to_page),
        "unreadable_stamps": unreadable,
        "unmatched_stamps": unmatched,
        "kernel_cpu_percent": _cpu_percent(kernel, window_s),
        "camera": kernel.get("camera"),
        "page_errors": page_rec["errors"][:5],
    }


# ------------------------------------------------------------------------------------------ measuring


def measure(
    browser: Any,
    lab: Lab,
    name: str,
    spec: dict[str, Any],
    ready_js: str,
    seconds: float,
    warmup: float,
) -> tuple[dict[str, Any], dict[str, Any], tuple[float, float]]:
    """Opens `name`, runs its setup cell, records in the page for `seconds` after `warmup`, runs the dump
    cell; returns (page records, kernel samples, window in epoch ms)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_notebook(page, lab.notebook_url(name))
        run_cell(page, 0)
        page.wait_for_selector(spec["target"], state="attached", timeout=180_000)
        page.evaluate(f"() => document.querySelector({json.dumps(spec['target'])}).scrollIntoView()")
        if spec.get("video"):
            page.wait_for_selector(spec["video"], state="attached", timeout=60_000)
        page.evaluate(RECORDER_JS, spec)
        page.wait_for_function(ready_js, timeout=180_000)
        time.sleep(warmup)
        start = float(page.evaluate(PAGE_NOW_JS))
        time.sleep(seconds)
        end = float(page.evaluate(PAGE_NOW_JS))
        records = page.evaluate("() => window.__bench")
        run_cell(page, 1)
        wait_for_output(page, 1, "BENCH-DONE", timeout=120)
        kernel = json.loads((lab.root / f"{name}.kernel.json").read_text())
        return records, kernel, (start, end)
    except Exception:
        shot = lab.root.parent / f"preview-bench-{name}.png"
        page.screenshot(path=str(shot))
        print(f"  {name} failed; screenshot {shot}; lab log tail:\n{lab.log.read_text()[-2000:]}")
        raise
    finally:
        context.close()
        shutdown_kernels(lab)


def measure_round_trip(
    browser: Any,
    lab: Lab,
    name: str,
    target: str,
    video: str,
    invert: bool,
    seconds: float,
    warmup: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A camera → kernel → page round trip from the stamped file (`target` shows the frames, `video` the
    camera): its analysis and its raw records."""
    spec = {
        "kind": "canvas",
        "target": target,
        "video": video,
        "cells": CAMERA_CELLS,
        "size": CAMERA_CELL_PX,
        "invert": invert,
    }
    ready = (
        "() => window.__bench.video.length > 10 && "
        f"window.__bench.draws.filter((d) => d[2] < {CAMERA_FILE_FRAMES}).length > 10"
    )
    rec, kernel, window = measure(browser, lab, name, spec, ready, seconds, warmup)
    return analyse_camera(rec, kernel, window), {"page": rec, "kernel": kernel, "window_ms": window}


@contextlib.contextmanager
def competing_load(processes: int) -> Iterator[None]:
    """`processes` busy loops in other processes, like a build or a training job beside the notebook."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


# ------------------------------------------------------------------------------------------- printing


def _f(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "MISS")


def _get(result: dict | None, *keys: str | int) -> Any:
    value: Any = result
    for key in keys:
        if isinstance(value, list) and isinstance(key, int):
            value = value[key] if -len(value) <= key < len(value) else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def _over_rounds(rounds: Sequence[dict[str, Any]], side: str, *keys: str | int) -> list[float]:
    return [v for r in rounds if (v := _get(r.get(side), *keys)) is not None]


def _spread(values: Sequence[float]) -> dict[str, Any] | None:
    """Median and spread over rounds."""
    if not values:
        return None
    return {"median": float(np.median(values)), "min": min(values), "max": max(values), "n": len(values)}


def _cell(values: Sequence[float], digits: int = 1) -> str:
    spread = _spread(values)
    if spread is None:
        return "—"
    if spread["n"] == 1:
        return _f(spread["median"], digits)
    return f"{_f(spread['median'], digits)} [{_f(spread['min'], digits)}–{_f(spread['max'], digits)}]"


def _ratios(rounds: Sequence[dict[str, Any]], *keys: str) -> list[float]:
    """Per round, streamlib's figure over the peer's: both measured in that round."""
    ratios = []
    for r in rounds:
        a, b = _get(r.get("streamlib"), *keys), _get(r.get("jupyter_rfb"), *keys)
        if a and b:
            ratios.append(a / b)
    return ratios


def summarise(rounds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Medians and spreads over the rounds of every figure the table shows."""
    figures = {
        "streamlib": [("fps",), ("latency_ms", "p50"), ("latency_ms", "p95"), ("jpeg_kb_mean",)],
        "jupyter_rfb": [("fps",), ("latency_ms", "p50"), ("latency_ms", "p95"), ("jpeg_kb_mean",)],
        "camera": [("round_trip_fps",), ("round_trip_ms", "p50"), ("round_trip_ms", "p95")],
        "echo": [("round_trip_fps",), ("round_trip_ms", "p50"), ("round_trip_ms", "p95")],
        "inpage": [("round_trip_fps",), ("round_trip_ms", "p50"), ("round_trip_ms", "p95")],
    }
    summary: dict[str, Any] = {
        side: {".".join(keys): _spread(_over_rounds(rounds, side, *keys)) for keys in wanted}
        for side, wanted in figures.items()
    }
    summary["fps_ratio"] = _spread(_ratios(rounds, "fps"))
    return summary


def print_report(results: dict[str, Any]) -> None:
    rounds = results["rounds"]
    w, h = PREVIEW_SIZE

    def subsampling(side: str) -> str:
        seen = {v for r in rounds if (v := _get(r.get(side), "jpeg_subsampling"))}
        return "/".join(sorted(seen)) or "?"

    print(
        f"\nPreview {w}×{h}, 2 frames in flight — headless Chromium --disable-gpu, "
        f"{results['machine']['cpus']} CPUs, {len(rounds)} rounds in alternating order, "
        f"window {results['seconds']:.0f} s each; median [min–max] over rounds"
    )
    print(
        f"JPEG q{JPEG_QUALITY} on both sides; chroma subsampling read from the bytes sent: "
        f"streamlib {subsampling('streamlib')}, jupyter_rfb {subsampling('jupyter_rfb')}"
    )
    print(f"{'':30}{'streamlib':>22}{'jupyter_rfb':>22}{'ratio':>20}")

    def row(label: str, *keys: str, ratio: bool = True, digits: int = 1) -> None:
        ours = _over_rounds(rounds, "streamlib", *keys)
        peer = _over_rounds(rounds, "jupyter_rfb", *keys)
        r = _cell(_ratios(rounds, *keys), 2) if ratio else ""
        print(f"  {label:28}{_cell(ours, digits):>22}{_cell(peer, digits):>22}{r:>20}")

    row("displayed fps", "fps")
    row("latency p50 (ms)", "latency_ms", "p50")
    row("latency p95 (ms)", "latency_ms", "p95")
    row("  kernel part p50 (ms)", "kernel_ms", "p50", ratio=False)
    row("  comm + page part p50 (ms)", "transport_ms", "p50", ratio=False)
    row("JPEG size per frame (kB)", "jpeg_kb_mean")
    row("frames measured", "latency_ms", "n", ratio=False, digits=0)
    row("kernel CPU (% of a core)", "kernel_cpu_percent", ratio=False)
    if not _over_rounds(rounds, "jupyter_rfb", "fps"):
        print(f"  (peer skipped: {results.get('peer_skipped', 'not run')})")

    cw, ch = CAMERA_SIZE
    print(
        f"\nCamera round trip {cw}×{ch}: fake camera (stamped Y4M, {CAMERA_FILE_FPS} fps) → Camera(fps=30)"
        f' → invert → Preview (loop at {results["camera_loop_fps"]:.0f} fps; in page: run="browser")'
        + (f", {results['cpu_load']} competing busy processes" if results.get("cpu_load") else "")
    )
    if not any(r.get(side) for r in rounds for side in ("camera", "echo", "inpage")):
        print(f"  (skipped: {results.get('camera_skipped', 'not run')})")
    else:
        print(f"  {'':44}{'streamlib':>22}{'anywidget echo':>22}{'in page':>22}")
        for label, keys in (
            ("camera frames presented in page (fps)", ("camera_presented_fps",)),
            ("frames received by the kernel (fps)", ("kernel_received_fps",)),
            ("new camera frames on the preview (fps)", ("round_trip_fps",)),
            ("preview draws (incl. repeats) (fps)", ("preview_draws_fps",)),
            ("round trip p50 (ms)", ("round_trip_ms", "p50")),
            ("round trip p95 (ms)", ("round_trip_ms", "p95")),
            ("  p95, first third of the window (ms)", ("round_trip_p95_by_third_ms", 0)),
            ("  p95, last third of the window (ms)", ("round_trip_p95_by_third_ms", 2)),
            ("  kernel part p50: arrival → sent (ms)", ("kernel_stay_ms", "p50")),
            ("  sent → drawn in the page p50 (ms)", ("sent_to_drawn_ms", "p50")),
            ("kernel CPU (% of a core)", ("kernel_cpu_percent",)),
        ):
            ours = _cell(_over_rounds(rounds, "camera", *keys))
            echo = _cell(_over_rounds(rounds, "echo", *keys))
            page = _cell(_over_rounds(rounds, "inpage", *keys))
            print(f"  {label:44}{ours:>22}{echo:>22}{page:>22}")

    summary = results["summary"]
    print("\nTargets (from the issue, set for a real machine), on the medians")
    fps = _get(summary, "streamlib", "fps", "median")
    ratio = _get(summary, "fps_ratio", "median")
    cam_fps = _get(summary, "camera", "round_trip_fps", "median")
    cam_p50 = _get(summary, "camera", "round_trip_ms.p50", "median")
    checks = [
        (f"preview ≥ {TARGET_PREVIEW_FPS:.0f} fps at 720p", _f(fps), None if fps is None else fps >= 30),
        (
            f"preview ≥ {TARGET_PREVIEW_RATIO}× the peer's fps",
            _f(ratio, 2) + "×",
            None if ratio is None else ratio >= TARGET_PREVIEW_RATIO,
        ),
        (
            f"camera round trip ≥ {TARGET_CAMERA_FPS:.0f} fps",
            _f(cam_fps),
            None if cam_fps is None else cam_fps >= TARGET_CAMERA_FPS,
        ),
        (
            f"camera round trip p50 < {TARGET_CAMERA_P50_MS:.0f} ms",
            _f(cam_p50),
            None if cam_p50 is None else cam_p50 < TARGET_CAMERA_P50_MS,
        ),
    ]
    page_fps = _get(summary, "inpage", "round_trip_fps", "median")
    page_p50 = _get(summary, "inpage", "round_trip_ms.p50", "median")
    echo_fps = _get(summary, "echo", "round_trip_fps", "median")
    echo_p50 = _get(summary, "echo", "round_trip_ms.p50", "median")
    cam_p95 = _get(summary, "camera", "round_trip_ms.p95", "median")
    frame_ms = 1000 / CAMERA_FILE_FPS
    checks += [
        ("in-page camera effect ≥ 28 fps", _f(page_fps), None if page_fps is None else page_fps >= 28),
        (
            f"in-page added latency ≤ 1 frame ({frame_ms:.0f} ms)",
            _f(page_p50),
            None if page_p50 is None else page_p50 <= frame_ms,
        ),
        (
            "kernel round trip fps ≥ the echo's",
            f"{_f(cam_fps)} vs {_f(echo_fps)}",
            None if cam_fps is None or echo_fps is None else cam_fps >= echo_fps,
        ),
        (
            "kernel round trip p50 ≤ the echo's",
            f"{_f(cam_p50)} vs {_f(echo_p50)}",
            None if cam_p50 is None or echo_p50 is None else cam_p50 <= echo_p50,
        ),
        (
            "kernel round trip p95 ≤ 3× its p50",
            f"{_f(cam_p95)} vs {_f(cam_p50)}",
            None if cam_p95 is None or cam_p50 is None else cam_p95 <= 3 * cam_p50,
        ),
    ]
    for label, value, ok in checks:
        print(f"  {_verdict(ok)}  {label:40}{value:>10}")
    print(f"\nload average (1/5 min) before/after: {results['load_before']} → {results['load_after']}")


# ----------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SECONDS:.0f} s per measurement")
    parser.add_argument("--seconds", type=float, default=None, help=f"each (default {DEFAULT_SECONDS:.0f})")
    parser.add_argument("--warmup", type=float, default=None, help=f"before each (default {DEFAULT_WARMUP})")
    parser.add_argument("--preview-fps", type=float, default=60.0, help="streamlib pacing (0: uncapped)")
    parser.add_argument("--camera-loop-fps", type=float, default=30.0, help="camera graph pacing (30)")
    parser.add_argument(
        "--only", default="preview,peer,camera,echo,inpage", help="subset: preview,peer,camera,echo,inpage"
    )
    parser.add_argument(
        "--cpu-load",
        type=int,
        default=0,
        help="competing busy processes during the camera measurements (the kernel path under CPU pressure)",
    )
    parser.add_argument("--echo-in-flight", type=int, default=2, help="the echo peer's frames in flight (2)")
    parser.add_argument(
        "--rounds", type=int, default=DEFAULT_ROUNDS, help=f"repeats (default {DEFAULT_ROUNDS})"
    )
    parser.add_argument(
        "--peer-subsampling",
        choices=("420", "444"),
        default="420",
        help="the peer's JPEG chroma subsampling (420: streamlib's; 444: the peer's own default)",
    )
    parser.add_argument(
        "--stock-websockets",
        action="store_true",
        help="without streamlib's server extension: jupyter_server's kernel websockets keep Nagle on",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    seconds = args.seconds or (QUICK_SECONDS if args.quick else DEFAULT_SECONDS)
    warmup = args.warmup if args.warmup is not None else (QUICK_WARMUP if args.quick else DEFAULT_WARMUP)
    only = {part.strip() for part in args.only.split(",")}
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: this benchmark needs Debian's chromium", file=sys.stderr)
        return 2

    from playwright.sync_api import sync_playwright

    import streamlib

    results: dict[str, Any] = {
        "seconds": seconds,
        "warmup": warmup,
        "preview_fps": args.preview_fps,
        "camera_loop_fps": args.camera_loop_fps,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "peer_subsampling": args.peer_subsampling,
        "cpu_load": args.cpu_load,
        "rounds": [],
        "load_before": _load(),
    }
    have_rfb = all(importlib.util.find_spec(m) is not None for m in ("jupyter_rfb", "simplejpeg"))
    if have_rfb:
        import jupyter_rfb

        results["jupyter_rfb_version"] = jupyter_rfb.__version__
    results["streamlib_version"] = getattr(streamlib, "__version__", "?")

    root = Path(tempfile.mkdtemp(prefix="preview-bench-"))
    lab_root = root / "lab"
    lab_root.mkdir()
    camera_file = root / "stamped-camera.y4m"
    write_camera_file(camera_file)
    w, h = PREVIEW_SIZE
    preview_fps = args.preview_fps or None
    write_notebook(
        lab_root / "streamlib.ipynb",
        _fill(PREVIEW_SETUP, FPS=preview_fps, W=w, H=h),
        _fill(PREVIEW_DUMP, OUT=json.dumps(str(lab_root / "streamlib.ipynb.kernel.json"))),
    )
    write_notebook(
        lab_root / "peer.ipynb",
        _fill(PEER_SETUP, W=w, H=h, K=PEER_FRAMES, QUALITY=JPEG_QUALITY, SUBSAMPLING=args.peer_subsampling),
        _fill(PEER_DUMP, OUT=json.dumps(str(lab_root / "peer.ipynb.kernel.json"))),
    )
    cw, ch = CAMERA_SIZE
    for name, run in (("camera", ""), ("inpage", ', run="browser"')):
        write_notebook(
            lab_root / f"{name}.ipynb",
            _fill(
                CAMERA_SETUP,
                W=cw,
                H=ch,
                FPS=args.camera_loop_fps,
                SHADER=json.dumps(str(REPO_ROOT / "shaders" / "invert.hlsl")),
                RUN=run,
            ),
            _fill(CAMERA_DUMP, OUT=json.dumps(str(lab_root / f"{name}.ipynb.kernel.json"))),
        )
    write_notebook(
        lab_root / "echo.ipynb",
        _fill(ECHO_SETUP, W=cw, H=ch, QUALITY=JPEG_QUALITY, IN_FLIGHT=args.echo_in_flight),
        _fill(ECHO_DUMP, OUT=json.dumps(str(lab_root / "echo.ipynb.kernel.json"))),
    )
    lab = start_lab(lab_root, args=WITHOUT_SERVER_EXTENSION if args.stock_websockets else ())
    args_chromium = [*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera_file}"]
    pattern = {"cells": PATTERN_CELLS, "size": PATTERN_CELL_PX, "invert": False}
    raw: dict[str, Any] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args_chromium)
            drawn = "() => window.__bench.draws.length > 10"

            def preview_side(round_result: dict[str, Any], round_raw: dict[str, Any]) -> None:
                print(f"  streamlib preview {w}×{h} (load {_load()}) …", flush=True)
                spec = {"kind": "canvas", "target": ".streamlib-preview-canvas", **pattern}
                rec, kernel, window = measure(browser, lab, "streamlib.ipynb", spec, drawn, seconds, warmup)
                round_result["streamlib"] = analyse_preview(rec, kernel, window)
                round_raw["streamlib"] = {"page": rec, "kernel": kernel, "window_ms": window}

            def peer_side(round_result: dict[str, Any], round_raw: dict[str, Any]) -> None:
                print(f"  jupyter_rfb {w}×{h} (load {_load()}) …", flush=True)
                spec = {"kind": "img", "target": ".renderview-wrapper img", **pattern}
                rec, kernel, window = measure(browser, lab, "peer.ipynb", spec, drawn, seconds, warmup)
                round_result["jupyter_rfb"] = analyse_peer(rec, kernel, window)
                round_raw["jupyter_rfb"] = {"page": rec, "kernel": kernel, "window_ms": window}

            sides = []
            if "preview" in only:
                sides.append(preview_side)
            if "peer" in only and not have_rfb:
                results["peer_skipped"] = (
                    "jupyter_rfb or simplejpeg is not installed (pip install --group bench)"
                )
            elif "peer" in only:
                sides.append(peer_side)
            for number in range(1, args.rounds + 1):
                # Alternating order, so neither side always runs on a machine the other just warmed up.
                order = sides if number % 2 else sides[::-1]
                round_result: dict[str, Any] = {"order": [side.__name__ for side in order]}
                round_raw: dict[str, Any] = {}
                print(f"round {number}/{args.rounds}", flush=True)
                for side in order:
                    side(round_result, round_raw)
                for side, label, target, video, invert in (
                    (
                        "camera",
                        "camera round trip",
                        ".streamlib-preview-canvas",
                        ".streamlib-camera-video",
                        True,
                    ),
                    ("echo", "peer: anywidget echo", ".bench-echo-canvas", ".bench-echo-video", False),
                    (
                        "inpage",
                        "in-page camera effect",
                        '.streamlib-preview[data-run="browser"] .streamlib-preview-canvas',
                        ".streamlib-camera-video",
                        True,
                    ),
                ):
                    if side in only:
                        print(f"  {label} {cw}×{ch} (load {_load()}) …", flush=True)
                        with competing_load(args.cpu_load):
                            round_result[side], round_raw[side] = measure_round_trip(
                                browser, lab, f"{side}.ipynb", target, video, invert, seconds, warmup
                            )
                results["rounds"].append(round_result)
                raw.setdefault("rounds", []).append(round_raw)
            browser.close()
    finally:
        stop_lab(lab)
        shutil.rmtree(root, ignore_errors=True)
    results["load_after"] = _load()
    results["summary"] = summarise(results["rounds"])
    print_report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": results, "raw": raw}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
