"""The model and its inputs, as a `Probe` needs them: checked, with a free batch size."""

from __future__ import annotations

from typing import Any

import keras

from kerascope.capture import _keras_internals
from kerascope.errors import InputError

__all__ = ["batch_spec", "check_model", "input_names", "input_spec", "unknown_dims"]


def check_model(model: Any) -> None:
    if not isinstance(model, keras.layers.Layer):
        raise InputError(
            "Expected a Keras 3 model (keras.Model or keras.layers.Layer). "
            f"Received: {type(model).__module__}.{type(model).__qualname__}"
        )
    if not model.built:
        raise InputError(
            f"Expected a built model. Model {model.name!r} has no weights yet: call it on a "
            "batch or call `model.build(input_shape)` first. Received: model.built=False"
        )


def input_spec(model: Any, given: Any) -> Any:
    """The model's inputs as `KerasTensor`s with a free batch dimension, or None."""
    if given is not None:
        return _relax_batch(given)
    inputs = _graph_inputs(model) if _keras_internals.is_functional(model) else []
    if inputs:
        structure = model.input if not isinstance(model, keras.Sequential) else inputs[0]
        return _relax_batch(structure)
    shape = _keras_internals.build_input_shape(model)
    return None if shape is None else _relax_batch(shape)


def _graph_inputs(model: Any) -> list[Any]:
    try:
        return list(model.inputs or [])
    except (AttributeError, ValueError):  # a Sequential without an input has none
        return []


def _relax_batch(spec: Any) -> Any:
    """`spec` (KerasTensors or shapes, possibly in a list or dict) as KerasTensors
    whose batch dimension is None."""
    if isinstance(spec, keras.KerasTensor):
        return keras.KerasTensor((None, *spec.shape[1:]), dtype=spec.dtype, name=spec.name)
    if (
        isinstance(spec, (tuple, list))
        and spec
        and all(d is None or isinstance(d, int) for d in spec)
    ):
        return keras.KerasTensor((None, *tuple(spec)[1:]), dtype=keras.config.floatx())
    if isinstance(spec, dict) and spec:
        return {name: _relax_batch(s) for name, s in spec.items()}
    if isinstance(spec, (list, tuple)) and spec:
        return [_relax_batch(s) for s in spec]
    raise InputError(
        "Expected input_spec to be a keras.KerasTensor (e.g. keras.Input(shape)), a shape "
        f"tuple with the batch dimension first, or a list or dict of those. Received: {spec!r}"
    )


def unknown_dims(spec: Any) -> bool:
    """Whether any input of `spec` has an unknown dimension besides the batch."""
    if spec is None:
        return False
    return any(None in tuple(t.shape)[1:] for t in keras.tree.flatten(spec))


def batch_spec(spec: Any, batch: Any) -> Any:
    """`spec` with the dimensions of a prepared `batch`; the batch dimension stays None."""
    return keras.tree.map_structure(
        lambda t, a: keras.KerasTensor((None, *a.shape[1:]), dtype=t.dtype, name=t.name),
        spec,
        batch,
    )


def input_names(model: Any, spec: Any) -> list[str]:
    """One name per model input, in the order of `keras.tree.flatten(spec)`.

    Dict inputs are named by their keys; a graph model's inputs by their input
    layers (`"input_layer"`, `"pixels"`); other models' by `"inputs"` (one
    input) or `"inputs_0"`, `"inputs_1"`, ...
    """
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [str(name) for name in sorted(spec)]
    count = len(keras.tree.flatten(spec))
    names = _keras_internals.input_layer_names(model) if _graph_inputs(model) else []
    if len(names) == count and len(set(names)) == count:
        return names
    return ["inputs"] if count == 1 else [f"inputs_{i}" for i in range(count)]
