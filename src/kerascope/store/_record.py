"""`record`: stream a model's activations over a whole dataset into a store."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import keras

from kerascope import data as data_lib
from kerascope._progress import ProgressBar
from kerascope.errors import InputError, StoreError
from kerascope.examples import Examples, ExamplesAccumulator, check_k, examples_accumulator
from kerascope.select import LayerSelection
from kerascope.store import _layout
from kerascope.store._reader import Store, open_store
from kerascope.store._schedule import COMMIT_SECONDS, CommitSchedule
from kerascope.store._settings import caster, check_resumable, metadata
from kerascope.store._target import as_path, existing, remove
from kerascope.store._verify import verify_store
from kerascope.store._writer import StoreWriter

__all__ = ["record"]


def record(
    model: Any,
    data: Any,
    path: str | os.PathLike[str],
    layers: LayerSelection = None,
    *,
    batch_size: int = 32,
    dtype: str | None = None,
    stats: bool = True,
    examples: int | None = None,
    overwrite: bool = False,
    resume: bool = False,
    progress: bool = True,
    commit_seconds: float = COMMIT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
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
        examples: Also keep the top `examples` dataset examples per channel
            (see `kerascope.top_examples`) in the same forward pass: read
            back as `Store.examples`. Defaults to `None` (none).
        overwrite: Replace an existing store at `path`. Defaults to `False`.
        resume: Continue the interrupted recording at `path` (start one if
            there is none). Defaults to `False`.
        progress: Show a progress bar (samples/s, ETA) on standard error.
            Defaults to `True`.
        commit_seconds: The longest time between two commits: a crash loses
            at most the batches of this many seconds; `0` commits every
            batch. Defaults to `1.0`.
        clock: The time source of `commit_seconds`, in seconds. Defaults to
            `time.monotonic`.

    Returns:
        The recorded `Store`, open for reading.

    Raises:
        StoreError: if `path` holds a store and neither `overwrite` nor
            `resume` is set, holds something else, cannot be written (no
            permission, full disk), holds a recording of other layers,
            batch size or dtype than asked to resume, or holds a damaged
            store to resume (see `kerascope.store.verify_store`).
        InputError: for unsuitable model, data or arguments, or data shorter
            than the samples a resumed store already holds.
        SelectionError: for a selection that matches nothing.
        CaptureError: if the forward pass fails.

    Example:

    >>> store = kerascope.record(model, x_train, "acts.zarr", layers="conv*")  # doctest: +SKIP
    >>> store["conv1"][:8].shape                                               # doctest: +SKIP
    (8, 26, 26, 8)
    """
    path = as_path(path)
    cast = caster(dtype)
    schedule = CommitSchedule(commit_seconds, clock)
    if overwrite and resume:
        raise InputError(
            "Expected at most one of overwrite and resume. Received: overwrite=True, resume=True"
        )
    state = existing(path)
    if state in ("store", "partial") and not (overwrite or resume):
        raise StoreError(
            f"An activation store already exists at {str(path)!r}. Expected a new path, "
            "`overwrite=True` to replace it or `resume=True` to continue it. "
            "Received: overwrite=False, resume=False"
        )
    if examples is not None:
        check_k(examples)
    _layout.import_zarr()

    from kerascope.stats import StatisticsRunner

    # Host outputs (to write them); statistics summarised batch by batch, so
    # that a resumed recording's equal an uninterrupted one's bit for bit.
    runner = StatisticsRunner(model, layers, on_device=False)
    probe = runner.probe
    batches = runner.ready(data_lib.as_batches(data, batch_size, probe.input_spec))

    writer: StoreWriter | None = None
    accumulator = runner.accumulator(buffer_bytes=0) if stats else None
    tops = None
    if examples is not None:
        tops = examples_accumulator(
            model, runner.specs, k=examples, bottom=False, input_names=probe.input_names
        )
    if resume and state == "store":
        _refuse_damage(path)
        writer = StoreWriter.reopen(path, cast)
        check_resumable(writer.meta, path, runner.keys, batch_size, dtype, stats)
        commit = _layout.read_commit(path) or {}
        if commit.get("complete"):
            return _finished(path, writer.samples, batches.total)
        if accumulator is not None and commit.get("statistics"):
            from kerascope.stats import Statistics

            accumulator.resume(Statistics.from_dict(commit["statistics"]))
        _resume_examples(tops, commit, writer.samples, path)
    done = writer.samples if writer is not None else 0

    def statistics() -> dict[str, Any] | None:
        return None if accumulator is None else accumulator.result().to_dict()

    def save(target: StoreWriter, finish: bool = False) -> None:
        end = target.finish if finish else target.commit
        if tops is None:
            end(statistics())
        else:  # the examples of every sample so far, from 0
            end(statistics(), tops.result(((0, tops.next),) if tops.next else ()).to_dict())

    schedule.committed()
    with ProgressBar(progress, "recording", total=batches.total) as bar:
        bar.advance(done)
        # The next forward pass runs while this batch is written.
        for outputs, n in runner.stream(_skip(batches, done, batches.total, path), accumulator):
            if writer is None:
                meta = metadata(model, runner.specs, outputs, batch_size, dtype, stats, cast)
                if state in ("store", "partial"):
                    remove(path)
                writer = StoreWriter.create(path, meta, batches.total or 0, batch_size, cast)
            writer.write(outputs, n)
            if tops is not None:
                for key, value in outputs.items():
                    tops.add(key, value, n)
                tops.advance(n)
            # Batches become visible in commits, at most every commit_seconds:
            # a crash loses at most that much work, and fast models do not
            # spend their time serialising statistics.
            if schedule.due():
                save(writer)
                schedule.committed()
            bar.advance(n)
    if writer is None:  # unreachable: as_batches refuses empty data
        raise InputError("Expected at least one sample. Received: empty data")
    save(writer, finish=True)
    return open_store(path)


def _resume_examples(
    tops: ExamplesAccumulator | None, commit: dict[str, Any], samples: int, path: Path
) -> None:
    """Continues `tops` from the examples of a store's committed samples."""
    data = commit.get("examples")
    recorded = None if data is None else data.get("k")
    asked = None if tops is None else tops.k
    if samples and recorded != asked:
        raise StoreError(
            f"Cannot resume the store at {str(path)!r}: it was recorded with "
            f"examples={recorded!r}. Expected the same to resume it (or `overwrite=True`). "
            f"Received: examples={asked!r}"
        )
    if tops is not None and data is not None:
        tops.resume(Examples.from_dict(data))
        tops.next = samples


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


def _refuse_damage(path: Path) -> None:
    """Raises a `StoreError` listing the damage of the store at `path`, if any."""
    report = verify_store(path)
    if not report.ok:
        listed = "\n".join(f"  {problem}" for problem in report.problems)
        raise StoreError(
            f"Cannot resume the store at {str(path)!r}: it is damaged. Expected an undamaged "
            "store to continue (resuming writes only after its committed samples). Record it "
            f"again with `overwrite=True`. Received: {len(report.problems)} problems:\n{listed}"
        )


def _finished(path: Path, samples: int, total: int | None) -> Store:
    if total is not None and total != samples:
        raise StoreError(
            f"The store at {str(path)!r} is already complete, with {samples} samples. "
            f"Expected data of {samples} samples to resume it, or `overwrite=True` to record "
            f"again. Received: data of {total} samples"
        )
    return open_store(path)
