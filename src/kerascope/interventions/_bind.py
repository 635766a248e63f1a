"""Binding edits to a model: the keys a selection names, each output's per-sample
shape, and each intervention's numbers as arrays of that shape."""

from __future__ import annotations

import weakref
from typing import Any

import keras
import numpy as np

from kerascope.capture import cached_probe, layers
from kerascope.errors import InputError
from kerascope.interventions._values import Intervention, function
from kerascope.stats import Statistics

__all__ = ["bind", "calls_of", "interventions_of", "shapes_of"]


# model -> (variables and mode, its (key, layer) calls): `patching` and
# `ablation` call `intervene` many times, and discovery traces the model.
_known_calls: weakref.WeakKeyDictionary[Any, tuple[Any, list[tuple[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def calls_of(model: Any, training: bool) -> list[tuple[str, Any]]:
    token = (bool(training), tuple(id(v) for v in getattr(model, "variables", ())))
    known = _known_calls.get(model) if isinstance(model, keras.layers.Layer) else None
    if known is not None and known[0] == token:
        return known[1]
    calls = list(layers(model, training=training).items())
    _known_calls[model] = (token, calls)
    return calls


def interventions_of(selector: Any, value: Any) -> list[Intervention]:
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    result = []
    for item in items:
        if isinstance(item, Intervention):
            result.append(item)
        elif callable(item):
            result.append(function(item))
        else:
            raise InputError(
                "Expected an intervention (zero, mean, clamp, scale, add, set, patch) or a "
                f"function (key, output) -> output. Received: {selector!r}: {item!r}"
            )
    return result


def shapes_of(model: Any, keys: list[str], training: bool) -> dict[str, tuple[int, ...]]:
    """One sample's output shape per key."""
    specs = cached_probe(model, keys, training=training).specs
    shapes = {}
    for key in keys:
        shape = specs[key].shape
        if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape[1:]):
            raise InputError(
                "Expected a layer with one output of known shape to edit. Received: "
                f"{key!r} with output shape {shape}"
            )
        shapes[key] = tuple(shape[1:])
    return shapes


def bind(
    model: Any, key: str, intervention: Intervention, shape: tuple[int, ...], training: bool
) -> dict[str, np.ndarray]:
    values = {"mask": intervention.mask(shape)}
    numbers = dict(intervention.values)
    if intervention.kind == "mean":
        numbers["value"] = _channel_mean(model, key, intervention.of, training)
    for name, number in numbers.items():
        try:
            values[name] = np.broadcast_to(number, shape).astype(np.float32)
        except ValueError:
            raise InputError(
                f"Expected {name} broadcastable to one sample's output of {key!r}, shape "
                f"{shape}. Received: an array of shape {np.shape(number)}"
            ) from None
    return values


def _channel_mean(model: Any, key: str, of: Any, training: bool) -> np.ndarray:
    """Per-channel mean of `key`'s output: from `Statistics`, or streamed over
    data with `kerascope.stats` (never holding every activation)."""
    if not isinstance(of, Statistics):
        from kerascope.stats import stats

        of = stats(model, of, layers=[key], training=training, progress=False)
    if key not in of:
        raise InputError(
            f"Expected statistics of layer {key!r} for a mean ablation. Received: "
            f"statistics of {list(of)[:8]}"
        )
    means = of[key].channel_mean
    if means is None or not len(means):
        raise InputError(
            f"Expected per-channel statistics of {key!r} (stats(..., per_channel=True)). "
            "Received: statistics without them"
        )
    return np.asarray(means, np.float64)
