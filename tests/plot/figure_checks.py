"""What the plot tests read off a `Figure`: panels, colour bars, text, a rendering."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

layers = keras.layers


def fresh_keras() -> None:
    """Deterministic weights and layer names for a model built next."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def conv_model(dead: tuple[int, ...] = ()) -> keras.Model:
    """(8, 8, 3) -> conv (6, 6, 6), ReLU -> gap (6,) -> probs (3,).

    The conv channels in `dead` never fire (a bias of -100).
    """
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(6, 3, activation="relu", name="conv")(inputs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="probs")(x))
    if dead:
        conv = model.get_layer("conv")
        kernel, bias = conv.get_weights()
        bias[list(dead)] = -100.0
        conv.set_weights([kernel, bias])
    return model


def panels(figure: Figure) -> list[Axes]:
    """The axes that show an image, colour bars left out, in order."""
    return [ax for ax in figure.axes if ax.images and ax.get_label() != "<colorbar>"]


def plain_axes(figure: Figure) -> list[Axes]:
    """Every axes but the colour bars."""
    return [ax for ax in figure.axes if ax.get_label() != "<colorbar>"]


def colour_bars(figure: Figure) -> int:
    return sum(ax.get_label() == "<colorbar>" for ax in figure.axes)


def text(figure: Figure) -> str:
    """The suptitle, every axes title and every free text, one per line."""
    parts = [figure.get_suptitle()]
    for ax in figure.axes:
        parts.append(ax.get_title())
        parts.extend(t.get_text() for t in ax.texts)
    return "\n".join(parts)


def render(figure: Figure) -> bytes:
    """Draws the figure to PNG bytes (any matplotlib warning is a test error)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


def copies(mapping: Mapping[str, Any]) -> dict[str, np.ndarray]:
    return {key: np.array(value, copy=True) for key, value in mapping.items()}


def assert_unchanged(mapping: Mapping[str, Any], before: Mapping[str, np.ndarray]) -> None:
    assert list(mapping) == list(before)
    for key, value in before.items():
        np.testing.assert_array_equal(mapping[key], value, err_msg=key)
