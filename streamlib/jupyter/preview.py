"""`Preview(node)`: the live output of a graph in the notebook, frames as binary comm buffers."""

from __future__ import annotations

import threading
import time
import weakref
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from streamlib.errors import GraphError
from streamlib.graph import Stream
from streamlib.jupyter import inpage, streaming
from streamlib.jupyter.camera import cameras_feeding
from streamlib.node_types import TestPattern
from streamlib.nodes import Effect, Node, PreviewSink
from streamlib.remote_node import RemoteNode
from streamlib.runtime import Runtime
from streamlib.shader import Shader

STATIC = Path(__file__).parent / "static"
_live: weakref.WeakSet[Preview] = weakref.WeakSet()
# With no view on screen for this long (output cleared, tab closed, headless run) the sending thread ends,
# and a graph the preview started for itself stops; a view appearing again restarts both.
IDLE_EXIT_S = 10.0
# An in-page preview hears about hot swaps and parameter changes this often, and that the kernel is alive.
SYNC_S = 0.05
TICK_S = 1.0
# What the page sends with every frame shown or pointer move: a stream, not work (`streaming`).
STREAMED_MESSAGES = frozenset({"ack", "mouse"})


class Preview(anywidget.AnyWidget):
    """Shows what `node` outputs, live. At most `max_in_flight` frames are unacknowledged by the page;
    nothing is sent while the preview is hidden or paused; `lossless=True` switches to PNG. Frames are sent
    at the size the page shows them (scaled down on the GPU) unless `full_resolution=True`, and a picture that
    stands still is sent once more, lossless, then not again until it changes.

    `run="browser"` runs `node`'s chain of pixel effects in the page (WebGL2) on the browser camera, the
    test pattern or a still image, with no frame crossing to the kernel; where the chain cannot run there,
    `notice` says why and the preview runs in the kernel.

    A node of a `RemoteRuntime` (`remote.node("fx")`) plays in the page's own `<video>` over WHEP, straight
    from the runtime; the runtime must let the notebook page's origin in (`--allow-origin`, or
    `RemoteRuntime.launch(allow_origins=...)`). Its token goes to the page by message, never into widget
    state."""

    _esm = STATIC / "preview.js"
    width = traitlets.Int(640).tag(sync=True)
    height = traitlets.Int(360).tag(sync=True)
    paused = traitlets.Bool(False).tag(sync=True)
    lossless = traitlets.Bool(False).tag(sync=True)
    full_resolution = traitlets.Bool(False).tag(sync=True)
    max_in_flight = traitlets.Int(2).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    run = traitlets.Unicode("kernel").tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    program = traitlets.Dict().tag(sync=True)
    whep_url = traitlets.Unicode("").tag(sync=True)
    bindings: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(
        self,
        node: Node | Stream | RemoteNode,
        *,
        run: str = "kernel",
        quality: int = 80,
        max_in_flight: int = 2,
        fps: float = 30.0,
        owns_runtime: bool = False,
        full_resolution: bool = False,
    ) -> None:
        if isinstance(node, RemoteNode):
            self._init_whep(node)
            return
        target = node.node if isinstance(node, Stream) else node
        runtime = target.runtime
        if runtime is None:
            raise GraphError(
                f"'{target.name}' is not in a runtime: runtime.add_stream(Stream({target.name})) first"
            )
        self.runtime: Runtime = runtime
        self.node = target
        if run not in ("kernel", "browser"):
            raise ValueError(f"run must be 'kernel' or 'browser', not {run!r}")
        if run == "browser":
            try:
                program = inpage.program(target, fps=fps)
            except inpage.NotInPage as why:
                self._init_kernel_path(
                    quality, max_in_flight, fps, owns_runtime, notice=f"runs in the kernel: {why}"
                )
                self.full_resolution = full_resolution
            else:
                self._init_in_page(program, fps, (quality, max_in_flight, owns_runtime, full_resolution))
            return
        self._init_kernel_path(quality, max_in_flight, fps, owns_runtime)
        self.full_resolution = full_resolution

    def _init_in_page(
        self, program: dict[str, Any], fps: float, fallback: tuple[int, int, bool, bool]
    ) -> None:
        super().__init__(run="browser", program=program)
        _, self._effects, _ = inpage.chain(self.node)
        self._closed = threading.Event()
        self._fps = fps
        self._owns_runtime = False
        # What the kernel path takes should the page say it cannot run the chain (no WebGPU adapter).
        self._fallback = fallback
        self.frames_sent = 0
        self.on_msg(self._on_page_message)
        _live.add(self)
        thread = threading.Thread(target=self._sync, name=f"streamlib-inpage-{self.node.name}", daemon=True)
        self._thread: threading.Thread | None = thread
        thread.start()

    def _init_whep(self, node: RemoteNode) -> None:
        if not node.outputs:
            raise GraphError(f"'{node.name}' is a {node.kind}: it has no video to play")
        super().__init__(run="whep", whep_url=node.whep_url)
        self.remote_node = node
        self._closed = threading.Event()
        self._owns_runtime = False
        self._thread = None
        self.frames_sent = 0
        self.on_msg(self._on_whep_message)
        _live.add(self)

    def _on_whep_message(self, _: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        if message.get("type") == "whep-ready":
            self.send({"type": "whep-auth", "token": self.remote_node.runtime.token or ""})

    def _on_page_message(self, _: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        kind = message.get("type")
        if kind == "page-cannot-run" and self.run == "browser":
            self._fall_back_to_kernel(str(message.get("reason", "")))
        elif kind == "program-error":
            self.error = f"the page kept its last good effect: {message.get('message', '')}"
        elif kind == "program-ok" and message.get("generation") == self.program.get("generation"):
            self.error = ""
        elif kind == "video-request":
            try:
                data = inpage.video_bytes(self.node)
            except (OSError, inpage.NotInPage) as err:
                self.send({"type": "video", "error": str(err)})
                return
            if data is None:  # the chain changed since the page was told to play a video
                self.send({"type": "video", "error": "the chain no longer starts at a video file"})
            else:
                self.send({"type": "video"}, buffers=[data])

    def _fall_back_to_kernel(self, reason: str) -> None:
        """The page cannot run the chain (a compute chain where the browser offers no WebGPU adapter): the
        kernel runs it and streams frames, as `run="kernel"` would; the page's view has switched itself."""
        quality, max_in_flight, owns_runtime, full_resolution = self._fallback
        self._closed.set()  # ends the in-page sync thread
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.run = "kernel"
        notice = f"runs in the kernel: {reason}"
        self._start_kernel_path(quality, max_in_flight, self._fps, owns_runtime, notice)
        self.full_resolution = full_resolution

    def _sync(self) -> None:
        """Keeps the page's chain in step with the kernel's: hot swaps, parameter values, control widgets."""
        shaders = [effect.shader for effect in self._effects]
        sent = {effect.name: inpage.effect_values(effect) for effect in self._effects}
        last_tick = 0.0
        generation = 0
        while not self._closed.wait(SYNC_S):
            try:
                if [effect.shader for effect in self._effects] != shaders:
                    # A hot swap (a %%hlsl re-run, a saved file): the page gets the new chain at once.
                    shaders = [effect.shader for effect in self._effects]
                    generation += 1
                    self.program = inpage.program(self.node, fps=self._fps, generation=generation)
                for effect in self._effects:
                    values = inpage.effect_values(effect)
                    changed = {k: v for k, v in values.items() if sent[effect.name].get(k) != v}
                    if changed:
                        sent[effect.name] = values
                        self.send({"type": "params", "pass": effect.name, "values": changed})
                bindings = inpage.control_bindings(self._effects)
                if bindings != self.bindings:
                    self.bindings = bindings
                if time.monotonic() - last_tick >= TICK_S:
                    last_tick = time.monotonic()
                    self.send({"type": "tick"})
            except Exception as err:  # noqa: BLE001 - the page keeps its last good chain; say why
                self.error = f"the page did not get the latest change: {err}"
                self._closed.wait(1.0)

    def _init_kernel_path(
        self, quality: int, max_in_flight: int, fps: float, owns_runtime: bool, notice: str = ""
    ) -> None:
        super().__init__()
        self._start_kernel_path(quality, max_in_flight, fps, owns_runtime, notice)

    def _start_kernel_path(
        self, quality: int, max_in_flight: int, fps: float, owns_runtime: bool, notice: str
    ) -> None:
        target, runtime = self.node, self.runtime
        self.sink = PreviewSink(quality=quality, name=f"preview_{target.name}_{len(_live) + 1}")
        # The page's acknowledgements pace the graph: no frame is made that the page cannot take.
        self.sink.set_paced(True)
        was_running = runtime.is_running
        if was_running:
            runtime.stop()
        runtime.connect(target, self.sink, delivery="latest")
        self.max_in_flight, self.notice = max_in_flight, notice
        streaming.stream_messages(self, STREAMED_MESSAGES)
        self._base_notice = notice
        self._in_flight = 0
        self._visible_views: set[str] = set()
        # Device pixels each view shows the picture at; frames are scaled to the largest.
        self._view_sizes: dict[str, tuple[int, int]] = {}
        self._ready = threading.Event()
        self._wake = threading.Condition()
        self._closed = threading.Event()
        self.frames_sent = 0
        self._fps = fps
        self._owns_runtime = owns_runtime
        self._thread = None
        self.on_msg(self._on_message)
        self.observe(lambda change: self.sink.set_lossless(bool(change["new"])), names="lossless")
        self.observe(lambda _: self._fit_to_views(), names="full_resolution")
        self.observe(self._on_pause, names="paused")
        _live.add(self)
        self._ensure_running()

    @property
    def sending(self) -> bool:
        """True while the thread that forwards frames to the page is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _ensure_running(self) -> None:
        with self._wake:
            if self._closed.is_set() or self.sending:
                return
            self._thread = threading.Thread(
                target=self._pump, name=f"streamlib-preview-{self.node.name}", daemon=True
            )
            self._thread.start()
        if not self.runtime.is_running:
            self.runtime.start(fps=self._fps)

    def _on_pause(self, change: dict[str, Any]) -> None:
        with self._wake:
            self._wake.notify_all()

    def _on_message(self, _: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        kind = message.get("type")
        if kind == "ack":
            with self._wake:
                self._in_flight = max(0, self._in_flight - 1)
                self._wake.notify_all()
        elif kind == "ready":
            self._ready.set()
            with self._wake:
                # A new view: frames sent to a removed one will never be acknowledged.
                self._in_flight = 0
                self._visible_views.add(str(message.get("view", "")))
                self._wake.notify_all()
            self._ensure_running()
        elif kind == "visible":
            with self._wake:
                view = str(message.get("view", ""))
                if message.get("value"):
                    self._visible_views.add(view)
                else:
                    self._visible_views.discard(view)
                self._wake.notify_all()
            if message.get("value"):
                self._ensure_running()
        elif kind == "display":
            width, height = int(message.get("width", 0)), int(message.get("height", 0))
            self._view_sizes[str(message.get("view", ""))] = (max(0, width), max(0, height))
            self._fit_to_views()
        elif kind == "mouse":
            self.runtime.set_mouse(
                float(message.get("x", 0)), float(message.get("y", 0)), int(message.get("buttons", 0))
            )

    def _fit_to_views(self) -> None:
        """Asks the graph for frames at the size of the largest view (all of them when one is unknown)."""
        sizes = list(self._view_sizes.values())
        if self.full_resolution or not sizes or any(w == 0 or h == 0 for w, h in sizes):
            self.sink.set_display_size(0, 0)
        else:
            self.sink.set_display_size(max(w for w, _ in sizes), max(h for _, h in sizes))

    def _can_send(self) -> bool:
        return bool(self._visible_views) and not self.paused and self._in_flight < self.max_in_flight

    def _pump(self) -> None:
        """Moves encoded frames from the Rust preview queue to the page (the only Python on this path)."""
        unseen_since = time.monotonic()
        last_cameras: dict[str, int] = {}
        while not self._closed.is_set():
            with self._wake:
                if self._visible_views:
                    unseen_since = time.monotonic()
                elif time.monotonic() - unseen_since > IDLE_EXIT_S:
                    self._thread = None
                    break
                if not self._can_send():
                    self._wake.wait(timeout=0.25)
                    continue
            frame = self.sink.take(timeout=0.25)
            if frame is None:
                if self.runtime.stats().get("error"):
                    self.error = f"the graph stopped: {self.runtime.stats()['error']}"
                continue
            index, width, height, mime, data = frame
            full_width, full_height = self.sink.source_size
            # A camera frame handled by now is in this frame or superseded by it, except at most one that
            # arrived while this frame rendered and still waits in the source (counted one frame early).
            feeding = list(cameras_feeding(self.runtime))
            cameras = {camera.key: camera.frames_handled for camera in feeding}
            # A frame with new camera frames in it is paced by the cameras' own limit on frames in flight
            # (capture → draw, counted by these numbers): the page does not ack it, which spares a message
            # each way per frame.
            paced_by_camera = any(count > last_cameras.get(key, 0) for key, count in cameras.items())
            last_cameras = cameras
            if paced_by_camera:
                for camera in feeding:
                    camera.counted_by_preview()
            stats = self.runtime.stats()
            self._report_gpu_events(stats)
            with self._wake:
                if not paced_by_camera:
                    self._in_flight += 1
            self.send(
                {
                    "type": "frame",
                    "index": index,
                    "width": width,
                    "height": height,
                    # The frame's own size: the page draws the scaled frame into a canvas this large.
                    "full_width": full_width,
                    "full_height": full_height,
                    "mime": mime,
                    "frame_ms": stats.get("frame_ms_p50", 0.0),
                    "dropped": self.sink.dropped,
                    # The page's cameras count these frames as shown, ending their time in flight.
                    "cameras": cameras,
                    "paced_by_camera": paced_by_camera,
                },
                buffers=[data],
            )
            self.frames_sent += 1
        if self._owns_runtime and self.runtime.is_running:
            self.runtime.stop()

    def _report_gpu_events(self, stats: dict[str, Any]) -> None:
        """Effects the frame watchdog bypasses are named under the picture for as long as they are, and a
        recovery from a lost GPU device is told."""
        said = [overrun["message"] for overrun in stats.get("bypassed", {}).values()]
        said += [stats["device_lost"]] if stats.get("device_lost") else []
        notice = " · ".join([self._base_notice, *said] if self._base_notice else said)
        if notice != self.notice:
            self.notice = notice

    def close(self) -> None:
        """Stops sending frames. A graph this preview started for itself stops too; others keep running."""
        self._closed.set()
        streaming.forget(self)
        if self.run in ("browser", "whep"):
            super().close()
            return
        with self._wake:
            self._wake.notify_all()
        if self._owns_runtime:
            self.runtime.stop()
        super().close()


_shader_previews: dict[str, tuple[Runtime, Preview]] = {}


def preview_shader(name: str, shader: Shader) -> Preview:
    """`%%hlsl NAME --preview`: the registered shader on the built-in test pattern. Re-running the cell
    reuses the same preview: the effect follows `streamlib.shaders[NAME]`."""
    existing = _shader_previews.get(name)
    if existing is not None and not existing[1]._closed.is_set():
        return existing[1]
    runtime = Runtime()
    source = TestPattern(640, 360, name="test_pattern")
    effect = Effect(name, name=name)
    runtime.connect(source, effect)
    preview = Preview(effect, owns_runtime=True)
    _shader_previews[name] = (runtime, preview)
    return preview


def existing_preview(name: str) -> Preview | None:
    entry = _shader_previews.get(name)
    return entry[1] if entry is not None and not entry[1]._closed.is_set() else None


def close_all() -> None:
    for preview in list(_live):
        preview.close()
    for runtime, _ in _shader_previews.values():
        runtime.stop()
    _shader_previews.clear()
