"""`StoredArray`: one recorded output, read lazily from its Zarr array."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kerascope.store import _chunks

__all__ = ["StoredArray"]


class StoredArray:
    """A lazily read array of shape `(samples, ...)`; indexing reads only what it needs.

    Supports integers, slices (any step), `...`, and integer or boolean
    arrays on the sample axis; integers and slices on the others. Only the
    committed samples exist: indexing past them raises `IndexError`.
    `np.asarray(stored)` reads the whole array. A damaged chunk raises
    `StoreError` naming its samples, never other numbers.

    Example:

    >>> stored = kerascope.open("acts.zarr")["conv1"]   # doctest: +SKIP
    >>> stored[10:20, :, :, 0].shape                    # doctest: +SKIP
    (10, 26, 26)
    """

    __slots__ = ("_array", "_path", "_present", "_samples", "name")

    def __init__(self, array: Any, samples: int, name: str, path: Path | None = None) -> None:
        self._array = array
        self._samples = samples
        self._path = path
        self.name = name
        # Chunks seen on disk. Stores with checksums write every chunk, so a
        # missing one is damage, not zeros; older ones skipped chunks of zeros.
        self._present: set[int] | None = (
            set() if path is not None and _chunks.checksummed(array) else None
        )

    @property
    def shape(self) -> tuple[int, ...]:
        """`(samples, ...)`."""
        return (self._samples, *(int(d) for d in self._array.shape[1:]))

    @property
    def dtype(self) -> np.dtype:
        """The stored dtype."""
        dtype: np.dtype = np.dtype(self._array.dtype)
        return dtype

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """The size once read, in bytes."""
        return self.size * self.dtype.itemsize

    @property
    def chunks(self) -> tuple[int, ...]:
        """The chunk shape on disk (samples first)."""
        return tuple(int(c) for c in self._array.chunks)

    def __len__(self) -> int:
        return self._samples

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        values: np.ndarray = np.asarray(self[:])
        return values if dtype is None else values.astype(dtype)

    def __getitem__(self, index: Any) -> Any:
        index = _expand(index if isinstance(index, tuple) else (index,), self.ndim)
        first, rest = index[0], index[1:]
        n = self._samples
        if isinstance(first, slice):
            start, stop, step = first.indices(n)
            picked = range(start, stop, step)
            if not picked:
                return self._read(slice(0, 0), rest)
            if step > 0:
                return self._read(slice(start, stop, step), rest)
            values = self._read(slice(picked[-1], picked[0] + 1, -step), rest)
            return values[::-1]
        if isinstance(first, (int, np.integer)) and not isinstance(first, (bool, np.bool_)):
            position = int(first) + n if first < 0 else int(first)
            if not 0 <= position < n:
                raise IndexError(
                    f"Expected a sample index in [-{n}, {n}). Received: index {first} for "
                    f"{self.name!r} of {n} samples"
                )
            return self._read(position, rest)
        return self._take(np.asarray(first), rest)

    def _take(self, positions: np.ndarray, rest: tuple[Any, ...]) -> Any:
        n = self._samples
        if positions.dtype == bool:
            if positions.shape != (n,):
                raise IndexError(
                    f"Expected a boolean mask of shape ({n},). "
                    f"Received: a mask of shape {positions.shape}"
                )
            positions = np.flatnonzero(positions)
        if positions.dtype.kind not in "iu" or positions.ndim != 1:
            raise IndexError(
                "Expected integers, slices, `...` or a 1-D integer or boolean array as index. "
                f"Received: an array of dtype {positions.dtype} and shape {positions.shape}"
            )
        positions = np.where(positions < 0, positions + n, positions)
        if positions.size and (positions.min() < 0 or positions.max() >= n):
            raise IndexError(
                f"Expected sample indices in [-{n}, {n}). Received: indices from "
                f"{positions.min()} to {positions.max()} for {self.name!r}"
            )
        # Zarr's orthogonal indexing wants sorted, unique positions; read those
        # (only their chunks) and put them back in the order asked.
        unique, inverse = np.unique(positions, return_inverse=True)
        dims = self._array.shape[1:]
        ints = tuple(a + 1 for a, i in enumerate(rest) if isinstance(i, (int, np.integer)))
        rest = tuple(
            slice(i % d, i % d + 1) if isinstance(i, (int, np.integer)) else i
            for i, d in zip(rest, dims)
        )
        values = self._read(unique, rest, orthogonal=True)[inverse]
        return values.squeeze(axis=ints) if ints else values

    def _read(self, first: Any, rest: tuple[Any, ...], orthogonal: bool = False) -> Any:
        selection = (first, *rest)
        if self._present is not None and self._path is not None:
            self._check_present(first, self._path, self._present)
        try:
            return self._array.oindex[selection] if orthogonal else self._array[selection]
        except IndexError:
            raise
        except _chunks.READ_ERRORS as error:
            path = self._path if self._path is not None else Path(str(self._array.store))
            raise _chunks.damaged_read(
                self._array, self.name, self._samples, first, path, error
            ) from error

    def _check_present(self, first: Any, path: Path, present: set[int]) -> None:
        """Raises a `StoreError` if a chunk that `first` reads has no file."""
        per_chunk = int(self._array.chunks[0])
        for number in _chunks.touched(first, per_chunk):
            if number not in present:
                chunk = _chunks.ChunkRange(
                    number, number * per_chunk, min((number + 1) * per_chunk, self._samples)
                )
                directory = path / self._array.basename
                error = _chunks.missing_chunk(self._array, self.name, chunk, directory, path)
                if error is not None:
                    raise error
                present.add(number)

    def __repr__(self) -> str:
        return f"StoredArray({self.name!r}, shape={self.shape}, dtype={self.dtype})"


def _expand(index: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    """Replaces `...` with full slices; pads to `ndim` entries."""
    if any(i is None for i in index):
        raise IndexError("Expected no `None` (new axis) in the index. Received: " + repr(index))
    ellipses = [i for i, item in enumerate(index) if item is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("Expected at most one `...` in the index. Received: " + repr(index))
    if ellipses:
        at = ellipses[0]
        fill = (slice(None),) * (ndim - len(index) + 1)
        index = (*index[:at], *fill, *index[at + 1 :])
    if len(index) > ndim:
        raise IndexError(f"Expected at most {ndim} indices. Received: {len(index)} ({index!r})")
    return index + (slice(None),) * (ndim - len(index))
