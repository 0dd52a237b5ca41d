"""Fixtures the pixel tests share: one runtime, the test frame, and that frame as a texture."""

from __future__ import annotations

import numpy as np
import pytest

import streamlib

from .references import make_test_image


@pytest.fixture(scope="module")
def runtime() -> streamlib.Runtime:
    return streamlib.Runtime()


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return make_test_image()


@pytest.fixture(scope="module")
def texture(runtime: streamlib.Runtime, image: np.ndarray) -> streamlib.Texture:
    return runtime.texture_from_numpy(image)
