"""Random transforms of the images at each step: pad, jitter, scale, rotate.

An image that excites a unit only at one exact pixel alignment is noise;
one that still excites it when shifted, scaled and rotated a little shows a
feature. At each step every image gets its own random transform, drawn on
the host from the seeded generator (so results repeat), and all of them are
applied as ONE affine resampling (bilinear, `keras.ops.image.affine_transform`)
that keeps the image's size.

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
    """Pads by `pixels` with the middle of the value range: what shifts in from
    outside the image is that grey (without `pad`, the image reflects)."""
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
    """

    def __init__(
        self, transforms: Sequence[Transform], shape: tuple[int, ...], value_range: Any
    ) -> None:
        self.transforms = list(transforms)
        self.height, self.width = shape[0], shape[1]
        self.padded = any(t.kind == "pad" and t.amount > 0 for t in self.transforms)
        self.fill = float(sum(value_range) / 2)

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """`(n, 8)` affine maps (output pixel -> input pixel), as Keras reads them."""
        centre = np.array([(self.width - 1) / 2, (self.height - 1) / 2])
        maps = np.zeros((n, 8), "float32")
        for i in range(n):
            # Builds the forward map point -> A @ point + b, then inverts it.
            a, b = np.eye(2), np.zeros(2)
            for t in self.transforms:
                if t.kind == "jitter" and t.amount > 0:
                    b = b + rng.integers(-t.amount, t.amount + 1, size=2)
                elif t.kind in ("scale", "rotate"):
                    if t.kind == "scale":
                        m = np.eye(2) * rng.uniform(*t.amount)
                    else:
                        angle = np.deg2rad(rng.uniform(-t.amount, t.amount))
                        m = np.array(
                            [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
                        )
                    a, b = m @ a, m @ (b - centre) + centre
            inverse = np.linalg.inv(a)
            offset = -inverse @ b
            maps[i, :6] = [*inverse[0], offset[0], *inverse[1], offset[1]]
        return maps

    def apply(self, images: Any, maps: Any) -> Any:
        """The images `(n, height, width, channels)` resampled through `maps`."""
        return keras.ops.image.affine_transform(
            images,
            maps,
            interpolation="bilinear",
            fill_mode="constant" if self.padded else "reflect",
            fill_value=self.fill,
            data_format="channels_last",
        )


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
