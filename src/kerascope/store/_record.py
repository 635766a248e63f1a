"""`record`: stream a model's activations over a whole dataset into a store."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kerascope import data as data_lib
from kerascope._progress import ProgressBar
from kerascope.capture import Probe
from kerascope.errors import InputError, StoreError
from kerascope.select import LayerSelection
from kerascope.store import _layout
from kerascope.store._reader import Store, open_store
from kerascope.store._writer import StoreWriter, writing

__all__ = ["COMMIT_SECONDS", "record"]

#: The longest time between two commits; a crash loses at most this much work.
COMMIT_SECONDS = 1.0


def record(
    model: Any,
    data: Any,
    path: str | os.PathLike[str],
    layers: LayerSelection = None,
    *,
    batch_size: int = 32,
    dtype: str | None = None,
    stats: bool = True,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
) -> Store:
    """Streams the activations of every batch into an on-disk Zarr store.

    Memory stays bounded by one batch: each batch's outputs are written to one
    compressed array per output, chunked along the sample axis, and then
    committed. A recording killed at any point leaves a store that opens and
    holds every batch committed before; `resume=True` continues it to exactly
    the result of an uninterrupted recording.

    Args:
        model: A built Keras model.
        data: A numpy array `(samples, ...)`, a list or dict of arrays, a
            `tf.data.Dataset`, a `keras.utils.PyDataset`, a torch
            `DataLoader`, or an iterable of batches (`x` or `(x, y)`). To
            resume, pass the same data, in the same order.
        path: The store's directory. It must not exist, or be empty, unless
            `overwrite` or `resume` is set.
        layers: Which layers, as for `kerascope.capture`. Defaults to `None`
            (all layers).
        batch_size: Samples per forward pass for array data. Defaults to `32`.
        dtype: Store floating-point outputs as this float dtype, e.g.
            `"float16"` to halve the size. Integer and bool outputs are kept.
            Defaults to `None` (as computed).
        stats: Also compute streaming statistics (on the outputs as computed,
            before any `dtype` cast) in the same forward pass, and store
            them. Defaults to `True`.
        overwrite: Replace an existing store at `path`. Defaults to `False`.
        resume: Continue the interrupted recording at `path` (start one if
            there is none). Defaults to `False`.
        progress: Show a progress bar (samples/s, ETA) on standard error.
            Defaults to `True`.

    Returns:
        The recorded `Store`, open for reading.

    Raises:
        StoreError: if `path` holds a store and neither `overwrite` nor
            `resume` is set, holds something else, cannot be written (no
            permission, full disk), or holds a recording of other layers,
            batch size or dtype than asked to resume.
        InputError: for unsuitable model, data or arguments, or data shorter
            than the samples a resumed store already holds.
        SelectionError: for a selection that matches nothing.
        CaptureError: if the forward pass fails.

    Example:

    >>> store = kerascope.record(model, x_train, "acts.zarr", layers="conv*")  # doctest: +SKIP
    >>> store["conv1"][:8].shape                                               # doctest: +SKIP
    (8, 26, 26, 8)
    """
    path = _as_path(path)
    cast = _caster(dtype)
    if overwrite and resume:
        raise InputError(
            "Expected at most one of overwrite and resume. Received: overwrite=True, resume=True"
        )
    state = _existing(path)
    if state in ("store", "partial") and not (overwrite or resume):
        raise StoreError(
            f"An activation store already exists at {str(path)!r}. Expected a new path, "
            "`overwrite=True` to replace it or `resume=True` to continue it. "
            "Received: overwrite=False, resume=False"
        )
    _layout.import_zarr()

    from kerascope.stats import StatisticsRunner

    # Host outputs (to write them); statistics summarised batch by batch, so
    # that a resumed recording's equal an uninterrupted one's bit for bit.
    runner = StatisticsRunner(model, layers, on_device=False)
    probe = runner.probe
    batches = data_lib.as_batches(data, batch_size, probe.input_spec)

    writer: StoreWriter | None = None
    accumulator = runner.accumulator(buffer_bytes=0) if stats else None
    if resume and state == "store":
        writer = StoreWriter.reopen(path, cast)
        _check_resumable(writer.meta, path, probe.keys, batch_size, dtype, stats)
        commit = _layout.read_commit(path) or {}
        if commit.get("complete"):
            return _finished(path, writer.samples, batches.total)
        if accumulator is not None and commit.get("statistics"):
            from kerascope.stats import Statistics

            accumulator.resume(Statistics.from_dict(commit["statistics"]))
    done = writer.samples if writer is not None else 0

    def statistics() -> dict[str, Any] | None:
        return None if accumulator is None else accumulator.result().to_dict()

    last_commit = time.monotonic()
    with ProgressBar(progress, "recording", total=batches.total) as bar:
        bar.advance(done)
        # The next forward pass runs while this batch is written.
        for outputs, n in runner.stream(_skip(batches, done, batches.total, path), accumulator):
            if writer is None:
                meta = _metadata(model, probe, outputs, batch_size, dtype, stats, cast)
                if state in ("store", "partial"):
                    _remove(path)
                writer = StoreWriter.create(path, meta, batches.total or 0, batch_size, cast)
            writer.write(outputs, n)
            # Batches become visible in commits, at most every COMMIT_SECONDS:
            # a crash loses at most that much work, and fast models do not
            # spend their time serialising statistics.
            if time.monotonic() - last_commit >= COMMIT_SECONDS:
                writer.commit(statistics())
                last_commit = time.monotonic()
            bar.advance(n)
    if writer is None:  # unreachable: as_batches refuses empty data
        raise InputError("Expected at least one sample. Received: empty data")
    writer.finish(statistics())
    return open_store(path)


def _skip(
    batches: Iterable[tuple[Any, int]], count: int, total: int | None, path: Path
) -> Iterator[tuple[Any, int]]:
    """The batches after the first `count` samples (already in the store)."""
    if total is not None and total < count:
        raise _too_short(count, total, path)
    seen = 0
    for batch, n in batches:
        if seen >= count:
            yield batch, n
        elif seen + n > count:  # a batch across the resume point: keep its tail
            k = count - seen
            yield keras.tree.map_structure(lambda a, k=k: a[k:], batch), n - k
        seen += n
    if seen < count:
        raise _too_short(count, seen, path)


def _too_short(count: int, got: int, path: Path) -> InputError:
    return InputError(
        f"Expected data of at least {count} samples, to resume after the samples the store "
        f"at {str(path)!r} already holds (pass the same data, in the same order). "
        f"Received: data of {got} samples"
    )


def _finished(path: Path, samples: int, total: int | None) -> Store:
    if total is not None and total != samples:
        raise StoreError(
            f"The store at {str(path)!r} is already complete, with {samples} samples. "
            f"Expected data of {samples} samples to resume it, or `overwrite=True` to record "
            f"again. Received: data of {total} samples"
        )
    return open_store(path)


def _metadata(
    model: Any,
    probe: Probe,
    outputs: dict[str, Any],
    batch_size: int,
    dtype: str | None,
    stats: bool,
    cast: Callable[[np.dtype], np.dtype],
) -> dict[str, Any]:
    from kerascope import __version__

    specs = probe.specs
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
            for key in probe.keys
        ],
    }


def _check_resumable(
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


def _existing(path: Path) -> str:
    """What `path` holds: "absent", "store", "partial" (created, never committed)."""
    if not path.exists():
        if path.parent.exists() and not path.parent.is_dir():
            with writing(path, 0):
                path.mkdir(parents=True)  # raises the OSError that says why
        return "absent"
    if not path.is_dir():
        raise StoreError(
            f"Expected a directory for the activation store. Received: {str(path)!r} is a file"
        )
    entries = sorted(p.name for p in path.iterdir())
    if not entries:
        return "absent"
    if _layout.COMMIT_FILE in entries:
        return "store"
    if _marked(path):
        return "partial"
    raise StoreError(
        f"Expected a new or empty directory, or a kerascope store, at {str(path)!r}. "
        f"Received: a directory holding {entries[:5]}{' ...' if len(entries) > 5 else ''}"
    )


def _marked(path: Path) -> bool:
    """Whether `path` holds the root group of a kerascope store (no commit yet)."""
    try:
        meta = json.loads((path / "zarr.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "kerascope" in (meta.get("attributes") or {})


def _remove(path: Path) -> None:
    with writing(path, 0):
        shutil.rmtree(path)


def _as_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(
            f"Expected path to be a str or os.PathLike. Received: {path!r} of type "
            f"{type(path).__name__}"
        )
    return Path(path)


def _caster(dtype: str | None) -> Callable[[np.dtype], np.dtype]:
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
