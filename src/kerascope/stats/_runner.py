"""`StatisticsRunner`: the one pipeline that runs a model over data into statistics.

`stats`, `record`, `report`, `diagnose` and the activation monitor all stream
batches through it. It owns the probe (cached per model), where batches are
summarised (inside the compiled pass on an accelerator, with numpy on a
CPU), how data is cut into passes, the read-ahead thread, and the check of
the model's inputs for NaN and Inf.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

import keras

from kerascope import backends
from kerascope import data as data_module
from kerascope.capture import LayerInfo, Probe, cached_probe
from kerascope.errors import InputError, StatsError
from kerascope.keys import output_leaves
from kerascope.prefetch import run_ahead
from kerascope.select import LayerSelection
from kerascope.stats._accumulator import StatsAccumulator
from kerascope.stats._inputs import InputStats, check_inputs
from kerascope.stats._passes import BATCH, pass_samples
from kerascope.stats._probed import ProbedBatch, all_finite
from kerascope.stats._statistics import Statistics
from kerascope.stats._summary import summarize_output

__all__ = ["StatisticsRunner"]

#: Host outputs of a layer are summarised in groups of about this many bytes:
#: numpy's fixed cost per call (about 0.1 ms a summary) dominates for the
#: small outputs of small layers, and groups much larger than the CPU's L2
#: cache slow every pass (1 MiB measured fastest, on `benchmarks/record.py`'s model).
_BUFFER_BYTES = 1 << 20


class StatisticsRunner:
    """Runs a model's layers over batches of data into streaming `Statistics`.

    On an accelerator each batch's outputs are summarised inside the compiled
    forward pass (only small arrays reach the host); on a CPU the probe
    returns the outputs and numpy summarises them, which measured faster
    there. The next forward pass runs in a thread while a batch is
    summarised. Every batch's inputs are checked for NaN and Inf on the host
    (`Statistics.inputs`), so that diagnostics can blame the data.

    Args:
        model: A built Keras model.
        layers: Which layers (see `kerascope.capture`). Defaults to `None` (all).
        training: Run layers in training mode (the model never changes).
            Defaults to `False`.
        per_channel: Keep per-channel statistics. Defaults to `True`.
        bins: Default number of histogram bins. Defaults to `64`.
        on_device: Summarise inside the compiled pass. Defaults to `None`: on
            an accelerator. `False` makes `stream` yield the layer outputs
            themselves (as `record` needs, to write them).
        reduce: Another reduction to run inside the compiled pass instead of
            the statistics' summaries: a traceable `(key, output) -> tensors`
            of `keras.ops` (see `kerascope.capture.Probe`). `stream` then
            yields what it returns, per key and batch, and no statistics are
            kept (`run`, `summarize` and an accumulator refuse). Defaults to
            `None`.
        reduce_id: Names `reduce` in the probe cache: equal ids must mean
            equivalent functions. Required with `reduce`. Defaults to `None`.

    Raises:
        InputError: for a non-Keras or unbuilt model.
        SelectionError: for a selection that matches nothing.

    Example:

    >>> runner = StatisticsRunner(model, layers="conv*")           # doctest: +SKIP
    >>> batches = runner.batches(x_val)                            # doctest: +SKIP
    >>> runner.run(batches)["conv1"].mean                          # doctest: +SKIP
    0.21
    """

    def __init__(
        self,
        model: Any,
        layers: LayerSelection = None,
        *,
        training: bool = False,
        per_channel: bool = True,
        bins: int = 64,
        on_device: bool | None = None,
        reduce: Callable[[str, Any], Any] | None = None,
        reduce_id: Hashable = None,
    ) -> None:
        self.on_device = backends.current().accelerated if on_device is None else bool(on_device)
        self.per_channel = bool(per_channel)
        self.bins = bins
        self.reduced = reduce is not None
        if reduce is not None:
            if reduce_id is None:
                raise InputError(
                    "Expected a reduce_id naming the reduce function. Received: reduce_id=None"
                )
            self.probe = cached_probe(
                model,
                layers,
                training=training,
                reduce=reduce,
                reduce_id=("kerascope.stats.runner", reduce_id),
            )
        elif self.on_device:
            self.probe = cached_probe(
                model,
                layers,
                training=training,
                reduce=functools.partial(_summarize, per_channel=self.per_channel),
                reduce_id=("kerascope.stats", self.per_channel),
            )
        else:
            self.probe = cached_probe(model, layers, training=training)
        self._input_names = self.probe.input_names or None

    @property
    def keys(self) -> tuple[str, ...]:
        """The layer keys summarised, in execution order: the probe's, less
        outputs without a batch axis (computed from constants, the same for
        every sample: `kerascope.capture` returns them once), and layers with
        several outputs any of which has none.

        Known once the probe is discovered (see `ready`).
        """
        probe = self.probe
        return tuple(key for key in probe.keys if all(probe.batched(key)))

    @property
    def specs(self) -> Mapping[str, LayerInfo]:
        """`LayerInfo` per key of `keys`, in execution order."""
        specs = self.probe.specs
        return {key: specs[key] for key in self.keys}

    def ready(self, batches: Iterable[tuple[Any, int]]) -> data_module.Batches:
        """`batches`, once the probe knows its layers.

        A model whose inputs have unknown dimensions (sequences of any length)
        is discovered on its first batch: this reads that batch ahead, and
        hands it back first. `stream` and `run` do this themselves.

        Args:
            batches: `(numpy batch, samples)` pairs, e.g. from `batches`.

        Returns:
            The same batches, as `Batches` (with the total sample count, when
            `batches` knew it).
        """
        total = getattr(batches, "total", None)
        if self.probe.discovered:
            if isinstance(batches, data_module.Batches):
                return batches
            return data_module.Batches(batches, total)
        iterator = iter(batches)
        first = next(iterator, None)
        if first is None:
            return data_module.Batches((), total)
        self.probe.discover(first[0])
        return data_module.Batches(itertools.chain([first], iterator), total)

    def batches(self, data: Any, batch_size: int | None = None) -> data_module.Batches:
        """`data` cut into the passes this runner makes.

        Args:
            data: Inputs as for `kerascope.capture`.
            batch_size: At most this many samples per pass (a dataset's batch
                is never split). Defaults to `None`: on a CPU, a power of two
                making about 8 MiB of inputs and outputs; on an accelerator,
                32 for arrays and a dataset's own batches.

        Returns:
            `Batches` of `(numpy batch, samples)`.
        """
        probe = self.probe
        if self.on_device:
            return self.ready(data_module.as_batches(data, batch_size or BATCH, probe.input_spec))
        size = batch_size or pass_samples(probe)
        batches = data_module.as_batches(data, size, probe.input_spec)
        return self.ready(data_module.coalesce(batches, size))

    def accumulator(self, *, buffer_bytes: int | None = None) -> StatsAccumulator:
        """A fresh `StatsAccumulator` of this runner's keys.

        Args:
            buffer_bytes: See `StatsAccumulator`. Defaults to `None`: 1 MiB
                (fastest measured); `0` makes results depend on the batches
                only, as a resumable recording needs.
        """
        return StatsAccumulator(
            self.specs,
            per_channel=self.per_channel,
            bins=self.bins,
            buffer_bytes=_BUFFER_BYTES if buffer_bytes is None else buffer_bytes,
        )

    def stream(
        self,
        batches: Iterable[tuple[Any, int]],
        accumulator: StatsAccumulator | None = None,
        *,
        prefetch: bool = True,
    ) -> Iterator[tuple[dict[str, Any], int]]:
        """Runs the probe over `batches`, folding each batch into `accumulator`.

        Args:
            batches: `(numpy batch, samples)` pairs, e.g. from `batches`.
            accumulator: Where each batch's inputs and outputs are merged,
                before it is yielded. Defaults to `None` (nowhere).
            prefetch: Run the next forward pass in a thread (where the backend
                gains from it) while the caller handles this one. Defaults to
                `True`; `False` runs all in the caller's thread (cheaper for a
                batch or two).

        Returns:
            An iterator of `(outputs, samples)` per batch: key -> the layer's
            numpy outputs, or their summaries when `on_device`.
        """
        fold = None
        if accumulator is not None:
            self._refuse_reduced("an accumulator")
            fold = accumulator.update if self.on_device else accumulator.add
        for outputs, n, inputs in self._results(batches, prefetch=prefetch):
            if accumulator is not None and fold is not None:
                accumulator.add_inputs(inputs)
                for key, value in outputs.items():
                    fold(key, value)
            yield outputs, n

    def run(
        self,
        batches: Iterable[tuple[Any, int]],
        *,
        advance: Callable[[int], None] | None = None,
        prefetch: bool = True,
    ) -> Statistics:
        """The statistics of all `batches` (see `stream`).

        Args:
            batches: `(numpy batch, samples)` pairs, e.g. from `batches`.
            advance: Called with each batch's sample count (a progress bar).
                Defaults to `None`.
            prefetch: See `stream`. Defaults to `True`.

        Returns:
            `Statistics`, with the inputs' `InputStats`.
        """
        self._refuse_reduced("run")
        batches = self.ready(batches)
        accumulator = self.accumulator()
        for _, n in self.stream(batches, accumulator, prefetch=prefetch):
            if advance is not None:
                advance(n)
        return accumulator.result()

    def forward(
        self, batches: Iterable[tuple[Any, int]], *, prefetch: bool = True
    ) -> list[ProbedBatch]:
        """Runs the probe over `batches`, without summarising: the first half of `run`.

        The outputs are read now, with the model's current weights; `summarize`
        makes them `Statistics`, later or on another thread.

        Args:
            batches: `(numpy batch, samples)` pairs, e.g. from `batches`.
            prefetch: See `stream`. Defaults to `True`.

        Returns:
            A `ProbedBatch` per batch (outputs of the runner's `keys` only).
        """
        return [
            ProbedBatch(outputs, n, inputs)
            for outputs, n, inputs in self._results(batches, prefetch=prefetch)
        ]

    def summarize(self, probed: Iterable[ProbedBatch]) -> Statistics:
        """The `Statistics` of batches from `forward`: the second half of `run`.

        Equal to `run` over the same batches. Safe on another thread than the
        one that ran `forward`.
        """
        self._refuse_reduced("summarize")
        accumulator = self.accumulator()
        fold = accumulator.update if self.on_device else accumulator.add
        for batch in probed:
            accumulator.add_inputs(batch.inputs)
            for key, value in batch.outputs.items():
                fold(key, value)
        return accumulator.result()

    def finite(self, probed: list[ProbedBatch]) -> bool:
        """Whether every input and output value of batches from `forward` is finite.

        Exact (NaN and ±Inf), and cheap when all is finite: with this `True`,
        `summarize` finds nothing non-finite, so no `"nan"` finding can come
        of its `Statistics`.
        """
        return all_finite(probed, summaries=self.on_device)

    def _refuse_reduced(self, what: str) -> None:
        if self.reduced:
            raise StatsError(
                f"Expected a runner without reduce= for {what} (statistics). "
                "Received: a runner made with its own reduce="
            )

    def _results(
        self, batches: Iterable[tuple[Any, int]], *, prefetch: bool
    ) -> Iterator[tuple[dict[str, Any], int, list[InputStats]]]:
        """`_step` over `batches` (read ahead where it pays), outputs of `keys` only."""
        batches = self.ready(batches)
        step = functools.partial(_step, self.probe, self._input_names)
        if prefetch and backends.current().prefetch:
            results: Iterator[tuple[dict[str, Any], int, list[InputStats]]] = run_ahead(
                step, batches
            )
        else:
            results = (step(item) for item in batches)
        keys: tuple[str, ...] | None = None
        for outputs, n, inputs in results:
            if keys is None:
                keys = self.keys
            if len(keys) != len(outputs):
                outputs = {key: outputs[key] for key in keys}
            yield outputs, n, inputs


def _step(
    probe: Probe, names: list[str] | None, item: tuple[Any, int]
) -> tuple[dict[str, Any], int, list[InputStats]]:
    """One batch: the forward pass, and the check of its inputs (cheap numpy)."""
    batch, n = item
    leaves = keras.tree.flatten(batch)
    if names is None or len(names) != len(leaves):
        names = [name for name, _ in output_leaves("input", leaves if len(leaves) > 1 else 0)]
    return probe.run_batch(batch, n), n, check_inputs(zip(names, leaves), n)


def _summarize(key: str, output: Any, *, per_channel: bool) -> Any:
    del key
    return summarize_output(output, per_channel=per_channel)
