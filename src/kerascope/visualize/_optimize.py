"""Gradient ascent: Adam written with `keras.ops`, one compiled step per call."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kerascope import backends
from kerascope._progress import ProgressBar

__all__ = ["Ascent", "ascend"]

#: Adam's step size and moment decays (the usual for feature visualization).
LEARNING_RATE = 0.05
_BETA1, _BETA2, _EPSILON = 0.9, 0.999, 1e-8

#: (images' parameters, the step's random affine maps) -> (loss, values per image).
Loss = Callable[[Any, Any, Any], tuple[Any, Any]]


@dataclasses.dataclass(frozen=True)
class Ascent:
    """What the optimisation left: final parameters and what each step saw.

    Attributes:
        params: The final parameters (a backend tensor).
        history: The objective per step and image, `(steps, n)`.
        moved: The largest absolute gradient each image's parameters ever got, `(n,)`.
    """

    params: Any
    history: np.ndarray
    moved: np.ndarray


def _adam(params: Any, grads: Any, state: Any, extra: Any) -> tuple[Any, Any]:
    """One Adam step that lowers the loss; also tracks each image's largest gradient."""
    m, v, moved = state
    t = extra["t"]
    m = _BETA1 * m + (1.0 - _BETA1) * grads
    v = _BETA2 * v + (1.0 - _BETA2) * keras.ops.square(grads)
    m_hat = m / (1.0 - keras.ops.power(_BETA1, t))
    v_hat = v / (1.0 - keras.ops.power(_BETA2, t))
    params = params - LEARNING_RATE * m_hat / (keras.ops.sqrt(v_hat) + _EPSILON)
    largest = keras.ops.max(keras.ops.abs(grads), axis=tuple(range(1, len(grads.shape))))
    return params, (m, v, keras.ops.maximum(moved, largest))


def ascend(
    loss: Loss,
    init: np.ndarray,
    variables: list[Any],
    *,
    steps: int,
    draw: Callable[[int], np.ndarray],
    progress: bool,
) -> Ascent:
    """Runs `steps` compiled Adam steps from `init`.

    Args:
        loss: `(variable values or None, params, extra) -> (loss, values)`;
            `extra["maps"]` holds the step's affine maps, `(n, 8)`.
        init: The initial parameters, `(n, ...)`.
        variables: The model's variables (read, never changed).
        steps: How many steps.
        draw: `step -> (n, 8)` affine maps for that step, from a seeded generator.
        progress: Draw a progress bar.

    Returns:
        An `Ascent`.
    """
    step = backends.current().gradient_step(loss, _adam, variables)
    n = init.shape[0]
    params = keras.ops.convert_to_tensor(init)
    zeros = np.zeros_like(init)
    state = (
        keras.ops.convert_to_tensor(zeros),
        keras.ops.convert_to_tensor(zeros),
        keras.ops.convert_to_tensor(np.zeros(n, "float32")),
    )
    history = []
    with ProgressBar(progress, "visualizing (steps)", total=steps) as bar:
        for i in range(steps):
            extra = {
                "t": keras.ops.convert_to_tensor(np.float32(i + 1)),
                "maps": keras.ops.convert_to_tensor(draw(i)),
            }
            params, state, values = step(params, state, extra)
            history.append(values)  # stays on the device until the end
            bar.advance(1)
    return Ascent(
        params=params,
        history=np.stack([keras.ops.convert_to_numpy(h) for h in history]),
        moved=keras.ops.convert_to_numpy(state[2]),
    )
