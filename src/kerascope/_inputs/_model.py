"""`load_model`: a saved Keras model, with custom objects, safe by default."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kerascope.errors import InputError

__all__ = ["load_model"]

_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def load_model(
    path: str | os.PathLike[str], *, custom_objects: Sequence[str] = (), unsafe: bool = False
) -> Any:
    """Loads a saved Keras model (`.keras` or legacy `.h5`), uncompiled.

    Args:
        path: The model file (or a `.keras` directory).
        custom_objects: `"module:Name"` strings: each module is imported (from
            the current directory too) and its attribute `Name` registered for
            loading. Defaults to `()`.
        unsafe: Allow `Lambda` layers, whose Python code runs when the model
            loads. Only for files you trust. Defaults to `False`.

    Returns:
        The `keras.Model`.

    Raises:
        InputError: for a missing file, a file that is not a Keras model, a
            model with `Lambda` layers without `unsafe`, an unknown custom class,
            or an unusable `custom_objects` entry.

    Example:

    >>> model = load_model("model.h5", custom_objects=["my_layers:Scale"])  # doctest: +SKIP
    """
    import keras

    file = Path(path)
    objects = _custom_objects(custom_objects)
    if not file.exists():
        raise InputError(
            f"Expected MODEL to be a Keras model file ({', '.join(_MODEL_SUFFIXES)}). "
            f"Received: {str(file)!r}, which does not exist"
        )
    if file.is_file() and not file.name.endswith(_MODEL_SUFFIXES):
        raise InputError(
            f"Expected MODEL to be a Keras model file ({', '.join(_MODEL_SUFFIXES)}). "
            f"Received: {str(file)!r}"
        )
    if file.is_file() and file.suffix == ".keras" and not zipfile.is_zipfile(file):
        raise InputError(
            "Expected a `.keras` model file, a zip archive written by `model.save()`. "
            f"Received: {str(file)!r}, which is not a zip archive"
        )
    try:
        model = keras.saving.load_model(
            file, custom_objects=objects, compile=False, safe_mode=not unsafe
        )
    except Exception as error:
        raise InputError(_load_failure(file, error)) from error
    if not isinstance(model, keras.Model):
        raise InputError(
            f"Expected {str(file)!r} to hold a Keras model. Received: {type(model).__name__}"
        )
    return model


def _load_failure(file: Path, error: Exception) -> str:
    """The one-line message for a model Keras could not load."""
    text = " ".join(str(error).split())
    if "Lambda" in text and "safe_mode" in text:
        return (
            "Expected a model without Lambda layers: their Python code runs when the model "
            "loads. Pass --unsafe if you trust this file. "
            f"Received: {str(file)!r}, with a Lambda layer"
        )
    unknown = re.search(r"(?:Could not locate class|Unknown layer:) '([^']+)'", text)
    if unknown:
        return (
            f"Expected every custom class of the model to be given as --custom-objects "
            f"module:Name. Received: {str(file)!r}, which uses the unknown class "
            f"{unknown.group(1)!r}"
        )
    if len(text) > 240:
        text = text[:240] + "..."
    return (
        f"Expected {str(file)!r} to hold a Keras model saved with `model.save()`. "
        f"Received: a file Keras cannot load ({type(error).__name__}: {text})"
    )


def _custom_objects(specs: Sequence[str]) -> dict[str, Any]:
    import keras

    objects: dict[str, Any] = {}
    for spec in specs:
        module_name, _, name = spec.partition(":")
        if not module_name or not name:
            raise InputError(
                "Expected --custom-objects as module:Name, e.g. my_layers:Scale. "
                f"Received: {spec!r}"
            )
        try:
            with _cwd_on_path():
                module = importlib.import_module(module_name)
        except ImportError as error:
            raise InputError(
                f"Expected an importable module {module_name!r} for --custom-objects {spec}. "
                f"Received: {type(error).__name__}: {error}"
            ) from error
        try:
            value = getattr(module, name)
        except AttributeError as error:
            raise InputError(
                f"Expected module {module_name!r} to define {name!r} for --custom-objects. "
                f"Received: no attribute {name!r}"
            ) from error
        objects[name] = value
        registered = keras.saving.get_registered_name(value)
        if registered and registered != name:
            objects[registered] = value
    return objects


@contextlib.contextmanager
def _cwd_on_path() -> Iterator[None]:
    """Modules in the current directory are importable, as with `python -m`."""
    cwd = os.getcwd()
    added = cwd not in sys.path and "" not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        yield
    finally:
        if added:
            sys.path.remove(cwd)
