"""`ActivationMonitor`: activation statistics, histograms and alarms during `fit`."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import warnings
from collections.abc import Sequence
from typing import Any, cast

import keras

from kerascope import data as data_module
from kerascope.capture import Probe
from kerascope.diagnostics import KINDS, Finding, Thresholds, run_rules
from kerascope.errors import InputError
from kerascope.monitor._history import MonitorHistory, Snapshot
from kerascope.monitor._output import SnapshotOutput
from kerascope.select import LayerSelection
from kerascope.stats import StatisticsRunner

__all__ = ["ActivationMonitor"]


@dataclasses.dataclass
class _Run:
    """What one `fit` of the monitor holds, from `on_train_begin` to `on_train_end`."""

    runner: StatisticsRunner
    #: The probe data, cut into the runner's passes once.
    batches: list[tuple[Any, int]]
    #: The thread compiling the probe while the trainer compiles its step, if any.
    compiling: threading.Thread | None
    #: Where snapshots go: history, the history file, TensorBoard.
    output: SnapshotOutput


class ActivationMonitor(keras.callbacks.Callback):  # type: ignore[misc]
    """Watches layer activations on a fixed probe batch while a model trains.

    At every interval, the monitor runs the probe data through the model (one
    compiled forward pass per batch, compiled once per training run, the
    model's variables left untouched), computes per-layer statistics, runs the
    diagnostic rules on them, and

    - appends a `Snapshot` to `history` (and, with `history_file=`, to a
      JSON-lines file on disk, readable with `MonitorHistory.load`);
    - with `log_dir=`, writes TensorBoard scalars (mean, std, zero, non-finite
      and dead fractions) and activation histograms for every monitored layer,
      on every backend, to `log_dir/activations`;
    - stops training (`model.stop_training`) when a finding of a kind in
      `stop_on` appears, and keeps it in `stopped_by`.

    During training, a snapshot only runs the probe: its statistics, findings,
    TensorBoard event and history-file line are made by a background thread
    while training goes on, in order, all of them by the time `fit` returns
    (`history` may lag the latest snapshot by one or two until then; an error
    there raises at the next snapshot or as `fit` ends). Stopping needs no
    delay: with `stop_on=("nan",)` the snapshot checks the probe's inputs and
    outputs for NaN and Inf at once, and makes one that holds any (rare)
    before training goes on, so the snapshot that finds them stops training.
    With any other kind in `stop_on`, statistics and findings are made during
    the snapshot (about 2.5x the probe's forward pass instead of 1x).

    Works in `model.fit` on TensorFlow, JAX and torch. On JAX, `fit` keeps the
    model's state outside the model; the monitor reads it through Keras' own
    state sync, as every callback that touches the model does.

    Args:
        probe_data: The fixed inputs to watch: an array, or a list/dict of
            arrays for a multi-input model (a few hundred samples at most
            keep it cheap).
        layers: Which layers (see `kerascope.capture`). Defaults to `None` (all).
        every_n_batches: Also take a snapshot every this many training batches,
            of the weights after the batch, as the next batch begins (or the
            epoch ends). A finding in `stop_on` then stops training after that
            next batch. Defaults to `None` (never).
        every_n_epochs: Take a snapshot at the end of every this many epochs.
            Defaults to `1`; `None` for batch intervals only.
        log_dir: A TensorBoard log directory. Defaults to `None` (no logs).
        histograms: Write activation histograms to TensorBoard. Defaults to `True`.
        history_file: A file to write each snapshot to, as one JSON line,
            appended by a background thread as training goes on, all of them
            by the end of `fit` (a crash loses at most the snapshot being
            written). A new monitor starts the file afresh; a monitor reused
            for another `fit` appends. Defaults to `None` (memory only).
        stop_on: Kinds of finding that stop training: any of `"nan"`,
            `"dead"`, `"saturated"`, `"vanishing"`, `"exploding"`,
            `"constant"`. Defaults to `()`.
        per_channel: Keep per-channel statistics (needed to find dead units).
            Defaults to `True`.
        bins: Histogram bins. Defaults to `64`.
        thresholds: When the rules report. Defaults to `None` (`Thresholds()`).
        batch_size: Samples per forward pass over `probe_data`. Defaults to `256`.
        store: Deprecated: the old name of `history_file` (the file is JSON
            lines, not a `kerascope.Store`). Still works, with a
            `DeprecationWarning`. Defaults to `None`.

    Raises:
        InputError: for bad intervals, unknown `stop_on` kinds, or both
            `history_file` and `store`.

    Example:

    >>> monitor = kerascope.ActivationMonitor(x_val[:256], log_dir="logs",
    ...                                       stop_on=("nan",))  # doctest: +SKIP
    >>> model.fit(x, y, epochs=10, callbacks=[monitor])           # doctest: +SKIP
    >>> monitor.history.series("conv1", "std")                    # doctest: +SKIP
    """

    def __init__(
        self,
        probe_data: Any,
        layers: LayerSelection = None,
        *,
        every_n_batches: int | None = None,
        every_n_epochs: int | None = 1,
        log_dir: str | os.PathLike[str] | None = None,
        histograms: bool = True,
        history_file: str | os.PathLike[str] | None = None,
        stop_on: Sequence[str] = (),
        per_channel: bool = True,
        bins: int = 64,
        thresholds: Thresholds | None = None,
        batch_size: int = 256,
        store: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        if store is not None:
            if history_file is not None:
                raise InputError(
                    "Expected history_file or its deprecated name store, not both. "
                    f"Received: history_file={history_file!r}, store={store!r}"
                )
            warnings.warn(
                "ActivationMonitor(store=...) is deprecated: the file holds JSON lines, "
                "not a kerascope.Store. Use history_file=... instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            history_file = store
        for name, value in (
            ("every_n_batches", every_n_batches),
            ("every_n_epochs", every_n_epochs),
        ):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise InputError(
                    f"Expected {name} to be a positive integer or None. Received: {name}={value!r}"
                )
        if every_n_batches is None and every_n_epochs is None:
            raise InputError(
                "Expected every_n_batches or every_n_epochs to be set. "
                "Received: both None (the monitor would never run)"
            )
        stop_on = (stop_on,) if isinstance(stop_on, str) else tuple(stop_on)
        unknown = [kind for kind in stop_on if kind not in KINDS]
        if unknown:
            raise InputError(f"Expected stop_on kinds among {list(KINDS)}. Received: {unknown}")
        self._probe_data = probe_data
        self._layers = layers
        self._every_n_batches = every_n_batches
        self._every_n_epochs = every_n_epochs
        self._log_dir = log_dir
        self._histograms = bool(histograms)
        self._history_file = history_file
        self._stop_on = stop_on
        # Only a NaN finding can be ruled out without statistics (see `_take`).
        self._background = set(stop_on) <= {"nan"}
        self._per_channel = bool(per_channel)
        self._bins = bins
        self._thresholds = thresholds
        self._batch_size = batch_size
        self.history = MonitorHistory()
        #: The finding that stopped training, if one did.
        self.stopped_by: Finding | None = None
        self._run: _Run | None = None
        self._step = 0
        self._last_step: int | None = None  # of the last snapshot taken
        self._iterations: int | None = None
        self._epoch = 0
        if every_n_batches is not None:
            # Defined on the instance only when wanted. A batch-*end* hook would
            # make Keras run every callback's batch-end hook synchronously,
            # waiting for each step's logs: the snapshot after a batch is taken
            # as the next one begins (or as the epoch ends), with the same weights.
            self.on_train_batch_begin = self._on_train_batch_begin  # type: ignore[method-assign]

    # -- Keras hooks ---------------------------------------------------------------

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self._run is not None:  # the last fit raised before on_train_end
            self.on_train_end()  # its events reach the disk, its file closes
        model = self.model
        runner = StatisticsRunner(
            model, self._layers, per_channel=self._per_channel, bins=self._bins
        )
        probe = runner.probe
        batches = list(data_module.as_batches(self._probe_data, self._batch_size, probe.input_spec))
        writer = None
        if self._log_dir is not None:
            from kerascope.monitor._tensorboard import EventWriter

            writer = EventWriter(
                os.path.join(os.fspath(self._log_dir), "activations"), histograms=self._histograms
            )
        self._run = _Run(
            runner=runner,
            batches=batches,
            compiling=_compile_ahead(probe, batches),
            output=SnapshotOutput(writer, self._history_file),
        )
        if self._history_file is not None and not self.history:
            open(self._history_file, "w", encoding="utf-8").close()  # a new history starts
        if not self.history:  # steps count on across `fit` calls of one monitor
            self._step = 0
            self._last_step = None
            self._iterations = _iterations(model)
        self.stopped_by = None

    def _on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._batch_due():
            self._take(background=self._background)
        self._step += 1  # batches started; all but this one are done

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._every_n_batches is None:  # no batch hook counts them: the optimizer does
            done = _iterations(self.model)
            if done is not None and self._iterations is not None:
                self._step = done - self._iterations
            else:
                self._step += int((self.params or {}).get("steps") or 0)
        epoch_due = self._every_n_epochs is not None and (epoch + 1) % self._every_n_epochs == 0
        if (epoch_due and not self._taken()) or self._batch_due():
            self._take(background=self._background)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        run, self._run = self._run, None
        if run is not None:
            _join(run.compiling)
            run.output.close()  # every snapshot made and written (or its error raised)

    # -- snapshots -----------------------------------------------------------------

    def _taken(self) -> bool:
        """Whether the last snapshot is of the current step."""
        return self._last_step == self._step

    def _batch_due(self) -> bool:
        """Whether a batch interval ends at the current step, not yet snapshotted."""
        n = self._every_n_batches
        return n is not None and self._step > 0 and self._step % n == 0 and not self._taken()

    def snapshot(self) -> Snapshot:
        """Takes a snapshot now, and makes it at once (the hooks defer making it).

        Returns:
            The `Snapshot`, last in `history`.

        Raises:
            InputError: outside `fit` (before `on_train_begin`).
        """
        return cast(Snapshot, self._take(background=False))

    def _take(self, *, background: bool) -> Snapshot | None:
        """Runs the probe now; makes the snapshot now, or on the output's thread.

        In the background only when no finding can stop training: `stop_on`
        is empty, or is `("nan",)` and every probe input and output is finite.
        Returns the snapshot made now, or None.
        """
        if self._run is None:
            raise InputError(
                "Expected a running fit: the monitor prepares its probe in on_train_begin. "
                "Received: a snapshot request outside training"
            )
        model = self.model  # on JAX, this syncs the training state into the variables
        run = self._run
        _join(run.compiling)
        runner, output = run.runner, run.output
        probed = runner.forward(run.batches, prefetch=len(run.batches) > 2)
        self._last_step = self._step
        epoch, step, thresholds = self._epoch, self._step, self._thresholds

        def make() -> Snapshot:
            statistics = runner.summarize(probed)
            return Snapshot(epoch, step, statistics, run_rules(statistics, thresholds=thresholds))

        if background and (not self._stop_on or runner.finite(probed)):
            output.defer(make, self.history.append)
            return None
        output.wait()  # the snapshots before it are in `history` first
        snapshot = make()
        self.history.append(snapshot)
        output.submit(snapshot)  # TensorBoard and the history file, off the step
        stopping = [f for f in snapshot.findings if f.kind in self._stop_on]
        if stopping and self.stopped_by is None:
            self.stopped_by = stopping[0]
            model.stop_training = True
        return snapshot

    def __repr__(self) -> str:
        every = []
        if self._every_n_batches:
            every.append(f"every_n_batches={self._every_n_batches}")
        if self._every_n_epochs:
            every.append(f"every_n_epochs={self._every_n_epochs}")
        return f"ActivationMonitor({', '.join(every)}, {len(self.history)} snapshots)"


def _compile_ahead(probe: Probe, batches: list[tuple[Any, int]]) -> threading.Thread | None:
    """Compiles the probe for its batches on a background thread, started now.

    At `on_train_begin` the trainer is about to compile its own step, which
    mostly keeps one core busy: the probe's compilation overlaps it instead
    of stalling the first snapshot. `Probe.prepare` is safe while training
    runs. If it fails, the first snapshot compiles as usual, and reports any
    error itself. None where nothing compiles (torch).
    """
    if not probe.compiles:
        return None

    def compile_all() -> None:
        with contextlib.suppress(Exception):
            for batch, n in batches:
                probe.prepare(batch, n)

    thread = threading.Thread(target=compile_all, name="kerascope-monitor-compile", daemon=True)
    thread.start()
    return thread


def _join(thread: threading.Thread | None) -> None:
    if thread is not None:
        thread.join()


def _iterations(model: Any) -> int | None:
    """The optimizer's step counter, or None for a model without one."""
    optimizer = getattr(model, "optimizer", None)
    iterations = getattr(optimizer, "iterations", None)
    return None if iterations is None else int(iterations)
