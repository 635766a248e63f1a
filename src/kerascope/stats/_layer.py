"""`LayerStats`: the statistics of one layer output over a whole dataset."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kerascope.errors import StatsError
from kerascope.stats import _sketch
from kerascope.stats._moments import State

__all__ = ["LayerStats"]


class LayerStats:
    """Streaming statistics of one layer output: moments, extremes, counts, quantiles.

    Moments (`mean`, `std`, population `ddof=0`), `min`, `max` and the
    quantiles cover finite values only; NaN and ±Inf are counted apart. The
    fractions are of all elements. Per-channel arrays (channels = last axis,
    shape `(channels,)`) exist when computed with `per_channel=True`.

    Args:
        key: The layer key, e.g. `"conv1"` or `"lstm[1]"` (an output of a
            layer with several outputs).
        class_name: The layer's class name.
        state: The running state.
        per_channel: Whether `state` holds one entry per channel.
        bins: Bins of `histogram()` by default. Defaults to `64`.
        activation: The layer's activation name (`LayerInfo.activation`), or
            None. Defaults to `None`.
        is_output: Whether the model returns this output (`LayerInfo.is_output`).
            Defaults to `False`.
    """

    def __init__(
        self,
        key: str,
        class_name: str,
        state: State,
        *,
        per_channel: bool,
        bins: int = 64,
        activation: str | None = None,
        is_output: bool = False,
    ) -> None:
        self.key = key
        self.class_name = class_name
        self.activation = activation
        self.is_output = bool(is_output)
        self.per_channel = per_channel
        self.bins = bins
        self._state = state
        self._layer = state.pooled()

    # -- the whole layer ------------------------------------------------------

    @property
    def count(self) -> int:
        """Number of finite values seen."""
        return int(self._layer.count[0])

    @property
    def size(self) -> int:
        """Number of values seen, finite or not."""
        return self.count + int(self._layer.nan[0] + self._layer.inf[0])

    @property
    def samples(self) -> int:
        """Number of samples (first-axis entries) seen."""
        return self._state.samples

    @property
    def mean(self) -> float:
        """Mean of the finite values (NaN if there are none)."""
        return float(self._layer.mean[0]) if self.count else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation of the finite values (NaN if none)."""
        return math.sqrt(self._layer.m2[0] / self.count) if self.count else math.nan

    @property
    def min(self) -> float:
        """Smallest finite value (`inf` if there are none)."""
        return float(self._layer.min[0])

    @property
    def max(self) -> float:
        """Largest finite value (`-inf` if there are none)."""
        return float(self._layer.max[0])

    @property
    def zero_fraction(self) -> float:
        """Fraction of values exactly zero."""
        return _fraction(self._layer.zeros[0], self.size)

    @property
    def nan_fraction(self) -> float:
        """Fraction of values that are NaN."""
        return _fraction(self._layer.nan[0], self.size)

    @property
    def inf_fraction(self) -> float:
        """Fraction of values that are +Inf or -Inf."""
        return _fraction(self._layer.inf[0], self.size)

    def quantile(self, q: float) -> float:
        """The `q`-quantile of the finite values, within `RELATIVE_ACCURACY` (1%).

        Args:
            q: A probability in `[0, 1]`.

        Returns:
            The value of rank `floor(q * (count - 1))` (numpy's
            `method="lower"`), to 1% relative error; NaN if there are no
            finite values.

        Raises:
            StatsError: if `q` is outside `[0, 1]`.
        """
        if not 0.0 <= q <= 1.0:
            raise StatsError(f"Expected a quantile q in [0, 1]. Received: q={q!r}")
        return _sketch.quantile(self._state.sketch, q, self.min, self.max)

    def fraction_below(self, value: float) -> float:
        """The fraction of finite values `<= value`, within the sketch's 1% accuracy."""
        return self._sketch_fraction(_sketch.rank(self._state.sketch, value))

    def fraction_above(self, value: float) -> float:
        """The fraction of finite values `>= value`, within the sketch's 1% accuracy."""
        sketch = self._state.sketch
        return self._sketch_fraction(int(sketch.sum()) - _sketch.rank(sketch, value, strict=True))

    def _sketch_fraction(self, count: int) -> float:
        total = int(self._state.sketch.sum())
        return count / total if total else 0.0

    @property
    def p1(self) -> float:
        """The 1st percentile."""
        return self.quantile(0.01)

    @property
    def p50(self) -> float:
        """The median."""
        return self.quantile(0.5)

    @property
    def p99(self) -> float:
        """The 99th percentile."""
        return self.quantile(0.99)

    def histogram(self, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """A histogram of the finite values, from the quantile sketch.

        Args:
            bins: Equal-width bins between `min` and `max`. Defaults to
                `None` (the `bins` the statistics were computed with).

        Returns:
            `(counts, edges)`: int64 `(bins,)` adding up to `count`, and float64
            `(bins + 1,)`. Values sit in the bin of their sketch bucket, so
            within 1% (relative) of their true place.
        """
        return _sketch.histogram(
            self._state.sketch, bins or self.bins, self.min, self.max, total=self.count
        )

    # -- per channel ----------------------------------------------------------

    @property
    def channel_count(self) -> np.ndarray:
        """Finite values seen per channel, `(channels,)`."""
        return np.array(self._channels().count, np.int64)

    @property
    def channel_mean(self) -> np.ndarray:
        """Mean per channel, `(channels,)` (NaN where no finite value)."""
        state = self._channels()
        return np.asarray(np.where(state.count > 0, state.mean, np.nan), np.float64)

    @property
    def channel_std(self) -> np.ndarray:
        """Population standard deviation per channel, `(channels,)`."""
        state = self._channels()
        with np.errstate(invalid="ignore", divide="ignore"):
            std = np.where(state.count > 0, np.sqrt(state.m2 / state.count), np.nan)
        return np.asarray(std, np.float64)

    @property
    def channel_min(self) -> np.ndarray:
        """Smallest finite value per channel, `(channels,)`."""
        return np.array(self._channels().min, np.float64)

    @property
    def channel_max(self) -> np.ndarray:
        """Largest finite value per channel, `(channels,)`."""
        return np.array(self._channels().max, np.float64)

    @property
    def channel_zero_fraction(self) -> np.ndarray:
        """Fraction of exact zeros per channel, `(channels,)`."""
        state = self._channels()
        size = state.count + state.nan + state.inf
        return np.asarray(state.zeros / np.maximum(size, 1), np.float64)

    @property
    def active_count(self) -> np.ndarray:
        """Per channel, the samples in which any element of the channel is > 0.

        For a Dense output `(batch, units)`: samples where the unit is > 0; for
        a Conv2D output `(batch, h, w, channels)`: samples where the channel is
        > 0 at some position. +Inf counts as > 0; NaN does not. A unit with
        `active_count == 0` never fired over the whole dataset.
        """
        return np.array(self._channels().active, np.int64)

    @property
    def active_fraction(self) -> np.ndarray:
        """`active_count / samples`, `(channels,)`."""
        return np.asarray(self.active_count / max(self.samples, 1), np.float64)

    def _channels(self) -> State:
        if not self.per_channel:
            raise StatsError(
                f"Per-channel statistics of {self.key!r} were not computed. Expected "
                "statistics from `kerascope.stats(..., per_channel=True)`. "
                "Received: per_channel=False"
            )
        return self._state

    def __repr__(self) -> str:
        return (
            f"LayerStats({self.key!r}, {self.class_name}, count={self.count}, "
            f"mean={self.mean:.4g}, std={self.std:.4g}, min={self.min:.4g}, max={self.max:.4g})"
        )


def _fraction(part: Any, whole: int) -> float:
    return float(part) / whole if whole else math.nan
