"""The host (numpy) and device (keras.ops) summaries are the same statistics."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascope.stats._host import summarize_arrays
from kerascope.stats._moments import State
from kerascope.stats._summary import summarize_output


@pytest.mark.parametrize(
    "array",
    [
        np.random.default_rng(0).normal(size=(5, 4, 4, 3)),
        np.maximum(np.random.default_rng(1).normal(size=(7, 6)), 0),
        np.array([[1.0, np.nan, -np.inf, 0.0], [2.0, 3.0, np.inf, -1.0]]),
        1e4 + np.random.default_rng(2).normal(size=(9, 5)),
        np.random.default_rng(3).normal(size=(3, 20, 20, 6)),  # sketched on a subset
        np.random.default_rng(4).normal(size=(4, 1031, 3)),  # prime lengths: remainders
    ],
    ids=["conv", "relu", "non-finite", "offset", "sampled", "prime"],
)
@pytest.mark.parametrize("per_channel", [True, False])
def test_host_summary_equals_device_summary(array, per_channel):
    array = array.astype("float32")
    host = summarize_arrays(array, per_channel=per_channel)
    device = summarize_output(keras.ops.convert_to_tensor(array), per_channel=per_channel)
    assert set(host) == set(device)
    # Compare what the summaries mean: the raw shifted sums are float32
    # rounding residue whose value depends on the summation order.
    ours = State.from_summary(host)
    theirs = State.from_summary(keras.tree.map_structure(keras.ops.convert_to_numpy, device))
    for field in ("count", "min", "max", "zeros", "nan", "inf", "active", "sketch"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), err_msg=field)
    assert ours.samples == theirs.samples
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-6, atol=1e-7)
    std = np.sqrt(theirs.m2 / np.maximum(theirs.count, 1))
    np.testing.assert_allclose(
        np.sqrt(ours.m2 / np.maximum(ours.count, 1)), std, rtol=1e-4, atol=1e-6
    )


@pytest.mark.parametrize("shape", [(4, 1031, 3), (64, 8, 8, 16), (2, 3), (5, 7, 1)])
def test_host_summary_equals_numpy(shape):
    """The folded per-channel reductions against plain numpy, remainders included."""
    rng = np.random.default_rng(5)
    x = np.maximum(rng.normal(size=shape), -0.5).astype("float32")
    x[..., 0] = 0.0  # a dead channel
    summary = summarize_arrays(x)
    by_channel = x.reshape(-1, shape[-1]).astype(np.float64)
    state = State.from_summary(summary)
    np.testing.assert_array_equal(state.min, by_channel.min(axis=0))
    np.testing.assert_array_equal(state.max, by_channel.max(axis=0))
    np.testing.assert_array_equal(state.zeros, (by_channel == 0).sum(axis=0))
    active = (x.reshape(shape[0], -1, shape[-1]) > 0).any(axis=1).sum(axis=0)
    np.testing.assert_array_equal(state.active, active)
    np.testing.assert_allclose(state.mean, by_channel.mean(axis=0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        np.sqrt(state.m2 / state.count), by_channel.std(axis=0), rtol=1e-5, atol=1e-7
    )


def test_host_summary_where_raw_squares_would_overflow():
    """Values near 1e20 square beyond float32; their deviations do not."""
    rng = np.random.default_rng(6)
    x = (1e20 + 1e16 * rng.normal(size=(64, 3))).astype("float32")
    state = State.from_summary(summarize_arrays(x))
    exact = x.astype(np.float64)
    np.testing.assert_allclose(state.mean, exact.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(state.m2 / state.count), exact.std(axis=0), rtol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_sketch_histogram_bins_as_numpy_does(seed):
    # Equal-width bins [edge, next edge), the last one closed: np.histogram's,
    # over every bucket's representative value clamped to [low, high].
    from kerascope.stats import _sketch

    rng = np.random.default_rng(seed)
    counts = np.zeros(len(_sketch._VALUES))
    filled = rng.integers(0, len(counts), 300)
    counts[filled] = rng.integers(1, 1000, filled.size)
    low, high = np.sort(rng.choice(_sketch._VALUES[filled], 2, replace=False))
    if seed == 0:  # the whole range: values on the outer edges
        low, high = _sketch._VALUES[filled].min(), _sketch._VALUES[filled].max()
    if seed == 1:  # a constant: numpy widens the range by 0.5 on each side
        low = high
    expected, expected_edges = np.histogram(
        np.clip(_sketch._VALUES, low, high), bins=37, range=(low, high), weights=counts
    )
    hist, edges = _sketch.histogram(counts, 37, float(low), float(high))
    np.testing.assert_array_equal(edges, expected_edges)
    np.testing.assert_array_equal(hist, np.rint(expected).astype(np.int64))
