"""`plot.examples`: rows of cropped top examples, captions, the response overlay."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from figure_checks import fresh_keras, panels, render, text

import kerascope
from kerascope.errors import InputError
from kerascope.examples import top_examples


@pytest.fixture(scope="module")
def setup():
    fresh_keras()
    inputs = keras.Input((10, 10, 1))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    h = keras.layers.MaxPooling2D(2, name="pool")(h)
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(h))
    x = np.random.default_rng(5).random((20, 10, 10, 1)).astype("float32")
    return model, x, top_examples(model, x, k=3, bottom=True, progress=False)


def test_rows_of_crops_with_values_as_captions(setup):
    _, x, examples = setup
    figure = kerascope.plot.examples(examples, "pool", x, channels=[1, 3])
    shown = panels(figure)
    assert len(shown) == 2 * 3
    unit = examples["pool"]
    for row, channel in enumerate([1, 3]):
        for j in range(3):
            ax = shown[row * 3 + j]
            (top, bottom), (left, right) = unit.regions[channel, j]
            sample = x[unit.indices[channel, j], top:bottom, left:right, 0]
            np.testing.assert_allclose(ax.images[0].get_array(), sample, rtol=1e-6)
            assert ax.get_title() == f"#{unit.indices[channel, j]}  {unit.values[channel, j]:.3g}"
    assert "pool · top 3 examples" in text(figure)
    assert render(figure)


def test_the_response_overlay_is_the_channel_map_over_the_crop(setup):
    model, x, examples = setup
    figure = kerascope.plot.examples(examples, "conv", x, channels=2, model=model, crop=False)
    shown = panels(figure)
    unit = examples["conv"]
    sample = unit.indices[2, 0]
    heat = shown[0].images[1].get_array()
    conv = kerascope.capture(model, x[sample : sample + 1], "conv")["conv"][0, ..., 2]
    # A "same" conv: the map is the input's size, so the overlay is the map itself.
    np.testing.assert_allclose(heat, conv, rtol=1e-5, atol=1e-6)
    row, column = unit.positions[2, 0]
    assert heat[row, column] == pytest.approx(unit.values[2, 0], rel=1e-5)
    assert len(shown[0].patches) == 1  # the region outlined
    assert render(figure)


def test_a_strided_layer_is_placed_on_its_fields_and_peaks_in_the_region(setup):
    """pool (2x2, stride 2) after a "same" 3x3 conv: position (p, q) sees
    rows/cols [2p - 1, 2p + 3); its value fills the 2x2 cell at [2p, 2p + 2)."""
    model, x, examples = setup
    unit = examples["pool"]
    figure = kerascope.plot.examples(examples, "pool", x, channels=[0, 3], model=model, crop=False)
    shown = panels(figure)
    for row, channel in enumerate([0, 3]):
        for j in range(3):
            sample = unit.indices[channel, j]
            heat = np.asarray(shown[row * 3 + j].images[1].get_array())
            pool = kerascope.capture(model, x[sample : sample + 1], "pool")["pool"][0, ..., channel]
            by_hand = np.repeat(np.repeat(pool, 2, axis=0), 2, axis=1)
            np.testing.assert_allclose(heat, by_hand, rtol=1e-5, atol=1e-6)
            peak = np.unravel_index(np.argmax(heat), heat.shape)
            (top, bottom), (left, right) = unit.regions[channel, j]
            assert top <= peak[0] < bottom
            assert left <= peak[1] < right


def test_bottom_dense_layers_and_default_channels(setup):
    _, x, examples = setup
    figure = kerascope.plot.examples(examples, "dense", x, bottom=True)
    assert len(panels(figure)) == 2 * 3  # both channels (up to 8 by default), k each
    assert "bottom 3" in text(figure)
    assert render(figure)


def test_bad_arguments(setup):
    _, x, examples = setup
    with pytest.raises(InputError, match=r"channels in \[0, 4\) of 'conv'. Received: \[4\]"):
        kerascope.plot.examples(examples, "conv", x, channels=[4])
    with pytest.raises(InputError, match="Expected data holding samples"):
        kerascope.plot.examples(examples, "conv", x[:2])
    no_bottom = top_examples(setup[0], x, "conv", k=2, progress=False)
    with pytest.raises(InputError, match="bottom=True"):
        kerascope.plot.examples(no_bottom, "conv", x, bottom=True)
