"""What `visualize` checks and derives before optimising: the input, the units, dead ones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError

__all__ = ["dead_in_data", "input_shape", "unit_list"]


def input_shape(model: Any, spec: Any, size: int | Sequence[int] | None) -> tuple[int, ...]:
    """One input's shape without the batch axis, its unknown axes filled from `size`.

    Raises:
        InputError: for several inputs, integer (token) inputs, or an unknown size.
    """
    name = getattr(model, "name", type(model).__name__)
    if spec is None:
        raise InputError(
            f"Expected a model with a known input shape. Received: model {name!r}, whose "
            "inputs Keras did not record; build it with `keras.Input` or call it once"
        )
    if not isinstance(spec, keras.KerasTensor):
        raise InputError(
            "Expected a model with one input to optimise. Received: model "
            f"{name!r} with {len(keras.tree.flatten(spec))} inputs"
        )
    dtype = np.dtype(str(spec.dtype)) if "float" not in str(spec.dtype) else np.dtype("float32")
    if dtype.kind != "f":
        raise InputError(
            "Expected a model with floating-point inputs: gradient ascent needs an input it "
            "can change by small amounts, and token ids are integers (an embedding lookup "
            "has no gradient with respect to the id). For what excites a unit of such a "
            "model, use its dataset examples: `kerascope.top_examples(model, data)`. "
            f"Received: model {name!r} with inputs of dtype {spec.dtype}"
        )
    shape = list(spec.shape[1:])
    unknown = [i for i, d in enumerate(shape) if d is None]
    if unknown:
        if size is None:
            raise InputError(
                f"Expected size= for model {name!r}, whose inputs {tuple(spec.shape)} have "
                f"unknown dimensions. Received: size=None"
            )
        sizes = [int(size)] * len(unknown) if np.isscalar(size) else [int(s) for s in size]  # type: ignore[arg-type, union-attr]
        if len(sizes) != len(unknown) or min(sizes) < 1:
            raise InputError(
                f"Expected size= a positive int or {len(unknown)} of them for inputs "
                f"{tuple(spec.shape)}. Received: size={size!r}"
            )
        for i, s in zip(unknown, sizes):
            shape[i] = s
    if not shape:
        raise InputError(f"Expected inputs with a feature axis. Received: shape {spec.shape}")
    return tuple(int(d) for d in shape)


def unit_list(channels: Any, count: Any, key: str, objective: Any) -> list[int]:
    """The channel indices asked for, checked against the layer's `count` channels."""
    if channels is None:
        if count is None:
            raise InputError(
                f"Expected channels= for {key!r}, whose number of channels is unknown. "
                "Received: channels=None"
            )
        return list(range(int(count))) if objective != "layer" else [0]
    if isinstance(channels, (int, np.integer)):
        units = [int(channels)]
    else:
        units = [int(c) for c in channels]
    if not units:
        raise InputError(f"Expected at least one channel. Received: channels={channels!r}")
    if count is not None and isinstance(objective, str):
        wrong = [c for c in units if not 0 <= c < int(count)]
        if wrong:
            raise InputError(
                f"Expected channels in [0, {int(count)}) for {key!r}. Received: {wrong}"
            )
    return units


def dead_in_data(model: Any, data: Any, key: str, progress: bool) -> list[int]:
    """The channels of `key` that `kerascope.diagnose` finds never active over `data`."""
    from kerascope.diagnostics import diagnose

    found: list[int] = []
    for finding in diagnose(model, data, layers=[key], progress=progress):
        units = finding.evidence.get("units")
        if finding.kind == "dead" and finding.key == key and isinstance(units, list):
            found.extend(int(u) for u in units)
    return found
