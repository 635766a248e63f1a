"""A recording's settings: its metadata, the stored dtypes, and what resuming must match."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerascope.capture import LayerInfo
from kerascope.errors import InputError, StoreError
from kerascope.store import _layout

__all__ = ["caster", "check_resumable", "metadata"]


def metadata(
    model: Any,
    specs: Mapping[str, LayerInfo],
    outputs: dict[str, Any],
    batch_size: int,
    dtype: str | None,
    stats: bool,
    cast: Callable[[np.dtype], np.dtype],
) -> dict[str, Any]:
    from kerascope import __version__

    return {
        "format": _layout.FORMAT,
        "model": model.name,
        "model_class": type(model).__name__,
        "keras_version": keras.__version__,
        "kerascope_version": __version__,
        "backend": keras.backend.backend(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "batch_size": batch_size,
        "dtype": dtype,
        "statistics": bool(stats),
        "layers": [
            {
                "key": key,
                "name": specs[key].name,
                "class_name": specs[key].class_name,
                "call_index": specs[key].call_index,
                "is_output": specs[key].is_output,
                "output": _layout.describe_output(outputs[key], key, cast),
            }
            for key in specs
        ],
    }


def check_resumable(
    meta: dict[str, Any],
    path: Path,
    keys: tuple[str, ...],
    batch_size: int,
    dtype: str | None,
    stats: bool,
) -> None:
    recorded = {
        "layers": [layer["key"] for layer in meta["layers"]],
        "batch_size": meta["batch_size"],
        "dtype": meta["dtype"],
        "stats": meta["statistics"],
    }
    asked = {"layers": list(keys), "batch_size": batch_size, "dtype": dtype, "stats": stats}
    for name, value in recorded.items():
        if asked[name] != value:
            raise StoreError(
                f"Cannot resume the store at {str(path)!r}: it was recorded with "
                f"{name}={value!r}. Expected the same to resume it (or `overwrite=True`). "
                f"Received: {name}={asked[name]!r}"
            )


def caster(dtype: str | None) -> Callable[[np.dtype], np.dtype]:
    """Maps an output dtype to the stored one: floats to `dtype`, the rest kept."""
    target = None
    if dtype is not None:
        try:
            target = np.dtype(dtype)
        except TypeError:
            target = None
        if target is None or target.kind != "f":
            raise InputError(
                "Expected dtype to be None or a float dtype such as 'float16'. "
                f"Received: dtype={dtype!r}"
            )

    def cast(source: np.dtype) -> np.dtype:
        if source.kind == "f":
            return target or source
        if source.kind in "biuc":
            return source
        if "float" in source.name:  # bfloat16, float8: not plain numpy
            return target or np.dtype("float32")
        raise StoreError(
            f"Expected numeric outputs to store. Received: an output of dtype {source}"
        )

    return cast
