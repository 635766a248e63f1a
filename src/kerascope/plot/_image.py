"""Input images for display, and bilinear resizing in numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._common import sample_index

__all__ = ["display_image", "resize_bilinear"]

_CHANNELS = (1, 3, 4)


def display_image(image: Any, sample: int, samples: int) -> np.ndarray:
    """One image as a float64 copy with values in `[0, 1]`: `(h, w)` or `(h, w, 3|4)`.

    `image` is `(h, w)`, `(h, w, 1|3|4)`, or a batch `(n, h, w)` /
    `(n, h, w, c)` from which `sample` is taken (a batch must hold `samples`
    images, one per activation sample). uint8 values are divided by 255;
    floats already in `[0, 1]` are kept; any other range is stretched to
    `[0, 1]`.

    Raises:
        InputError: for another shape, or a batch of another size.
    """
    array = np.asarray(image)
    single = array.ndim == 2 or (array.ndim == 3 and array.shape[-1] in _CHANNELS)
    batch = (array.ndim == 3 and not single) or (array.ndim == 4 and array.shape[-1] in _CHANNELS)
    if not (single or batch) or array.dtype.kind not in "biuf":
        raise InputError(
            "Expected an image of shape (height, width), (height, width, 1|3|4) or a batch "
            "(samples, height, width[, channels]) of numbers. "
            f"Received: shape {array.shape}, dtype {array.dtype}"
        )
    if batch:
        if array.shape[0] != samples:
            raise InputError(
                f"Expected a batch of images with one image per activation sample ({samples}). "
                f"Received: a batch of {array.shape[0]} images, shape {array.shape}"
            )
        array = array[sample_index(sample, samples, "image")]
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    values = array.astype(np.float64)  # a copy: the caller's image is never written
    if array.dtype == np.uint8:
        return values / 255.0
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if low >= 0.0 and high <= 1.0:
        return values
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def resize_bilinear(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """`(h, w)` -> `(height, width)` by bilinear interpolation, with half-pixel centres.

    The sampling of `tf.image.resize`, `jax.image.resize` and torch's
    `interpolate(..., align_corners=False)` (without antialiasing): output
    pixel `i` samples input position `(i + 0.5) * h / height - 0.5`, clamped
    to the edge pixels.
    """
    rows = _weights(values.shape[0], height)
    columns = _weights(values.shape[1], width)
    return np.asarray(rows @ values @ columns.T, np.float64)


def _weights(size: int, target: int) -> np.ndarray:
    """`(target, size)`: row `i` holds the linear interpolation weights of output `i`."""
    position = np.clip((np.arange(target) + 0.5) * (size / target) - 0.5, 0.0, size - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, size - 1)
    fraction = position - below
    weights = np.zeros((target, size))
    np.add.at(weights, (np.arange(target), below), 1.0 - fraction)
    np.add.at(weights, (np.arange(target), above), fraction)
    return weights
