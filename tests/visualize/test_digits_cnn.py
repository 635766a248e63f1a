"""Feature visualization of a CNN trained on the digits, checked with `capture` alone."""

from __future__ import annotations

import numpy as np
import pytest
from vis_models import assert_untouched, channel_means, digits, trained_digits_cnn, weights

import kerascope


@pytest.fixture(autouse=True)
def _fresh_keras_state() -> None:
    """The trained model lives for the whole module: no clear_session between tests."""


@pytest.fixture(scope="module")
def model():
    return trained_digits_cnn()


@pytest.fixture(scope="module")
def top1(model) -> np.ndarray:
    """Per channel of conv2, its strongest dataset example's channel mean (brute force)."""
    return channel_means(model, digits()[0], "conv2").max(axis=0)


@pytest.fixture(scope="module")
def fft_vis(model):
    before, trainable = weights(model), [layer.trainable for layer in model.layers]
    vis = kerascope.visualize(model, "conv2", transforms="none", steps=160, progress=False)
    assert_untouched(model, before, trainable)
    return vis


def test_most_live_channels_beat_their_top_dataset_example(model, top1, fft_vis):
    assert len(fft_vis.channels) + len(fft_vis.dead) == 32
    live = [i for i, c in enumerate(fft_vis.channels) if c not in fft_vis.stuck]
    channels = [fft_vis.channels[i] for i in live]
    images = fft_vis.images[live]
    measured = channel_means(model, images, "conv2")[np.arange(len(channels)), channels]
    beaten = measured > top1[channels]
    assert beaten.mean() >= 0.9, (measured, top1[channels])
    # The reported values are that same measurement.
    np.testing.assert_allclose(fft_vis.values[live], measured, rtol=1e-4, atol=1e-5)


def test_images_stay_in_the_value_range_and_the_history_rises(fft_vis):
    assert fft_vis.images.shape == (len(fft_vis.channels), 8, 8, 1)
    assert fft_vis.images.min() >= 0.0
    assert fft_vis.images.max() <= 1.0
    assert fft_vis.history.shape == (160, len(fft_vis.channels))
    first, last = fft_vis.history[:10].mean(axis=0), fft_vis.history[-10:].mean(axis=0)
    assert np.all(last > first)
    assert fft_vis.param == "fft"
    assert fft_vis.key == "conv2"


def test_pixel_parameterisation_with_standard_transforms(model, top1):
    before, trainable = weights(model), [layer.trainable for layer in model.layers]
    vis = kerascope.visualize(
        model, "conv2", channels=[1, 5], param="pixel", steps=96, value_range=(0.0, 1.0),
        progress=False,
    )  # fmt: skip
    assert_untouched(model, before, trainable)
    assert vis.param == "pixel"
    assert vis.channels == (1, 5)
    assert np.all(vis.history[-10:].mean(axis=0) > vis.history[:10].mean(axis=0))
    measured = channel_means(model, vis.images, "conv2")[[0, 1], [1, 5]]
    np.testing.assert_allclose(vis.values, measured, rtol=1e-4, atol=1e-5)
    assert np.all(measured > 0.8 * top1[[1, 5]])


def test_the_same_seed_gives_identical_images_and_another_seed_others(model):
    run = lambda seed: kerascope.visualize(  # noqa: E731
        model, "conv2", channels=range(3), steps=12, seed=seed, progress=False
    )
    a, b, c = run(3), run(3), run(4)
    assert np.array_equal(a.images, b.images)
    assert np.array_equal(a.history, b.history)
    assert not np.array_equal(a.images, c.images)


def test_a_narrower_value_range_is_respected(model):
    vis = kerascope.visualize(
        model, "conv1", channels=0, steps=8, value_range=(0.25, 0.5), progress=False
    )
    assert vis.images.min() >= 0.25
    assert vis.images.max() <= 0.5


def test_a_failing_objective_leaves_the_model_untouched(model):
    from kerascope.visualize import objectives

    before, trainable = weights(model), [layer.trainable for layer in model.layers]

    def broken(outputs, images):
        raise RuntimeError("objective failed")

    with pytest.raises(kerascope.CaptureError, match=r"conv2.*RuntimeError: objective failed"):
        kerascope.visualize(
            model, "conv2", objective=objectives.Objective(broken, ["conv2"], "broken"),
            steps=2, progress=False,
        )  # fmt: skip
    assert_untouched(model, before, trainable)
