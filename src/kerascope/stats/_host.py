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
    by_sample = x.reshape(samples, -1, channels)  # (samples, elements, channels)
    flat = by_sample.reshape(-1, channels)
    with np.errstate(invalid="ignore", over="ignore"):
        total = flat.sum(axis=0)  # NaN or Inf here iff the batch has any (or overflows)
    if not np.isfinite(total).all():
        return _summarize_with_nonfinite(by_sample)
    count = np.full(channels, flat.shape[0], np.int64)
    shift = total / max(flat.shape[0], 1)
    deviation = flat - shift
    sample_max = by_sample.max(axis=1)
    return {
        "count": count,
        "shift": shift,
        "sum": deviation.sum(axis=0),
        "sum_sq": np.einsum("ij,ij->j", deviation, deviation),
        "min": by_sample.min(axis=(0, 1)),
        "max": sample_max.max(axis=0),
        "zeros": np.count_nonzero(flat == 0, axis=0),
        "nan": np.zeros(channels, np.int64),
        "inf": np.zeros(channels, np.int64),
        "active": np.count_nonzero(sample_max > 0, axis=0),
        "samples": samples,
        "sketch": _sketch_counts(flat.reshape(-1)),
    }


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
        "sketch": _sketch_counts(by_sample[finite]),
    }


def _sketch_counts(finite_values: np.ndarray) -> np.ndarray:
    """`_sketch.bucket_counts` for finite values, on the host."""
    with np.errstate(divide="ignore"):
        magnitude = np.log(np.abs(finite_values)) * np.float32(1.0 / _sketch._LOG_GAMMA)
    index = np.clip(np.ceil(magnitude), _sketch._LOW, _sketch._HIGH).astype(np.int32)
    index -= _sketch._LOW
    slot = np.where(finite_values > 0, _sketch.ZERO + 1 + index, _sketch.ZERO - 1 - index)
    slot[finite_values == 0] = _sketch.ZERO
    return np.bincount(slot, minlength=_sketch.SIZE)
