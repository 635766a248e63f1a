"""Shared fixtures. The whole suite runs once per KERAS_BACKEND."""

from __future__ import annotations

import gc

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Deterministic weights and layer names in every test."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    yield
    gc.collect()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture
def backend() -> str:
    return keras.backend.backend()
