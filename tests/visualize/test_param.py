"""The parameterisations and transforms against numpy: the inverse FFT, colours, shifts."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascope import InputError
from kerascope.visualize import transforms as tr
from kerascope.visualize._param import parameterization


@pytest.fixture(autouse=True)
def _fresh_keras_state() -> None:
    """No model is built here: skip the suite's per-test reset."""


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("shape", [(8, 8, 1), (7, 9, 2), (12, 5)])
def test_fft_images_are_numpys_inverse_rfft_of_the_scaled_spectrum(shape):
    param = parameterization("fft", shape, decorrelate=True, value_range=(-1.0, 3.0))
    params = param.init(3, np.random.default_rng(0)) * 300
    got = keras.ops.convert_to_numpy(param.images(params))
    spectrum = (params[:, 0] + 1j * params[:, 1]) * param.matrices["scale"]
    if len(shape) == 3:
        signal = np.fft.irfft2(spectrum, s=shape[:2], norm="ortho").transpose(0, 2, 3, 1)
    else:
        signal = np.fft.irfft(spectrum, n=shape[0], norm="ortho").transpose(0, 2, 1)
    np.testing.assert_allclose(got, -1 + 4 * sigmoid(signal / 4), atol=1e-5)
    # The scale decays with frequency: 1 / max(|f|, 1 / longest side).
    assert param.matrices["scale"].flat[0] == max(shape[:-1])


def test_three_channels_are_decorrelated_then_squashed():
    param = parameterization("pixel", (4, 4, 3), decorrelate=True, value_range=(0.0, 1.0))
    params = np.random.default_rng(1).standard_normal((2, 4, 4, 3)).astype("float32")
    colour = param.matrices["colour"]
    assert np.isclose(np.linalg.norm(colour, axis=0).max(), 1.0)
    got = keras.ops.convert_to_numpy(param.images(params))
    np.testing.assert_allclose(got, sigmoid(params @ colour.T), atol=1e-6)
    plain = parameterization("pixel", (4, 4, 3), decorrelate=False, value_range=(0.0, 1.0))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(plain.images(params)), sigmoid(params), atol=1e-6
    )


def test_jitter_shifts_by_whole_pixels_and_standard_scales_with_size():
    images = np.random.default_rng(2).random((4, 10, 12, 1)).astype("float32")
    sampler = tr.Sampler([tr.jitter(2)], images.shape[1:], (0.0, 1.0))
    maps = sampler.draw(4, np.random.default_rng(3))
    got = keras.ops.convert_to_numpy(sampler.apply(images, maps))
    for image, moved, row in zip(images, got, maps):
        dx, dy = round(row[2]), round(row[5])  # output (x, y) reads input (x+dx, y+dy)
        assert np.allclose(row[[0, 1, 3, 4]], [1, 0, 0, 1])
        h, w = 10 - abs(dy), 12 - abs(dx)
        y0, x0 = max(0, -dy), max(0, -dx)
        np.testing.assert_allclose(
            moved[y0 : y0 + h, x0 : x0 + w], image[y0 + dy : y0 + dy + h, x0 + dx : x0 + dx + w]
        )
    assert tr.standard(224)[0] == tr.pad(12)
    assert tr.standard(224)[1] == tr.jitter(8)
    assert tr.standard(32)[0] == tr.pad(2)
    assert tr.standard(32)[1] == tr.jitter(1)


def test_no_transform_is_the_identity_and_pad_fills_with_mid_grey():
    images = np.random.default_rng(4).random((2, 6, 6, 1)).astype("float32")
    sampler = tr.Sampler([tr.pad(2), tr.scale(1.0, 1.0)], images.shape[1:], (0.0, 1.0))
    maps = sampler.draw(2, np.random.default_rng(0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(sampler.apply(images, maps)), images)
    shifted = np.tile(np.array([1, 0, 3, 0, 1, 0, 0, 0], "float32"), (2, 1))
    out = keras.ops.convert_to_numpy(sampler.apply(images, shifted))
    np.testing.assert_allclose(out[:, :, 3:], 0.5)  # read from beyond the right edge


@pytest.mark.parametrize("padded", [True, False])
def test_the_warp_equals_keras_affine_transform_inside_the_image(padded):
    images = np.random.default_rng(5).random((3, 12, 10, 2)).astype("float32")
    chosen = [tr.pad(2)] if padded else []
    sampler = tr.Sampler(
        [*chosen, tr.scale(0.8, 1.2), tr.rotate(30), tr.jitter(2)], (12, 10, 2), (0.0, 1.0)
    )
    maps = sampler.draw(3, np.random.default_rng(6))
    got = keras.ops.convert_to_numpy(sampler.apply(images, maps))
    expected = keras.ops.convert_to_numpy(
        keras.ops.image.affine_transform(
            images, maps, interpolation="bilinear", fill_mode="constant", fill_value=0.5
        )
    )
    # Where the map lands inside the image, neither edge rule matters.
    rows, cols = np.meshgrid(np.arange(12), np.arange(10), indexing="ij")
    x = maps[:, 0, None, None] * cols + maps[:, 1, None, None] * rows + maps[:, 2, None, None]
    y = maps[:, 3, None, None] * cols + maps[:, 4, None, None] * rows + maps[:, 5, None, None]
    inside = (x >= 0) & (x <= 9) & (y >= 0) & (y <= 11)
    assert inside.mean() > 0.5
    np.testing.assert_allclose(got[inside], expected[inside], atol=1e-5)
    if padded:  # in the band (2 pixels, reflected: 4 outside the edge): the middle
        around = (x >= -4) & (x <= 13) & (y >= -4) & (y <= 15)
        band = around & ((x <= -1) | (x >= 10) | (y <= -1) | (y >= 12))
        assert band.any()
        np.testing.assert_allclose(got[band], 0.5)


@pytest.mark.parametrize("pixels", [0, 1, 3, 6])
def test_pad_surrounds_the_image_with_a_band_that_many_pixels_wide(pixels):
    """numpy: a constant band of `pixels`, reflected beyond, shifted by (5, 2), cropped."""
    images = np.random.default_rng(7).random((2, 9, 7, 2)).astype("float32")
    sampler = tr.Sampler([tr.pad(pixels)], images.shape[1:], (0.0, 2.0))
    tx, ty = 5, 2
    shifted = np.tile(np.array([1, 0, -tx, 0, 1, -ty, 0, 0], "float32"), (2, 1))
    got = keras.ops.convert_to_numpy(sampler.apply(images, shifted))
    p, big = pixels, 20
    canvas = np.pad(images, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=1.0)
    canvas = np.pad(canvas, ((0, 0), (big, big), (big, big), (0, 0)), mode="symmetric")
    top, left = big + p - ty, big + p - tx
    np.testing.assert_allclose(got, canvas[:, top : top + 9, left : left + 7], atol=1e-6)
    assert np.all(got[:, ty:, tx - min(p, tx) : tx] == 1.0)  # the band left of the image
    with pytest.raises(InputError, match="Expected pad"):
        tr.pad(-1)
