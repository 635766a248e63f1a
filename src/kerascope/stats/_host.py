"""Per-batch summaries computed on the host with numpy: the CPU path.

The same summary as `_summary.summarize_output` (which runs inside the
compiled forward pass with `keras.ops`), computed on the host copy of an
output. Measured on a 2-core CPU (`benchmarks/stats.py`), this is faster on
every backend: XLA and TensorFlow reduce a channels-last array's short
columns at about 2 GB/s, while numpy here reduces long rows at 20-30 GB/s.
When the batch is all finite (the usual case, detected from the sums), a
batch costs about six passes over its values; the general case counts and
masks NaN and ±Inf first. On an accelerator, summarising on the device
saves the transfer of the full activations, so `stats` picks that path there.
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
    rows = by_sample.reshape(-1, channels)  # every value of a channel down a column
    with np.errstate(invalid="ignore", over="ignore"):
        total = _reduce(np.add, rows)  # NaN or Inf here iff the batch has any (or overflows)
    if not np.isfinite(total).all():
        return _summarize_with_nonfinite(by_sample)
    values = rows.shape[0]
    shift = total / values
    with np.errstate(over="ignore", invalid="ignore"):
        sum_sq = _sum_of_squares(rows)
        # Raw squares are exact enough while a channel's spread is at least
        # its mean (m2 >= values * mean**2): cancellation then costs at most a
        # factor two in relative error. Other channels (or all, if squares
        # overflow) sum squared deviations from the mean: the corrected
        # two-pass algorithm, stable at any offset. A few such channels are
        # taken out and summed in float64 (for a monitor's snapshot, a
        # ReLU layer's one or two busy channels); many, over long rows.
        if np.isfinite(sum_sq).all():
            offset = np.flatnonzero(sum_sq < 2 * values * shift * shift)
        else:
            offset = np.arange(channels)
        if offset.size == 0:
            shift, deviation_sum = np.zeros_like(shift), total
        elif 4 * offset.size <= channels:
            deviation = rows[:, offset] - shift[offset]  # float64, `values` rows
            raw, shift = shift, np.zeros_like(shift)
            shift[offset] = raw[offset]
            deviation_sum = total.copy()
            deviation_sum[offset] = deviation.sum(axis=0)
            sum_sq[offset] = np.einsum("ij,ij->j", deviation, deviation)
        else:
            deviation = _subtract(rows, shift)
            deviation_sum, sum_sq = _reduce(np.add, deviation), _sum_of_squares(deviation)
    return {
        "count": np.full(channels, values, np.int64),
        "shift": shift,
        "sum": deviation_sum,
        "sum_sq": sum_sq,
        "min": _reduce(np.minimum, rows),
        "max": _reduce(np.maximum, rows),
        "zeros": _count(rows == 0),
        "nan": np.zeros(channels, np.int64),
        "inf": np.zeros(channels, np.int64),
        "active": _count(_per_sample(np.logical_or, by_sample > 0)),
        "samples": samples,
        "sketch": _sketch_counts(by_sample, finite=True),
    }


# numpy reduces the few, short channel columns of a channels-last array an
# order of magnitude slower than long rows. So every per-channel reduction
# folds its `(m, channels)` values as `(m // k, k * channels)`: one pass down
# at most `_ROWS` long rows, then a reduction of the `k` partial results per
# channel (float sums in float64), then of the `m % k` rows left over.

#: Folded rows hold at least this many values...
_ROW_VALUES = 1024
#: ... and at most this many of them are accumulated one after another.
_ROWS = 128


def _fold(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(m, channels)` rows as `(folded rows, the rows left over)`."""
    m, channels = rows.shape
    k = min(m, max(-(-m // _ROWS), -(-_ROW_VALUES // channels)))
    main = m - m % k
    return rows[:main].reshape(main // k, k * channels), rows[main:]


def _reduce(ufunc: np.ufunc, rows: np.ndarray) -> np.ndarray:
    """`ufunc.reduce(rows, axis=0)` for C-contiguous `(m, channels)` rows, fast."""
    folded, rest = _fold(rows)
    return _finish(ufunc, ufunc.reduce(folded, axis=0), rest)


def _sum_of_squares(rows: np.ndarray) -> np.ndarray:
    """`(rows * rows).sum(axis=0)`, without writing the squares."""
    folded, rest = _fold(rows)
    return _finish(np.add, np.einsum("ij,ij->j", folded, folded), rest * rest)


def _count(mask: np.ndarray) -> np.ndarray:
    """`mask.sum(axis=0)` as int64 for an `(m, channels)` bool array, fast.

    Folded rows are summed as bytes: at most `_ROWS` of them, so they cannot
    overflow.
    """
    folded, rest = _fold(mask.view(np.uint8))
    return _finish(np.add, np.add.reduce(folded, axis=0, dtype=np.uint8), rest)


def _finish(ufunc: np.ufunc, partial: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """Reduces `k * channels` folded partial results per channel, then the leftover rows."""
    channels = rest.shape[1]
    dtype = {"f": np.float64, "u": np.int64}.get(partial.dtype.kind)
    if ufunc is not np.add:
        dtype = None  # min and max are exact in any type
    result = ufunc.reduce(partial.reshape(-1, channels), axis=0, dtype=dtype)
    if rest.shape[0]:
        result = ufunc(result, ufunc.reduce(rest, axis=0, dtype=dtype))
    return np.asarray(result)


def _per_sample(ufunc: np.ufunc, a: np.ndarray) -> np.ndarray:
    """`ufunc.reduce(a, axis=1)` for `(samples, elements, channels)`: a pairwise tree.

    Each step combines two contiguous halves of every sample, so numpy's
    inner loops run over `half * channels` values rather than `channels`.
    """
    elements = a.shape[1]
    if elements == 1:
        return a[:, 0]
    half = elements // 2
    out: np.ndarray = ufunc(a[:, :half], a[:, half : 2 * half])
    if elements % 2:
        ufunc(out[:, 0], a[:, -1], out=out[:, 0])
    while half > 1:
        rest, half = half % 2, half // 2
        ufunc(out[:, :half], out[:, half : 2 * half], out=out[:, :half])
        if rest:
            ufunc(out[:, 0], out[:, 2 * half], out=out[:, 0])
    return out[:, 0]


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
        "sketch": _sketch_counts(by_sample, finite=False),
    }


_INVERSE_LOG_GAMMA = np.float32(1.0 / _sketch._LOG_GAMMA)


def _sketch_counts(by_sample: np.ndarray, *, finite: bool) -> np.ndarray:
    """`_summary._bucket_counts` of the finite values among `_sketch.sample`'s, on the host.

    Args:
        by_sample: The batch as `(samples, elements, channels)`.
        finite: Whether every value is known to be finite.
    """
    samples, elements, channels = by_sample.shape
    start, stride = _sketch.sample(elements * channels, channels)
    values = by_sample.reshape(samples, -1)[:, start::stride].reshape(-1)
    if not finite:
        values = values[np.isfinite(values)]
    # slot = ZERO + sign(v) * (1 + clip(ceil(log|v| / log(gamma))) - LOW):
    # exact zeros have sign 0 and land on ZERO itself.
    index = np.abs(values)
    with np.errstate(divide="ignore"):
        np.log(index, out=index)
    index *= _INVERSE_LOG_GAMMA
    np.ceil(index, out=index)
    np.clip(index, _sketch._LOW, _sketch._HIGH, out=index)
    index += 1 - _sketch._LOW
    index *= np.sign(values)
    index += _sketch.ZERO
    return np.bincount(index.astype(np.intp), minlength=_sketch.SIZE)
