"""`gradcam` against the keras-io Grad-CAM recipe, written out with each backend's autodiff."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from harness import to_numpy

layers = keras.layers


@pytest.fixture
def cnn():
    inputs = keras.Input((12, 12, 3))
    h = layers.Conv2D(6, 3, activation="relu", name="conv1")(inputs)
    h = layers.Conv2D(8, 3, activation="relu", name="last_conv")(h)
    h = layers.GlobalAveragePooling2D(name="pool")(h)
    return keras.Model(inputs, layers.Dense(4, activation="softmax", name="probs")(h))


def score_gradient(tail, feature_map, class_index):
    """d tail(feature_map)[0, class_index] / d feature_map, by the backend's own autodiff."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        a = tf.constant(feature_map)
        with tf.GradientTape() as tape:
            tape.watch(a)
            score = tail(a)[0, class_index]
        return tape.gradient(score, a).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda a: tail(a)[0, class_index])(feature_map))
    import torch

    a = torch.tensor(feature_map, requires_grad=True)
    tail(a)[0, class_index].backward()
    return a.grad.numpy()


def keras_io_recipe(model, image, key, class_index=None):
    """keras-io's `make_gradcam_heatmap` for one image: the pooled gradients of the
    class score weight the last conv layer's channels; ReLU; divided by the maximum."""
    conv = model.get_layer(key)
    feature_map = to_numpy(keras.Model(model.inputs, conv.output)(image[None]))
    tail_input = keras.Input(conv.output.shape[1:])
    h = tail_input
    for layer in model.layers[model.layers.index(conv) + 1 :]:
        h = layer(h)
    tail = keras.Model(tail_input, h)
    if class_index is None:
        class_index = int(np.argmax(to_numpy(model(image[None]))[0]))
    grads = score_gradient(tail, feature_map, class_index)
    pooled = grads.mean(axis=(0, 1, 2))
    heatmap = np.maximum(feature_map[0] @ pooled, 0)
    return heatmap / heatmap.max() if heatmap.max() > 0 else heatmap


def test_gradcam_equals_the_keras_io_recipe(cnn, rng):
    x = rng.uniform(size=(3, 12, 12, 3)).astype("float32")
    cams = kerascope.gradcam(cnn, x, "last_conv")
    assert cams.shape == (3, 8, 8)
    assert cams.dtype == np.float32
    assert (cams.max(axis=(1, 2)) > 0).any()
    for i in range(3):
        np.testing.assert_allclose(cams[i], keras_io_recipe(cnn, x[i], "last_conv"), atol=2e-5)
    chosen = kerascope.gradcam(cnn, x, "last_conv", target=2)
    for i in range(3):
        np.testing.assert_allclose(chosen[i], keras_io_recipe(cnn, x[i], "last_conv", 2), atol=2e-5)
    per_sample = kerascope.gradcam(cnn, x, "last_conv", target=[0, 1, 3])
    np.testing.assert_allclose(per_sample[1], keras_io_recipe(cnn, x[1], "last_conv", 1), atol=2e-5)


def test_upsampled_and_unnormalised_maps(cnn, rng):
    x = rng.uniform(size=(2, 12, 12, 3)).astype("float32")
    raw = kerascope.gradcam(cnn, x, "last_conv", target=1, normalize=False)
    normalised = kerascope.gradcam(cnn, x, "last_conv", target=1)
    for i in range(2):
        if raw[i].max() > 0:
            np.testing.assert_allclose(normalised[i], raw[i] / raw[i].max(), rtol=1e-5)
    big = kerascope.gradcam(cnn, x, "last_conv", target=1, upsample=True)
    assert big.shape == (2, 12, 12)
    expected = to_numpy(keras.ops.image.resize(normalised[..., None], (12, 12)))[..., 0]
    np.testing.assert_allclose(
        big / big.max(axis=(1, 2), keepdims=True),
        expected / expected.max(axis=(1, 2), keepdims=True),
        atol=1e-5,
    )


def test_the_overlay_draws_the_same_map(cnn, rng):
    pytest.importorskip("matplotlib")
    from kerascope.plot._image import resize_bilinear

    x = rng.uniform(size=(2, 12, 12, 3)).astype("float32")
    cam = kerascope.gradcam(cnn, x, "last_conv", target=0, normalize=False)
    expected = resize_bilinear(cam[1].astype(np.float64), 12, 12)
    acts = kerascope.capture(cnn, x, layers="last_conv")
    grads = kerascope.gradients(cnn, x, loss=lambda p: p[:, 0], layers="last_conv")
    from_gradients = kerascope.plot.overlay(
        x, acts, "last_conv", method="gradcam", gradients=grads, sample=1
    )
    from_maps = kerascope.plot.overlay(x, cam, sample=1)
    for figure in (from_gradients, from_maps):
        drawn = figure.axes[0].images[1].get_array()
        np.testing.assert_allclose(drawn, expected, rtol=1e-4, atol=1e-6)


def test_bad_requests_raise_clearly(cnn, rng):
    x = rng.uniform(size=(2, 12, 12, 3)).astype("float32")
    with pytest.raises(kerascope.InputError, match=r"2-D feature maps.*'pool'.*\(2, 8\)"):
        kerascope.gradcam(cnn, x, "pool")
    with pytest.raises(kerascope.InputError, match=r"one class index per sample \(2\)"):
        kerascope.gradcam(cnn, x, "last_conv", target=[0, 1, 2])
    with pytest.raises(kerascope.InputError, match=r"class indices in \[0, 4\)"):
        kerascope.gradcam(cnn, x, "last_conv", target=7)
    with pytest.raises(kerascope.SelectionError):
        kerascope.gradcam(cnn, x, "last_cnv")
