"""Feature visualization of non-image models, dead channels, and the inputs it refuses."""

from __future__ import annotations

import typing

import keras
import numpy as np
import pytest
from vis_models import assert_untouched, channel_means, weights

import kerascope
from kerascope import InputError, SelectionError


class Spy(keras.layers.Layer):
    """Records the batch size of every call: the layers after the visualized key
    must never see the batch of images being optimised (discovery runs 1 or 2)."""

    seen: typing.ClassVar[list] = []

    def call(self, x):
        Spy.seen.append(x.shape[0])
        return x

    def compute_output_shape(self, input_shape):
        return input_shape


def dense_model() -> keras.Model:
    """`hidden` units are all active at the grey start; each one's best input in
    [0, 1]^10 is known in closed form (1 where its weight is positive, else 0)."""
    inputs = keras.Input((10,), name="features")
    hidden = keras.layers.Dense(6, activation="relu", name="hidden")
    outputs = keras.layers.Dense(3, name="out")(Spy(name="spy")(hidden(inputs)))
    model = keras.Model(inputs, outputs)
    kernel = np.random.default_rng(1).standard_normal((10, 6)).astype("float32")
    hidden.set_weights([kernel, 0.1 - 0.5 * kernel.sum(axis=0)])
    return model


def test_dense_vectors_reach_the_closed_form_optimum():
    model = dense_model()
    before, trainable = weights(model), [layer.trainable for layer in model.layers]
    Spy.seen.clear()
    vis = kerascope.visualize(model, "hidden", steps=150, progress=False)
    assert 6 not in Spy.seen
    assert_untouched(model, before, trainable)
    kernel, bias = model.get_layer("hidden").get_weights()
    best = np.maximum(kernel, 0).sum(axis=0) + bias
    assert vis.images.shape == (6, 10)
    assert vis.channels == tuple(range(6))
    assert vis.param == "pixel"
    assert np.all(vis.values >= 0.95 * best)
    assert np.all(vis.values <= best + 1e-5)
    by_hand = np.maximum(vis.images @ kernel + bias, 0)
    np.testing.assert_allclose(np.diag(by_hand), vis.values, rtol=1e-5)


def test_float_sequences_use_a_one_dimensional_spectrum():
    model = keras.Sequential(
        [
            keras.Input((20, 3)),
            keras.layers.Conv1D(4, 3, activation="relu", name="c1"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    vis = kerascope.visualize(model, "c1", steps=60, value_range=(-1.0, 1.0), progress=False)
    assert vis.param == "fft"
    assert vis.images.shape[1:] == (20, 3)
    assert vis.images.min() >= -1.0
    assert vis.images.max() <= 1.0
    assert np.all(vis.history[-5:].mean(axis=0) > vis.history[:5].mean(axis=0))
    channels = list(vis.channels)
    measured = channel_means(model, vis.images, "c1")[np.arange(len(channels)), channels]
    np.testing.assert_allclose(vis.values, measured, rtol=1e-4, atol=1e-6)


def conv_model(size=(8, 8)) -> keras.Model:
    """Two conv layers; channel 2 of `conv` never fires (its bias is -100), the
    others fire on the grey starting images (positive kernels, bias +1)."""
    model = keras.Sequential(
        [
            keras.Input((*size, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_b"),
        ]
    )
    for name in ("conv", "conv_b"):
        kernel, bias = model.get_layer(name).get_weights()
        model.get_layer(name).set_weights([np.abs(kernel), np.ones_like(bias)])
    kernel, bias = model.get_layer("conv").get_weights()
    bias[2] = -100.0
    model.get_layer("conv").set_weights([kernel, bias])
    return model


def test_only_data_calls_a_channel_dead_and_a_hopeless_one_is_flagged_stuck():
    model = conv_model()
    vis = kerascope.visualize(model, "conv", steps=6, progress=False)
    assert vis.dead == {}
    assert set(vis.stuck) == {2}
    assert vis.channels == (0, 1, 2, 3)
    assert len(vis.images) == 4
    assert vis.history.shape == (6, 4)
    assert np.all(vis.history[:, 2] == 0)
    x = np.random.default_rng(0).random((16, 8, 8, 3), dtype=np.float32)
    vis = kerascope.visualize(model, "conv", channels=[1, 2], data=x, steps=5, progress=False)
    assert vis.dead == {2: "data"}
    assert vis.stuck == {}
    assert vis.channels == (1,)


def test_a_channel_off_on_grey_is_restarted_from_noise_not_called_dead():
    """Channel 0 sums its 3x3 patch minus 4.6: off on mid grey (4.5 - 4.6 < 0),
    so no gradient reaches it at the start, yet plenty of inputs turn it on."""
    model = keras.Sequential(
        [keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="conv")]
    )
    kernel = np.ones((3, 3, 1, 2), "float32")
    model.get_layer("conv").set_weights([kernel, np.array([-4.6, 1.0], "float32")])
    vis = kerascope.visualize(model, "conv", steps=30, progress=False)
    assert vis.dead == {}
    assert vis.stuck == {}
    assert vis.channels == (0, 1)
    measured = channel_means(model, vis.images, "conv")[[0, 1], [0, 1]]
    assert measured[0] > 1.0  # by hand: the best input (all ones) gives 9 - 4.6
    np.testing.assert_allclose(vis.values, measured, rtol=1e-4, atol=1e-6)


def test_rgb_images_with_decorrelated_colours_and_standard_transforms():
    model = conv_model(size=(16, 16))
    vis = kerascope.visualize(model, "conv_b", channels=[0, 1], steps=40, progress=False)
    assert vis.images.shape == (2, 16, 16, 3)
    assert vis.images.min() >= 0.0
    assert vis.images.max() <= 1.0
    assert np.all(vis.history[-5:].mean(axis=0) > vis.history[:5].mean(axis=0))


def test_unknown_spatial_size_needs_size():
    model = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(3, 3, activation="relu", name="c")]
    )
    with pytest.raises(InputError, match="Expected size="):
        kerascope.visualize(model, "c", steps=2, progress=False)
    vis = kerascope.visualize(model, "c", size=(5, 7), steps=3, progress=False)
    assert vis.images.shape[1:] == (5, 7, 1)


def test_token_inputs_are_refused_with_what_to_use_instead():
    model = keras.Sequential(
        [
            keras.Input((5,), dtype="int32"),
            keras.layers.Embedding(50, 4, name="embed"),
            keras.layers.Dense(2, name="dense"),
        ]
    )
    with pytest.raises(InputError, match=r"token ids.*kerascope\.top_examples.*Received"):
        kerascope.visualize(model, "dense", progress=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"key": "nope"}, SelectionError, "nope"),
        ({"key": "conv*"}, InputError, r"one layer key.*Received: 'conv\*', which selects"),
        ({"channels": [0, 9]}, InputError, r"channels in \[0, 4\).*Received: \[9\]"),
        ({"steps": 0}, InputError, "steps= a positive integer"),
        ({"param": "wavelet"}, InputError, "param='fft' or 'pixel'"),
        ({"value_range": (1.0, 0.0)}, InputError, "low < high"),
        ({"objective": "everything"}, InputError, "objective= one of"),
        ({"transforms": "wild"}, InputError, "transforms='standard'"),
    ],
)
def test_bad_arguments_raise_clear_errors_and_change_nothing(kwargs, error, match):
    model = conv_model()
    before, trainable = weights(model), [layer.trainable for layer in model.layers]
    arguments = {"key": "conv", "steps": 2, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        kerascope.visualize(model, **arguments)
    assert_untouched(model, before, trainable)


def test_an_objective_whose_batch_disagrees_with_channels_is_refused():
    model = conv_model()
    from kerascope.visualize import objectives

    goal = objectives.channel("conv", [0, 1, 2])
    before = weights(model)
    with pytest.raises(InputError, match=r"Expected channels=.*3.*Received: 1 channels \[3\]"):
        kerascope.visualize(model, "conv", objective=goal, channels=[3], steps=2, progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))
    vis = kerascope.visualize(model, "conv", objective=goal, channels=[3, 1, 0], steps=2,
                              progress=False)  # fmt: skip
    assert vis.channels == (3, 1, 0)


def test_several_inputs_are_refused():
    a, b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([a, b], keras.layers.Dense(2, name="d")(keras.layers.Add()([a, b])))
    with pytest.raises(InputError, match=r"one input.*Received.*2 inputs"):
        kerascope.visualize(model, "d", progress=False)
