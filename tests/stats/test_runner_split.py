"""`StatisticsRunner.forward` then `summarize`: `run` in two halves, and the exact finite check.

The activation monitor runs the probe on the training thread (`forward`) and
summarises on another (`summarize`); it skips the wait for statistics only
when `finite` rules out a NaN finding, so `finite` must be exact.
"""

from __future__ import annotations

import threading

import keras
import numpy as np
import pytest
from stats_oracle import assert_same_stats, check_stats

import kerascope
from kerascope.stats import StatisticsRunner

layers = keras.layers


class Root(layers.Layer):
    """sqrt(x): NaN for negative inputs, finite inputs or not."""

    def call(self, x):
        return keras.ops.sqrt(x)


def model() -> keras.Model:
    inputs = keras.Input((5,), name="x")
    x = layers.Dense(4, name="dense")(inputs)
    return keras.Model(inputs, Root(name="root")(x))


@pytest.mark.parametrize("on_device", [True, False])
def test_forward_then_summarize_on_another_thread_equals_run(rng, on_device):
    net = model()
    x = rng.random((37, 5), dtype=np.float32)
    runner = StatisticsRunner(net, on_device=on_device)
    batches = list(runner.batches(x, 16))
    probed = runner.forward(batches)
    assert [batch.samples for batch in probed] == [16, 16, 5]
    assert all(batch.inputs[0].name == "x" for batch in probed)
    result: list[kerascope.stats.Statistics] = []
    thread = threading.Thread(target=lambda: result.append(runner.summarize(probed)))
    thread.start()
    thread.join()
    (split,) = result
    assert_same_stats(split, runner.run(batches), rtol=1e-6)
    assert split.inputs == runner.run(batches).inputs
    acts = kerascope.capture(net, x)
    for key in ("dense", "root"):
        check_stats(split[key], acts[key])


@pytest.mark.parametrize("on_device", [True, False])
def test_finite_is_exact(rng, on_device):
    net = model()
    net.get_layer("dense").set_weights([np.eye(5, 4, dtype=np.float32), np.zeros(4, np.float32)])
    # dense passes the first four features through: root's inputs are x's.
    runner = StatisticsRunner(net, on_device=on_device)

    def finite(x):
        return runner.finite(runner.forward(runner.batches(x, 8)))

    x = rng.random((20, 5), dtype=np.float32)
    assert finite(x)
    bad_input = x.copy()
    bad_input[13, 4] = np.nan
    assert not finite(bad_input)
    negative = x.copy()
    negative[13, 0] = -1.0  # finite inputs; sqrt makes one NaN
    assert not finite(negative)
    huge = np.full((20, 5), 3e38, np.float32)  # finite values whose float32 sum overflows
    with np.errstate(over="ignore"):
        assert np.isinf(huge.sum(dtype=np.float32))
    assert finite(huge)
