"""`capture`: all selected layers' outputs for a whole input, in one call."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np

from kerascope import data
from kerascope._progress import ProgressBar
from kerascope.capture._activations import Activations
from kerascope.capture._cache import cached_probe
from kerascope.errors import CaptureError, InputError
from kerascope.select import LayerSelection

__all__ = ["capture"]


def capture(
    model: Any,
    x: Any = None,
    layers: LayerSelection = None,
    *,
    inputs: bool = False,
    batch_size: int = 32,
    training: bool = False,
    progress: bool = False,
) -> Activations:
    """Captures the outputs of a model's layers in one forward pass per batch.

    Works for Sequential, Functional, nested, shared-layer, multi-input/output
    and subclassed models on TensorFlow, JAX and torch. Only the part of the
    model needed for the selected layers runs.

    Outputs that have no batch axis (a position embedding `(length, dim)`
    computed from constants, not from the inputs) are returned once, on every
    backend, when every batch computed the same value; one that depends on
    the batch (a mean over it) comes back stacked, one per batch. An output
    with a batch axis is joined along it.

    Args:
        model: A built Keras model, or a model with edits from
            `kerascope.intervene` (the activations downstream of its edits).
        x: A numpy array `(samples, ...)`, a list or dict of arrays for a
            multi-input model, a `tf.data.Dataset`, a `keras.utils.PyDataset`,
            a torch `DataLoader`, or an iterable of batches (`x` or `(x, y)`).
        layers: Which layers: `None` for all; a key, glob, compiled regex,
            layer class, layer, predicate, or a list of those.
            Defaults to `None`.
        inputs: Also return the model's inputs as it received them, under the
            input layers' names (or a dict input's keys), before the layers.
            Defaults to `False`.
        batch_size: Samples per forward pass for array inputs. Defaults to `32`.
        training: Run layers in training mode (the model's state never
            changes). Defaults to `False`.
        progress: Draw a progress bar (samples/s, ETA) on standard error, for
            long captures. Defaults to `False`.

    Returns:
        `Activations`: layer key -> numpy array of shape `(samples, ...)`, in
        execution order (a tuple or dict of arrays for multi-output layers).

    Raises:
        InputError: for a non-Keras or unbuilt model, or unsuitable inputs.
        SelectionError: for a selection that matches nothing or an unknown key.
        CaptureError: if the forward pass fails.

    Example:

    >>> acts = kerascope.capture(model, x_test[:64], layers="conv*")  # doctest: +SKIP
    >>> acts
    Activations(2 layers, 1.2 MiB)
      key    layer   shape              dtype
      conv1  Conv2D  (64, 26, 26, 8)    float32
      conv2  Conv2D  (64, 11, 11, 16)   float32
    """
    if not isinstance(inputs, (bool, np.bool_)):  # capture(model, inputs=x), the old name
        if x is not None:
            raise InputError(
                "Expected the data as x, and inputs=True or False. Received: both x and "
                f"inputs={_describe(inputs)}"
            )
        warnings.warn(
            "capture(model, inputs=x) is deprecated: pass the data as x, the second "
            "argument; inputs=True now asks for the model's inputs",
            DeprecationWarning,
            stacklevel=2,
        )
        x, inputs = inputs, False
    inputs = bool(inputs)
    if x is None:
        raise InputError("Expected inputs x for the model. Received: x=None")
    # An object that edits a model in flight (`kerascope.intervene`) brings its own probe.
    own_probe = getattr(model, "kerascope_probe", None)
    if callable(own_probe) and not isinstance(model, keras.layers.Layer):
        probe = own_probe(layers, training=training, inputs=inputs)
    else:
        probe = cached_probe(model, layers, training=training, inputs=inputs)
    batches = data.as_batches(x, batch_size, probe.input_spec)
    collected: dict[str, list[Any]] = {}
    with ProgressBar(progress, "capturing", total=batches.total) as bar:
        for batch, n in batches:
            for key, value in probe.run_batch(batch, n).items():
                collected.setdefault(key, []).append(value)
            bar.advance(n)
    arrays = {key: _join(key, parts, probe.batched(key)) for key, parts in collected.items()}
    result: Activations = probe._activations(arrays)
    return result


def _join(key: str, parts: list[Any], batched: list[bool]) -> Any:
    """One key's outputs of every batch: leaves with a batch axis joined along
    it; the others once if every batch gave the same, else stacked per batch."""
    if len(parts) == 1:
        return parts[0]
    if batched == [True] and isinstance(parts[0], np.ndarray):
        return _concatenate(key, parts)
    columns = zip(*(keras.tree.flatten(part) for part in parts))
    leaves = [
        _concatenate(key, list(column)) if has_batch else _once(list(column))
        for column, has_batch in zip(columns, batched)
    ]
    return keras.tree.pack_sequence_as(parts[0], leaves)


def _concatenate(key: str, arrays: list[np.ndarray]) -> np.ndarray:
    try:
        return np.concatenate(arrays)
    except ValueError:
        shapes = sorted({tuple(a.shape[1:]) for a in arrays})
        raise CaptureError(
            f"Expected the outputs of {key!r} to have one shape past the batch axis in every "
            "batch, to join them. Received: batches with shapes (batch, ...) + "
            f"{', '.join(map(str, shapes))}. Capture each length on its own (a `Probe` "
            "called per batch), or pad the inputs to one length"
        ) from None


def _once(values: list[Any]) -> Any:
    first = values[0]
    if all(np.array_equal(first, value) for value in values[1:]):
        return first
    return np.stack(values)


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else repr(value)
