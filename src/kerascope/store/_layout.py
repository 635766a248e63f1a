"""The on-disk layout of an activation store: names, metadata and the commit file.

A store is a Zarr (v3) directory. Its root group's attributes hold the
recording's metadata under `"kerascope"`; each captured array is one Zarr array
at the root, named after its layer key. Next to them, `kerascope.json` holds
the *commit*: how many samples are complete. Readers trust only the commit,
so a recording that dies mid-batch never shows that batch as data.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from kerascope.errors import StoreError
from kerascope.keys import output_leaves

__all__ = [
    "COMMIT_FILE",
    "FORMAT",
    "array_name",
    "describe_output",
    "import_zarr",
    "iter_leaves",
    "map_leaves",
    "read_commit",
    "read_metadata",
    "write_commit",
]

FORMAT = 1
COMMIT_FILE = "kerascope.json"
_ATTRS = "kerascope"


def import_zarr() -> Any:
    """Imports zarr, or says which extra to install."""
    try:
        import zarr
    except ImportError as error:
        raise StoreError(
            "Recording needs zarr. Install it with `pip install kerascope[store]`."
        ) from error
    return zarr


def store_dir(path: str | os.PathLike[str], purpose: str = "") -> Path:
    """`path` as a `Path`, checked to be a directory that could hold a store.

    Args:
        path: Where the store should be.
        purpose: What for, appended to the message, e.g. `" to verify"`.

    Raises:
        StoreError: for a file or a missing path.
    """
    path = Path(path)
    if not path.is_dir():
        raise StoreError(
            f"Expected a kerascope store directory{purpose}. Received: {str(path)!r}, "
            f"{'a file' if path.exists() else 'which does not exist'}"
        )
    return path


def array_name(display: str) -> str:
    """A safe Zarr node name for a layer key (or `key[0]`): percent-encoded.

    `/` would make a nested group and `:` or `[` are unportable, so everything
    but letters, digits, `-`, `_` and `.` is percent-encoded. Zarr reserves
    names starting with `__`, and `.` or `..`.

    Example:

    >>> array_name("encoder/block_1:0[0]")
    'encoder%2Fblock_1%3A0%5B0%5D'
    """
    name = quote(display, safe="-_.")
    if name.startswith("__") or name in (".", ".."):
        name = "%" + format(ord(name[0]), "02X") + name[1:]
    return name


# -- output structures ---------------------------------------------------------
# A layer's output is an array, None, or a tuple/dict of those. Its description
# (JSON) mirrors it: {"array": name, ...} for an array, {"none": true},
# {"tuple": [...]} or {"dict": {name: ...}}.


def iter_leaves(value: Any, display: str) -> Iterator[tuple[str, Any]]:
    """(display name, array or None) for every leaf of an output structure."""
    return output_leaves(display, value)


def describe_output(value: Any, display: str, cast: Callable[[np.dtype], np.dtype]) -> Any:
    """The JSON description of a captured output structure (one batch of it)."""
    if isinstance(value, tuple):
        return {"tuple": [describe_output(v, f"{display}[{i}]", cast) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"dict": {k: describe_output(v, f"{display}[{k}]", cast) for k, v in value.items()}}
    if value is None:
        return {"none": True}
    return {
        "array": array_name(display),
        "display": display,
        "shape": [None, *(int(d) for d in value.shape[1:])],
        "dtype": str(cast(value.dtype)),
        "source_dtype": str(value.dtype),
    }


def map_leaves(node: Any, fn: Callable[[dict[str, Any]], Any]) -> Any:
    """Rebuilds the structure a description describes, with `fn(leaf)` at its arrays."""
    if "tuple" in node:
        return tuple(map_leaves(n, fn) for n in node["tuple"])
    if "dict" in node:
        return {k: map_leaves(n, fn) for k, n in node["dict"].items()}
    if node.get("none"):
        return None
    return fn(node)


# -- metadata and commits ------------------------------------------------------


def read_metadata(group: Any, path: Path) -> dict[str, Any]:
    """The recording's metadata from the root group, checked."""
    meta = group.attrs.get(_ATTRS)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise StoreError(
            f"Expected a kerascope activation store (format {FORMAT}) at {str(path)!r}. "
            f"Received: a Zarr group whose attributes hold {sorted(group.attrs)}"
        )
    return meta


def metadata_attrs(meta: dict[str, Any]) -> dict[str, Any]:
    """The root group attributes that hold `meta`."""
    return {_ATTRS: meta}


def write_commit(path: Path, state: dict[str, Any]) -> None:
    """Atomically replaces the commit file: temp file, fsync, `os.replace`."""
    text = json.dumps({"format": FORMAT, **state})
    fd, tmp = tempfile.mkstemp(prefix=".kerascope-", suffix=".tmp", dir=path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path / COMMIT_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_commit(path: Path) -> dict[str, Any] | None:
    """The commit of the store at `path`, or None when it has none yet."""
    file = path / COMMIT_FILE
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StoreError(
            f"Could not read the activation store at {str(path)!r}: {error}"
        ) from error
    try:
        state = json.loads(raw.decode("utf-8"))
    except ValueError as error:  # not UTF-8, or not JSON
        raise StoreError(
            f"Expected JSON in the commit file {str(file)!r}. Received: unreadable text "
            f"({type(error).__name__}: {error}). {_DAMAGED_COMMIT}"
        ) from error
    samples = state.get("samples") if isinstance(state, dict) else None
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 0:
        raise StoreError(
            f"Expected a sample count in the commit file {str(file)!r}. "
            f"Received: {raw[:200]!r}. {_DAMAGED_COMMIT}"
        )
    return dict(state)


_DAMAGED_COMMIT = (
    "The commit says how many samples are complete, so nothing can be trusted without it; "
    "record the store again with `overwrite=True`."
)
