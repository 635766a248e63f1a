"""The small models the store tests record (also imported by the SIGKILL subprocess)."""

from __future__ import annotations

import keras
import numpy as np

layers = keras.layers

BATCH = 8


@keras.saving.register_keras_serializable(package="kerascope_tests")
class Split(layers.Layer):
    """A layer with two outputs, a tuple, or with `nested=True` a tuple holding a dict."""

    def __init__(self, nested: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.nested = nested

    def call(self, x):
        if self.nested:
            return (x[:, :2], {"double": x * 2.0, "tail": x[:, 2:]})
        return (x[:, :2], x[:, 2:])


@keras.saving.register_keras_serializable(package="kerascope_tests")
class Pair(layers.Layer):
    """A layer with a dict of two outputs."""

    def call(self, x):
        return {"double": x * 2.0, "square": x * x}


def build_model(nested: bool = False) -> keras.Model:
    """Nested Sequential ('encoder/conv'), a shared layer ('shared:0'), multi-output layers."""
    encoder = keras.Sequential(
        [keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="conv"), layers.ReLU(name="relu")],
        name="encoder",
    )
    inputs = keras.Input((8, 8, 3), name="image")
    h = encoder(inputs)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    shared = layers.Dense(4, activation="tanh", name="shared")
    h = shared(shared(h))
    first, rest = Split(nested=nested, name="split")(h)
    tail = rest["tail"] if nested else rest
    pair = Pair(name="pair")(tail)
    merged = layers.Concatenate(name="cat")([first, pair["double"], pair["square"]])
    outputs = layers.Dense(2, name="head")(merged)
    return keras.Model(inputs, outputs, name="small_cnn")


def inputs(samples: int = 40) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(samples, 8, 8, 3)).astype("float32")


def batches(x: np.ndarray, size: int = BATCH):
    """`x` as a generator of batches (a stream of unknown length)."""
    for start in range(0, len(x), size):
        yield x[start : start + size]
