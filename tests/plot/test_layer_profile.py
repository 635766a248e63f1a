"""`layer_profile`: one point per layer, the values the statistics (and numpy) give."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from figure_checks import fresh_keras, plain_axes, render, text

import kerascope
from kerascope.plot import layer_profile

layers = keras.layers


@pytest.fixture(scope="module")
def planted():
    """relu (2 of 8 units dead) -> sigmoid (large weights: saturated) -> linear out."""
    fresh_keras()
    inputs = keras.Input((6,))
    h = layers.Dense(8, activation="relu", name="relu")(inputs)
    s = layers.Dense(5, activation="sigmoid", name="sigmoid", kernel_initializer="ones")(h)
    model = keras.Model(inputs, layers.Dense(2, name="out")(s))
    relu = model.get_layer("relu")
    kernel, bias = relu.get_weights()
    bias[[1, 6]] = -100.0
    relu.set_weights([kernel, bias])
    x = np.random.default_rng(0).normal(size=(200, 6)).astype("float32") * 3
    return kerascope.stats(model, x, progress=False), kerascope.capture(model, x)


def ydata(ax) -> np.ndarray:
    return np.asarray(ax.lines[0].get_ydata(), np.float64)


def test_four_stacked_axes_one_point_per_layer(planted):
    stats, acts = planted

    figure = layer_profile(stats)

    mean, std, dead, saturated = plain_axes(figure)
    keys = ["relu", "sigmoid", "out"]
    assert [label.get_text() for label in saturated.get_xticklabels()] == keys
    assert all(ax.get_shared_x_axes().joined(ax, saturated) for ax in (mean, std, dead))
    np.testing.assert_allclose(ydata(mean), [stats[k].mean for k in keys])
    np.testing.assert_allclose(ydata(std), [stats[k].std for k in keys])
    # Dead fraction: ReLU layers only; the planted units, as numpy sees them.
    never = ~(acts["relu"] > 0).any(axis=0)
    assert never.sum() == 2
    np.testing.assert_array_equal(ydata(dead), [never.mean(), np.nan, np.nan])
    # Saturation: bounded layers only, within the sketch's accuracy of numpy.
    s = acts["sigmoid"]
    at_bounds = np.mean((s <= 0.02) | (s >= 0.98))
    assert at_bounds > 0.5
    assert np.isnan(ydata(saturated)[[0, 2]]).all()
    assert ydata(saturated)[1] == pytest.approx(at_bounds, abs=0.02)
    assert [(t.get_position()[0], t.get_text()) for t in dead.texts] == [(1, "n/a"), (2, "n/a")]
    assert [t.get_position()[0] for t in saturated.texts] == [0, 2]
    assert "ReLU layers" in dead.get_ylabel()
    assert "bounded layers" in saturated.get_ylabel()
    render(figure)


def test_measures_that_apply_to_no_layer_say_so(rng):
    x = rng.normal(size=(10, 4)).astype("float32")
    stats = kerascope.stats(_linear_model(), x, progress=False)

    figure = layer_profile(stats)

    assert "n/a: no ReLU layers" in text(figure)
    assert "n/a: no bounded layers" in text(figure)
    render(figure)


def test_not_statistics_is_an_input_error(rng):
    with pytest.raises(kerascope.InputError, match=r"at least one layer.*Received: dict"):
        layer_profile({})
    with pytest.raises(kerascope.InputError, match=r"at least one layer"):
        layer_profile({"a": rng.normal(size=(2, 2))})


def _linear_model() -> keras.Model:
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(3, name="linear")(inputs))
