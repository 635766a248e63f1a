"""One batch of model inputs: checked against the model's inputs, as numpy.

Nothing here imports a framework, and no input array is ever written to: an
array of another dtype is cast into a copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from kerascope.errors import InputError

__all__ = ["describe", "is_tensor", "prepare_batch"]


def prepare_batch(x: Any, spec: Any) -> tuple[Any, int]:
    """Checks one batch against the model's inputs and converts it to numpy.

    Arrays are cast to the input dtype when they differ (a copy; the caller's
    array is never modified). Returns the batch and its number of samples.
    """
    if spec is None:
        batch = keras.tree.map_structure(lambda a: _to_numpy(a, "inputs"), _as_structure(x))
        return batch, _batch_size(batch, None)
    if isinstance(spec, Mapping):
        batch = _match_dict(x, spec)
    elif isinstance(spec, (list, tuple)):
        batch = _match_list(x, spec)
    else:
        batch = _check_leaf(x, spec, "inputs")
    return batch, _batch_size(batch, spec)


def _match_dict(x: Any, spec: Mapping[str, Any]) -> dict[str, np.ndarray]:
    if not isinstance(x, Mapping):
        raise InputError(
            f"Expected a dict of arrays with keys {sorted(spec)}. Received: {describe(x)}"
        )
    missing = sorted(set(spec) - set(x))
    extra = sorted(set(x) - set(spec))
    if missing or extra:
        raise InputError(
            f"Expected a dict of arrays with keys {sorted(spec)}. Received: keys {sorted(x)} "
            f"(missing {missing}, unexpected {extra})"
        )
    return {name: _check_leaf(x[name], spec[name], f"inputs[{name!r}]") for name in spec}


def _match_list(x: Any, spec: list[Any] | tuple[Any, ...]) -> list[np.ndarray]:
    if isinstance(x, Mapping):  # Inputs by name, like Keras allows.
        names = [s.name for s in spec]
        missing = sorted(set(names) - set(x))
        if missing:
            raise InputError(
                f"Expected a list of {len(spec)} arrays or a dict with keys {names}. "
                f"Received: a dict with keys {sorted(x)} (missing {missing})"
            )
        x = [x[name] for name in names]
    if len(spec) == 1 and (isinstance(x, np.ndarray) or is_tensor(x)):
        x = [x]  # `keras.Model(inputs=[x], ...)` takes a bare array, as in Keras
    if not isinstance(x, (list, tuple)) or len(x) != len(spec):
        raise InputError(
            f"Expected a list of {len(spec)} arrays, one per model input. Received: {describe(x)}"
        )
    return [_check_leaf(a, s, f"inputs[{i}]") for i, (a, s) in enumerate(zip(x, spec))]


def _check_leaf(x: Any, spec: Any, where: str) -> np.ndarray:
    array = _to_numpy(x, where)
    expected = tuple(spec.shape)
    if array.ndim != len(expected) or any(
        want is not None and got != want for want, got in zip(expected[1:], array.shape[1:])
    ):
        raise InputError(
            f"Expected {where} of shape {_shape_str(expected)}. "
            f"Received: {where}.shape={tuple(array.shape)}"
        )
    dtype = np.dtype(keras.backend.standardize_dtype(spec.dtype))
    if array.dtype != dtype:
        if array.dtype.kind == "f" and dtype.kind in "iu":
            raise InputError(
                f"Expected {where} of an integer dtype ({dtype}), such as token ids. "
                f"Received: {where}.dtype={array.dtype}"
            )
        array = array.astype(dtype)
    return array


def _to_numpy(x: Any, where: str) -> np.ndarray:
    if isinstance(x, np.ndarray):
        array = x
    elif hasattr(x, "__array__") or isinstance(x, (list, tuple, int, float)):
        try:
            array = np.asarray(x)
        except (TypeError, ValueError) as error:
            raise InputError(
                f"Expected {where} to be an array of numbers. Received: {describe(x)}"
            ) from error
    else:
        raise InputError(f"Expected {where} to be an array of numbers. Received: {describe(x)}")
    if array.dtype.kind not in "biuf":
        raise InputError(
            f"Expected {where} to be an array of numbers (bool, int or float). "
            f"Received: {where}.dtype={array.dtype}"
        )
    if array.ndim == 0:
        raise InputError(
            f"Expected {where} to have a batch dimension. Received: a scalar {array!r}"
        )
    return array


def _batch_size(batch: Any, spec: Any) -> int:
    sizes = {int(a.shape[0]) for a in keras.tree.flatten(batch)}
    if len(sizes) > 1:
        raise InputError(
            "Expected every input to have the same number of samples. "
            f"Received: sizes {sorted(sizes)}"
        )
    size = sizes.pop() if sizes else 0
    if size == 0:
        raise InputError("Expected at least one sample. Received: empty inputs (0 samples)")
    return size


def is_tensor(x: Any) -> bool:
    return hasattr(x, "__array__") and hasattr(x, "shape") and hasattr(x, "dtype")


def _as_structure(x: Any) -> Any:
    if isinstance(x, Mapping):
        return dict(x)
    if isinstance(x, (list, tuple)) and any(isinstance(a, np.ndarray) or is_tensor(a) for a in x):
        return list(x)
    return x


def _shape_str(shape: tuple[Any, ...]) -> str:
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + (",)" if len(shape) == 1 else ")")
    )


def describe(x: Any) -> str:
    if isinstance(x, np.ndarray) or is_tensor(x):
        return f"{type(x).__name__} of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, Mapping):
        return f"a dict with keys {sorted(map(str, x))}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)} items"
    return f"{x!r} of type {type(x).__name__}"
