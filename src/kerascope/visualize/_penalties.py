"""Regularisers of the optimised images, as objectives to subtract.

Each is one value per image and grows with what it penalises, so a goal
reads `channel(...) - 0.05 * total_variation()`. They read the images fed to
the model (after the random transforms), in the model's value range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from kerascope.visualize._objective import Objective

__all__ = ["blur", "l1", "l2", "total_variation"]


def _objective(function: Any, description: str) -> Objective:
    return Objective(function, (), description)


def _per_image(values: Any) -> Any:
    return keras.ops.mean(values, axis=tuple(range(1, len(values.shape))))


def total_variation() -> Objective:
    """The mean absolute difference of neighbouring values along every axis
    between the batch and the channels (per image).

    Returns:
        An `Objective`: subtract it to smooth the images.
    """

    def value(o: Mapping[str, Any], x: Any) -> Any:
        total = keras.ops.zeros((x.shape[0],), dtype=x.dtype)
        for axis in range(1, len(x.shape) - 1):
            size = x.shape[axis]
            ahead = keras.ops.take(x, list(range(1, size)), axis=axis)
            behind = keras.ops.take(x, list(range(size - 1)), axis=axis)
            total = total + _per_image(keras.ops.abs(ahead - behind))
        return total

    return _objective(value, "total_variation()")


def l1(center: float = 0.0) -> Objective:
    """The mean absolute distance of the values from `center` (per image).

    Args:
        center: The value nothing is penalised at. Defaults to `0.0`.

    Returns:
        An `Objective`: subtract it to keep the images near `center`.
    """
    return _objective(lambda o, x: _per_image(keras.ops.abs(x - center)), f"l1({center:g})")


def l2(center: float = 0.0) -> Objective:
    """The mean squared distance of the values from `center` (per image).

    Args:
        center: The value nothing is penalised at. Defaults to `0.0`.

    Returns:
        An `Objective`: subtract it to keep the images near `center`.
    """
    return _objective(lambda o, x: _per_image(keras.ops.square(x - center)), f"l2({center:g})")


def blur() -> Objective:
    """Half the squared distance of the images from their own 3x3 blur.

    The blurred copy is held constant (no gradient through it), so each step
    pulls every value towards its neighbours' mean: a blur applied at every
    step. For images `(n, height, width, channels)` only.

    Returns:
        An `Objective`: subtract it to blur the images a little at each step.
    """

    def value(o: Mapping[str, Any], x: Any) -> Any:
        if len(x.shape) != 4:
            from kerascope.errors import InputError

            raise InputError(
                f"Expected images (n, height, width, channels) for blur(). "
                f"Received: inputs of shape {tuple(x.shape)}"
            )
        blurred = keras.ops.stop_gradient(
            keras.ops.average_pool(x, pool_size=3, strides=1, padding="same")
        )
        return 0.5 * keras.ops.sum(keras.ops.square(x - blurred), axis=(1, 2, 3))

    return _objective(value, "blur()")
