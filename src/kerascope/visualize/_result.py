"""`Visualization`: the optimised images, their objective values and history."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

__all__ = ["Visualization"]


@dataclasses.dataclass(frozen=True, repr=False)
class Visualization:
    """The result of `kerascope.visualize`.

    Dead channels get no image: a blank image would read as "this channel
    responds to grey". They are listed in `dead` with how that was decided,
    and left out of `images`, `values`, `history` and `channels`.

    Attributes:
        images: The optimised inputs, `(n, *input_shape)`, inside `value_range`.
        values: The objective of each image, `(n,)`, on the final images
            without transforms.
        history: The objective of each image at each step, `(steps, n)`, on
            the transformed images the step optimised.
        channels: The unit each image shows (for the `"channel"` and
            `"neuron"` objectives), or the image's number, `(n,)`.
        key: The layer key.
        objective: The objective, as a description.
        dead: Channel -> how it was found dead: `"data"` (never active over
            `data=`, per `kerascope.diagnose`; only data can tell).
        value_range: `(low, high)` of the images' values.
        param: The parameterisation used (`"fft"` or `"pixel"`).
        seed: The seed the images were drawn with.
        stuck: Channel -> why its image is flat: the objective stayed exactly
            0 with a zero gradient from the grey start images and again from
            strong noise. Such channels keep their image (in `channels`); they
            may still fire on real data (pass `data=` to tell dead ones).
    """

    images: np.ndarray
    values: np.ndarray
    history: np.ndarray
    channels: tuple[int, ...]
    key: str
    objective: str
    dead: Mapping[int, str]
    value_range: tuple[float, float]
    param: str
    seed: int
    stuck: Mapping[int, str] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.channels)

    def __repr__(self) -> str:
        dead = f", {len(self.dead)} dead" if self.dead else ""
        dead += f", {len(self.stuck)} stuck" if self.stuck else ""
        return (
            f"Visualization(key={self.key!r}, {len(self.channels)} images of shape "
            f"{tuple(self.images.shape[1:])}{dead}, objective={self.objective}, "
            f"param={self.param!r}, steps={len(self.history)})"
        )
