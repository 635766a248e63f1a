"""A shared test harness: capture, then check every key against an independent oracle.

The oracle never goes through kerascope: it is a Keras sub-model built from the
model's own graph, or the layers called by hand, eagerly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

import kerascope
from kerascope.capture import Activations

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def to_numpy(x: Any) -> Any:
    """Backend tensors (or structures of them) -> numpy."""
    if isinstance(x, (list, tuple)):
        return tuple(to_numpy(v) for v in x)
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    return keras.ops.convert_to_numpy(x)


def assert_tree_close(actual: Any, expected: Any, key: str = "") -> None:
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, tuple), f"{key}: expected a tuple, got {type(actual)}"
        assert len(actual) == len(expected), key
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_tree_close(a, e, f"{key}[{i}]")
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{key}: expected a dict, got {type(actual)}"
        assert set(actual) == set(expected), key
        for k in expected:
            assert_tree_close(actual[k], expected[k], f"{key}[{k!r}]")
    else:
        assert isinstance(actual, np.ndarray), f"{key}: expected numpy, got {type(actual)}"
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"{key}: {actual.shape} != {expected.shape}"
        np.testing.assert_allclose(actual, expected, err_msg=key, **TOLERANCE)


def check_capture(
    model: Any,
    x: Any,
    expected: Mapping[str, Any],
    *,
    layers: Any = None,
    keys: list[str] | None = None,
    **capture_kwargs: Any,
) -> Activations:
    """Captures `layers` of `model` on `x` and checks keys and values.

    Args:
        expected: key -> that key's output, computed independently of
            kerascope. Every key in it must be captured and match to 1e-5.
        keys: if given, the captured keys must equal it, in this order.
    """
    acts = kerascope.capture(model, x, layers, **capture_kwargs)
    if keys is not None:
        assert list(acts) == keys
    missing = set(expected) - set(acts)
    assert not missing, f"keys not captured: {sorted(missing)}; captured: {list(acts)}"
    for key, value in expected.items():
        assert_tree_close(acts[key], to_numpy(value), key)
    return acts


def graph_outputs(model: Any, x: Any, names: list[str] | None = None) -> dict[str, Any]:
    """Each top-level layer's output on `x`, from a Keras sub-model of the graph.

    Keras builds the sub-model from the model's own graph: a path that shares
    nothing with kerascope's call interception.
    """
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer) and (names is None or layer.name in names)
    ]
    sub = keras.Model(model.inputs, [layer.output for layer in layers])
    outputs = sub.predict(x, verbose=0, batch_size=len(x))
    return {layer.name: out for layer, out in zip(layers, outputs)}


def read_all(value: Any) -> Any:
    """A stored structure (lazy arrays in tuples/dicts) read into numpy."""
    if isinstance(value, tuple):
        return tuple(read_all(v) for v in value)
    if isinstance(value, dict):
        return {k: read_all(v) for k, v in value.items()}
    return np.asarray(value)


def patched_layers(model: Any) -> list[str]:
    """Names of the layers in `model`'s tree with an instance-level `call` (left patched)."""
    found = []
    stack = [model]
    while stack:
        layer = stack.pop()
        if "call" in vars(layer):
            found.append(layer.name)
        stack.extend(layer._flatten_layers(include_self=False, recursive=False))
    return found
