"""Parameterisations: the optimised parameters -> images inside the value range.

`"pixel"` optimises one number per input value. `"fft"` optimises the
images' spectrum over their spatial axes (the axes between the batch and the
channels), each frequency scaled by the inverse of its magnitude, so that the
gradient steps are evenly spread over frequencies instead of dominated by the
highest ones (the decaying spectrum of natural images, Olah et al., "Feature
Visualization", Distill 2017). The inverse real DFT is `keras.ops.fft` along
the height and `keras.ops.irfft` along the width. With three channels the colours can be
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
        matrices: The constants: `"colour"` (decorrelation) and, for `"fft"`,
            the frequency `"scale"`.
    """

    kind: str
    shape: tuple[int, ...]
    decorrelated: bool
    value_range: tuple[float, float]
    matrices: dict[str, np.ndarray]

    def init(self, n: int, rng: np.random.Generator, spread: float = _INIT_SD) -> np.ndarray:
        """Initial parameters `(n, ...)` drawn from `rng`, normal with sd `spread`."""
        if self.kind == "pixel":
            shape: tuple[int, ...] = self.shape
        else:  # (real/imaginary, channels, *frequencies)
            shape = (2, self.shape[-1], *self.matrices["scale"].shape)
        return (rng.standard_normal((n, *shape)) * spread).astype("float32")

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

        `params` is `(n, 2, channels, *frequencies)`. The complex inverse
        along the height is the conjugate of the FFT of the conjugate; then a
        real inverse FFT along the width (`keras.ops.fft`, `keras.ops.irfft`).
        """
        spectrum = params * keras.ops.convert_to_tensor(self.matrices["scale"])
        real, imag = spectrum[:, 0], spectrum[:, 1]  # (n, c, [height,] half)
        width = self.shape[-2]
        norm = float(np.sqrt(np.prod(self.shape[:-1])))
        if len(self.shape) == 3:
            flip = (0, 1, 3, 2)  # the height last, for `fft`
            real, imag = keras.ops.fft(
                (keras.ops.transpose(real, flip), -keras.ops.transpose(imag, flip))
            )
            real, imag = keras.ops.transpose(real, flip), -keras.ops.transpose(imag, flip)
        x = keras.ops.irfft((real, imag), fft_length=width) * (width / norm / 4.0)
        order = (0, 2, 3, 1) if len(self.shape) == 3 else (0, 2, 1)
        return keras.ops.transpose(x, order)


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
    """The frequency scale: `1 / max(|f|, 1 / longest side)` per frequency kept."""
    freq_w = np.fft.rfftfreq(spatial[-1])
    if len(spatial) == 2:
        freq = np.sqrt(np.fft.fftfreq(spatial[0])[:, None] ** 2 + freq_w[None, :] ** 2)
    else:
        freq = np.abs(freq_w)
    return {"scale": (1.0 / np.maximum(freq, 1.0 / max(spatial))).astype("float32")}
