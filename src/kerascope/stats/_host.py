"""Per-batch summaries computed on the host with numpy: the CPU path.

The same summary as `_summary.summarize_output` (which runs inside the
compiled forward pass with `keras.ops`), computed on the host copy of an
output. Measured on a 2-core CPU (`benchmarks/stats.py`), this is faster on
every backend: TensorFlow without XLA and torch eager run each of the ~20
element-wise device ops as its own memory-bound kernel, while numpy here makes
a handful of passes, and one when the batch is all finite (the usual case,
detected from the sums). On an accelerator, summarising on the device saves
the transfer of the full activations, so `stats` picks that path there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerascope.stats import _sketch

__all__ = ["summarize_arrays"]


def summarize_arrays(output: Any, *, per_channel: bool = True) -> Any:
    """Summarises a host layer output (or a tuple/dict of them) for one batch.

    Args:
        output: A numpy array `(batch, ..., channels)`, or a tuple, list or
            dict of them.
        per_channel: Keep per-channel (last axis) statistics. Defaults to `True`.

    Returns:
        A dict of numpy arrays per output, in the structure of `output`, with
        the fields of `_summary.summarize_output`.
    """
    if isinstance(output, dict):
        return {name: summarize_arrays(v, per_channel=per_channel) for name, v in output.items()}
    if isinstance(output, (list, tuple)):
        return tuple(summarize_arrays(v, per_channel=per_channel) for v in output)
    return _summarize(np.asarray(output), per_channel)


def _summarize(x: np.ndarray, per_channel: bool) -> dict[str, Any]:
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    samples = x.shape[0] if x.ndim else 1
    channels = x.shape[-1] if per_channel and x.ndim > 1 else 1
    by_sample = np.ascontiguousarray(x).reshape(samples, -1, channels)  # (samples, elements, ch)
    if by_sample.size == 0:
        return _summarize_with_nonfinite(by_sample)
    flat = by_sample.reshape(1, -1, channels)  # every value of a channel along axis 1
    with np.errstate(invalid="ignore", over="ignore"):
        total = _reduce(np.add, flat)[0]  # NaN or Inf here iff the batch has any (or overflows)
    if not np.isfinite(total).all():
        return _summarize_with_nonfinite(by_sample)
    values = flat.shape[1]
    shift = total / values
    deviation = _subtract(flat[0], shift)
    deviation_sum = _reduce(np.add, deviation[None])[0]
    np.multiply(deviation, deviation, out=deviation)
    positive = by_sample > 0
    return {
        "count": np.full(channels, values, np.int64),
        "shift": shift,
        # The corrected two-pass term: the float32 rounding of `shift`.
        "sum": deviation_sum,
        "sum_sq": _reduce(np.add, deviation[None])[0],
        "min": _reduce(np.minimum, flat)[0],
        "max": _reduce(np.maximum, flat)[0],
        "zeros": _reduce(np.add, (flat == 0).view(np.uint8), np.int64)[0],
        "nan": np.zeros(channels, np.int64),
        "inf": np.zeros(channels, np.int64),
        "active": np.count_nonzero(_reduce(np.logical_or, positive), axis=0),
        "samples": samples,
        "sketch": _sketch_counts(by_sample),
    }


#: Per-channel reductions fold the reduced axis into rows of at least this many
#: values, and at most this many rows are accumulated one after another.
_ROW_VALUES = 1024
_ROWS = 128


def _reduce(ufunc: np.ufunc, a: np.ndarray, dtype: Any = None) -> np.ndarray:
    """`ufunc.reduce(a, axis=1)` for a C-contiguous `(n, m, channels)` array, fast.

    numpy reduces the few, short channel columns of a channels-last array an
    order of magnitude slower than long rows. So the `m` axis is folded as
    `(m // k, k * channels)`: one reduction over long rows (at most `_ROWS` of
    them, which keeps float sums about as accurate as numpy's pairwise sum),
    then a pairwise tree over the `k` partial results, then the `m % k` rows
    left over.
    """
    n, m, channels = a.shape
    k = min(m, max(-(-m // _ROWS), -(-_ROW_VALUES // channels)))
    main = m - m % k
    partial = ufunc.reduce(a[:, :main].reshape(n, main // k, k * channels), axis=1, dtype=dtype)
    partial = partial.reshape(n, k, channels)
    while partial.shape[1] > 1:  # pairwise: halving vectorised steps
        half = partial.shape[1] // 2
        folded = ufunc(partial[:, :half], partial[:, half : 2 * half])
        if partial.shape[1] % 2:
            folded[:, 0] = ufunc(folded[:, 0], partial[:, -1])
        partial = folded
    result = partial[:, 0]
    if main < m:
        result = ufunc(result, ufunc.reduce(a[:, main:], axis=1, dtype=dtype))
    return np.asarray(result)


def _subtract(rows: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """`rows - shift` for `(m, channels)` rows, over long rows (broadcasting is slow)."""
    m, channels = rows.shape
    k = min(m, max(1, -(-_ROW_VALUES // channels)))
    main = m - m % k
    out = np.empty_like(rows)
    np.subtract(
        rows[:main].reshape(-1, k * channels),
        np.tile(shift.astype(rows.dtype), k),
        out=out[:main].reshape(-1, k * channels),
    )
    np.subtract(rows[main:], shift.astype(rows.dtype), out=out[main:])
    return out


def _summarize_with_nonfinite(by_sample: np.ndarray) -> dict[str, Any]:
    """The general case: NaN and ±Inf are counted, and left out of the rest."""
    finite = np.isfinite(by_sample)
    count = finite.sum(axis=(0, 1))
    values = np.where(finite, by_sample, 0)
    shift = values.sum(axis=(0, 1)) / np.maximum(count, 1)
    deviation = np.where(finite, by_sample - shift, 0)
    with np.errstate(invalid="ignore"):
        active = (by_sample > 0).any(axis=1).sum(axis=0)
    return {
        "count": count,
        "shift": shift,
        "sum": deviation.sum(axis=(0, 1)),
        "sum_sq": (deviation * deviation).sum(axis=(0, 1)),
        "min": np.where(finite, by_sample, np.inf).min(axis=(0, 1)),
        "max": np.where(finite, by_sample, -np.inf).max(axis=(0, 1)),
        "zeros": (by_sample == 0).sum(axis=(0, 1)),
        "nan": np.isnan(by_sample).sum(axis=(0, 1)),
        "inf": np.isinf(by_sample).sum(axis=(0, 1)),
        "active": active,
        "samples": by_sample.shape[0],
        "sketch": _sketch_counts(by_sample),
    }


def _sketch_counts(by_sample: np.ndarray) -> np.ndarray:
    """`_sketch.bucket_counts` of the finite values among `_sketch.sample`'s, on the host.

    Args:
        by_sample: The batch as `(samples, elements, channels)`.
    """
    samples, elements, channels = by_sample.shape
    start, stride = _sketch.sample(elements * channels, channels)
    values = by_sample.reshape(samples, -1)[:, start::stride].reshape(-1)
    values = values[np.isfinite(values)]
    with np.errstate(divide="ignore"):
        magnitude = np.log(np.abs(values)) * np.float32(1.0 / _sketch._LOG_GAMMA)
    index = np.clip(np.ceil(magnitude), _sketch._LOW, _sketch._HIGH).astype(np.int32)
    index -= _sketch._LOW
    slot = np.where(values > 0, _sketch.ZERO + 1 + index, _sketch.ZERO - 1 - index)
    slot[values == 0] = _sketch.ZERO
    return np.bincount(slot, minlength=_sketch.SIZE)
