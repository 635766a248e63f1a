"""Streams of batches: arrays cut into batches, datasets and loaders read batch by batch.

Accepted: numpy arrays (and array-likes such as framework tensors); lists or
dicts of them for multi-input models; `tf.data.Dataset`; `keras.utils.PyDataset`;
a torch `DataLoader`; any other iterable or generator of batches. Batches may
carry targets the Keras way, `(x, y)` or `(x, y, sample_weight)`: only `x` is
used.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import keras
import numpy as np

from kerascope.data._batch import describe, is_tensor, prepare_batch
from kerascope.errors import InputError

__all__ = ["Batches", "as_batches", "coalesce", "concatenate"]


class Batches:
    """An iterable of prepared batches, with the total sample count when known."""

    def __init__(self, batches: Iterable[tuple[Any, int]], total: int | None) -> None:
        self._batches = batches
        self.total = total

    def __iter__(self) -> Iterator[tuple[Any, int]]:
        return iter(self._batches)


def as_batches(inputs: Any, batch_size: int, spec: Any) -> Batches:
    """Splits `inputs` into prepared batches of at most `batch_size` samples.

    Args:
        inputs: Arrays (or a list/dict of them), or a dataset, loader, generator
            or other iterable of batches.
        batch_size: Samples per batch for array inputs. Datasets keep their own.
        spec: The model's input structure of `keras.KerasTensor`, or None.

    Returns:
        `Batches` yielding `(batch, n)` pairs, `batch` a structure of numpy arrays.

    Raises:
        InputError: for inputs of the wrong structure, rank, shape or dtype, and
            for empty inputs.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InputError(
            f"Expected batch_size to be a positive integer. Received: batch_size={batch_size!r}"
        )
    if _is_array_structure(inputs, spec):
        arrays, total = prepare_batch(inputs, spec)
        starts = range(0, total, batch_size)
        return Batches(
            (
                (
                    keras.tree.map_structure(lambda a, s=start: a[s : s + batch_size], arrays),
                    min(batch_size, total - start),
                )
                for start in starts
            ),
            total,
        )
    return Batches(_stream(_iterate(inputs), spec), None)


def coalesce(batches: Batches, samples: int) -> Batches:
    """Runs consecutive batches together, up to `samples` samples a batch.

    A batch is never split, so one larger than `samples` passes whole; a batch
    whose arrays differ from the group's in anything but their length (a new
    sequence length, say) starts a new group. At most one group is held.
    """
    return Batches(_coalesced(batches, samples), batches.total)


def _coalesced(batches: Iterable[tuple[Any, int]], samples: int) -> Iterator[tuple[Any, int]]:
    group: list[Any] = []
    count = 0
    for batch, n in batches:
        if group and (count + n > samples or _layout(batch) != _layout(group[0])):
            yield concatenate(group), count
            group, count = [], 0
        group.append(batch)
        count += n
    if group:
        yield concatenate(group), count


def _layout(batch: Any) -> list[tuple[Any, ...]]:
    return [(a.shape[1:], a.dtype) for a in keras.tree.flatten(batch)]


def concatenate(parts: list[Any]) -> Any:
    """Batches of one structure (arrays in tuples, lists or dicts) joined along samples.

    The structure is kept; a leaf with no batch axis (one value per batch)
    is stacked, and None stays None.
    """
    if len(parts) == 1:
        return parts[0]
    return keras.tree.map_structure(_join, *parts)


def _join(*arrays: Any) -> Any:
    if arrays[0] is None:
        return None
    if arrays[0].ndim == 0:
        return np.stack(arrays)
    return np.concatenate(arrays)


def _is_array_structure(inputs: Any, spec: Any) -> bool:
    """Whether `inputs` is arrays for the model's inputs, not a stream of batches."""
    if isinstance(inputs, np.ndarray) or is_tensor(inputs):
        return True
    if isinstance(inputs, Mapping):
        return True
    if isinstance(inputs, (list, tuple)):
        arrays = [isinstance(a, np.ndarray) or is_tensor(a) for a in inputs]
        if isinstance(spec, (list, tuple)):  # one array per model input
            return all(arrays)
        if any(isinstance(a, (Mapping, tuple)) for a in inputs):
            return False  # a list of batches: dicts of arrays, or (x, y) pairs
        # A (nested) list of numbers is one array; a list of arrays is batches.
        return not any(arrays)
    return False


def _iterate(inputs: Any) -> Iterator[Any]:
    module = type(inputs).__module__
    if module.startswith("tensorflow") and hasattr(inputs, "as_numpy_iterator"):
        return iter(inputs.as_numpy_iterator())
    if isinstance(inputs, keras.utils.PyDataset):
        return _iterate_pydataset(inputs)
    if module.startswith("torch.utils.data"):
        # The default collate turns a dataset's (x, y) tuples into lists.
        return (tuple(b) if isinstance(b, list) else b for b in inputs)
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable):
        raise InputError(
            "Expected arrays, a list or dict of arrays, a dataset, or an iterable of batches. "
            f"Received: {describe(inputs)}"
        )
    return iter(inputs)


def _iterate_pydataset(dataset: Any) -> Iterator[Any]:
    count = getattr(dataset, "num_batches", None)
    if count is None:
        count = len(dataset)
    for index in range(count):
        yield dataset[index]


def _stream(elements: Iterator[Any], spec: Any) -> Iterator[tuple[Any, int]]:
    empty = True
    for element in elements:
        empty = False
        yield prepare_batch(_features(element), spec)
    if empty:
        raise InputError("Expected at least one batch. Received: an empty iterable of batches")


def _features(element: Any) -> Any:
    # Keras' convention: a tuple is (x,), (x, y) or (x, y, sample_weight).
    if isinstance(element, tuple) and 1 <= len(element) <= 3:
        return element[0]
    return element
