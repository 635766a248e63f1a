"""The few places where kerascope needs more than Keras' public API.

Keras 3 has no forward hooks, no public way to list a custom layer's sublayers
and no public symbolic tracer for a whole model. Everything private that
kerascope touches is in this module, so one file says what to re-check on a
Keras upgrade. Checked against Keras 3.5 to 3.15.
"""

from __future__ import annotations

from typing import Any

import keras


def is_functional(layer: Any) -> bool:
    """Whether `layer` is a graph model (Functional, or a built Sequential)."""
    from keras.src.models.functional import Functional

    return isinstance(layer, (Functional, keras.Sequential))


def is_keras_builtin(layer: Any) -> bool:
    """Whether `layer` is one of Keras' own classes (not a user subclass)."""
    module = type(layer).__module__
    return module == "keras" or module.startswith("keras.")


def direct_sublayers(layer: Any) -> list[Any]:
    """The layers a layer calls directly: its children in the layer tree.

    Graph models contribute their layers (input layers excluded). User-defined
    layers and models contribute the sublayers they track. Keras' own layers
    (LSTM, MultiHeadAttention, Bidirectional...) are leaves: their insides run
    in backend loops where intercepting calls is neither safe nor useful.
    """
    if is_functional(layer):
        return [sub for sub in layer.layers if not isinstance(sub, keras.layers.InputLayer)]
    if is_keras_builtin(layer):
        return []
    # `_flatten_layers` is how Keras itself walks tracked sublayers (lists and
    # dicts of layers included); there is no public equivalent on `Layer`.
    return list(layer._flatten_layers(include_self=False, recursive=False))


def input_layer_names(model: Any) -> list[str]:
    """The names of a graph model's input layers, in the order of its `inputs`.

    A symbolic input remembers the `InputLayer` that made it in
    `_keras_history`; its own name is often generated (`keras_tensor_3`).
    """
    names = []
    for tensor in model.inputs:
        history = getattr(tensor, "_keras_history", None)
        operation = getattr(history, "operation", None)
        names.append(str(getattr(operation, "name", None) or tensor.name))
    return names


def build_input_shape(layer: Any) -> Any:
    """The input shape a built, non-graph layer was built with, or None.

    Keras records the shapes passed to `build()` (directly or by a first call)
    in `_build_shapes_dict`.
    """
    shapes = getattr(layer, "_build_shapes_dict", None)
    if not shapes or len(shapes) != 1:
        return None
    return next(iter(shapes.values()))


def symbolic_output_spec(fn: Any, *args: Any) -> Any:
    """Trace `fn` on `KerasTensor` arguments without running it.

    Returns `fn`'s outputs as `KerasTensor`s (unknown dimensions are None).
    This is the tracer Keras uses for `Layer.compute_output_spec`.
    """
    from keras.src.backend import compute_output_spec

    return compute_output_spec(fn, *args)
