"""Objectives for feature visualization: what the optimised images should excite.

An `Objective` maps one forward pass, the selected layers' outputs and the
images fed to the model, to one value per image, `(n,)`; `visualize` raises
the sum of those values by gradient ascent. Objectives compose like numbers:
`a + b`, `a - b`, `2.0 * a`, `a / 4`, `-a`, each again one value per image.

A unit index may be one number (the same unit for every image) or a sequence
of `n` numbers (image `i` excites unit `units[i]`): that is how many units are
visualised in one batched pass.

Example:

>>> from kerascope.visualize import objectives as obj
>>> goal = obj.channel("conv2", [0, 1, 2]) + 0.1 * obj.diversity("conv2")  # doctest: +SKIP
>>> kerascope.visualize(model, "conv2", objective=goal)                     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError
from kerascope.visualize._objective import Objective
from kerascope.visualize._penalties import blur, l1, l2, total_variation

__all__ = [
    "Objective",
    "blur",
    "channel",
    "direction",
    "diversity",
    "l1",
    "l2",
    "layer",
    "neuron",
    "total_variation",
]

Units = int | Sequence[int]


def _units(units: Units) -> tuple[np.ndarray, int | None]:
    """Unit indices as an int array, and the batch they fix (None for one unit)."""
    array = np.asarray(units)
    if array.dtype.kind not in "iu" or array.ndim > 1:
        raise InputError(f"Expected a unit index or a list of them. Received: {units!r}")
    return array.astype("int64"), (None if array.ndim == 0 else int(array.size))


def _label(index: np.ndarray) -> str:
    """`3`, `[0, 1, 2]`, or `[0, 1, ... 63]` for long lists."""
    if index.ndim == 0:
        return str(int(index))
    items = [int(i) for i in index]
    if len(items) > 6:
        return f"[{items[0]}, {items[1]}, ... {items[-1]}] ({len(items)} units)"
    return str(items)


def _spatial_mean(tensor: Any) -> Any:
    """`(n, ..., channels)` -> `(n, channels)`: the mean over every position."""
    axes = tuple(range(1, len(tensor.shape) - 1))
    return keras.ops.mean(tensor, axis=axes) if axes else tensor


def _pick(per_channel: Any, index: np.ndarray) -> Any:
    """`(n, channels)` -> `(n,)`: channel `index` (or `index[i]` for image `i`)."""
    if index.ndim == 0:
        return per_channel[:, int(index)]
    onehot = np.eye(per_channel.shape[-1], dtype="float32")[index]
    return keras.ops.sum(per_channel * keras.ops.cast(onehot, per_channel.dtype), axis=-1)


def channel(key: str, units: Units) -> Objective:
    """The mean of a channel over all positions (the last axis is the channel).

    Args:
        key: A layer key.
        units: A channel index, or one per image.

    Returns:
        An `Objective`.
    """
    index, batch = _units(units)
    return Objective(
        lambda o, x: _pick(_spatial_mean(o[key]), index),
        [key],
        f"channel({key!r}, {_label(index)})",
        batch,
    )


def neuron(key: str, units: Units, position: Sequence[int] | None = None) -> Objective:
    """A channel's value at one position (the centre by default).

    Args:
        key: A layer key.
        units: A channel index, or one per image.
        position: The spatial position, one index per axis between the batch
            and the channel. Defaults to `None` (the centre).

    Returns:
        An `Objective`.
    """
    index, batch = _units(units)

    def value(o: Mapping[str, Any], x: Any) -> Any:
        tensor = o[key]
        where = position
        if where is None:
            where = [size // 2 for size in tensor.shape[1:-1]]
        if len(where) != len(tensor.shape) - 2:
            raise InputError(
                f"Expected a position with {len(tensor.shape) - 2} indices for {key!r} of shape "
                f"{tuple(tensor.shape)}. Received: position={position!r}"
            )
        index_tuple = (slice(None), *where)
        return _pick(tensor[index_tuple], index)

    return Objective(value, [key], f"neuron({key!r}, {_label(index)})", batch)


def layer(key: str) -> Objective:
    """DeepDream: the mean squared activation of a whole layer.

    Args:
        key: A layer key.

    Returns:
        An `Objective`.
    """

    def value(o: Mapping[str, Any], x: Any) -> Any:
        tensor = o[key]
        return keras.ops.mean(keras.ops.square(tensor), axis=tuple(range(1, len(tensor.shape))))

    return Objective(value, [key], f"layer({key!r})")


def direction(key: str, vector: Any) -> Objective:
    """The mean over positions of the activation's dot product with `vector`.

    Args:
        key: A layer key.
        vector: A direction in channel space, `(channels,)`.

    Returns:
        An `Objective`.
    """
    weights = np.asarray(vector, dtype="float32")
    if weights.ndim != 1:
        raise InputError(f"Expected a vector (channels,). Received: shape {weights.shape}")

    def value(o: Mapping[str, Any], x: Any) -> Any:
        per_channel = _spatial_mean(o[key])
        return keras.ops.sum(per_channel * keras.ops.cast(weights, per_channel.dtype), axis=-1)

    return Objective(value, [key], f"direction({key!r}, {weights.size} channels)")


def diversity(key: str) -> Objective:
    """Minus how alike each image's style is to the others' (a batch of at least 2).

    Each image's Gram matrix of the layer's channels (over positions) is
    normalised; image `i` scores minus the mean cosine similarity of its Gram
    matrix to the other images'. Subtracting it from another objective is
    wrong; add it, weighted: `channel(...) + 0.5 * diversity(...)`.

    Args:
        key: A layer key.

    Returns:
        An `Objective`.
    """

    def value(o: Mapping[str, Any], x: Any) -> Any:
        tensor = o[key]
        n, c = tensor.shape[0], tensor.shape[-1]
        flat = keras.ops.reshape(tensor, (n, -1, c))
        gram = keras.ops.reshape(keras.ops.einsum("npc,npd->ncd", flat, flat), (n, c * c))
        norm = keras.ops.sqrt(keras.ops.sum(gram * gram, axis=-1, keepdims=True) + 1e-12)
        unit = gram / norm
        similar = keras.ops.matmul(unit, keras.ops.transpose(unit))
        others = keras.ops.sum(similar, axis=-1) - keras.ops.diagonal(similar)
        return -others / max(int(n) - 1, 1)

    return Objective(value, [key], f"diversity({key!r})")
