"""`plot.visualizations`: one labelled panel per image, dead channels named, not drawn."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from figure_checks import conv_model, fresh_keras, panels, text

import kerascope
from kerascope import InputError


@pytest.fixture(scope="module")
def vis():
    """conv channel 2 is dead; three steps are enough to have images and values."""
    fresh_keras()
    model = conv_model(dead=(2,))
    kernel, bias = model.get_layer("conv").get_weights()
    bias[[0, 1, 3, 4, 5]] = 1.0  # every other channel fires on the grey start
    model.get_layer("conv").set_weights([np.abs(kernel), bias])
    data = np.random.default_rng(0).uniform(-1, 1, (8, *model.input_shape[1:])).astype("float32")
    return kerascope.visualize(
        model, "conv", steps=3, value_range=(-1.0, 1.0), progress=False, data=data
    )


def test_one_labelled_panel_per_image_and_the_dead_in_the_title(vis):
    assert vis.dead == {2: "data"}
    figure = kerascope.plot.visualizations(vis)
    shown = panels(figure)
    assert len(shown) == len(vis.channels) == 5
    for ax, channel, value, image in zip(shown, vis.channels, vis.values, vis.images):
        assert ax.get_title() == f"ch {channel}\n{value:.3g}"
        # Colour images are drawn scaled from the value range to [0, 1].
        np.testing.assert_allclose(ax.images[0].get_array(), (image + 1.0) / 2.0, atol=1e-6)
    words = text(figure)
    assert "conv: channel('conv', [0, 1, 3, 4, 5])" in words  # what was optimised
    assert "dead, not drawn: 2 (data)" in words


def test_a_stuck_channel_is_drawn_and_flagged_in_the_title(vis):
    import dataclasses

    stuck = dataclasses.replace(vis, dead={}, stuck={1: "no gradient"})
    figure = kerascope.plot.visualizations(stuck)
    assert len(panels(figure)) == 5
    assert "no gradient (flat, maybe dead; pass data=): [1]" in text(figure)


def test_max_images_and_a_vector_model(vis):
    figure = kerascope.plot.visualizations(vis, max_images=2)
    assert len(panels(figure)) == 2
    assert "first 2 of 5" in text(figure)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, name="d")])
    dense = kerascope.visualize(model, "d", steps=2, progress=False)
    figure = kerascope.plot.visualizations(dense)
    bars = [ax for ax in figure.axes if ax.patches]
    assert len(bars) == 3
    assert len(bars[0].patches) == 5


def test_anything_else_is_refused():
    with pytest.raises(InputError, match=r"Visualization\. Received: dict"):
        kerascope.plot.visualizations({"images": np.zeros((1, 2, 2, 3))})
