"""`gradients`: d(loss)/d(activation) for selected layers, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kerascope import backends, data
from kerascope.capture._activations import Activations, as_numpy_tree
from kerascope.capture._probe import Probe
from kerascope.errors import CaptureError, InputError
from kerascope.select import LayerSelection

__all__ = ["gradients"]

LossFn = Callable[..., Any]


def gradients(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    loss: str | LossFn | None = None,
    layers: LayerSelection = None,
    inputs: bool = False,
    training: bool = False,
) -> Activations:
    """Gradients of a loss with respect to layer activations, `d(loss)/d(activation)`.

    One forward and one backward pass over `x` (all of it at once), eager, with
    no change to the model: its variables are neither updated nor
    differentiated, and eager execution stays on.

    The loss, in order of precedence:

    - `loss=` a function of `(y_true, y_pred)` or a Keras loss name, with `y`;
    - the model's compiled loss, with `y` (Keras losses average over the batch);
    - without `y`: `loss=` a function of the model's outputs alone, e.g. a
      class score `lambda out: out[:, 3]` (Grad-CAM).

    A loss of `(y_true, y_pred)` is reduced as `model.compile` reduces it,
    whether given as a name, a `keras.losses.Loss` or a function: averaged over
    the batch (Keras' `"sum_over_batch_size"`), and summed over a model's
    outputs. A function of the outputs alone that returns one value per sample
    is summed, so each sample's gradient is that of its own score.

    Args:
        model: A built Keras model.
        x: One batch of inputs: an array, or a list/dict of arrays.
        y: Targets for `x`, in the structure of the model's outputs. Defaults
            to `None`.
        loss: See above. Defaults to `None` (the compiled loss).
        layers: Which layers (see `kerascope.capture`); only layers with
            floating-point outputs have gradients. Defaults to `None` (all of those).
        inputs: Also return the gradients with respect to the model's
            floating-point inputs, under the input layers' names (or a dict
            input's keys): saliency maps, integrated gradients, deep dream.
            Integer inputs (token ids) have none. Defaults to `False`.
        training: Run layers in training mode (Dropout, BatchNorm batch
            statistics). Defaults to `False`.

    Returns:
        `Activations` holding gradients: key -> array shaped like the
        activation, `(batch, ...)`.

    Raises:
        InputError: for a missing or unusable loss, or a selected layer with
            integer outputs.
        SelectionError: for a selection that matches nothing.
        CaptureError: if the forward or backward pass fails.

    Example:

    >>> g = kerascope.gradients(model, x, y, layers="conv*")   # doctest: +SKIP
    >>> g["conv2"].shape                                       # doctest: +SKIP
    (8, 4, 4, 32)
    >>> cam = kerascope.gradients(model, x, loss=lambda p: p[:, 3])  # doctest: +SKIP
    """
    loss_of_outputs = _loss(model, y, loss)
    probe = Probe(model, layers, training=training, inputs=inputs, _hold_model=False)
    batch, _ = data.prepare_batch(x, probe.input_spec)
    probe.discover(batch)
    keys = _float_keys(probe, explicit=layers is not None, inputs=inputs)
    tensors = keras.tree.map_structure(keras.ops.convert_to_tensor, batch)

    def loss_of(tap: Callable[[str, Any], Any]) -> Any:
        # Outputs with no gradient (integer ones) flow on untapped.
        def float_tap(key: str, outputs: Any) -> Any:
            return tap(key, outputs) if key in keys else outputs

        value = loss_of_outputs(probe._run_tapped(tensors, float_tap))
        if len(keras.ops.shape(value)):
            value = keras.ops.sum(value)
        return value

    try:
        grads = backends.current().gradients(loss_of)
    except (InputError, CaptureError):
        raise
    except Exception as error:
        raise CaptureError(
            f"Computing gradients of model {model.name!r} failed: {type(error).__name__}: {error}"
        ) from error
    specs = probe.specs
    arrays = {}
    for key in keys:
        info, leaves = specs[key], grads[key]
        value = keras.tree.pack_sequence_as(info.dtype, leaves) if info.multi_output else leaves[0]
        arrays[key] = as_numpy_tree(value)
    return Activations(arrays, {key: specs[key] for key in keys})


def _float_keys(probe: Probe, *, explicit: bool, inputs: bool) -> tuple[str, ...]:
    specs = probe.specs

    def floating(key: str) -> bool:
        dtypes = keras.tree.flatten(specs[key].dtype)
        return all(np.dtype(d).kind == "f" or "float" in str(d) for d in dtypes)

    input_keys = probe.input_names if inputs else []
    if inputs and not any(floating(key) for key in input_keys):
        raise InputError(
            "Expected a floating-point model input for inputs=True (integer inputs such as "
            "token ids have no gradient: take the gradient of their embedding layer instead). "
            f"Received: inputs {input_keys} of dtype {[specs[k].dtype for k in input_keys]}"
        )
    keys = tuple(key for key in probe.keys if floating(key))
    rejected = [key for key in probe.keys if key not in keys and key not in input_keys]
    if explicit and rejected:
        raise InputError(
            "Expected layers with floating-point outputs (only those have gradients). "
            f"Received: {rejected} with outputs of dtype "
            f"{[specs[k].dtype for k in rejected]}"
        )
    if not keys:
        raise InputError("Expected at least one layer with floating-point outputs. Received: none")
    return keys


def _loss(model: Any, y: Any, loss: str | LossFn | None) -> Callable[[Any], Any]:
    """The loss as a function of the model's outputs."""
    if y is None:
        if loss is None or isinstance(loss, str) or not callable(loss):
            raise InputError(
                "Expected y (targets) with a compiled model or loss=, or, without y, "
                "loss= a function of the model's outputs such as `lambda out: out[:, 3]`. "
                f"Received: y=None and loss={loss!r}"
            )
        return loss
    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            raise InputError(
                f"Expected loss= or a model compiled with a loss. Received: model "
                f"{getattr(model, 'name', model)!r} has no compiled loss"
            )
    targets = keras.tree.map_structure(keras.ops.convert_to_tensor, y)
    function = _structured(loss)
    return lambda y_pred: function(targets, y_pred)


def _structured(loss: Any) -> Callable[[Any, Any], Any]:
    """A loss of `(y_true, y_pred)`, summed over outputs for a list or dict of losses."""
    if isinstance(loss, dict):
        parts = {name: _single(item) for name, item in loss.items() if item is not None}
        return lambda y_true, y_pred: sum(parts[name](y_true[name], y_pred[name]) for name in parts)
    if isinstance(loss, (list, tuple)):
        parts_list = [_single(item) for item in loss]
        return lambda y_true, y_pred: sum(
            part(t, p) for part, t, p in zip(parts_list, y_true, y_pred)
        )
    return _single(loss)


def _single(loss: Any) -> Callable[[Any, Any], Any]:
    if isinstance(loss, str):
        try:
            function = keras.losses.get(loss)
        except ValueError as error:
            raise InputError(
                f"Expected a Keras loss name such as 'mse'. Received: loss={loss!r}"
            ) from error
        loss = function
    if isinstance(loss, keras.losses.Loss):
        return loss  # type: ignore[no-any-return]  # reduces itself
    if callable(loss):
        # As `model.compile(loss=function)` reduces it ("sum_over_batch_size"):
        # the mean of its values.
        function = loss
        return lambda y_true, y_pred: keras.ops.mean(function(y_true, y_pred))
    raise InputError(f"Expected a loss function or name. Received: loss={loss!r}")
