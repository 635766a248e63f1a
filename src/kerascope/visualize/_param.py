"""Parameterisations: the optimised parameters -> images inside the value range.

`"pixel"` optimises one number per input value. `"fft"` optimises the
images' spectrum over their spatial axes (the axes between the batch and the
channels), each frequency scaled by the inverse of its magnitude, so that the
gradient steps are evenly spread over frequencies instead of dominated by the
highest ones (the decaying spectrum of natural images, Olah et al., "Feature
Visualization", Distill 2017). The inverse real DFT is written as two matrix
products, with `keras.ops` only. With three channels the colours can be
decorrelated: the optimised channels are mapped through the square root of a
colour covariance. A sigmoid finally maps every value into `value_range`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import numpy as np

__all__ = ["Parameterization", "parameterization"]

#: The square root of ImageNet's colour covariance (as published with lucid),
#: rows R, G, B; normalised by its largest column norm below.
_COLOUR_SQRT = np.array(
    [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype="float64"
)
#: The spread of the initial parameters.
_INIT_SD = 0.01


@dataclasses.dataclass(frozen=True)
class Parameterization:
    """How parameters become images.

    Attributes:
        kind: `"pixel"` or `"fft"` (what was used; `"fft"` falls back to
            `"pixel"` for inputs without spatial axes).
        shape: One image's shape, e.g. `(height, width, channels)`.
        decorrelated: Whether colours are decorrelated.
        value_range: `(low, high)` of the images' values.
        init: The initial parameters for `n` images, from a seeded generator.
    """

    kind: str
    shape: tuple[int, ...]
    decorrelated: bool
    value_range: tuple[float, float]
    matrices: dict[str, np.ndarray]

    def init(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Initial parameters `(n, ...)` drawn from `rng`."""
        if self.kind == "pixel":
            shape: tuple[int, ...] = self.shape
        else:  # (real/imaginary, channels, *frequencies)
            shape = (2, self.shape[-1], *self.matrices["scale"].shape)
        return (rng.standard_normal((n, *shape)) * _INIT_SD).astype("float32")

    def images(self, params: Any) -> Any:
        """`(n, ...)` parameters -> images `(n, *shape)` inside `value_range`."""
        params = keras.ops.convert_to_tensor(params)
        x = params if self.kind == "pixel" else self._inverse_dft(params)
        if self.decorrelated:
            x = keras.ops.matmul(x, keras.ops.convert_to_tensor(self.matrices["colour"].T))
        low, high = self.value_range
        return low + (high - low) * keras.ops.sigmoid(x)

    def _inverse_dft(self, params: Any) -> Any:
        """The orthonormal inverse real DFT of the scaled spectrum, divided by 4.

        `params` is `(n, 2, channels, *frequencies)`; all products are
        matrix products over the last two axes (einsum is slow on torch).
        """
        m = {name: keras.ops.convert_to_tensor(a) for name, a in self.matrices.items()}
        spectrum = params * m["scale"]  # (n, 2, c, [height,] half)
        if len(self.shape) == 3:
            height = self.shape[0]
            stacked = keras.ops.concatenate([spectrum[:, 0], spectrum[:, 1]], axis=-2)
            # The complex inverse along the height: [real; imag] -> [real; imag].
            mixed = keras.ops.matmul(m["height"], stacked)  # (n, c, 2 * height, half)
            real, imag = mixed[:, :, :height], mixed[:, :, height:]
            x = keras.ops.matmul(keras.ops.concatenate([real, imag], axis=-1), m["width"])
            return keras.ops.transpose(x, (0, 2, 3, 1)) / 4.0
        both = keras.ops.concatenate([spectrum[:, 0], spectrum[:, 1]], axis=-1)
        x = keras.ops.matmul(both, m["width"])  # (n, c, width)
        return keras.ops.transpose(x, (0, 2, 1)) / 4.0


def parameterization(
    kind: str, shape: tuple[int, ...], *, decorrelate: bool, value_range: tuple[float, float]
) -> Parameterization:
    """The `Parameterization` of images of one `shape` (without the batch axis)."""
    decorrelated = bool(decorrelate) and len(shape) == 3 and shape[-1] == 3
    matrices: dict[str, np.ndarray] = {}
    if decorrelated:
        colour = _COLOUR_SQRT / np.max(np.linalg.norm(_COLOUR_SQRT, axis=0))
        matrices["colour"] = colour.astype("float32")
    spatial = shape[:-1]
    if kind == "fft" and len(spatial) in (1, 2):
        matrices.update(_dft_matrices(spatial))
    else:
        kind = "pixel"
    return Parameterization(kind, shape, decorrelated, value_range, matrices)


def _dft_matrices(spatial: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Cosine and sine matrices of the inverse DFT, and the frequency scale."""
    width = spatial[-1]
    half = width // 2 + 1
    norm = np.sqrt(float(np.prod(spatial)))
    k, w = np.arange(half)[:, None], np.arange(width)[None, :]
    # A real signal's spectrum counts each frequency but 0 (and width/2) twice.
    weight = np.where((k == 0) | ((width % 2 == 0) & (k == width // 2)), 1.0, 2.0)
    cos_w = np.cos(2 * np.pi * k * w / width) * weight / norm  # (half, width)
    sin_w = np.sin(2 * np.pi * k * w / width) * weight / norm
    # Real and imaginary parts of a half spectrum -> the real signal.
    out = {"width": np.concatenate([cos_w, -sin_w], axis=0)}
    freq_w = np.fft.rfftfreq(width)
    if len(spatial) == 2:
        height = spatial[0]
        h, kh = np.arange(height)[:, None], np.arange(height)[None, :]
        cos_h, sin_h = np.cos(2 * np.pi * h * kh / height), np.sin(2 * np.pi * h * kh / height)
        out["height"] = np.block([[cos_h, -sin_h], [sin_h, cos_h]])
        freq = np.sqrt(np.fft.fftfreq(height)[:, None] ** 2 + freq_w[None, :] ** 2)
    else:
        freq = np.abs(freq_w)
    floor = 1.0 / max(spatial)
    out["scale"] = 1.0 / np.maximum(freq, floor)
    return {name: a.astype("float32") for name, a in out.items()}
