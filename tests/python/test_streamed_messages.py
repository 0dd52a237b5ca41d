"""A page's streamed messages (a preview's acks, a camera's frames) reach the widget in a real ipykernel with
an idle status and no busy one, so JupyterLab's kernel indicator does not flicker with the stream; any other
message, to the same widget or as code, still makes the kernel busy then idle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("anywidget")
manager = pytest.importorskip("jupyter_client.manager")

SETUP = """
from streamlib import Runtime, TestPattern
from streamlib.jupyter import Preview
from streamlib.jupyter.camera import Camera
camera = Camera(32, 16)
runtime = Runtime()
pattern = TestPattern(64, 36)
runtime.add_stream(pattern)
preview = Preview(pattern)
print(camera.model_id, preview.model_id)
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    kernel_manager, client = manager.start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        kernel_manager.shutdown_kernel(now=True)


def statuses(client: Any, msg_id: str, timeout: float = 20.0) -> list[str]:
    """The kernel's statuses answering `msg_id`, up to its idle; its printed output is kept on the client."""
    said: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=deadline - time.monotonic())
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            client.printed = getattr(client, "printed", "") + message["content"]["text"]
        if message["msg_type"] == "status":
            said.append(message["content"]["execution_state"])
            if said[-1] == "idle":
                return said
    pytest.fail(f"no idle status for {msg_id} within {timeout} s (saw {said})")


def run(client: Any, code: str) -> tuple[list[str], str]:
    client.printed = ""
    msg_id = client.execute(code)
    return statuses(client, msg_id), client.printed


def custom(client: Any, comm_id: str, content: dict[str, Any]) -> list[str]:
    data = {"method": "custom", "content": content}
    message = client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    client.shell_channel.send(message)
    return statuses(client, message["header"]["msg_id"])


def test_streamed_messages_leave_the_kernel_idle_and_reach_the_widget(kernel: Any) -> None:
    said, printed = run(kernel, SETUP)
    assert said == ["busy", "idle"], printed
    camera_id, preview_id = printed.split()

    assert custom(kernel, camera_id, {"type": "shown", "value": True}) == ["idle"]
    assert run(kernel, "print(camera._shown_in_page)")[1].strip() == "True"
    assert custom(kernel, preview_id, {"type": "ack", "index": 0}) == ["idle"]
    assert custom(kernel, preview_id, {"type": "mouse", "x": 3, "y": 4, "buttons": 1}) == ["idle"]

    # Not streamed: a message the widget answers once, and one to a widget that is closed.
    assert custom(kernel, preview_id, {"type": "visible", "value": False, "view": "v"}) == ["busy", "idle"]
    assert run(kernel, "camera.close()")[0] == ["busy", "idle"]
    assert custom(kernel, camera_id, {"type": "shown", "value": False}) == ["busy", "idle"]
