"""An independent oracle for interventions: the layers called by hand, eagerly,
with the same edit applied in numpy between them. Never goes through kerascope."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

import kerascope

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}

Edit = Callable[[np.ndarray], np.ndarray]


def run_by_hand(x: np.ndarray, steps: Sequence[tuple[Any, Edit | None]]) -> np.ndarray:
    """Calls each layer on the last output, then applies its numpy edit (if any)."""
    value = x
    for layer, edit in steps:
        value = keras.ops.convert_to_numpy(layer(value))
        if edit is not None:
            value = edit(value.copy())
    return np.asarray(value)


def on_channels(channels: Sequence[int], fn: Edit) -> Edit:
    """A numpy edit of the given last-axis channels only."""

    def edit(value: np.ndarray) -> np.ndarray:
        value[..., list(channels)] = fn(value[..., list(channels)])
        return value

    return edit


def check_edit(model: Any, edits: dict[str, Any], x: np.ndarray, expected: np.ndarray) -> Any:
    """`intervene(model, edits).predict(x)` equals `expected` (the oracle's) to 1e-5."""
    intervened = kerascope.intervene(model, edits)
    actual = intervened.predict(x, batch_size=8)
    np.testing.assert_allclose(actual, expected, **TOLERANCE)
    # The edit changed something: the check would fail for an ignored edit.
    plain = keras.ops.convert_to_numpy(model(x))
    assert not np.allclose(plain, expected, **TOLERANCE), "the edit changes nothing here"
    return intervened
