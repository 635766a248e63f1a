"""Random transforms of the images at each step: pad, jitter, scale, rotate.

An image that excites a unit only at one exact pixel alignment is noise;
one that still excites it when shifted, scaled and rotated a little shows a
feature. At each step every image gets its own random transform, drawn on
the host from the seeded generator (so results repeat), and all of them are
applied as ONE bilinear affine resampling that keeps the image's size.

`"standard"` scales its pixel amounts with the image size (the amounts usual
for 224-pixel images are far too large for 32): pad 12/224 of the size,
jitter 8/224, scale by 0.95-1.05, rotate by up to 10 degrees, jitter 4/224.

Example:

>>> from kerascope.visualize import transforms as tr
>>> kerascope.visualize(model, "conv2", transforms=[tr.jitter(2), tr.rotate(5)])  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError

__all__ = ["Transform", "jitter", "pad", "rotate", "scale", "standard"]


@dataclasses.dataclass(frozen=True)
class Transform:
    """One random transform: its kind and amount (pixels, factors or degrees)."""

    kind: str
    amount: Any


def pad(pixels: int) -> Transform:
    """Surrounds the image with a band `pixels` wide of the middle of the value range.

    The later transforms move the padded image (the image with its band)
    and the model sees the original size cut from its centre, as lucid pads
    then crops: what shifts in from up to `pixels` outside the image is grey.
    Beyond the band the padded image reflects, as an image without `pad`
    does. Several pads add up.
    """
    if not isinstance(pixels, (int, np.integer)) or isinstance(pixels, bool) or pixels < 0:
        raise InputError(f"Expected pad(pixels) a whole number >= 0. Received: {pixels!r}")
    return Transform("pad", int(pixels))


def jitter(pixels: int) -> Transform:
    """Shifts by a random whole number of pixels in `[-pixels, pixels]` per axis."""
    return Transform("jitter", int(pixels))


def scale(low: float = 0.95, high: float = 1.05) -> Transform:
    """Scales about the centre by a random factor in `[low, high]`."""
    return Transform("scale", (float(low), float(high)))


def rotate(degrees: float) -> Transform:
    """Rotates about the centre by a random angle in `[-degrees, degrees]`."""
    return Transform("rotate", float(degrees))


def standard(size: int) -> list[Transform]:
    """The standard set for images of `size` pixels (the smaller side)."""
    return [
        pad(round(size * 12 / 224)),
        jitter(max(1, round(size * 8 / 224))),
        scale(0.95, 1.05),
        rotate(10.0),
        jitter(round(size * 4 / 224)),
    ]


class Sampler:
    """Draws each step's affine maps and applies them to a batch of images.

    Args:
        transforms: The transforms, in order.
        shape: One image's shape `(height, width, channels)`.
        value_range: The images' range; `pad` fills with its middle.

    A `pad` is applied first whatever its place (its band is in the image's
    coordinates); the moves then act on the padded image, read as reflected
    beyond its edge, and the centre keeps the original size.
    """

    def __init__(
        self, transforms: Sequence[Transform], shape: tuple[int, ...], value_range: Any
    ) -> None:
        self.transforms = list(transforms)
        self.height, self.width = shape[0], shape[1]
        self.pad = sum(int(t.amount) for t in self.transforms if t.kind == "pad")
        self.fill = float(sum(value_range) / 2)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`(n, 8)` affine maps (output pixel -> input pixel), as Keras reads them."""
        centre = np.array([(self.width - 1) / 2, (self.height - 1) / 2])
        # The forward map of each image, point -> a @ point + b, built in order.
        a, b = np.tile(np.eye(2), (n, 1, 1)), np.zeros((n, 2))
        for t in self.transforms:
            if t.kind == "jitter" and t.amount > 0:
                b = b + rng.integers(-t.amount, t.amount + 1, size=(n, 2))
            elif t.kind in ("scale", "rotate"):
                if t.kind == "scale":
                    low, high = t.amount
                    m = np.eye(2) * rng.uniform(low, high, size=n)[:, None, None]
                else:
                    angle = np.deg2rad(rng.uniform(-t.amount, t.amount, size=n))
                    cos, sin = np.cos(angle), np.sin(angle)
                    m = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)
                a = m @ a
                b = np.einsum("nij,nj->ni", m, b - centre) + centre
        inverse = np.linalg.inv(a)
        offset = -np.einsum("nij,nj->ni", inverse, b)
        maps = np.zeros((n, 8), "float32")
        maps[:, [0, 1, 3, 4]] = inverse.reshape(n, 4)
        maps[:, [2, 5]] = offset
        return maps

    def apply(self, images: Any, maps: Any) -> Any:
        """The images `(n, height, width, channels)` resampled through `maps`.

        Bilinear: each output pixel mixes the four input pixels around where
        its map sends it, by gathers on the flattened images (differentiable
        on every backend, and much faster on JAX and torch than a general
        `map_coordinates`). Up to `pad` pixels outside the image a pixel
        reads the fill value; beyond, the padded image reflected at its edge.
        """
        images, maps = keras.ops.convert_to_tensor(images), keras.ops.convert_to_tensor(maps)
        p = self.pad
        if p:
            # The band of grey, then the same maps in the padded image's
            # coordinates (shifted by p), then the centre cut out again.
            images = keras.ops.pad(
                images, [[0, 0], [p, p], [p, p], [0, 0]], constant_values=self.fill
            )
            maps = _shifted(maps, float(p))
        out = self._warp(images, maps)
        if p:
            out = out[:, p:-p, p:-p, :]
        return out

    def _warp(self, images: Any, maps: Any) -> Any:
        """The affine resampling, the image reflected beyond its edge."""
        if keras.backend.backend() == "tensorflow":
            # TensorFlow's native projective transform is 5x faster than the
            # gathers below (measured: 30 ms against 170 ms, 64 images of 96 px,
            # forward and backward); JAX's and torch's `affine_transform` are
            # slower than the gathers (600 ms and 2.9 s against 75 and 400 ms).
            return keras.ops.image.affine_transform(
                images, maps, interpolation="bilinear", fill_mode="reflect"
            )
        n, height, width, channels = images.shape
        rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
        xs = keras.ops.convert_to_tensor(cols.reshape(1, -1).astype("float32"))
        ys = keras.ops.convert_to_tensor(rows.reshape(1, -1).astype("float32"))
        x = maps[:, 0:1] * xs + maps[:, 1:2] * ys + maps[:, 2:3]  # (n, height * width)
        y = maps[:, 3:4] * xs + maps[:, 4:5] * ys + maps[:, 5:6]
        # The four neighbours at once: (n, 4, height * width).
        corner_x = keras.ops.convert_to_tensor(np.array([0, 1, 0, 1], "float32")[None, :, None])
        corner_y = keras.ops.convert_to_tensor(np.array([0, 0, 1, 1], "float32")[None, :, None])
        x, y = keras.ops.expand_dims(x, 1), keras.ops.expand_dims(y, 1)
        xi, yi = keras.ops.floor(x) + corner_x, keras.ops.floor(y) + corner_y
        weight = (1.0 - keras.ops.abs(x - xi)) * (1.0 - keras.ops.abs(y - yi))
        flat = keras.ops.reshape(images, (n, height * width, channels))
        xi, yi = _reflect(xi, width), _reflect(yi, height)
        index = keras.ops.reshape(keras.ops.cast(yi * width + xi, "int32"), (n, -1))
        values = keras.ops.take_along_axis(flat, keras.ops.expand_dims(index, -1), axis=1)
        values = keras.ops.reshape(values, (n, 4, height * width, channels))
        out = keras.ops.sum(keras.ops.expand_dims(weight, -1) * values, axis=1)
        return keras.ops.reshape(out, (n, height, width, channels))


def _shifted(maps: Any, p: float) -> Any:
    """Maps of output -> input pixels, both moved by `p` pixels: `A (u - p) + o + p`."""
    offset_x = maps[:, 2:3] + p - p * (maps[:, 0:1] + maps[:, 1:2])
    offset_y = maps[:, 5:6] + p - p * (maps[:, 3:4] + maps[:, 4:5])
    return keras.ops.concatenate(
        [maps[:, 0:2], offset_x, maps[:, 3:5], offset_y, maps[:, 6:8]], axis=1
    )


def _reflect(index: Any, size: int) -> Any:
    """Indices reflected into `[0, size)`: ... 1 0 | 0 1 ... size-1 | size-1 size-2 ..."""
    period = keras.ops.mod(index, 2 * size)
    return keras.ops.where(period >= size, 2 * size - 1 - period, period)


def resolve(transforms: Any, shape: tuple[int, ...]) -> list[Transform]:
    """`"standard"`, `"none"`/None, or a list of `Transform` -> a list of them."""
    is_image = len(shape) == 3
    if transforms is None or transforms == "none":
        return []
    if isinstance(transforms, str):
        if transforms != "standard":
            raise InputError(
                "Expected transforms='standard', 'none' or a list of transforms "
                f"(kerascope.visualize.transforms). Received: transforms={transforms!r}"
            )
        return standard(min(shape[0], shape[1])) if is_image else []
    found = list(transforms)
    if not all(isinstance(t, Transform) for t in found):
        raise InputError(
            "Expected a list of kerascope.visualize.transforms (pad, jitter, scale, rotate). "
            f"Received: {found!r}"
        )
    if found and not is_image:
        raise InputError(
            "Expected images (height, width, channels) for transforms. "
            f"Received: inputs of shape {shape}; pass transforms='none'"
        )
    return found
