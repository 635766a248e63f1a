"""`Activations`: the read-only mapping of layer key -> captured arrays."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import keras
import numpy as np

from kerascope._text import human_bytes, table
from kerascope.select import unknown_key

__all__ = ["Activations", "LayerInfo"]


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    """What one captured key is: which layer, which call, which output.

    Attributes:
        key: The layer key, e.g. `"encoder/conv1"` or `"shared:1"`.
        name: The layer's name.
        class_name: The layer's class name, e.g. `"Conv2D"`.
        call_index: Which call of the layer (0, 1, ...) when it is called more
            than once in its context, else None.
        shape: The output shape, batch dimension first (None before a capture
            fixes it); a tuple or dict of shapes for a layer with several outputs.
        dtype: The output dtype name, or a structure of them like `shape`.
        activation: The name of the activation the layer applies last
            (`"relu"` for `Dense(..., activation="relu")`, a `ReLU` layer or
            `Activation("relu")`), or None for a linear or multi-output layer.
        is_output: Whether this call's output (or one of its outputs) is
            returned by the model: its own output heads, not hidden layers.
            Defaults to `False`.
    """

    key: str
    name: str
    class_name: str
    call_index: int | None
    shape: Any
    dtype: Any
    activation: str | None = None
    is_output: bool = False

    @property
    def multi_output(self) -> bool:
        """Whether the layer returns several arrays (a tuple or dict)."""
        return isinstance(self.dtype, (tuple, dict))

    def _describing(self, value: Any) -> LayerInfo:
        """This info with the shape and dtype of the captured `value`."""
        return dataclasses.replace(
            self,
            shape=_map_arrays(lambda a: tuple(a.shape), value),
            dtype=_map_arrays(lambda a: str(a.dtype), value),
        )


class Activations(Mapping[str, Any]):
    """Captured layer outputs: a read-only mapping from layer key to numpy array.

    Keys are in execution order. A layer with several outputs maps to a tuple
    (or dict) of arrays. `info[key]` describes each key.

    Example:

    >>> acts = kerascope.capture(model, x)                 # doctest: +SKIP
    >>> acts["conv1"].shape                                # doctest: +SKIP
    (32, 26, 26, 8)
    >>> acts.info["conv1"].class_name                      # doctest: +SKIP
    'Conv2D'
    """

    __slots__ = ("_arrays", "_info")

    def __init__(self, arrays: Mapping[str, Any], info: Mapping[str, LayerInfo]) -> None:
        self._arrays = dict(arrays)
        self._info = {key: info[key]._describing(value) for key, value in self._arrays.items()}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._arrays[key]
        except KeyError:
            raise unknown_key(key, list(self._arrays), "captured activations") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __contains__(self, key: object) -> bool:
        return key in self._arrays

    @property
    def info(self) -> Mapping[str, LayerInfo]:
        """`LayerInfo` for every key, with the captured shapes."""
        return dict(self._info)

    @property
    def nbytes(self) -> int:
        """Total size of all captured arrays, in bytes."""
        return sum(int(a.nbytes) for v in self._arrays.values() for a in keras.tree.flatten(v))

    def __repr__(self) -> str:
        rows = [("key", "layer", "shape", "dtype")]
        for key, info in self._info.items():
            rows.append((key, info.class_name, _fmt(info.shape), _fmt(info.dtype)))
        plural = "s" if len(self) != 1 else ""
        header = f"Activations({len(self)} layer{plural}, {human_bytes(self.nbytes)})"
        return header + "\n" + table(rows, left=4)


def _map_arrays(fn: Any, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_map_arrays(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map_arrays(fn, v) for k, v in value.items()}
    return None if value is None else fn(value)


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list) or (
        isinstance(value, tuple) and value and isinstance(value[0], (tuple, dict))
    ):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


def as_numpy_tree(value: Any) -> Any:
    """Normalises a captured output structure: lists become tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(as_numpy_tree(v) for v in value)
    if isinstance(value, dict):
        return {k: as_numpy_tree(v) for k, v in value.items()}
    return value if value is None else np.asarray(value)
