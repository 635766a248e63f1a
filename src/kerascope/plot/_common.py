"""What every plot shares: the lazy matplotlib import, reading arrays, grids, colour limits."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.keys import layer_key, output_leaves
from kerascope.select import unknown_key

if TYPE_CHECKING:
    from types import ModuleType

    from matplotlib.figure import Figure

__all__ = [
    "class_name_of",
    "colour_limits",
    "grid",
    "leaves",
    "layer_array",
    "new_figure",
    "positive_int",
    "sample_index",
]


def _matplotlib() -> ModuleType:
    """Imports matplotlib (its `figure` and `colors` modules) on first use.

    Returns:
        The `matplotlib` module.

    Raises:
        ImportError: if matplotlib is not installed.
    """
    try:
        import matplotlib
        import matplotlib.colors
        import matplotlib.figure
    except ImportError as error:
        raise ImportError(
            "Plotting needs matplotlib. Install it with `pip install kerascope[viz]`."
        ) from error
    return matplotlib


def new_figure(width: float, height: float) -> Figure:
    """A new `Figure` of `width` x `height` inches, outside pyplot, constrained layout."""
    figure: Figure = _matplotlib().figure.Figure(figsize=(width, height), layout="constrained")
    return figure


def leaves(source: Mapping[str, Any]) -> dict[str, Any]:
    """Every array of `source`, a layer with several outputs giving `key[0]`, `key[1]`, ...

    The same names `kerascope.stats` gives those outputs. Nothing is copied.
    """
    flat: dict[str, Any] = {}
    for key, value in source.items():
        flat.update(output_leaves(key, value))
    return flat


def layer_array(source: Mapping[str, Any], key: str, what: str = "activations") -> np.ndarray:
    """The array of `key` in `source` (a leaf name such as `"lstm[0]"` also works).

    The array is the caller's own (not a copy): plots copy what they keep.

    Raises:
        SelectionError: for a key `source` does not hold.
        InputError: for a layer with several outputs, or a value that is not
            a numeric array.
    """
    if key in source:
        value = source[key]
    else:
        flat = leaves(source)
        if key not in flat:
            raise unknown_key(key, list(flat), what)
        value = flat[key]
    if isinstance(value, (tuple, list, dict)):
        names = [name for name, _ in output_leaves(key, value)]
        raise InputError(
            f"Expected a key with one output array. Received: key {key!r} with "
            f"{len(names)} outputs; pass one of {names}"
        )
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        try:  # e.g. bfloat16 from JAX: a float dtype numpy does not know as such
            array = array.astype(np.float32)
        except (TypeError, ValueError) as error:
            raise InputError(
                f"Expected a numeric array for key {key!r}. Received: dtype {array.dtype}"
            ) from error
    return array


def class_name_of(source: Any, key: str) -> str | None:
    """The layer class of `key` where `source` knows it (`Activations.info`, `LayerStats`)."""
    class_name = getattr(source, "class_name", None)
    if isinstance(class_name, str):
        return class_name
    info = getattr(source, "info", None)
    if not isinstance(info, Mapping):
        return None
    layer = info.get(key) or info.get(layer_key(key))
    name = getattr(layer, "class_name", None)
    return name if isinstance(name, str) else None


def sample_index(sample: int, samples: int, key: str) -> int:
    """`sample` checked against the `samples` there are (negative counts from the end)."""
    if isinstance(sample, bool) or not isinstance(sample, (int, np.integer)):
        raise InputError(f"Expected an integer sample index. Received: sample={sample!r}")
    if not -samples <= sample < samples:
        raise InputError(
            f"Expected a sample index in [0, {samples}) for key {key!r}. Received: sample={sample}"
        )
    return int(sample) % samples


def positive_int(value: Any, name: str) -> int:
    """`value` if it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"Expected {name} to be an integer >= 1. Received: {name}={value!r}")
    return int(value)


def grid(panels: int, max_columns: int = 8) -> tuple[int, int]:
    """`(rows, columns)` of a near-square grid holding `panels` panels."""
    columns = min(max_columns, max(1, math.ceil(math.sqrt(panels))))
    return math.ceil(panels / columns), columns


def colour_limits(values: np.ndarray) -> tuple[float, float]:
    """`(vmin, vmax)` over the finite values; a non-singular range for constant data.

    A constant `v` maps to `(v, v + 1)`, so it takes the colour map's lowest
    colour; no finite values map to `(0, 1)`.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low, low + 1.0)
