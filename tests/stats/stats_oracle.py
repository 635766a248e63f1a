"""The stats tests' oracle: every statistic recomputed with numpy on materialised arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerascope import backends
from kerascope.stats import RELATIVE_ACCURACY, LayerStats, Statistics

MOMENTS = {"rtol": 1e-5, "atol": 1e-6}
# Extremes are exact where the statistics and the oracle's activations come from
# the same arithmetic. On an accelerator they come from two compiled programs
# (summaries fused into the forward pass, or not), whose float32 rounding can
# differ in the last bits (~1e-7 of the terms summed).
EXTREMES = MOMENTS if backends.current().accelerated else {"rtol": 0, "atol": 0}


def check_stats(stats: LayerStats, values: Any, *, per_channel: bool = True) -> None:
    """Checks `stats` against numpy on `values`, the full activations `(samples, ...)`.

    Mean and std to 1e-5 relative; min, max, counts and fractions exactly;
    quantiles within the sketch's relative accuracy of numpy's
    `method="lower"`; histogram counts adding up to the finite count.
    """
    a = np.asarray(values).astype(np.float64)
    finite = a[np.isfinite(a)]
    assert stats.samples == (a.shape[0] if a.ndim else 1)
    assert stats.count == finite.size
    assert stats.size == a.size
    assert stats.zero_fraction == np.count_nonzero(a == 0) / a.size
    assert stats.nan_fraction == np.count_nonzero(np.isnan(a)) / a.size
    assert stats.inf_fraction == np.count_nonzero(np.isinf(a)) / a.size
    np.testing.assert_allclose(stats.mean, finite.mean(), **MOMENTS)
    np.testing.assert_allclose(stats.std, finite.std(), **MOMENTS)
    np.testing.assert_allclose([stats.min, stats.max], [finite.min(), finite.max()], **EXTREMES)
    for q in (0.0, 0.01, 0.25, 0.5, 0.99, 1.0):
        expected = np.quantile(finite, q, method="lower")
        assert abs(stats.quantile(q) - expected) <= RELATIVE_ACCURACY * abs(expected) + 1e-12, q
    assert (stats.p1, stats.p50, stats.p99) == tuple(stats.quantile(q) for q in (0.01, 0.5, 0.99))
    counts, edges = stats.histogram()
    assert counts.sum() == finite.size
    assert (edges[0], edges[-1]) == (stats.min, stats.max)
    if per_channel:
        check_channels(stats, a)


def check_channels(stats: LayerStats, a: np.ndarray) -> None:
    """Per-channel (last axis) statistics and active counts against numpy."""
    channels = a.reshape(a.shape[0], -1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1, 1)
    masked = np.ma.masked_invalid(channels)
    np.testing.assert_allclose(
        stats.channel_mean, masked.mean(axis=(0, 1)).filled(np.nan), **MOMENTS
    )
    np.testing.assert_allclose(stats.channel_std, masked.std(axis=(0, 1)).filled(np.nan), **MOMENTS)
    np.testing.assert_allclose(
        stats.channel_min, masked.min(axis=(0, 1)).filled(np.inf), **EXTREMES
    )
    np.testing.assert_allclose(
        stats.channel_max, masked.max(axis=(0, 1)).filled(-np.inf), **EXTREMES
    )
    np.testing.assert_array_equal(stats.channel_count, np.isfinite(channels).sum(axis=(0, 1)))
    np.testing.assert_array_equal(stats.channel_zero_fraction, (channels == 0).mean(axis=(0, 1)))
    np.testing.assert_array_equal(stats.active_count, (channels > 0).any(axis=1).sum(axis=0))
    np.testing.assert_array_equal(stats.active_fraction, stats.active_count / a.shape[0])


def assert_same_stats(a: Statistics, b: Statistics, *, rtol: float = 1e-6) -> None:
    """Two `Statistics` agree: same keys; counts, extremes and sketches exactly;
    moments to `rtol` (the device sums each batch in float32, so other batch
    boundaries move them by ~1e-7)."""
    assert list(a) == list(b)
    for key in a:
        x, y = a[key], b[key]
        assert (x.count, x.size, x.samples, x.min, x.max) == (
            y.count,
            y.size,
            y.samples,
            y.min,
            y.max,
        )
        assert (x.zero_fraction, x.nan_fraction, x.inf_fraction) == (
            y.zero_fraction,
            y.nan_fraction,
            y.inf_fraction,
        )
        np.testing.assert_allclose([x.mean, x.std], [y.mean, y.std], rtol=rtol, atol=1e-12)
        assert [x.quantile(q) for q in (0.01, 0.5, 0.99)] == [
            y.quantile(q) for q in (0.01, 0.5, 0.99)
        ]
        np.testing.assert_array_equal(x.histogram()[0], y.histogram()[0])
        if a.per_channel:
            np.testing.assert_array_equal(x.active_count, y.active_count)
            np.testing.assert_allclose(x.channel_mean, y.channel_mean, rtol=rtol, atol=1e-12)
            np.testing.assert_allclose(x.channel_std, y.channel_std, rtol=rtol, atol=1e-12)
