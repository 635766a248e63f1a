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

import math
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
    # Channel-major: numpy reduces contiguous rows ~10x faster than the few,
    # strided columns of a channels-last array; one transposed copy pays off.
    rows = np.ascontiguousarray(by_sample.transpose(2, 0, 1))  # (channels, samples, elements)
    flat = rows.reshape(channels, -1)
    with np.errstate(invalid="ignore", over="ignore"):
        total = flat.sum(axis=1)  # NaN or Inf here iff the batch has any (or overflows)
    if not np.isfinite(total).all():
        return _summarize_with_nonfinite(by_sample)
    values = flat.shape[1]
    shift = total / max(values, 1)
    deviation = flat - shift[:, None]
    sample_max = rows.max(axis=2)  # (channels, samples)
    return {
        "count": np.full(channels, values, np.int64),
        "shift": shift,
        # The corrected two-pass term: the float32 rounding of `shift`.
        "sum": deviation.sum(axis=1),
        "sum_sq": np.einsum("ij,ij->i", deviation, deviation),
        "min": flat.min(axis=1),
        "max": sample_max.max(axis=1),
        "zeros": values - np.count_nonzero(flat, axis=1),
        "nan": np.zeros(channels, np.int64),
        "inf": np.zeros(channels, np.int64),
        "active": np.count_nonzero(sample_max > 0, axis=1),
        "samples": samples,
        "sketch": _sketch_counts(flat, channels),
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


#: At most this many values of each batch go into the quantile sketch.
SKETCH_SAMPLE = 8192


def _sketch_counts(finite_values: np.ndarray, channels: int = 1) -> np.ndarray:
    """`_sketch.bucket_counts` for finite values, on the host.

    A batch larger than `SKETCH_SAMPLE` values is sketched on an evenly
    strided sample of them (the stride shares no factor with the channel
    count, so every channel is represented). Counting every value costs as
    much as all other statistics together; the sample keeps quantiles'
    rank error far below the sketch's 1% value error once a few batches are
    in, and counts still merge exactly. Histograms scale the sketch to the
    exact finite count.
    """
    finite_values = finite_values.reshape(-1)
    if finite_values.size > SKETCH_SAMPLE:
        stride = -(-finite_values.size // SKETCH_SAMPLE)
        while math.gcd(stride, channels) != 1:
            stride += 1
        finite_values = finite_values[stride // 2 :: stride]
    with np.errstate(divide="ignore"):
        magnitude = np.log(np.abs(finite_values)) * np.float32(1.0 / _sketch._LOG_GAMMA)
    index = np.clip(np.ceil(magnitude), _sketch._LOW, _sketch._HIGH).astype(np.int32)
    index -= _sketch._LOW
    slot = np.where(finite_values > 0, _sketch.ZERO + 1 + index, _sketch.ZERO - 1 - index)
    slot[finite_values == 0] = _sketch.ZERO
    return np.bincount(slot, minlength=_sketch.SIZE)
