"""`evolution`: a real monitor's snapshots as a heat map of value fractions, percentile lines."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from figure_checks import conv_model, fresh_keras, render
from matplotlib.colors import LogNorm

import kerascope
from kerascope.monitor import MonitorHistory
from kerascope.plot import evolution


@pytest.fixture(scope="module")
def trained():
    """A monitor over a 2-epoch `fit` of `conv_model`, and the final conv activations."""
    fresh_keras()
    rng = np.random.default_rng(0)
    model = conv_model()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    probe = rng.random((16, 8, 8, 3), dtype=np.float32)
    monitor = kerascope.ActivationMonitor(probe, layers=["conv", "probs"])
    x, y = rng.random((32, 8, 8, 3), dtype=np.float32), rng.integers(0, 3, 32)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[monitor])
    return monitor, kerascope.capture(model, probe, layers="conv")["conv"]


def test_columns_are_each_snapshots_distribution_on_a_common_range(trained):
    monitor, final = trained
    history = monitor.history
    layers = [snapshot.statistics["conv"] for snapshot in history]

    figure = evolution(monitor, "conv", bins=16)

    ax = figure.axes[0]
    mesh = ax.collections[0]
    fractions = mesh.get_array()
    assert fractions.shape == (16, 2)
    np.testing.assert_allclose(fractions.sum(axis=0), [1.0, 1.0])
    low, high = min(s.min for s in layers), max(s.max for s in layers)
    edges = mesh.get_coordinates()[:, 0, 1]
    np.testing.assert_allclose(edges, np.linspace(low, high, 17))
    # The last snapshot is the final model: its column is numpy's histogram, up to the
    # sketch's sampling (64 values a sample: 1,024 of these 16 samples' values).
    expected = np.histogram(final, bins=edges)[0] / final.size
    assert np.abs(fractions[:, 1] - expected).sum() < 0.1
    steps, _ = history.series("conv")
    assert steps.tolist() == [2, 4]
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"p1", "median", "p99", "mean"}
    for label, attribute in [("p1", "p1"), ("median", "p50"), ("p99", "p99"), ("mean", "mean")]:
        np.testing.assert_array_equal(lines[label].get_xdata(), steps)
        np.testing.assert_allclose(lines[label].get_ydata(), history.series("conv", attribute)[1])
    assert ax.get_xlabel() == "training step"
    assert sum(a.get_label() == "<colorbar>" for a in figure.axes) == 1
    assert figure.get_suptitle().startswith("conv (Conv2D) over training: 2 snapshots")
    render(figure)


def test_a_history_or_its_monitor_and_steps_that_do_not_increase(trained):
    monitor, _ = trained
    history = monitor.history
    again = MonitorHistory([history[0], history[1], history[0]])  # e.g. a second fit

    same = evolution(history, "probs", bins=8)
    repeated = evolution(again, "probs", bins=8)

    np.testing.assert_array_equal(
        same.axes[0].collections[0].get_array(),
        evolution(monitor, "probs", bins=8).axes[0].collections[0].get_array(),
    )
    assert repeated.axes[0].get_xlabel().startswith("snapshot")
    assert repeated.axes[0].lines[0].get_xdata().tolist() == [0, 1, 2]
    render(repeated)


def test_a_log_colour_scale(trained):
    monitor, _ = trained

    figure = evolution(monitor, "conv", bins=16, log=True)

    mesh = figure.axes[0].collections[0]
    assert isinstance(mesh.norm, LogNorm)
    assert mesh.norm.vmin == mesh.get_array()[mesh.get_array() > 0].min()
    render(figure)


def test_errors(trained):
    monitor, _ = trained
    with pytest.raises(kerascope.InputError, match=r"at least one snapshot"):
        evolution(MonitorHistory(), "conv")
    with pytest.raises(kerascope.SelectionError, match=r"Closest keys: conv.*Received: 'conv1'"):
        evolution(monitor, "conv1")
    with pytest.raises(kerascope.InputError, match=r"MonitorHistory or an ActivationMonitor"):
        evolution([1, 2], "conv")
    with pytest.raises(kerascope.InputError, match=r"bins to be an integer >= 1"):
        evolution(monitor, "conv", bins=-1)
