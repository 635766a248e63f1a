"""`Store`: a recorded activation store, read lazily; `open_store` opens one."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kerascope.errors import StoreError
from kerascope.select import unknown_key
from kerascope.store import _layout
from kerascope.store._array import StoredArray
from kerascope.store._verify import VerifyReport, verify_store

__all__ = ["Store", "open_store"]


class Store(Mapping[str, Any]):
    """A recorded store: a read-only mapping from layer key to lazy arrays.

    `store[key]` is a `StoredArray` (a tuple or dict of them for a layer with
    several outputs) of shape `(samples, ...)`; slicing it reads only the
    chunks needed, `np.asarray` reads it all. Keys are in execution order.
    Only committed samples are shown: a store whose recording was killed
    shows the batches completed before, with `complete=False`. Nothing is
    unpickled: metadata and statistics are JSON.

    Example:

    >>> store = kerascope.open("acts.zarr")          # doctest: +SKIP
    >>> store["conv1"][10:20].shape                  # doctest: +SKIP
    (10, 26, 26, 8)
    """

    def __init__(self, path: Path, group: Any, meta: dict[str, Any], commit: dict[str, Any]):
        self._path = path
        self._group = group
        self._meta = meta
        self._commit = commit
        self._layers = {layer["key"]: layer for layer in meta["layers"]}

    @property
    def path(self) -> Path:
        """The store's directory."""
        return self._path

    @property
    def samples(self) -> int:
        """How many samples are completely recorded."""
        return int(self._commit["samples"])

    @property
    def complete(self) -> bool:
        """Whether the recording finished (False for an interrupted one)."""
        return bool(self._commit.get("complete"))

    @property
    def metadata(self) -> dict[str, Any]:
        """The recording's metadata: model, versions, backend, layers, creation time.

        `metadata["layers"]` lists every key in execution order with its
        layer class and each output's stored shape (`None` for the sample
        axis), dtype and source dtype. A copy: changing it changes nothing.
        """
        import copy

        return {**copy.deepcopy(self._meta), "samples": self.samples, "complete": self.complete}

    @property
    def statistics(self) -> Any:
        """The recorded `Statistics`, or None (`stats=False`, or not complete)."""
        data = self._commit.get("statistics")
        if data is None:
            return None
        from kerascope.stats import Statistics

        return Statistics.from_dict(data)

    @property
    def examples(self) -> Any:
        """The recorded `kerascope.examples.Examples` (`record(..., examples=k)`), or
        None (not asked for). Those of the committed samples, if not complete."""
        data = self._commit.get("examples")
        if data is None:
            return None
        from kerascope.examples import Examples

        return Examples.from_dict(data)

    def __getitem__(self, key: str) -> Any:
        layer = self._layers.get(key)
        if layer is None:
            raise unknown_key(key, list(self._layers), "recorded activations")
        return _layout.map_leaves(layer["output"], self._array)

    def _array(self, leaf: dict[str, Any]) -> StoredArray:
        try:
            array = self._group[leaf["array"]]
        except KeyError as error:
            raise StoreError(
                f"Expected array {leaf['array']!r} in the store at {str(self._path)!r}. "
                "Received: no such array"
            ) from error
        except (OSError, ValueError, TypeError) as error:  # JSON, UTF-8, Zarr's checks
            raise StoreError(
                f"Could not read {leaf['display']!r} from the store at {str(self._path)!r}: "
                f"the metadata of its array {leaf['array']!r} "
                f"({str(self._path / leaf['array'] / 'zarr.json')!r}) is damaged "
                f"({type(error).__name__}: {' '.join(str(error).split())[:200]}). None of its "
                "samples can be read; record the store again with `overwrite=True` "
                f"(`kerascope verify {self._path!s}` lists all damage)."
            ) from error
        return StoredArray(array, self.samples, leaf["display"], self._path)

    def verify(self, progress: bool = False) -> VerifyReport:
        """Checks every committed chunk against its checksum, and the metadata.

        Args:
            progress: Show a progress bar on standard error. Defaults to
                `False`.

        Returns:
            A `VerifyReport`: `report.ok` is True for an undamaged store;
            `report.problems` lists each damaged or missing chunk with its
            array and sample range, and any damaged metadata.

        Example:

        >>> report = kerascope.open("acts.zarr").verify()   # doctest: +SKIP
        >>> report.ok                                        # doctest: +SKIP
        True
        """
        return verify_store(self._path, progress=progress)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)

    def __contains__(self, key: object) -> bool:
        return key in self._layers

    def to_xarray(self) -> Any:
        """The store as a lazily read `xarray.Dataset`, one variable per output.

        Variables are named by key (`key[0]` for a layer's first output) and
        share the `"sample"` dimension; the metadata is in `attrs`.

        Raises:
            StoreError: if xarray is not installed.
        """
        try:
            import xarray
        except ImportError as error:
            raise StoreError(
                "`to_xarray` needs xarray. Install it with `pip install kerascope[all]`."
            ) from error
        with warnings.catch_warnings():
            # Zarr notes the commit file, which is not a Zarr node; it is ours.
            warnings.filterwarnings("ignore", "Object at .* is not recognized as a component")
            dataset = xarray.open_zarr(
                self._path, consolidated=False, zarr_format=3, chunks=None, mask_and_scale=False
            )
        names: dict[str, str] = {}
        for layer in self._meta["layers"]:
            _layout.map_leaves(
                layer["output"], lambda leaf: names.__setitem__(leaf["array"], leaf["display"])
            )
        dataset = dataset[list(names)].rename(names).isel(sample=slice(0, self.samples))
        dataset.attrs = {"kerascope": self.metadata}
        return dataset

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        return (
            f"Store({str(self._path)!r}, {len(self)} layers, {self.samples} samples, {state}, "
            f"model={self._meta.get('model')!r})"
        )


def open_store(path: str | os.PathLike[str]) -> Store:
    """Opens a recorded activation store for reading.

    Args:
        path: The store's directory, as given to `kerascope.record`.

    Returns:
        A read-only `Store`.

    Raises:
        StoreError: if `path` holds no kerascope store, or cannot be read.

    Example:

    >>> store = kerascope.open("acts.zarr")          # doctest: +SKIP
    >>> store.samples, store.complete                # doctest: +SKIP
    (10000, True)
    """
    zarr = _layout.import_zarr()
    path = _layout.store_dir(path)
    commit = _layout.read_commit(path)
    if commit is None:
        raise StoreError(
            f"Expected a kerascope store at {str(path)!r}, with a {_layout.COMMIT_FILE}. "
            "Received: none (not a store, or its recording stopped before its first batch)"
        )
    try:
        group = zarr.open_group(path, mode="r", zarr_format=3)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StoreError(
            f"Could not open the activation store at {str(path)!r}: its metadata "
            f"({str(path / 'zarr.json')!r}) is damaged or missing "
            f"({type(error).__name__}: {' '.join(str(error).split())[:200]}). "
            "Record the store again with `overwrite=True`."
        ) from error
    return Store(path, group, _layout.read_metadata(group, path), commit)
