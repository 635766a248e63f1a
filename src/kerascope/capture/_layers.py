"""`layers`: a model's layer keys mapped to its layer objects; `input_spec`: its inputs."""

from __future__ import annotations

from typing import Any

from kerascope.capture._discover import discover
from kerascope.capture._intercept import layer_tree
from kerascope.capture._spec import check_model
from kerascope.capture._spec import input_spec as _input_spec

__all__ = ["input_spec", "layers"]


def layers(model: Any, *, input_spec: Any = None, training: bool = False) -> dict[str, Any]:
    """Every layer key of `model`, as `capture` names it, mapped to its layer.

    The keys are found exactly as `capture` and `Probe` find them: one traced
    forward pass records every layer call, in execution order. A nested
    model's layers appear under its path (`"encoder/conv1"`), next to the
    nested model's own key (`"encoder"`); a layer called more than once
    appears once per call (`"shared:0"`, `"shared:1"`), each key mapping to
    the same layer object. Nothing is compiled and the model is not changed.

    Args:
        model: A built Keras model (Sequential, Functional or subclassed) or layer.
        input_spec: The model's inputs as a `keras.KerasTensor` (or a structure
            of them), for models whose input shape Keras does not record.
            Defaults to `None` (inferred from the model).
        training: Trace the model in training mode, for models whose layer
            calls differ between modes. Defaults to `False`.

    Returns:
        A dict from layer key to `keras.layers.Layer`, in execution order.

    Raises:
        InputError: if `model` is not a built Keras model, or its input shape
            is unknown and no `input_spec` is given.
        CaptureError: if the model cannot run on inputs like its input spec.

    Example:

    >>> kerascope.layers(model)                            # doctest: +SKIP
    {'conv1': <Conv2D name=conv1, built=True>, 'pool1': <MaxPooling2D ...>, ...}
    >>> kerascope.layers(model)["conv1"] is model.get_layer("conv1")  # doctest: +SKIP
    True
    """
    check_model(model)
    spec = _input_spec(model, input_spec)
    calls, _ = discover(model, layer_tree(model), spec, training=bool(training))
    return {call.key: call.layer for call in calls}


def input_spec(model: Any) -> Any:
    """The model's inputs as `keras.KerasTensor`s with a free batch dimension.

    This is what `Probe(model).input_spec` holds, without building a probe.

    Args:
        model: A built Keras model or layer.

    Returns:
        A `keras.KerasTensor` of shape `(None, ...)`, or a list or dict of them
        for a model with several inputs; None when Keras recorded no input
        shape for the model.

    Raises:
        InputError: if `model` is not a built Keras model.

    Example:

    >>> kerascope.capture.input_spec(model)                # doctest: +SKIP
    <KerasTensor shape=(None, 8, 8, 1), dtype=float32, sparse=False, name=digit>
    """
    check_model(model)
    return _input_spec(model, None)
