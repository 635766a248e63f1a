"""`StoreWriter`: appends batches of activations to a store, committing each one."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from kerascope.errors import StoreError
from kerascope.store import _chunks, _layout

__all__ = ["StoreWriter"]

# A chunk holds at most a batch of samples, and at most this many bytes.
_CHUNK_BYTES = 16 * 2**20


@contextlib.contextmanager
def writing(path: Path, samples: int) -> Iterator[None]:
    """Turns a failed write (no permission, full disk) into a `StoreError`."""
    try:
        yield
    except StoreError:
        raise
    except OSError as error:
        raise StoreError(
            f"Could not write the activation store at {str(path)!r}: "
            f"{type(error).__name__}: {error}. The store keeps the {samples} samples "
            "committed before; continue with `resume=True` once the cause is fixed."
        ) from error


class StoreWriter:
    """Writes batches into the arrays of a store and commits them one by one.

    Each batch is written to every array first; only then does `commit`
    atomically raise the sample count that readers trust. Arrays grow by
    doubling when their capacity is unknown, and are trimmed by `finish`.

    Args:
        path: The store's directory.
        group: The store's root Zarr group, open for writing.
        meta: The recording's metadata (see `_layout`).
        samples: Samples already committed.
        cast: Maps a source dtype to the stored dtype.
    """

    def __init__(
        self,
        path: Path,
        group: Any,
        meta: dict[str, Any],
        samples: int,
        cast: Callable[[np.dtype], np.dtype],
    ) -> None:
        self.path = path
        self.meta = meta
        self.samples = samples  # committed: what readers see
        self.written = samples  # written, committed or not
        self._cast = cast
        self._layers = {layer["key"]: layer for layer in meta["layers"]}
        self._arrays: dict[str, Any] = {}
        for layer in meta["layers"]:
            _layout.map_leaves(layer["output"], lambda leaf: self._open(group, leaf))
        self._capacity = min((a.shape[0] for a in self._arrays.values()), default=0)

    def _open(self, group: Any, leaf: dict[str, Any]) -> None:
        try:
            array = group[leaf["array"]]
        except KeyError as error:
            raise StoreError(
                f"Expected array {leaf['array']!r} (for {leaf['display']!r}) in the store at "
                f"{str(self.path)!r}. Received: no such array"
            ) from error
        self._arrays[leaf["array"]] = array.with_config(_chunks.WRITE_CONFIG)

    @classmethod
    def create(
        cls,
        path: Path,
        meta: dict[str, Any],
        capacity: int,
        batch_size: int,
        cast: Callable[[np.dtype], np.dtype],
    ) -> StoreWriter:
        """Creates the store's group and empty arrays, then commits 0 samples."""
        zarr = _layout.import_zarr()
        with writing(path, 0):
            path.mkdir(parents=True, exist_ok=True)
            group = zarr.open_group(
                path, mode="w", zarr_format=3, attributes=_layout.metadata_attrs(meta)
            )

            def make(leaf: dict[str, Any]) -> None:
                rest = tuple(leaf["shape"][1:])
                dtype = np.dtype(leaf["dtype"])
                sample_bytes = max(1, int(np.prod(rest, dtype=np.int64)) * dtype.itemsize)
                per_chunk = max(1, min(batch_size, _CHUNK_BYTES // sample_bytes))
                group.create_array(
                    leaf["array"],
                    shape=(capacity, *rest),
                    chunks=(per_chunk, *(max(1, d) for d in rest)),
                    dtype=dtype,
                    fill_value=0,
                    compressors=_chunks.compressors(zarr),
                    config=_chunks.WRITE_CONFIG,
                    dimension_names=(
                        "sample",
                        *(f"{leaf['display']}.dim_{i}" for i in range(1, len(rest) + 1)),
                    ),
                )

            for layer in meta["layers"]:
                _layout.map_leaves(layer["output"], make)
            _layout.write_commit(path, {"samples": 0, "complete": False, "statistics": None})
        return cls(path, group, meta, 0, cast)

    @classmethod
    def reopen(cls, path: Path, cast: Callable[[np.dtype], np.dtype]) -> StoreWriter:
        """Opens an existing store to continue it after its committed samples."""
        zarr = _layout.import_zarr()
        commit = _layout.read_commit(path)
        if commit is None:
            raise StoreError(f"Expected a kerascope store at {str(path)!r}. Received: no commit")
        with writing(path, commit["samples"]):
            group = zarr.open_group(path, mode="r+", zarr_format=3)
            meta = _layout.read_metadata(group, path)
            return cls(path, group, meta, commit["samples"], cast)

    def write(self, outputs: dict[str, Any], n: int) -> None:
        """Writes one batch of `n` samples after the written ones (uncommitted)."""
        end = self.written + n
        with writing(self.path, self.samples):
            if end > self._capacity:
                self._resize(max(end, 2 * self._capacity))
            for key, value in outputs.items():
                for display, array in _layout.iter_leaves(value, key):
                    if array is not None:
                        self._write_leaf(display, array, n, end)
        self.written = end

    def _write_leaf(self, display: str, array: np.ndarray, n: int, end: int) -> None:
        target = self._arrays.get(_layout.array_name(display))
        if target is None:
            raise StoreError(
                f"Expected the outputs recorded in {str(self.path)!r}. "
                f"Received: an output {display!r} it has no array for"
            )
        if array.ndim == 0 or array.shape[0] != n or array.shape[1:] != target.shape[1:]:
            raise StoreError(
                f"Expected {display!r} of shape ({n}, {', '.join(map(str, target.shape[1:]))}) "
                f"to store it. Received: shape {tuple(array.shape)}"
            )
        target[self.written : end] = array.astype(self._cast(array.dtype), copy=False)

    def _resize(self, capacity: int) -> None:
        for array in self._arrays.values():
            array.resize((capacity, *array.shape[1:]))
        self._capacity = capacity

    def commit(
        self, statistics: dict[str, Any] | None, examples: dict[str, Any] | None = None
    ) -> None:
        """Makes every batch written so far visible, with their statistics and examples."""
        with writing(self.path, self.samples):
            _layout.write_commit(
                self.path,
                {
                    "samples": self.written,
                    "complete": False,
                    "statistics": statistics,
                    "examples": examples,
                },
            )
        self.samples = self.written

    def finish(
        self, statistics: dict[str, Any] | None, examples: dict[str, Any] | None = None
    ) -> None:
        """Trims the arrays to the samples recorded and marks the store complete."""
        self.samples = self.written
        with writing(self.path, self.samples):
            if self._capacity != self.samples:
                self._resize(self.samples)
            _layout.write_commit(
                self.path,
                {
                    "samples": self.samples,
                    "complete": True,
                    "statistics": statistics,
                    "examples": examples,
                    "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                },
            )
