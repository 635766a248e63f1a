"""Receptive fields: analytically through conv/pool stacks, and from gradient support.

`analytic_regions` walks a Sequential or Functional model's graph from its
floating-point image or sequence input, layer by layer, composing each
layer's per-axis geometry (kernel, stride, dilation, padding); a layer it does
not know ends the walk along that path. `gradient_box` derives a position's
input box for any Functional model, from the non-zero support of the
gradient of that position with respect to the input. Each is tested against
the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from kerascope.capture import gradients
from kerascope.errors import InputError
from kerascope.examples._geometry import Region

__all__ = ["analytic_regions", "gradient_box"]

# Layers that map each position to the same position (or that mix positions
# along the channel axis only).
_POINTWISE = {
    "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Dropout", "SpatialDropout1D",
    "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "BatchNormalization", "LayerNormalization", "Dense", "Rescaling",
    "Normalization", "Identity", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
    "Concatenate",
}  # fmt: skip
_WINDOWED = ("Conv", "Pooling")
_OTHER_AXES = {"LayerNormalization": "axis", "Softmax": "axis", "Concatenate": "axis"}


def analytic_regions(model: Any, input_names: Sequence[str] = ()) -> dict[Any, Region]:
    """The `Region` of every layer output the walk reaches, by layer object.

    Args:
        model: A Sequential or Functional Keras model.
        input_names: The names of the model's inputs, in order (as
            `kerascope.capture.Probe.input_names`). Defaults to none: the
            input layers' or tensors' own names.

    Returns:
        Layer -> the `Region` of its output's positions in the model input
        (layers called more than once, or not reached, are left out).
    """
    inputs = getattr(model, "inputs", None) or []
    names = {
        id(layer.output): layer.name
        for layer in getattr(model, "layers", [])
        if type(layer).__name__ == "InputLayer"
    }
    known: dict[int, Region] = {}
    if len(input_names) == len(inputs):
        names.update({id(t): name for t, name in zip(inputs, input_names)})
    for tensor in inputs:
        shape = tuple(tensor.shape)
        dtype = keras.backend.standardize_dtype(tensor.dtype)
        if len(shape) >= 3 and "float" in dtype and None not in shape[1:-1]:
            spatial = tuple(int(d) for d in shape[1:-1])
            ndim = len(spatial)
            name = names.get(id(tensor)) or getattr(tensor, "name", None) or "input"
            known[id(tensor)] = Region(name, spatial, (1,) * ndim, (0,) * ndim, (1,) * ndim)
    found: dict[Any, Region] = {}
    if not known:
        return found
    for layer in getattr(model, "layers", []):
        try:
            ins, out = layer.input, layer.output
        except (AttributeError, ValueError, RuntimeError):
            continue
        sources = [known.get(id(t)) for t in keras.tree.flatten(ins)]
        if not sources or any(s is None for s in sources):
            continue
        region = _through(layer, [s for s in sources if s is not None], keras.tree.flatten(ins))
        if region is not None and not isinstance(out, (list, tuple, dict)):
            known[id(out)] = region
            found[layer] = region
    return found


def _through(layer: Any, sources: list[Region], ins: list[Any]) -> Region | None:
    """The region of `layer`'s output, from its inputs' regions; None if unknown."""
    name = type(layer).__name__
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        return None
    if name == "EinsumDense" and not _einsum_pointwise(getattr(layer, "equation", "")):
        return None
    if name in _POINTWISE or name == "EinsumDense":
        axis = getattr(layer, _OTHER_AXES.get(name, ""), -1)
        if axis not in (-1, len(ins[0].shape) - 1, [-1]):
            return None
        first = sources[0]
        if any((s.input, s.stride) != (first.input, first.stride) for s in sources):
            return None
        start = tuple(min(s.start[i] for s in sources) for i in range(first.ndim))
        stop = tuple(max(s.start[i] + s.size[i] for s in sources) for i in range(first.ndim))
        size = tuple(b - a for a, b in zip(start, stop))
        return Region(first.input, first.input_shape, first.stride, start, size)
    (source,) = sources
    lengths = tuple(ins[0].shape[1:-1])
    if name.startswith("ZeroPadding") or name.startswith("Cropping"):
        amounts = _pairs(getattr(layer, "padding", None) or layer.cropping, source)
        sign = -1 if name.startswith("ZeroPadding") else 1
        start = tuple(s + sign * a[0] * j for s, a, j in zip(source.start, amounts, source.stride))
        return Region(source.input, source.input_shape, source.stride, start, source.size)
    if not any(part in name for part in _WINDOWED) or "Transpose" in name or "Global" in name:
        return None
    kernel = _tuple(getattr(layer, "kernel_size", None) or layer.pool_size, source.ndim)
    strides = _tuple(layer.strides or kernel, source.ndim)
    dilation = _tuple(getattr(layer, "dilation_rate", 1), source.ndim)
    padding = str(layer.padding).lower()
    if None in lengths or len(kernel) != source.ndim:
        return None
    starts, sizes, steps = [], [], []
    for i in range(source.ndim):
        span = (kernel[i] - 1) * dilation[i] + 1
        if padding == "same":
            n = int(lengths[i])
            total = max((math.ceil(n / strides[i]) - 1) * strides[i] + span - n, 0)
            left = total // 2
        elif padding == "causal":
            left = span - 1
        else:
            left = 0
        j = source.stride[i]
        starts.append(source.start[i] - left * j)
        sizes.append(source.size[i] + (span - 1) * j)
        steps.append(j * strides[i])
    return Region(source.input, source.input_shape, tuple(steps), tuple(starts), tuple(sizes))


def _tuple(value: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * ndim
    return tuple(int(v) for v in value)


def _pairs(value: Any, source: Region) -> list[tuple[int, int]]:
    """A padding/cropping argument as `(before, after)` per axis."""
    if isinstance(value, int):
        return [(value, value)] * source.ndim
    items = list(value)
    if source.ndim == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
        return [(int(items[0]), int(items[1]))]
    return [(v, v) if isinstance(v, int) else (int(v[0]), int(v[1])) for v in items]


def gradient_box(
    model: Any, layer: Any, position: Any, *, samples: int = 16, seed: int = 0
) -> np.ndarray:
    """The input box that one output position of `layer` depends on, from gradients.

    The bounding box of the non-zero support of the gradient of the
    position's channels (randomly weighted) with respect to the model's
    input, over `samples` random inputs: general (any Functional model with
    one floating-point input), and for conv/pool stacks equal to the
    receptive field clipped to the input.

    Args:
        model: A Functional or Sequential Keras model with one floating-point
            input `(batch, *spatial, channels)`.
        layer: One of its layers, called once.
        position: The output position, one index per spatial axis.
        samples: Random inputs whose supports are joined. Defaults to `16`.
        seed: The random inputs' seed. Defaults to `0`.

    Returns:
        An int array `(spatial_ndim, 2)` of `[start, stop)`; all `-1` when the
        position depends on no input.

    Raises:
        InputError: for a model without one floating-point input or a
            position outside the layer's output.
    """
    inputs = list(getattr(model, "inputs", None) or [])
    if len(inputs) != 1 or "float" not in keras.backend.standardize_dtype(inputs[0].dtype):
        raise InputError(
            "Expected a Functional model with one floating-point input. Received: "
            f"inputs {[getattr(t, 'dtype', None) for t in inputs]}"
        )
    sub = keras.Model(inputs[0], layer.output)
    shape = tuple(layer.output.shape)
    position = tuple(int(p) for p in position)
    if len(position) != len(shape) - 2 or any(
        not 0 <= p < n for p, n in zip(position, shape[1:-1])
    ):
        raise InputError(
            f"Expected a position inside the output shape {shape[1:-1]}. Received: {position}"
        )
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, *inputs[0].shape[1:])).astype("float32")
    weights = keras.ops.convert_to_tensor(rng.uniform(0.5, 1.5, shape[-1]).astype("float32"))
    index = (slice(None), *position)

    def score(out: Any) -> Any:
        return keras.ops.sum(out[index] * weights, axis=-1)

    grads = gradients(sub, x, loss=score, inputs=True, layers=sub.layers[-1].name)
    grad = np.asarray(grads[_first_input(grads)])
    support = np.any(grad != 0, axis=(0, grad.ndim - 1))
    box = np.full((support.ndim, 2), -1, np.int64)
    if not support.any():
        return box
    for axis in range(support.ndim):
        hit = np.flatnonzero(support.any(axis=tuple(a for a in range(support.ndim) if a != axis)))
        box[axis] = (hit[0], hit[-1] + 1)
    return box


def _first_input(grads: Mapping[str, Any]) -> str:
    return next(iter(grads))


def _einsum_pointwise(equation: str) -> bool:
    """Whether an `EinsumDense` equation keeps every axis but the last in place
    (`"abc,cd->abd"`, `"...b,bc->...c"`): then it mixes channels only. One
    that contracts or moves a position axis (`"abc,bd->adc"`) is not."""
    inputs, _, output = equation.replace(" ", "").partition("->")
    source = inputs.split(",")[0]
    return bool(source) and len(source) == len(output) and source[:-1] == output[:-1]
