"""The demo behind `kerascope demo`: train a small CNN on real digits, capture every layer."""

from __future__ import annotations

import time
from typing import Any, TextIO

import keras
import numpy as np

from kerascope._text import table
from kerascope.capture import capture


def load_digits_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits as `(samples, 8, 8, 1)` floats in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "The demo needs scikit-learn for its bundled digits. "
            "Install it with `pip install kerascope[demo]`."
        ) from error
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    return images, digits.target.astype("int32")


def build_cnn() -> keras.Model:
    """A small CNN for 8x8 grey images, 10 classes."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="digit")
    x = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="digits_cnn")


def run(*, epochs: int = 10, out: TextIO, seed: int = 0) -> dict[str, Any]:
    """Trains the CNN briefly, captures every layer on held-out digits, writes a table.

    Returns a summary: test accuracy, the captured keys and the capture time.
    """
    keras.utils.set_random_seed(seed)
    images, labels = load_digits_images()
    order = np.random.default_rng(seed).permutation(len(images))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(images))
    model = build_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    out.write(
        f"kerascope demo on the {keras.backend.backend()} backend: training a small CNN "
        f"on {split} of scikit-learn's {len(images)} bundled 8x8 digits...\n"
    )
    model.fit(images[:split], labels[:split], epochs=epochs, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(images[split:], labels[split:], verbose=0)
    out.write(f"test accuracy after {epochs} epochs: {accuracy:.1%}\n\n")

    start = time.perf_counter()
    acts = capture(model, images[split:])
    seconds = time.perf_counter() - start
    out.write(
        f"captured {len(acts)} layers for {len(images) - split} held-out digits in one forward "
        f"pass per batch ({seconds:.2f} s, including compilation):\n\n"
    )
    out.write(_table(acts) + "\n")
    return {"accuracy": float(accuracy), "keys": list(acts), "seconds": seconds}


def _table(acts: Any) -> str:
    header = ("layer", "class", "shape", "mean", "std", "min", "max", "zeros")
    rows = [header]
    for key, info in acts.info.items():
        a = np.asarray(acts[key], dtype="float64")
        rows.append(
            (
                key,
                info.class_name,
                str(tuple(a.shape)),
                f"{a.mean():.3f}",
                f"{a.std():.3f}",
                f"{a.min():.3f}",
                f"{a.max():.3f}",
                f"{(a == 0).mean():.1%}",
            )
        )
    return table(rows, left=3, indent="")
