"""`Objective`: one value per image from a forward pass, with `+`, `-` and scalar `*`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError

__all__ = ["Objective"]

#: (layer outputs by key, the images fed to the model) -> one value per image.
ValueFn = Callable[[Mapping[str, Any], Any], Any]


class Objective:
    """One value per image, computed from a forward pass; composable.

    Args:
        function: `(outputs, images) -> (n,)`, written with `keras.ops`:
            `outputs` maps layer keys to their output tensors, `images` is the
            batch fed to the model.
        keys: The layer keys `function` reads.
        description: How the objective reads in a result's repr and a plot.
        batch: The number of images it is defined for (a per-image unit
            list), or None for any number. Defaults to `None`.
    """

    def __init__(
        self, function: ValueFn, keys: Sequence[str], description: str, batch: int | None = None
    ) -> None:
        self.function = function
        self.keys = tuple(dict.fromkeys(keys))
        self.description = description
        self.batch = batch

    def __call__(self, outputs: Mapping[str, Any], images: Any) -> Any:
        """The objective's values, `(n,)`, for one forward pass."""
        return self.function(outputs, images)

    def __add__(self, other: Objective | float) -> Objective:
        other = _as_objective(other)
        return Objective(
            lambda o, x: self(o, x) + other(o, x),
            self.keys + other.keys,
            f"{self.description} + {other.description}",
            _batch(self, other),
        )

    def __radd__(self, other: float) -> Objective:
        return self + other

    def __sub__(self, other: Objective | float) -> Objective:
        return self + (-1.0) * _as_objective(other)

    def __rsub__(self, other: float) -> Objective:
        return _as_objective(other) + (-1.0) * self

    def __mul__(self, factor: float) -> Objective:
        if isinstance(factor, (Objective, bool)) or not isinstance(factor, (int, float, np.number)):
            raise InputError(
                "Expected an objective times a number (objectives multiply only by scalars). "
                f"Received: {type(factor).__name__}"
            )
        scale = float(factor)  # type: ignore[arg-type]
        return Objective(
            lambda o, x: scale * self(o, x),
            self.keys,
            f"{scale:g}*({self.description})",
            self.batch,
        )

    __rmul__ = __mul__

    def __truediv__(self, divisor: float) -> Objective:
        return self * (1.0 / float(divisor))

    def __neg__(self) -> Objective:
        return (-1.0) * self

    def __repr__(self) -> str:
        return f"Objective({self.description})"


def _as_objective(value: Objective | float) -> Objective:
    if isinstance(value, Objective):
        return value
    if np.isscalar(value):
        constant = float(value)  # type: ignore[arg-type]
        return Objective(
            lambda o, x: keras.ops.full((x.shape[0],), constant, dtype=x.dtype), (), f"{constant:g}"
        )
    raise InputError(f"Expected an Objective or a number. Received: {type(value).__name__}")


def _batch(a: Objective, b: Objective) -> int | None:
    if a.batch is not None and b.batch is not None and a.batch != b.batch:
        raise InputError(
            "Expected objectives defined for the same number of images. "
            f"Received: {a.batch} and {b.batch}"
        )
    return a.batch if a.batch is not None else b.batch
