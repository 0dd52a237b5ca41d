"""Messages a page streams to a widget (a preview's acks, a camera's frames) leave the kernel's status alone.

ipykernel publishes "busy" then "idle" around every message on the shell channel; JupyterLab shows each change
(the kernel indicator, the tab's favicon, the notebook's progress) and redraws. For a stream of 30-60 small
messages a second that flickers the indicator and costs the page more than the frames themselves: measured
with `benches/preview_bench.py` (2-core VM, headless Chromium), dropping those status pairs took the 720p
preview from 37 to 56 fps and its comm + page part from 34 to 14 ms. The "busy" of a streamed message is left
out and its "idle" still goes: an idle status is what ends the page's record of the message it answers
(JupyterLab disposes a sent message's future on it), and idle after idle changes nothing on screen. Other
messages, ipywidgets' own included, keep both.
"""

from __future__ import annotations

import weakref
from typing import Any

import anywidget

# Widget model id → the custom message types its page streams.
_streamed: dict[str, frozenset[str]] = {}
_kernels: weakref.WeakSet[Any] = weakref.WeakSet()


def stream_messages(widget: anywidget.AnyWidget, types: frozenset[str]) -> None:
    """Messages of `types` from `widget`'s page are streamed: they do not make the kernel busy."""
    model_id = widget.model_id
    _streamed[model_id] = types
    # A widget dropped without `close()` takes its entry with it.
    weakref.finalize(widget, _streamed.pop, model_id, None)
    _install(_running_kernel())


def forget(widget: anywidget.AnyWidget) -> None:
    _streamed.pop(getattr(widget, "model_id", ""), None)


def is_streamed(message: dict[str, Any] | None) -> bool:
    """Whether `message` (a shell message, as ipykernel holds its parent) is a streamed widget message."""
    if not message or message.get("header", {}).get("msg_type") != "comm_msg":
        return False
    content = message.get("content") or {}
    data = content.get("data") or {}
    if data.get("method") != "custom":
        return False
    inner = data.get("content")
    kind = inner.get("type") if isinstance(inner, dict) else None
    return kind in _streamed.get(str(content.get("comm_id")), frozenset())


def _running_kernel() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "kernel", None)


def _install(kernel: Any) -> None:
    """Wraps `kernel`'s status publisher once. A kernel without the ipykernel ≥ 6 hooks this needs keeps its
    own: the stream still works, with the status pair per message."""
    publish = getattr(kernel, "_publish_status", None)
    get_parent = getattr(kernel, "get_parent", None)
    if kernel is None or kernel in _kernels or not callable(publish) or not callable(get_parent):
        return

    def publish_status(status: str, channel: str, parent: Any = None) -> Any:
        if status == "busy" and channel == "shell" and is_streamed(parent or get_parent(channel)):
            return None
        return publish(status, channel, parent)

    kernel._publish_status = publish_status
    _kernels.add(kernel)
