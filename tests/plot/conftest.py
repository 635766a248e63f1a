"""Plot tests: figures are checked in memory, on the Agg backend (nothing is shown)."""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest
from figure_checks import conv_model, fresh_keras

import kerascope
from kerascope.capture import Activations

# The plots never touch pyplot; this only keeps any stray pyplot use off a GUI.
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _fresh_keras_state() -> None:
    """Replaces the suite's reset before every test (clear_session, seeding, gc.collect:
    about half a second a test). Most plot tests build no model; the fixtures that do
    reset Keras themselves (`fresh_keras`)."""


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    """Four (8, 8, 3) float images in [0, 1]."""
    return np.random.default_rng(0).random((4, 8, 8, 3), dtype=np.float32)


@pytest.fixture(scope="module")
def model() -> keras.Model:
    """`conv_model(dead=(2,))`: conv channel 2 never fires."""
    fresh_keras()
    return conv_model(dead=(2,))


@pytest.fixture(scope="module")
def acts(model, images) -> Activations:
    """Every layer's activations of `model` on `images` (read them, never write)."""
    return kerascope.capture(model, images)
