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
    ],
    ids=["conv", "relu", "non-finite", "offset"],
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
