"""`overlay`: the heat map drawn is the numpy computation it claims, resized like Keras does."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from figure_checks import assert_unchanged, colour_bars, copies, panels, render

import kerascope
from kerascope.plot import overlay
from kerascope.plot._image import resize_bilinear


def keras_resize(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """The oracle: `keras.ops.image.resize` (bilinear, no antialiasing) on this backend."""
    resized = keras.ops.image.resize(
        values[None, ..., None].astype("float32"),
        (height, width),
        interpolation="bilinear",
        antialias=False,
    )
    return keras.ops.convert_to_numpy(resized)[0, ..., 0]


@pytest.mark.parametrize(
    ("size", "target"), [((2, 3), (8, 9)), ((5, 5), (7, 12)), ((4, 4), (4, 4))]
)
def test_bilinear_resize_matches_keras(rng, size, target):
    values = rng.normal(size=size)

    np.testing.assert_allclose(
        resize_bilinear(values, *target), keras_resize(values, *target), rtol=1e-5, atol=1e-5
    )


def test_gradcam_is_numpy_gradcam_of_real_gradients(model, acts, images):
    grads = kerascope.gradients(model, images, loss=lambda out: out[:, 1], layers="conv")
    before = (copies(acts), copies(grads), images.copy())

    figure = overlay(images, acts, "conv", method="gradcam", gradients=grads, sample=3)

    a, g = acts["conv"][3].astype(np.float64), grads["conv"][3].astype(np.float64)
    weights = g.mean(axis=(0, 1))
    cam = np.maximum(np.einsum("hwc,c->hw", a, weights), 0.0)
    assert cam.max() > 0
    (ax,) = panels(figure)
    picture, heat = ax.images
    np.testing.assert_allclose(picture.get_array(), images[3], rtol=1e-6)
    np.testing.assert_allclose(heat.get_array(), keras_resize(cam, 8, 8), rtol=1e-4, atol=1e-6)
    assert heat.get_alpha() == 0.5
    assert heat.get_clim() == (heat.get_array().min(), heat.get_array().max())
    assert colour_bars(figure) == 1
    assert "Grad-CAM" in figure.get_suptitle()
    assert_unchanged(acts, before[0])
    assert_unchanged(grads, before[1])
    np.testing.assert_array_equal(images, before[2])
    render(figure)


@pytest.mark.parametrize("method", ["mean", "max"])
def test_mean_and_max_over_channels_on_a_uint8_image(rng, method):
    image = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    maps = rng.normal(size=(2, 3, 4, 5))
    before = (image.copy(), maps.copy())

    figure = overlay(image, {"conv": maps}, "conv", method=method, sample=1, alpha=0.3)

    reduced = maps[1].mean(axis=-1) if method == "mean" else maps[1].max(axis=-1)
    picture, heat = panels(figure)[0].images
    np.testing.assert_allclose(picture.get_array(), image / 255.0)
    np.testing.assert_allclose(heat.get_array(), keras_resize(reduced, 12, 16), atol=1e-5)
    assert heat.get_alpha() == 0.3
    np.testing.assert_array_equal(image, before[0])
    np.testing.assert_array_equal(maps, before[1])


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((6, 6), "gray"), ((6, 6, 1), "gray"), ((2, 6, 6), "gray"), ((2, 6, 6, 3), "rgb")],
)
def test_image_forms(rng, shape, expected):
    image = rng.random(shape) * 4.0 - 2.0  # floats outside [0, 1] are stretched
    maps = rng.random((2, 3, 3, 2))

    figure = overlay(image, {"conv": maps}, "conv", sample=1)

    one = image[1] if len(shape) == 4 or shape[0] == 2 else image
    one = one.reshape(6, 6) if expected == "gray" else one
    picture = panels(figure)[0].images[0]
    np.testing.assert_allclose(picture.get_array(), (one - one.min()) / (one.max() - one.min()))
    assert (picture.get_cmap().name == "gray") == (expected == "gray")


def test_errors(rng, acts, images):
    maps = {"conv": rng.random((2, 3, 3, 2)), "dense": rng.random((2, 5))}
    picture = rng.random((6, 6))
    with pytest.raises(
        kerascope.InputError, match=r"2-D feature maps.*'dense' with shape \(2, 5\)"
    ):
        overlay(picture, maps, "dense")
    with pytest.raises(kerascope.InputError, match=r"gradients for method='gradcam'.*None"):
        overlay(picture, maps, "conv", method="gradcam")
    with pytest.raises(kerascope.InputError, match=r"same shape.*\(2, 3, 3, 2\).*\(2, 3, 3, 1\)"):
        overlay(picture, maps, "conv", method="gradcam", gradients={"conv": np.ones((2, 3, 3, 1))})
    with pytest.raises(kerascope.SelectionError, match=r"gradients.*Received: 'conv'"):
        overlay(picture, maps, "conv", method="gradcam", gradients={"other": np.ones(1)})
    with pytest.raises(kerascope.InputError, match=r"method 'mean', 'max' or 'gradcam'"):
        overlay(picture, maps, "conv", method="sum")
    with pytest.raises(kerascope.InputError, match=r"one image per activation sample \(4\)"):
        overlay(images[:2], acts, "conv")
    with pytest.raises(kerascope.InputError, match=r"Expected an image of shape"):
        overlay(rng.random((2, 6, 6, 5)), maps, "conv")
    with pytest.raises(kerascope.InputError, match=r"alpha in \[0, 1\]"):
        overlay(picture, maps, "conv", alpha=2)
    with pytest.raises(kerascope.InputError, match=r"sample index in \[0, 2\)"):
        overlay(picture, maps, "conv", sample=2)
