"""`visualize`: feature visualization by gradient ascent on the model's input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from kerascope.capture import Probe, input_spec
from kerascope.errors import CaptureError, InputError, KerascopeError
from kerascope.visualize import objectives
from kerascope.visualize import transforms as transforms_module
from kerascope.visualize._optimize import ascend
from kerascope.visualize._param import parameterization
from kerascope.visualize._result import Visualization
from kerascope.visualize._setup import dead_in_data, input_shape, unit_list

__all__ = ["visualize"]

_SHORTHANDS = ("channel", "neuron", "layer")
#: The spread of the initial parameters of a restart (see `_param`'s usual 0.01).
RESTART_SD = 1.0
_STUCK = "no gradient from the start images, nor from noise"


def visualize(
    model: Any,
    key: str,
    channels: int | Sequence[int] | None = None,
    *,
    objective: str | objectives.Objective = "channel",
    steps: int = 256,
    param: str = "fft",
    decorrelate: bool = True,
    transforms: str | Sequence[transforms_module.Transform] | None = "standard",
    value_range: tuple[float, float] = (0.0, 1.0),
    size: int | Sequence[int] | None = None,
    seed: int = 0,
    progress: bool = True,
    data: Any = None,
) -> Visualization:
    """Inputs optimised by gradient ascent to excite units of a layer.

    All images are optimised together, in one batched forward and backward
    pass per step, compiled once per backend (`tf.function`, `jax.jit`; torch
    runs eagerly). The model runs only up to `key`; its variables are read,
    never changed, and its `trainable` flags are left alone.

    Dead channels get no image (see `Visualization.dead`): only `data=` can
    tell that a channel is dead; the channels `kerascope.diagnose` finds never
    active over `data` are not optimised. Without `data=`, a channel whose
    objective stayed exactly 0 with a zero gradient through every step (often
    a ReLU channel off on the grey start images) is optimised again from
    strong noise; if it is still flat it keeps its image but is listed in
    `Visualization.stuck`, not called dead.

    Args:
        model: A built Keras model with one floating-point input: images
            `(height, width, channels)`, sequences `(steps, features)` or
            vectors `(features,)`.
        key: The layer key (see `kerascope.layers`).
        channels: The units to show, one image each: an index, a sequence
            (`range(64)`) or None for every channel of `key`. Defaults to `None`.
        objective: `"channel"` (the channel's mean over positions),
            `"neuron"` (its value at the centre), `"layer"` (DeepDream, one
            image unless `channels` counts them) or an `Objective` from
            `kerascope.visualize.objectives` (then `channels` only names the
            images). Defaults to `"channel"`.
        steps: Optimisation steps. Defaults to `256`.
        param: `"fft"` (a spectrum scaled to decay with frequency) or
            `"pixel"`. Inputs without spatial axes always use pixels.
            Defaults to `"fft"`.
        decorrelate: Decorrelate the colours of 3-channel images. Defaults to `True`.
        transforms: `"standard"` (pad, jitter, scale, rotate; amounts scaled
            to the image size), `"none"`, or a list from
            `kerascope.visualize.transforms`. Only images are transformed.
            Defaults to `"standard"`.
        value_range: `(low, high)`, the range of the model's inputs; every
            value of the images stays inside it. Defaults to `(0.0, 1.0)`.
        size: The spatial size for a model whose input size is unknown: an
            int (square images, or a sequence's length) or one int per unknown
            axis. Defaults to `None`.
        seed: Seeds the initial images and the transforms: the same seed on
            the same backend gives identical images. Defaults to `0`.
        progress: Draw a progress bar. Defaults to `True`.
        data: Inputs as for `kerascope.diagnose`, to find dead channels before
            optimising. Defaults to `None`.

    Returns:
        A `Visualization`.

    Raises:
        InputError: for integer (token) inputs, several inputs, an unknown
            size, a bad argument or a channel out of range.
        SelectionError: for an unknown key.

    Example:

    >>> vis = kerascope.visualize(model, "conv2", channels=range(16))   # doctest: +SKIP
    >>> vis.images.shape                                                # doctest: +SKIP
    (16, 28, 28, 1)
    >>> kerascope.plot.visualizations(vis).savefig("conv2.png")         # doctest: +SKIP
    """
    _check_arguments(steps, param, value_range, seed)
    low, high = float(value_range[0]), float(value_range[1])
    shape = input_shape(model, input_spec(model), size)
    keys = [key, *(objective.keys if isinstance(objective, objectives.Objective) else ())]
    probe = Probe(model, layers=list(dict.fromkeys(keys)))
    probe.discover(np.zeros((1, *shape), "float32"))
    if key not in probe.keys:  # a glob or class: visualize needs one layer
        raise InputError(
            f"Expected one layer key (see kerascope.layers). Received: {key!r}, which "
            f"selects {list(probe.keys)}"
        )
    units = unit_list(channels, probe.specs[key].shape[-1], key, objective)

    dead: dict[int, str] = {}
    if data is not None and objective in ("channel", "neuron"):
        dead = {c: "data" for c in dead_in_data(model, data, key, progress) if c in units}
        units = [c for c in units if c not in dead]
    goal, labels = _goal(objective, key, units, channels)

    parm = parameterization(param, shape, decorrelate=decorrelate, value_range=(low, high))
    chosen = transforms_module.resolve(transforms, shape)
    sampler = transforms_module.Sampler(chosen, shape, (low, high)) if chosen else None
    n = len(labels)
    if n == 0:  # every channel asked for is dead: nothing to optimise
        return _result(np.zeros((0, *shape), "float32"), np.zeros(0, "float32"),
                       np.zeros((steps, 0), "float32"), [], key, goal, dead, (low, high),
                       parm.kind, seed)  # fmt: skip

    def optimise(goal: objectives.Objective, n: int, init: np.ndarray) -> tuple[Any, ...]:
        def loss(values: Any, params: Any, extra: Any) -> tuple[Any, Any]:
            images = parm.images(params)
            if sampler is not None:
                images = sampler.apply(images, extra["maps"])
            per_image = goal(probe.forward(images, values), images)
            return -keras.ops.sum(per_image), per_image

        maps_rng = np.random.default_rng([seed, 1])
        identity = np.tile(np.array([1, 0, 0, 0, 1, 0, 0, 0], "float32"), (n, 1))
        try:
            run = ascend(
                loss,
                init,
                list(model.variables),
                steps=steps,
                draw=(lambda i: sampler.draw(n, maps_rng)) if sampler else (lambda i: identity),
                progress=progress,
            )
            tensor = parm.images(run.params)
            values = keras.ops.convert_to_numpy(goal(probe.forward(tensor), tensor))
        except KerascopeError:
            raise
        except Exception as error:
            raise CaptureError(
                f"Feature visualization of {key!r} in model {model.name!r} failed "
                f"({goal.description}, {n} images of shape {shape}): "
                f"{type(error).__name__}: {error}"
            ) from error
        images = keras.ops.convert_to_numpy(tensor).astype("float32")
        flat = np.any(run.history != 0, axis=0) | (run.moved != 0)
        return images, np.asarray(values, "float32"), run.history, ~flat

    images, values, history, flat = optimise(goal, n, parm.init(n, np.random.default_rng(seed)))
    stuck: dict[int, str] = {}
    if objective in ("channel", "neuron") and flat.any():
        # Off everywhere around the grey start (a ReLU unit with a negative
        # pre-activation on grey): no gradient reaches it, which says nothing
        # about the data. Restart those units from strong noise.
        again = np.flatnonzero(flat)
        retry, _ = _goal(objective, key, [labels[i] for i in again], channels)
        init = parm.init(len(again), np.random.default_rng([seed, 2]), spread=RESTART_SD)
        images[again], values[again], history[:, again], flat_again = optimise(
            retry, len(again), init
        )
        stuck = {labels[i]: _STUCK for i in again[flat_again]}
    return _result(
        np.clip(images, low, high), values, history, labels, key, goal, dead, (low, high),
        parm.kind, seed, stuck,
    )  # fmt: skip


def _result(
    images: np.ndarray, values: np.ndarray, history: np.ndarray, channels: list[int], key: str,
    goal: objectives.Objective, dead: dict[int, str], value_range: tuple[float, float],
    param: str, seed: int, stuck: dict[int, str] | None = None,
) -> Visualization:  # fmt: skip
    return Visualization(
        images=images,
        values=values,
        history=history,
        channels=tuple(int(c) for c in channels),
        key=key,
        objective=goal.description,
        dead=dict(sorted(dead.items())),
        value_range=value_range,
        param=param,
        seed=int(seed),
        stuck=dict(sorted((stuck or {}).items())),
    )


def _goal(
    objective: str | objectives.Objective, key: str, units: list[int], channels: Any
) -> tuple[objectives.Objective, list[int]]:
    """The objective, and the label of each image."""
    if isinstance(objective, objectives.Objective):
        if channels is not None and objective.batch is not None and objective.batch != len(units):
            raise InputError(
                f"Expected channels= to name one image per image of the objective "
                f"({objective.batch}: {objective.description}), or channels=None. "
                f"Received: {len(units)} channels {units}"
            )
        n = len(units) if channels is not None else (objective.batch or 1)
        return objective, (units if channels is not None else list(range(n)))
    if objective == "channel":
        return objectives.channel(key, units), units
    if objective == "neuron":
        return objectives.neuron(key, units), units
    if objective == "layer":
        labels = list(range(len(units))) if channels is not None else [0]
        return objectives.layer(key), labels
    raise InputError(
        f"Expected objective= one of {list(_SHORTHANDS)} or a "
        f"kerascope.visualize.objectives.Objective. Received: objective={objective!r}"
    )


def _check_arguments(steps: Any, param: Any, value_range: Any, seed: Any) -> None:
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise InputError(f"Expected steps= a positive integer. Received: steps={steps!r}")
    if param not in ("fft", "pixel"):
        raise InputError(f"Expected param='fft' or 'pixel'. Received: param={param!r}")
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        low, high = np.nan, np.nan
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(
            f"Expected value_range=(low, high) with low < high. Received: {value_range!r}"
        )
    if not isinstance(seed, (int, np.integer)):
        raise InputError(f"Expected seed= an integer. Received: seed={seed!r}")
