"""A preview's page paces the graph it watches: where previews are the only sinks, a frame is made only when
the page can take one, so a page slower than the graph costs no frames it never shows."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytest.importorskip("anywidget")

from streamlib import NumpySink, Runtime, TestPattern  # noqa: E402
from streamlib.jupyter import Preview  # noqa: E402

from ..conftest import poll_until


class SlowPage:
    """Shows the preview in one view and acknowledges frames only when told to."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.frames: list[dict[str, Any]] = []
        preview.send = self.receive  # type: ignore[method-assign]
        preview._on_message(None, {"type": "ready", "view": "v1"}, [])

    def receive(self, content: dict[str, Any], buffers: Any = None) -> None:
        if content.get("type") == "frame":
            self.frames.append(content)

    def acknowledge(self, count: int) -> None:
        for _ in range(count):
            self.preview._on_message(None, {"type": "ack"}, [])


def test_a_page_that_takes_no_frame_gets_none_made_and_each_ack_gets_one() -> None:
    runtime = Runtime()
    source = TestPattern(320, 180)
    runtime.add_stream(source)
    preview = Preview(source, fps=60, max_in_flight=2)
    page = SlowPage(preview)
    try:
        poll_until(lambda: len(page.frames) >= 2, "the first two frames", timeout=30)
        time.sleep(1.0)  # 60 frames' time at the graph's rate
        made = runtime.stats()["frames"]
        assert len(page.frames) == 2
        assert made <= 3, f"{made} frames made for a page that took 2"
        page.acknowledge(2)
        poll_until(lambda: len(page.frames) >= 4, "a frame for each acknowledgement", timeout=30)
        time.sleep(0.5)
        assert len(page.frames) == 4
        assert runtime.stats()["frames"] <= made + 3
        # Every frame made was sent: none was rendered, read back and encoded to be thrown away.
        assert preview.sink.dropped == 0
        assert [frame["index"] for frame in page.frames] == sorted({frame["index"] for frame in page.frames})
    finally:
        preview.close()
        runtime.stop()


def test_another_sink_keeps_the_graph_at_its_own_rate() -> None:
    runtime = Runtime()
    source = TestPattern(320, 180)
    numpy = NumpySink()
    runtime.connect(source, numpy)
    preview = Preview(source, fps=60, max_in_flight=2)
    page = SlowPage(preview)
    try:
        poll_until(lambda: len(page.frames) >= 2, "the first two frames", timeout=30)
        made = runtime.stats()["frames"]
        poll_until(lambda: runtime.stats()["frames"] >= made + 20, "20 frames for the numpy sink", timeout=30)
        assert len(page.frames) == 2
    finally:
        preview.close()
        runtime.stop()
