"""Saved models and image files for the `kerascope` command tests.

Models are saved once per test session (so once per KERAS_BACKEND) with weights
set from numpy, so every backend sees the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from cli_custom_layers import Scale
from cli_harness import IMAGE_SIDE, digit_images


def conv_model(*, dead_units: int = 0) -> keras.Model:
    """A small CNN on (8, 8, 1) images whose ReLU units are all active on
    non-negative inputs (positive weights and biases), except `dead_units`
    units of `hidden` whose bias is -100."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 1), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    x = layers.Dense(8, activation="relu", name="hidden")(x)
    outputs = layers.Dense(3, activation="softmax", name="probs")(x)
    model = keras.Model(inputs, outputs, name="digits")
    rng = np.random.default_rng(0)
    for layer, scale in (("conv", 0.5), ("hidden", 0.1), ("probs", 0.3)):
        kernel, bias = model.get_layer(layer).get_weights()
        kernel = np.abs(rng.normal(size=kernel.shape)) * scale
        bias = np.full(bias.shape, 0.01)
        if layer == "hidden":
            bias[:dead_units] = -100.0
        model.get_layer(layer).set_weights([kernel.astype("float32"), bias.astype("float32")])
    return model


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    """Saved models: the CNN (.keras, .h5), a dead one, a Lambda one, a custom-layer one."""
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    keras.utils.set_random_seed(0)
    cnn = conv_model()
    for name in ("cnn.keras", "cnn.h5"):
        paths[name] = folder / name
        cnn.save(paths[name])
    paths["dead.keras"] = folder / "dead.keras"
    conv_model(dead_units=5).save(paths["dead.keras"])

    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Conv2D(2, 3, name="conv")(inputs)
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    paths["lambda.keras"] = folder / "lambda.keras"
    keras.Model(inputs, x, name="with_lambda").save(paths["lambda.keras"])

    inputs = keras.Input((8, 8, 1), name="image")
    x = keras.layers.Flatten(name="flat")(inputs)
    x = keras.layers.Dense(4, name="dense")(x)
    x = Scale(3.0, name="scale")(x)
    custom = keras.Model(inputs, x, name="with_custom")
    for name in ("custom.keras", "custom.h5"):
        paths[name] = folder / name
        custom.save(paths[name])

    text = folder / "notes.keras"
    text.write_text("not a model\n")
    paths["notes.keras"] = text
    return paths


@pytest.fixture(scope="session")
def image_dir(tmp_path_factory) -> Path:
    """Six digits as 24 x 24 grey PNGs (names sorted = digit order), and a text file."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    for i, digit in enumerate(digit_images()[:6]):
        image = Image.fromarray(digit).resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.NEAREST)
        image.save(folder / f"digit_{i:02d}.png")
    (folder / "README.txt").write_text("not an image\n")
    return folder
