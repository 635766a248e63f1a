"""Arrays from `.npy` and `.npz` files, checked against a model's inputs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kerascope._inputs._images import shape_str
from kerascope.errors import InputError

__all__ = ["ARRAY_SUFFIXES", "read_arrays"]

ARRAY_SUFFIXES = frozenset({".npy", ".npz"})


def read_arrays(
    files: list[Path], spec: Any, key: str | None
) -> np.ndarray | dict[str, np.ndarray]:
    """The arrays of `.npy`/`.npz` files for a model with inputs `spec`, concatenated.

    Args:
        files: The array files, in order.
        spec: The model's inputs (`keras.KerasTensor`, or a list or dict of them).
        key: The array to read from each `.npz`, or None.

    Returns:
        One array `(samples, ...)`, or a dict by input name for several inputs.

    Raises:
        InputError: for unreadable files, missing arrays, or shapes that do
            not fit the model's inputs.
    """
    named = _input_names(spec)
    parts = [_read_array_file(f, spec, named, key) for f in files]
    if named is None:
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    return {name: np.concatenate([p[name] for p in parts]) for name in named}


def _input_names(spec: Any) -> dict[str, Any] | None:
    """Input name -> spec for a multi-input model, None for a single input."""
    if isinstance(spec, dict):
        return dict(spec)
    if isinstance(spec, (list, tuple)):
        return {s.name: s for s in spec} if len(spec) > 1 else None
    return None


def _read_array_file(file: Path, spec: Any, named: dict[str, Any] | None, key: str | None) -> Any:
    single = spec[0] if isinstance(spec, (list, tuple)) else spec
    try:
        if file.suffix.lower() == ".npy":
            if named is not None:
                raise InputError(
                    f"Expected a .npz with one array per model input ({', '.join(named)}). "
                    f"Received: {str(file)!r}"
                )
            return _fit(np.load(file, mmap_mode="r", allow_pickle=False), single, file, "")
        with np.load(file, allow_pickle=False) as archive:
            names = list(archive.files)
            if named is not None and key is None:
                missing = [name for name in named if name not in names]
                if missing:
                    raise InputError(
                        f"Expected {str(file)!r} to hold arrays named like the model's inputs "
                        f"({', '.join(named)}). Received: arrays {', '.join(names)}"
                    )
                return {n: _fit(archive[n], s, file, n) for n, s in named.items()}
            if named is not None:
                raise InputError(
                    "Expected no --key for a model with several inputs (arrays are matched "
                    f"by input name). Received: --key {key!r}"
                )
            name = _pick(names, key, single, file)
            return _fit(archive[name], single, file, name)
    except InputError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise InputError(
            f"Expected a numpy {file.suffix} file. Received: {str(file)!r}, which numpy cannot "
            f"read ({type(error).__name__}: {error})"
        ) from error


def _pick(names: list[str], key: str | None, spec: Any, file: Path) -> str:
    if key is not None:
        if key not in names:
            raise InputError(
                f"Expected an array named {key!r} in {str(file)!r}. "
                f"Received: arrays {', '.join(names) or '(none)'}"
            )
        return key
    if len(names) == 1:
        return names[0]
    if spec.name in names:
        return str(spec.name)
    raise InputError(
        f"Expected a .npz with one array, or --key NAME to choose one. Received: {str(file)!r} "
        f"with arrays {', '.join(names) or '(none)'}"
    )


def _fit(array: np.ndarray, spec: Any, file: Path, name: str) -> np.ndarray:
    """`array`, checked against the input's shape; one sample gets a sample axis."""
    expected = tuple(spec.shape)
    if array.ndim == len(expected) - 1 and _matches(array.shape, expected[1:]):
        array = array[None]
    if array.ndim != len(expected) or not _matches(array.shape[1:], expected[1:]):
        where = f"{str(file)!r}" + (f"[{name!r}]" if name else "")
        raise InputError(
            f"Expected inputs of shape {shape_str(expected)}, samples first. "
            f"Received: inputs.shape={tuple(array.shape)} from {where}"
        )
    return array


def _matches(shape: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    return len(shape) == len(expected) and all(e is None or s == e for s, e in zip(shape, expected))
