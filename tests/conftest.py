"""Shared fixtures. The whole suite runs once per KERAS_BACKEND."""

from __future__ import annotations

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Deterministic weights and layer names in every test.

    No `gc.collect()` here: with a backend loaded it costs 0.3-0.8 s a test;
    the tests about object lifetimes collect themselves.
    """
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def backend() -> str:
    return keras.backend.backend()
