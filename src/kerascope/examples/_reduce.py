"""Per-sample, per-channel strongest responses of a batch: in the compiled pass, or in numpy.

Both give, per leaf of a layer's output, `"max"` `(batch, channels)` and
`"argmax"` `(batch, channels, spatial_ndim)` (the first position holding the
maximum; NaN is never the maximum), and `"min"`/`"argmin"` when asked. A
sample whose responses are all NaN gets `-inf` (`+inf` for the minimum),
which never ranks. Integer and bool outputs are cast to float32.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from kerascope.keys import output_leaves

__all__ = ["reduce_graph", "reduce_numpy"]


def reduce_graph(key: str, output: Any, *, bottom: bool) -> dict[str, dict[str, Any]]:
    """Traceable (`keras.ops`): leaf key -> the reductions of one batch's output."""
    return {leaf: _graph(x, bottom) for leaf, x in output_leaves(key, output)}


def reduce_numpy(key: str, output: Any, *, bottom: bool) -> dict[str, dict[str, np.ndarray]]:
    """As `reduce_graph`, with numpy on host arrays."""
    return {leaf: _numpy(np.asarray(x), bottom) for leaf, x in output_leaves(key, output)}


def _graph(x: Any, bottom: bool) -> dict[str, Any]:
    ops = keras.ops
    if keras.backend.standardize_dtype(x.dtype) not in _FLOATS:
        x = ops.cast(x, "float32")
    spatial = tuple(int(d) for d in x.shape[1:-1])
    channels = int(x.shape[-1]) if len(x.shape) > 1 else 1
    x = ops.reshape(x, (-1, math.prod(spatial), channels))
    nan = ops.isnan(x)
    size = math.prod(spatial)
    iota = ops.reshape(ops.arange(size, dtype="int32"), (1, size, 1))
    found = {}
    for name, sign in _SIGNS[:2] if bottom else _SIGNS[:1]:
        masked = ops.where(nan, -math.inf, -x if sign < 0 else x)
        value = ops.max(masked, axis=1)
        found[name] = -value if sign < 0 else value
        if spatial:
            # The first position holding the maximum: a max and a min, which
            # XLA vectorises (its argmax measured 4.5x slower on a CPU).
            hit = ops.where(masked == ops.expand_dims(value, 1), iota, size)
            flat = ops.min(hit, axis=1)
            found["arg" + name] = ops.cast(ops.stack(_unravel(flat, spatial), axis=-1), "int32")
    return found


def _numpy(x: np.ndarray, bottom: bool) -> dict[str, np.ndarray]:
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    spatial = x.shape[1:-1]
    channels = x.shape[-1] if x.ndim > 1 else 1
    x = x.reshape(x.shape[0], math.prod(spatial), channels)
    nan = np.isnan(x)
    found = {}
    for name, sign in _SIGNS[:2] if bottom else _SIGNS[:1]:
        masked = np.where(nan, -np.inf, -x if sign < 0 else x)
        flat = np.argmax(masked, axis=1)
        value = np.take_along_axis(masked, flat[:, None], axis=1)[:, 0]
        found[name] = -value if sign < 0 else value
        if spatial:
            found["arg" + name] = np.stack(_unravel(flat, spatial), axis=-1).astype(np.int32)
    return found


_FLOATS = ("float16", "bfloat16", "float32", "float64")
_SIGNS = (("max", 1), ("min", -1))


def _unravel(flat: Any, spatial: tuple[int, ...]) -> list[Any]:
    """Flat positions -> one index array per spatial axis (C order)."""
    axes = []
    step = math.prod(spatial)
    for size in spatial:
        step //= size
        axes.append((flat // step) % size)
    return axes
