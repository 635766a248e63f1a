"""Discovery: one traced forward pass that finds every layer call and its output spec.

Runs before anything is compiled, so a `Probe` knows its keys and output
shapes before its first batch. Traced symbolically where Keras can (no
computation), else on two tiny real batches.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import keras
import numpy as np

from kerascope.capture import _keras_internals
from kerascope.capture._activations import LayerInfo
from kerascope.capture._intercept import RawPath, Recorder, finalize_keys
from kerascope.errors import CaptureError, InputError

__all__ = ["Call", "discover"]


@dataclasses.dataclass(frozen=True)
class Call:
    """One layer call found by discovery."""

    key: str
    layer: Any
    info: LayerInfo


def discover(
    model: Any, tree: list[Any], spec: Any, training: bool
) -> tuple[list[Call], dict[RawPath, str]]:
    """Every layer call of `model` on inputs like `spec`, in execution order.

    Args:
        model: The model.
        tree: The layers to intercept (`layer_tree(model)`).
        spec: The model's inputs as `KerasTensor`s, or None if unknown.
        training: The mode the model runs in.

    Returns:
        The calls, and the map from raw call paths to their public keys.

    Raises:
        InputError: when the input shape is unknown.
        CaptureError: when the model cannot run on such inputs.
    """
    if spec is None:
        raise InputError(
            f"Cannot tell the input shape of model {model.name!r}: it is built, but Keras "
            "recorded no input shape. Pass `input_spec=keras.KerasTensor(shape, dtype)`. "
            f"Received: model of class {type(model).__name__}"
        )
    last: list[Recorder] = []
    returned: set[RawPath] = set()

    def trace(inputs: Any) -> list[Any]:
        recorder = Recorder()
        last[:] = [recorder]
        with recorder.recording(tree):
            result = model(inputs, training=training)
        returned.clear()
        returned.update(_returned_calls(recorder.outputs, result))
        return list(recorder.outputs.values())

    try:
        specs = _keras_internals.symbolic_output_spec(trace, spec)
    except Exception as symbolic_error:
        # Some layers cannot be traced symbolically (shape-dependent Python,
        # for one); two tiny real forward passes tell the same.
        try:
            specs = _dry_run_specs(trace, spec)
        except Exception as error:
            raise CaptureError(
                f"Could not run model {model.name!r} on inputs like {spec!r}: "
                f"{type(error).__name__}: {error}"
            ) from symbolic_error
    recorder = last[0]
    paths = list(recorder.outputs)
    key_of = finalize_keys(paths)
    calls = []
    for path, out_spec in zip(paths, specs):
        layer = recorder.layers[path]
        name, index = path[-1]
        key = key_of[path]
        info = LayerInfo(
            key=key,
            name=name,
            class_name=type(layer).__name__,
            call_index=index if key.endswith(f":{index}") else None,
            shape=_spec_shape(out_spec),
            dtype=_spec_dtype(out_spec),
            activation=None if isinstance(out_spec, (list, tuple, dict)) else _activation(layer),
            is_output=path in returned,
        )
        calls.append(Call(key, layer, info))
    return calls, key_of


def _returned_calls(outputs: dict[Any, Any], result: Any) -> set[Any]:
    """The recorded calls whose output (or one of its arrays) the model returned.

    Compares tensor identity within one trace: a model's output is the very
    tensor its output layer returned, also through nested models (the outer
    output is an inner layer's output, so both calls count) and for Sequential
    and subclassed models alike.
    """
    ids = {id(leaf) for leaf in keras.tree.flatten(result) if leaf is not None}
    return {
        path
        for path, output in outputs.items()
        if any(id(leaf) in ids for leaf in keras.tree.flatten(output) if leaf is not None)
    }


def _activation(layer: Any) -> str | None:
    """The name of the activation a layer applies to its output last, if any."""
    class_name = type(layer).__name__
    if class_name in ("ReLU", "Softmax"):
        return class_name.lower()
    if hasattr(layer, "cell") or hasattr(layer, "forward_layer"):
        return None  # RNNs: `activation` acts inside the cell
    function = getattr(layer, "activation", None)
    name = getattr(function, "__name__", None) if callable(function) else None
    return name if isinstance(name, str) and name != "linear" else None


def _spec_shape(spec: Any) -> Any:
    if isinstance(spec, (list, tuple)):
        return tuple(_spec_shape(s) for s in spec)
    if isinstance(spec, dict):
        return {k: _spec_shape(v) for k, v in spec.items()}
    return tuple(spec.shape) if spec is not None else ()


def _spec_dtype(spec: Any) -> Any:
    if isinstance(spec, (list, tuple)):
        return tuple(_spec_dtype(s) for s in spec)
    if isinstance(spec, dict):
        return {k: _spec_dtype(v) for k, v in spec.items()}
    return str(spec.dtype) if spec is not None else "None"


def _dry_run_specs(trace: Any, spec: Any) -> list[Any]:
    """Output specs from real forward passes on 2 and 3 zero samples."""
    runs = []
    for size in (2, 3):
        zeros = keras.tree.map_structure(
            lambda s, n=size: np.zeros((n, *s.shape[1:]), dtype=s.dtype), spec
        )
        with keras.StatelessScope():
            outputs = trace(keras.tree.map_structure(keras.ops.convert_to_tensor, zeros))
        runs.append(
            keras.tree.map_structure(
                lambda t: keras.KerasTensor(
                    tuple(t.shape), keras.backend.standardize_dtype(t.dtype)
                ),
                outputs,
            )
        )

    def merge(a: Any, b: Any) -> Any:
        # A dimension that changed with the batch size is the batch dimension.
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return keras.KerasTensor(shape, a.dtype)

    return keras.tree.map_structure(merge, runs[0], runs[1])  # type: ignore[no-any-return]
