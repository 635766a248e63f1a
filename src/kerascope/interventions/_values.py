"""Intervention values: what to do to a layer's output, and to which of its units.

Each value knows its kind, the selection it edits (`channels`, `units`,
`positions`) and its numbers. `intervene` binds the numbers and the unit mask
to arrays of the output's per-sample shape, held by the compiled pass as
variables, so new numbers of the same kind never recompile; `apply` is the
edit itself, in `keras.ops`, run inside that pass. This module imports no Keras
until an edit runs, so saved results and values load without it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from kerascope.errors import InputError

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


@dataclasses.dataclass(frozen=True, eq=False)
class Intervention:
    """One edit of a layer's output; made by `zero`, `mean`, `clamp`, ... .

    Attributes:
        kind: `"zero"`, `"mean"`, `"clamp"`, `"scale"`, `"add"`, `"set"`,
            `"patch"` or `"function"`.
        values: The edit's numbers by name (broadcast to the output's
            per-sample shape when bound).
        channels: Indices on the last axis to edit, or None for all.
        units: Flat indices into one sample's output to edit, or None for all.
        positions: Indices on the first axis after the batch (a sequence
            position, an image row; `(row, col)` pairs for images), or None.
        of: The statistics or data of a `mean`, or the inputs of a `patch`.
        fn: The user function of a `"function"` edit.
    """

    kind: str
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    channels: tuple[int, ...] | None = None
    units: tuple[int, ...] | None = None
    positions: tuple[Any, ...] | None = None
    of: Any = None
    fn: Callable[[str, Any], Any] | None = None

    def signature(self) -> tuple[Any, ...]:
        """What the compiled pass depends on: the kind, value names and function."""
        return (self.kind, tuple(sorted(self.values)), id(self.fn) if self.fn else None)

    def mask(self, shape: tuple[int, ...]) -> np.ndarray:
        """1.0 where one sample's output of `shape` is edited, else 0.0."""
        selected = np.ones(shape, bool)
        try:
            if self.channels is not None:
                channel = np.zeros(shape[-1], bool)
                channel[list(self.channels)] = True
                selected &= channel
            if self.positions is not None:
                where = np.zeros(shape, bool)
                for position in self.positions:
                    where[position] = True
                selected &= where
            if self.units is not None:
                unit = np.zeros(int(np.prod(shape)), bool)
                unit[list(self.units)] = True
                selected &= unit.reshape(shape)
        except (IndexError, TypeError, ValueError) as error:
            raise InputError(
                f"Expected channels, units and positions inside an output of per-sample shape "
                f"{shape}. Received: channels={self.channels}, units={self.units}, "
                f"positions={self.positions} ({error})"
            ) from None
        return selected.astype(np.float32)

    def apply(self, output: Any, params: Mapping[str, Any], source: Any, key: str) -> Any:
        """The edited output (`keras.ops`), inside the compiled pass."""
        import keras  # here, so that the values (and saved results) import without Keras

        dtype = output.dtype
        if self.kind in ("ablate", "ablate_expand"):
            return _ablate_copies(output, params, expand=self.kind == "ablate_expand")
        get = {name: keras.ops.cast(value, dtype) for name, value in params.items()}
        if self.kind == "zero":
            edited = keras.ops.zeros_like(output)
        elif self.kind in ("mean", "set"):
            edited = keras.ops.broadcast_to(get["value"], keras.ops.shape(output))
        elif self.kind == "clamp":
            edited = keras.ops.minimum(keras.ops.maximum(output, get["min"]), get["max"])
        elif self.kind == "scale":
            edited = output * get["factor"]
        elif self.kind == "add":
            edited = output + get["vector"]
        elif self.kind == "patch":
            edited = keras.ops.cast(source, dtype)
        else:
            assert self.fn is not None
            edited = self.fn(key, output)
        return keras.ops.where(keras.ops.cast(params["mask"], "bool"), edited, output)


def _ablate_copies(output: Any, params: Mapping[str, Any], *, expand: bool) -> Any:
    """`copies` blocks of the same samples, block `i` set to `value` where
    `mask[i]` (`(copies, *sample_shape)`) is 1 (`ablation`).

    With `expand`, `output` is one block, `(batch, ...)`, repeated here, so the
    layers before run once; otherwise the inputs were repeated and `output`
    holds the blocks already, `(copies * batch, ...)`.
    """
    import keras

    mask = params["mask"]
    copies, sample_shape = int(mask.shape[0]), tuple(int(d) for d in mask.shape[1:])
    if expand:
        grouped = keras.ops.expand_dims(output, 0)
    else:
        grouped = keras.ops.reshape(output, (copies, -1, *sample_shape))
    where = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), 1)
    fill = keras.ops.cast(params["value"], output.dtype)
    blocks = keras.ops.where(where, fill, grouped)  # (copies, batch, *sample_shape)
    return keras.ops.reshape(blocks, (-1, *sample_shape))


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

    Returns:
        An `Intervention`.
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

    Returns:
        An `Intervention`.
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

    Returns:
        An `Intervention`.
    """
    if source is None:
        raise InputError("Expected source inputs to patch from. Received: source=None")
    return Intervention("patch", of=source, **_where(channels, units, positions))


def function(fn: Callable[[str, Any], Any]) -> Intervention:
    """A user edit `(key, output) -> output`, written with `keras.ops`.

    A plain callable in an `edits` mapping is turned into this.

    Returns:
        An `Intervention`.
    """
    if not callable(fn):
        raise InputError(f"Expected a callable (key, output) -> output. Received: {fn!r}")
    return Intervention("function", fn=fn)
