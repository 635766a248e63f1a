"""A log-bucketed quantile sketch (DDSketch) with a fixed, static layout.

Why this sketch: activations have no range known in advance, shards must merge
exactly, and the per-batch work has to run inside a compiled forward pass with
static shapes. A DDSketch (Masson et al., VLDB 2019) meets all three: a value
`x` falls in bucket `i = ceil(log(|x|) / log(gamma))`, so counting is one
element-wise index computation plus a fixed-length bincount on the device; two
sketches merge by adding their counts (exact, associative, commutative); and
every bucket's representative value is within `RELATIVE_ACCURACY` of every
value in it, so any quantile read back is within that relative error of the
true sample quantile. Reservoir samples do not merge exactly, t-digests and
KLL sketches need data-dependent control flow, and fixed linear histograms
need a range.

Layout, one int array of `SIZE` counts in increasing order of value:
`[negative buckets (most negative first) | exact zeros | positive buckets |
non-finite]`. Magnitudes are clipped to `[MIN_MAGNITUDE, MAX_MAGNITUDE]`;
values beyond keep their sign but are read back at the limit (then clamped to
the exact min and max). NaN and ±Inf go to the last slot, which is dropped.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["RELATIVE_ACCURACY", "SIZE", "histogram", "quantile"]

#: Every quantile is within this relative error of the sample quantile (for
#: magnitudes inside `[MIN_MAGNITUDE, MAX_MAGNITUDE]`).
RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
MIN_MAGNITUDE = 1e-12
MAX_MAGNITUDE = 1e12
_LOW = math.floor(math.log(MIN_MAGNITUDE) / _LOG_GAMMA)
_HIGH = math.ceil(math.log(MAX_MAGNITUDE) / _LOG_GAMMA)
_PER_SIGN = _HIGH - _LOW + 1
ZERO = _PER_SIGN  # the slot of exact zeros
SIZE = 2 * _PER_SIGN + 2  # negatives, zero, positives, non-finite


#: At most this many values of each sample go into the sketch.
SAMPLE = 64


def sample(size: int, channels: int) -> tuple[int, int]:
    """`(start, stride)` along each sample's `size` values: those that are sketched.

    A sample of more than `SAMPLE` values is sketched on an evenly strided
    subset of them (the stride shares no factor with the channel count, so
    every channel is represented). Counting every value would cost as much as
    all other statistics together; the subset keeps quantiles' rank error far
    below the sketch's 1% value error once a few batches are in, and counts
    still merge exactly. Histograms scale the sketch to the exact count. The
    rule depends on a sample's shape only, which is static on every backend.
    """
    if size <= SAMPLE:
        return 0, 1
    stride = -(-size // SAMPLE)
    while math.gcd(stride, channels) != 1:
        stride += 1
    return stride // 2, stride


def _values() -> np.ndarray:
    """The representative value of every slot but the last, increasing."""
    exponents = np.arange(_LOW, _HIGH + 1, dtype=np.float64)
    positive = 2.0 * GAMMA**exponents / (GAMMA + 1.0)
    return np.concatenate([-positive[::-1], [0.0], positive])


_VALUES = _values()


def quantile(counts: np.ndarray, q: float, low: float, high: float) -> float:
    """The `q`-quantile (method "lower": the value of rank `floor(q * (n - 1))`).

    Args:
        counts: Finite-value counts per slot, shape `(SIZE - 1,)`.
        q: In `[0, 1]`.
        low: The exact minimum, to clamp to.
        high: The exact maximum, to clamp to.

    Returns:
        The estimate, or NaN when there are no finite values.
    """
    total = int(counts.sum())
    if total == 0:
        return math.nan
    rank = math.floor(q * (total - 1))
    slot = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
    return float(np.clip(_VALUES[slot], low, high))


def rank(counts: np.ndarray, value: float, *, strict: bool = False) -> int:
    """How many sketched values are `<= value` (`< value` if `strict`).

    Each bucket counts as its representative value, so the answer is exact
    except for values within `RELATIVE_ACCURACY` of `value`.
    """
    stop = np.searchsorted(_VALUES, float(value), side="left" if strict else "right")
    return int(counts[: int(stop)].sum())


def histogram(
    counts: np.ndarray, bins: int, low: float, high: float, total: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`bins` equal-width bins over `[low, high]`, from the sketch's buckets.

    Each bucket's count goes to the bin of its representative value (clamped
    to `[low, high]`), so bin edges are as exact as the sketch: within
    `RELATIVE_ACCURACY`. A sketch of sampled values is scaled to `total`, the
    number of finite values; the counts add up to it exactly.
    """
    if not math.isfinite(low) or not math.isfinite(high):
        return np.zeros(bins, np.int64), np.linspace(0.0, 1.0, bins + 1)
    # np.histogram's bins, without its overhead (the monitor draws one per
    # layer per snapshot): [edge, next edge), the last one closed, and a
    # constant's range widened by 0.5 on each side.
    first, last = (low - 0.5, high + 0.5) if low == high else (low, high)
    edges = np.linspace(first, last, bins + 1)
    filled = np.flatnonzero(counts)  # a few hundred of the buckets, typically
    index = np.searchsorted(edges, np.clip(_VALUES[filled], low, high), side="right") - 1
    hist = np.bincount(np.minimum(index, bins - 1), weights=counts[filled], minlength=bins)
    sketched = float(counts.sum())
    if total is None or sketched == 0:
        return np.rint(hist).astype(np.int64), edges
    scaled = np.rint(hist * (total / sketched)).astype(np.int64)
    scaled[np.argmax(scaled)] += total - int(scaled.sum())  # rounding, kept exact
    return scaled, edges
