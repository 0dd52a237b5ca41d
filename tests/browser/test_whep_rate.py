"""Headless Chromium — the viewer most people will use — plays a runtime's 720p node over WHEP behind a real
slow link (`tests/runtime/shaped_link.py`: a token bucket with a 300 ms queue in a network namespace of its
own): the sending session's rate control reads Chromium's RTCP reports, and on a link too slow for 720p the
encoder sends 640×360. Chromium counts its own frozen time (`totalFreezesDuration`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..runtime.shaped_link import shaped_run
from .lab import CHROMIUM

SECONDS = 30


@pytest.fixture(autouse=True)
def chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's chromium (make deps installs it)")


def settled_half(seconds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert len(seconds) == SECONDS, seconds
    return seconds[SECONDS // 2 :]


def test_chromium_behind_a_link_too_slow_for_720p_gets_640x360_without_freezing() -> None:
    seconds = shaped_run(500, SECONDS, viewer="chromium")
    # The session opens at 500 kbit/s, 640×360 for 720p: pictures from the first seconds.
    assert sum(s["decoded"] for s in seconds[:3]) > 0, seconds[:3]
    settled = settled_half(seconds)
    assert all(s["sent_size"] == [640, 360] and s["size"] == [640, 360] for s in settled), settled
    decoded = sum(s["decoded"] for s in settled)
    frozen = sum(s["frozen_s"] for s in settled)
    # Measured: mostly 30 fps and nothing frozen from second 9 on, the start's overrun freezing it ~3 s
    # before; but in 2 of 4 fresh-clone runs a freeze of 2.1 and 2.7 s still reached the second half (and
    # 395 of 375 frames came). Never frozen for good: that is what this bounds.
    assert decoded >= 20 * len(settled) and frozen <= 4.0, settled


def test_chromium_behind_a_1_mbit_link_keeps_a_moving_picture() -> None:
    seconds = shaped_run(1000, SECONDS, viewer="chromium")
    settled = settled_half(seconds)
    decoded = sum(s["decoded"] for s in settled)
    frozen = sum(s["frozen_s"] for s in settled)
    assert decoded >= 25 * len(settled) and frozen <= 1.0, settled
    sent = (settled[-1]["bytes"] - seconds[SECONDS // 2 - 1]["bytes"]) * 8 / 1000 / len(settled)
    assert sent < 1.2 * 1000, f"{sent:.0f} kbit/s sent into a 1000 kbit/s link"
