"""Per-batch summaries of one layer output, computed on the device with `keras.ops`.

A summary is a dict of small tensors: per-channel counts, a shifted sum and
sum of squares (the corrected two-pass algorithm, stable at any offset), min,
max, zero/NaN/Inf counts, "active" sample counts, and the layer's sketch
counts. Only these reach the host, where `StatsAccumulator.update` merges them.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from kerascope.stats import _sketch

__all__ = ["summarize_output"]


def summarize_output(output: Any, *, per_channel: bool = True) -> Any:
    """Summarises a layer output (or a tuple/dict of outputs) for one batch.

    Traceable: static shapes only, no Python branching on tensor values.

    Args:
        output: A backend tensor `(batch, ..., channels)`, or a tuple, list or
            dict of them for a layer with several outputs.
        per_channel: Keep per-channel (last axis) statistics; when False the
            whole output is one channel. Defaults to `True`.

    Returns:
        A dict of tensors per output, in the structure of `output` (a list
        becomes a tuple).
    """
    if isinstance(output, dict):
        return {name: summarize_output(v, per_channel=per_channel) for name, v in output.items()}
    if isinstance(output, (list, tuple)):
        return tuple(summarize_output(v, per_channel=per_channel) for v in output)
    return _summarize(output, per_channel)


def _summarize(x: Any, per_channel: bool) -> dict[str, Any]:
    ops = keras.ops
    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype not in ("float32", "float64"):
        x = ops.cast(x, "float32")
    x = _as_3d(x, per_channel)  # (samples, elements, channels)
    finite = ops.isfinite(x)
    count = ops.sum(ops.cast(finite, "int32"), axis=(0, 1))
    zero = ops.zeros((), x.dtype)
    values = ops.where(finite, x, zero)
    shift = ops.sum(values, axis=(0, 1)) / ops.cast(ops.maximum(count, 1), x.dtype)
    deviation = ops.where(finite, x - shift, zero)
    infinity = ops.convert_to_tensor(math.inf, x.dtype)
    return {
        "count": count,
        "shift": shift,
        "sum": ops.sum(deviation, axis=(0, 1)),
        "sum_sq": ops.sum(deviation * deviation, axis=(0, 1)),
        "min": ops.min(ops.where(finite, x, infinity), axis=(0, 1)),
        "max": ops.max(ops.where(finite, x, -infinity), axis=(0, 1)),
        "zeros": ops.sum(ops.cast(x == 0, "int32"), axis=(0, 1)),
        "nan": ops.sum(ops.cast(ops.isnan(x), "int32"), axis=(0, 1)),
        "inf": ops.sum(ops.cast(ops.isinf(x), "int32"), axis=(0, 1)),
        "active": ops.sum(ops.cast(ops.any(x > 0, axis=1), "int32"), axis=0),
        "samples": ops.sum(ops.ones_like(x[:, 0, 0], dtype="int32")),
        "sketch": _sampled_sketch(x, finite),
    }


def _sampled_sketch(x: Any, finite: Any) -> Any:
    """The sketch of `_sketch.sample`'s values of each sample of `x`, `(samples, e, c)`."""
    if x.shape[1] is None:  # variable-length sequences (TensorFlow): every value
        return _bucket_counts(x, finite)
    size = x.shape[1] * x.shape[2]
    start, stride = _sketch.sample(size, x.shape[2])
    rows = keras.ops.reshape(x, (-1, size))[:, start::stride]
    return _bucket_counts(rows, keras.ops.reshape(finite, (-1, size))[:, start::stride])


def _as_3d(x: Any, per_channel: bool) -> Any:
    """`x` as `(samples, elements, channels)`; channels is the last axis, or 1."""
    shape = tuple(x.shape)
    if len(shape) == 0:
        return keras.ops.reshape(x, (1, 1, 1))
    if len(shape) == 1:
        return keras.ops.reshape(x, (-1, 1, 1))
    inner = shape[1:] if per_channel else (*shape[1:], 1)
    elements = math.prod(inner[:-1]) if None not in inner[:-1] else None
    channels = inner[-1]
    if elements is not None and channels is not None:
        return keras.ops.reshape(x, (-1, elements, channels))
    # Dimensions unknown while tracing (variable-length sequences on TensorFlow).
    dynamic = keras.ops.shape(x)
    if channels is None:
        channels = dynamic[-1]
    return keras.ops.reshape(x, (dynamic[0], -1, channels))


def _bucket_counts(x: Any, finite: Any) -> Any:
    """Counts a tensor's values per bucket, on the device (traceable).

    Args:
        x: A float tensor of any shape.
        finite: `keras.ops.isfinite(x)`, computed once by the caller.

    Returns:
        An int32 tensor of shape `(_sketch.SIZE,)`.
    """
    magnitude = keras.ops.log(keras.ops.abs(x)) * (1.0 / _sketch._LOG_GAMMA)
    index = keras.ops.cast(
        keras.ops.clip(keras.ops.ceil(magnitude), _sketch._LOW, _sketch._HIGH), "int32"
    )
    index = index - _sketch._LOW
    slot = keras.ops.where(x > 0, _sketch.ZERO + 1 + index, _sketch.ZERO - 1 - index)
    slot = keras.ops.where(x == 0, _sketch.ZERO, slot)
    slot = keras.ops.reshape(keras.ops.where(finite, slot, _sketch.SIZE - 1), (-1,))
    if keras.backend.backend() == "jax":  # jnp.bincount has no static length
        ones = keras.ops.ones_like(slot)
        return keras.ops.segment_sum(ones, slot, num_segments=_sketch.SIZE)
    return keras.ops.cast(keras.ops.bincount(slot, minlength=_sketch.SIZE), "int32")
