"""What a layer's activation says its outputs can be: ReLU (can die) or bounded (can saturate).

Read from the statistics alone (`LayerStats.activation`, `class_name`): `relu`
for `Dense(..., activation="relu")`, a `ReLU` layer or `Activation("relu")`.
"""

from __future__ import annotations

import math

import numpy as np

from kerascope.stats import LayerStats

__all__ = ["bounds_of", "dead_fraction", "dead_units_of", "is_relu", "saturated_fraction"]

_RELU = frozenset({"relu", "relu6"})
#: The output range of bounded activations.
_BOUNDS = {
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "softmax": (0.0, 1.0),
}


def is_relu(layer: LayerStats) -> bool:
    """Whether the layer's outputs come out of a ReLU (so can be "dead")."""
    return layer.activation in _RELU or layer.class_name == "ReLU"


def bounds_of(layer: LayerStats) -> tuple[float, float] | None:
    """The output range of a layer with a bounded activation, else None."""
    if layer.activation in _BOUNDS:
        return _BOUNDS[layer.activation]
    if layer.class_name == "Softmax":
        return _BOUNDS["softmax"]
    return None


def dead_fraction(layer: LayerStats) -> float:
    """The fraction of a ReLU layer's units never active (> 0); NaN for other layers.

    Without per-channel statistics the layer counts as one unit: dead when its
    largest value is <= 0.
    """
    if not is_relu(layer) or layer.samples == 0 or layer.count == 0:
        return math.nan
    units, total = dead_units_of(layer)
    return units.size / total


def dead_units_of(layer: LayerStats) -> tuple[np.ndarray, int]:
    """`(indices of the units never > 0, number of units)`; one unit without per-channel data."""
    if layer.per_channel:
        return np.flatnonzero(layer.active_count == 0), int(layer.active_count.size)
    return np.zeros(1 if layer.max <= 0 else 0, np.int64), 1


def saturated_fraction(layer: LayerStats, margin: float = 0.02) -> tuple[float, float]:
    """`(at_low, at_high)`: the fractions of a bounded layer's values at each bound.

    A value is at a bound within `margin` times the output range. NaN for a
    layer without a bounded activation.
    """
    bounds = bounds_of(layer)
    if bounds is None or layer.count == 0:
        return math.nan, math.nan
    low, high = bounds
    width = margin * (high - low)
    return layer.fraction_below(low + width), layer.fraction_above(high - width)
