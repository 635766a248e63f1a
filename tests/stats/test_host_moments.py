"""Host summaries where only some channels need the two-pass sums (a monitor's usual case)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascope.stats._host import summarize_arrays
from kerascope.stats._moments import State
from kerascope.stats._summary import summarize_output


@pytest.mark.parametrize("offset_channels", [[3], [0, 5, 15], list(range(16))])
def test_channels_far_from_zero_get_exact_moments(offset_channels):
    # Channels whose mean dwarfs their spread: raw squares would cancel there.
    rng = np.random.default_rng(7)
    x = np.maximum(rng.normal(size=(64, 8, 8, 16)), 0)
    x[..., offset_channels] = 3e3 + 0.01 * rng.normal(size=(64, 8, 8, len(offset_channels)))
    x = x.astype("float32")
    state = State.from_summary(summarize_arrays(x))
    exact = x.reshape(-1, 16).astype(np.float64)
    np.testing.assert_allclose(state.mean, exact.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(np.sqrt(state.m2 / state.count), exact.std(axis=0), rtol=1e-5)
    # The same statistics as the device path's, which always sums deviations.
    device = summarize_output(keras.ops.convert_to_tensor(x))
    theirs = State.from_summary(keras.tree.map_structure(keras.ops.convert_to_numpy, device))
    np.testing.assert_allclose(state.mean, theirs.mean, rtol=1e-6)
    np.testing.assert_allclose(
        np.sqrt(state.m2 / state.count), np.sqrt(theirs.m2 / theirs.count), rtol=1e-4
    )
    for field in ("count", "min", "max", "zeros", "active", "sketch"):
        np.testing.assert_array_equal(getattr(state, field), getattr(theirs, field), err_msg=field)
