"""Intervention values: what to do to a layer's output, and to which of its units.

Each value knows its kind, the selection it edits (`channels`, `units`,
`positions`) and its numbers. `intervene` binds the numbers and the unit mask
to arrays of the output's per-sample shape, held by the compiled pass as
variables, so new numbers of the same kind never recompile; `apply` is the
edit itself, in `keras.ops`, run inside that pass. This module imports no Keras
until an edit runs, so saved results and values load without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from kerascope.errors import InputError
from kerascope.interventions._intervention import Intervention

__all__ = [
    "Intervention",
    "add",
    "clamp",
    "function",
    "mean",
    "patch",
    "scale",
    "set_value",
    "zero",
]

Indices = int | Sequence[int] | None


def _indices(name: str, value: Indices) -> tuple[int, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, (int, np.integer)) else list(value)
    if not all(isinstance(i, (int, np.integer)) for i in items):
        raise InputError(f"Expected {name} as an int or a list of ints. Received: {name}={value!r}")
    return tuple(int(i) for i in items)


def _positions(value: Any) -> tuple[Any, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, (int, np.integer)) else list(value)
    for item in items:
        ok = isinstance(item, (int, np.integer)) or (
            isinstance(item, tuple) and all(isinstance(i, (int, np.integer)) for i in item)
        )
        if not ok:
            raise InputError(
                "Expected positions as an int, a tuple of ints (a row and column), or a list "
                f"of those. Received: positions={value!r}"
            )
    return tuple(items)


def _where(channels: Indices, units: Indices, positions: Any) -> dict[str, Any]:
    return {
        "channels": _indices("channels", channels),
        "units": _indices("units", units),
        "positions": _positions(positions),
    }


def _number(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"Expected a number or an array for {name}. Received: {value!r}") from None
    return array


def zero(channels: Indices = None, *, units: Indices = None, positions: Any = None) -> Intervention:
    """Zero ablation: sets the selected units to 0.

    Args:
        channels: Last-axis indices to zero. Defaults to `None` (all).
        units: Flat indices into one sample's output. Defaults to `None` (all).
        positions: Indices on the first axis after the batch (or `(row, col)`
            pairs). Defaults to `None` (all).

    Returns:
        An `Intervention`.

    Example:

    >>> kerascope.intervene(model, {"conv2": zero(channels=[7])})  # doctest: +SKIP
    """
    return Intervention("zero", **_where(channels, units, positions))


def mean(
    of: Any, channels: Indices = None, *, units: Indices = None, positions: Any = None
) -> Intervention:
    """Mean ablation: sets the selected units to their per-channel mean.

    Args:
        of: A `kerascope.stats.Statistics` with per-channel statistics of the
            layer (its `channel_mean`), or input data whose activations'
            per-channel mean is taken.
        channels: Last-axis indices to ablate. Defaults to `None` (all).
        units: Flat indices into one sample's output. Defaults to `None` (all).
        positions: As for `zero`. Defaults to `None` (all).

    Returns:
        An `Intervention`.
    """
    return Intervention("mean", of=of, **_where(channels, units, positions))


def clamp(
    min: float | None = None,
    max: float | None = None,
    *,
    channels: Indices = None,
    units: Indices = None,
    positions: Any = None,
) -> Intervention:
    """Clamps the selected units into `[min, max]`.

    Args:
        min: The lower bound. Defaults to `None` (none).
        max: The upper bound. Defaults to `None` (none).
        channels, units, positions: The units to edit, as for `zero`.

    Returns:
        An `Intervention`.

    Raises:
        InputError: if neither bound is given, or `min > max`.
    """
    if min is None and max is None:
        raise InputError("Expected at least one of min and max. Received: min=None, max=None")
    low = _number("min", -np.inf if min is None else min)
    high = _number("max", np.inf if max is None else max)
    if np.any(low > high):
        raise InputError(f"Expected min <= max. Received: min={min!r}, max={max!r}")
    return Intervention("clamp", {"min": low, "max": high}, **_where(channels, units, positions))


def scale(
    factor: Any, *, channels: Indices = None, units: Indices = None, positions: Any = None
) -> Intervention:
    """Multiplies the selected units by `factor` (a number or a per-channel vector).

    Args:
        factor: A number, a `(channels,)` vector, or an array broadcastable
            to one sample's output.
        channels, units, positions: The units to edit, as for `zero`.

    Returns:
        An `Intervention`.

    Raises:
        InputError: for a factor that is not numeric.

    Example:

    >>> halved = kerascope.intervene(model, {"conv2": scale(0.5, channels=[3])})  # doctest: +SKIP
    """
    return Intervention(
        "scale", {"factor": _number("factor", factor)}, **_where(channels, units, positions)
    )


def add(
    vector: Any, *, channels: Indices = None, units: Indices = None, positions: Any = None
) -> Intervention:
    """Adds `vector` to the selected units: steering along a direction in channel space.

    Args:
        vector: A number, a `(channels,)` direction, or an array broadcastable
            to one sample's output.
        channels, units, positions: The units to edit, as for `zero`.

    Returns:
        An `Intervention`.
    """
    return Intervention(
        "add", {"vector": _number("vector", vector)}, **_where(channels, units, positions)
    )


def set_value(
    value: Any, *, channels: Indices = None, units: Indices = None, positions: Any = None
) -> Intervention:
    """Sets the selected units to `value` (exported as `kerascope.interventions.set`).

    Args:
        value: A number, a `(channels,)` vector, or an array broadcastable to
            one sample's output.
        channels, units, positions: The units to edit, as for `zero`.

    Returns:
        An `Intervention`.

    Raises:
        InputError: for a value that is not numeric.

    Example:

    >>> from kerascope.interventions import set as set_to
    >>> on = kerascope.intervene(model, {"dense": set_to(5.0, channels=[7])})  # doctest: +SKIP
    """
    return Intervention(
        "set", {"value": _number("value", value)}, **_where(channels, units, positions)
    )


def patch(
    source: Any, *, channels: Indices = None, units: Indices = None, positions: Any = None
) -> Intervention:
    """Activation patching: the output the layer gives on `source` instead.

    `source` is input data for the model, sample-aligned with the inputs the
    edited model runs on (sample `i` of each batch takes the activation of
    sample `i` of `source`'s matching batch). The source runs through the
    unedited model in the same compiled pass.

    Args:
        source: Inputs for the model (as for `kerascope.capture`), with at
            least as many samples as the data the edited model runs on.
        channels, units, positions: The units to patch, as for `zero`.

    Returns:
        An `Intervention`.

    Raises:
        InputError: for `source=None`.

    Example:

    >>> edited = kerascope.intervene(model, {"block3": patch(clean)})  # doctest: +SKIP
    >>> edited.predict(corrupted)                                      # doctest: +SKIP
    """
    if source is None:
        raise InputError("Expected source inputs to patch from. Received: source=None")
    return Intervention("patch", of=source, **_where(channels, units, positions))


def function(fn: Callable[[str, Any], Any]) -> Intervention:
    """A user edit `(key, output) -> output`, written with `keras.ops`.

    A plain callable in an `edits` mapping is turned into this. It runs
    inside the compiled pass, on backend tensors, for every edited key.

    Args:
        fn: `(key, output) -> output`, with `keras.ops`; its result replaces
            the layer's output and must have the output's shape.

    Returns:
        An `Intervention`.

    Raises:
        InputError: for `fn` that is not callable.

    Example:

    >>> flip = function(lambda key, out: -out)                   # doctest: +SKIP
    >>> kerascope.intervene(model, {"conv1": flip}).predict(x)    # doctest: +SKIP
    """
    if not callable(fn):
        raise InputError(f"Expected a callable (key, output) -> output. Received: {fn!r}")
    return Intervention("function", fn=fn)
