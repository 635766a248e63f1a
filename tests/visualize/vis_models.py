"""Models and independent measurements shared by the feature visualization tests."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import kerascope
from harness import patched_layers


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits, `(1797, 8, 8, 1)` in [0, 1], and labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    return (data.images / 16.0).astype("float32")[..., None], data.target.astype("int32")


def trained_digits_cnn() -> keras.Model:
    """A small CNN trained on the digits; `conv2` is its middle conv layer."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x, y = digits()
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1), name="digit"),
            layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(name="pool"),
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv3"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(10, activation="softmax", name="probs"),
        ],
        name="digits_cnn",
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=6, batch_size=64, verbose=0)
    return model


def channel_means(model: Any, x: np.ndarray, key: str) -> np.ndarray:
    """Each sample's mean of each channel over positions, `(samples, channels)`,
    measured by `kerascope.capture` alone."""
    acts = kerascope.capture(model, x, layers=key)[key]
    return acts.reshape(len(x), -1, acts.shape[-1]).mean(axis=1)


def weights(model: Any) -> list[np.ndarray]:
    """Copies of every variable's value."""
    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in model.variables]


def assert_untouched(model: Any, before: list[np.ndarray], trainable: list[bool]) -> None:
    """Weights bit-identical, `trainable` flags unchanged, no `call` left on any layer."""
    after = weights(model)
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert [layer.trainable for layer in model.layers] == trainable
    assert patched_layers(model) == []
