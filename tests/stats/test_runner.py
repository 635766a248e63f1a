"""`StatisticsRunner`: the device and host pipelines give the same statistics, inputs and outputs.

On a CPU `stats` summarises on the host; `on_device=True` forces the path an
accelerator takes (summaries inside the compiled pass), so both are tested here.
The oracle for the values is numpy on the captured activations (`check_stats`).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from stats_oracle import assert_same_stats, check_stats

import kerascope
from kerascope.stats import InputStats, StatisticsRunner

layers = keras.layers


def model() -> keras.Model:
    inputs = keras.Input((6, 6, 2), name="image")
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = layers.Flatten(name="flat")(x)
    probabilities = layers.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(inputs, [probabilities, layers.Dense(2, name="aux")(x)])


@pytest.fixture
def x(rng):
    x = rng.normal(size=(50, 6, 6, 2)).astype("float32")
    x[[4, 33], 1, 2, 0] = np.nan
    return x


@pytest.mark.parametrize("prefetch", [True, False])
def test_device_and_host_paths_agree(x, prefetch):
    net = model()
    results = {}
    for on_device in (True, False):
        runner = StatisticsRunner(net, on_device=on_device)
        assert runner.on_device is on_device
        results[on_device] = runner.run(runner.batches(x, 16), prefetch=prefetch)
    device, host = results[True], results[False]
    assert_same_stats(device, host, rtol=1e-5)
    expected = InputStats(
        "image", samples=50, values=x.size, nan=2, bad_samples=2, first_bad=(4, 33)
    )
    assert device.inputs == host.inputs == {"image": expected}
    for statistics in (device, host):
        assert {k for k, layer in statistics.items() if layer.is_output} == {"probs", "aux"}


def test_values_match_numpy_on_the_device_path(rng):
    net = model()
    x = rng.normal(size=(40, 6, 6, 2)).astype("float32")
    runner = StatisticsRunner(net, on_device=True)
    statistics = runner.run(runner.batches(x, 16))
    acts = kerascope.capture(net, x)
    for key in statistics:
        check_stats(statistics[key], acts[key])


def test_stream_yields_outputs_and_folds_each_batch(x):
    net = model()
    runner = StatisticsRunner(net, on_device=False)
    accumulator = runner.accumulator(buffer_bytes=0)
    seen = [
        (outputs["conv"].shape[0], n)
        for outputs, n in runner.stream(runner.batches(x, 16), accumulator)
    ]
    assert seen == [(16, 16), (16, 16), (16, 16), (2, 2)]
    result = accumulator.result()
    assert result.inputs["image"].first_bad == (4, 33)
    check_stats(result["conv"], kerascope.capture(net, x)["conv"])
