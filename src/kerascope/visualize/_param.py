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
        else:
            scale = self.matrices["scale"]
            shape = (2, *scale.shape, self.shape[-1])
        return (rng.standard_normal((n, *shape)) * _INIT_SD).astype("float32")

    def images(self, params: Any) -> Any:
        """`(n, ...)` parameters -> images `(n, *shape)` inside `value_range`."""
        x = params if self.kind == "pixel" else self._inverse_dft(params)
        if self.decorrelated:
            x = keras.ops.matmul(x, keras.ops.convert_to_tensor(self.matrices["colour"].T))
        low, high = self.value_range
        return low + (high - low) * keras.ops.sigmoid(x)

    def _inverse_dft(self, params: Any) -> Any:
        """The orthonormal inverse real DFT of the scaled spectrum `(n, 2, *freqs, c)`."""
        m = {name: keras.ops.convert_to_tensor(a) for name, a in self.matrices.items()}
        scale = keras.ops.expand_dims(m["scale"], -1)
        real, imag = params[:, 0] * scale, params[:, 1] * scale
        if len(self.shape) == 3:  # complex inverse along the height first
            real, imag = (
                keras.ops.einsum("hk,nkwc->nhwc", m["cos_h"], real)
                - keras.ops.einsum("hk,nkwc->nhwc", m["sin_h"], imag),
                keras.ops.einsum("hk,nkwc->nhwc", m["sin_h"], real)
                + keras.ops.einsum("hk,nkwc->nhwc", m["cos_h"], imag),
            )
        last = "nhkc->nhwc" if len(self.shape) == 3 else "nkc->nwc"
        real_part = keras.ops.einsum(f"wk,{last}", m["cos_w"], real)
        return (real_part - keras.ops.einsum(f"wk,{last}", m["sin_w"], imag)) / 4.0


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
    w, k = np.arange(width)[:, None], np.arange(half)[None, :]
    # A real signal's spectrum counts each frequency but 0 (and width/2) twice.
    weight = np.where((k == 0) | ((width % 2 == 0) & (k == width // 2)), 1.0, 2.0)
    out = {
        "cos_w": np.cos(2 * np.pi * w * k / width) * weight / norm,
        "sin_w": np.sin(2 * np.pi * w * k / width) * weight / norm,
    }
    freq_w = np.fft.rfftfreq(width)
    if len(spatial) == 2:
        height = spatial[0]
        h, kh = np.arange(height)[:, None], np.arange(height)[None, :]
        out["cos_h"] = np.cos(2 * np.pi * h * kh / height)
        out["sin_h"] = np.sin(2 * np.pi * h * kh / height)
        freq = np.sqrt(np.fft.fftfreq(height)[:, None] ** 2 + freq_w[None, :] ** 2)
    else:
        freq = np.abs(freq_w)
    floor = 1.0 / max(spatial)
    out["scale"] = 1.0 / np.maximum(freq, floor)
    return {name: a.astype("float32") for name, a in out.items()}
