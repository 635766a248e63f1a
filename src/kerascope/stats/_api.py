"""`stats`: streaming activation statistics of a model over a whole dataset."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from typing import Any

import keras
import numpy as np

from kerascope import backends
from kerascope import data as data_module
from kerascope._progress import ProgressBar
from kerascope.capture import Probe, cached_probe
from kerascope.capture._activations import output_leaves
from kerascope.capture._prefetch import run_ahead
from kerascope.select import LayerSelection
from kerascope.stats._accumulator import StatsAccumulator
from kerascope.stats._statistics import Statistics
from kerascope.stats._summary import summarize_output

__all__ = ["run_statistics", "statistics_batches", "statistics_probe", "stats"]


def stats(
    model: Any,
    data: Any,
    layers: LayerSelection = None,
    *,
    per_channel: bool = True,
    bins: int = 64,
    batch_size: int | None = None,
    training: bool = False,
    progress: bool = True,
) -> Statistics:
    """Computes activation statistics of a model's layers over a dataset, in one pass.

    Each batch's outputs are summarised as they come, so memory does not grow
    with the number of samples: on a GPU or TPU inside the compiled forward
    pass (with `keras.ops`, so only small arrays reach the host), on a CPU with
    numpy on the host copy, which measured faster there. Per layer (and per
    channel, the last axis): count, mean, std, min, max, fractions of zeros,
    NaN and ±Inf, a histogram, quantiles to 1% relative error, and per-unit
    "active" sample counts.

    Args:
        model: A built Keras model.
        data: Inputs as for `kerascope.capture`: arrays, a list or dict of
            arrays, a `tf.data.Dataset`, a `PyDataset`, a torch `DataLoader` or
            an iterable of batches.
        layers: Which layers (see `kerascope.capture`). Defaults to `None` (all).
        per_channel: Keep per-channel statistics and active counts.
            Defaults to `True`.
        bins: Default number of histogram bins. Defaults to `64`.
        batch_size: At most this many samples per forward pass: array inputs
            are cut into batches of this size and, on a CPU, consecutive
            batches of a dataset run together up to it (a batch is never
            split). Defaults to `None`: on a CPU, a power of two making about
            8 MiB of inputs and layer outputs (larger passes amortise the
            fixed cost of each pass and of each numpy summary); on an
            accelerator, 32 for arrays and a dataset's own batches.
        training: Run layers in training mode (the model never changes).
            Defaults to `False`.
        progress: Draw a progress bar on standard error. Defaults to `True`.

    Returns:
        `Statistics`: layer key -> `LayerStats`, in execution order; a layer
        with several outputs has keys `"key[0]"`, `"key[1]"`, ...

    Raises:
        InputError: for a non-Keras or unbuilt model, unsuitable data or bins.
        SelectionError: for a selection that matches nothing or an unknown key.
        CaptureError: if the forward pass fails.

    Example:

    >>> s = kerascope.stats(model, x_test, layers="conv*")  # doctest: +SKIP
    >>> s["conv1"].p99, s["conv1"].active_count.min()       # doctest: +SKIP
    (2.31, 0)
    """
    probe, on_device = statistics_probe(model, layers, training=training, per_channel=per_channel)
    batches = statistics_batches(data, batch_size, probe, on_device)
    with ProgressBar(progress, "statistics", total=batches.total) as bar:
        return run_statistics(probe, batches, on_device, per_channel, bins, bar.advance)


def statistics_probe(
    model: Any, layers: LayerSelection, *, training: bool, per_channel: bool
) -> tuple[Probe, bool]:
    """The cached probe `stats` runs, and whether it summarises on the device.

    On an accelerator the summaries are computed inside the compiled pass;
    on a CPU the probe returns the outputs and numpy summarises them.
    """
    on_device = backends.current().accelerated
    if not on_device:
        return cached_probe(model, layers, training=training), False
    probe = cached_probe(
        model,
        layers,
        training=training,
        reduce=functools.partial(_summarize, per_channel=bool(per_channel)),
        reduce_id=("kerascope.stats", bool(per_channel)),
    )
    return probe, True


def statistics_batches(
    data: Any, batch_size: int | None, probe: Probe, on_device: bool
) -> data_module.Batches:
    """`data` as the batches `stats` runs (see its `batch_size`)."""
    if on_device:
        return data_module.as_batches(data, batch_size or _BATCH, probe.input_spec)
    size = batch_size or _pass_samples(probe)
    return data_module.coalesce(data_module.as_batches(data, size, probe.input_spec), size)


def _pass_samples(probe: Probe) -> int:
    """Samples per host pass: a power of two making about `_PASS_BYTES`.

    `_BATCH` when a shape is unknown until the data comes, as for
    variable-length sequences.
    """
    if probe.input_spec is None:
        return _BATCH
    leaves = [(t.shape, t.dtype) for t in keras.tree.flatten(probe.input_spec)]
    leaves += [
        (shape, dtype)
        for info in probe.specs.values()
        for (_, shape), (_, dtype) in zip(
            output_leaves(info.key, info.shape), output_leaves(info.key, info.dtype)
        )
    ]
    if any(shape is None or None in shape[1:] for shape, _ in leaves):
        return _BATCH
    size: int = sum(math.prod(shape[1:]) * _itemsize(dtype) for shape, dtype in leaves)
    fits = min(_PASS_BYTES // max(size, 1), _MAX_PASS)
    return 1 << max(0, fits.bit_length() - 1)


def _itemsize(dtype: Any) -> int:
    try:
        return int(np.dtype(dtype).itemsize)
    except TypeError:  # a type numpy does not name, e.g. bfloat16
        return 4


#: Samples per pass where no size is chosen: the usual batch size, and the
#: default of `capture` and `record`.
_BATCH = 32
#: Host passes hold about this many bytes of inputs and layer outputs...
_PASS_BYTES = 8 << 20
#: ... and at most this many samples.
_MAX_PASS = 4096


def run_statistics(
    probe: Probe,
    batches: Iterable[tuple[Any, int]],
    on_device: bool,
    per_channel: bool,
    bins: int,
    advance: Callable[[int], None] | None = None,
    *,
    prefetch: bool = True,
) -> Statistics:
    """Runs `statistics_probe`'s probe over prepared batches; their statistics.

    With `prefetch` (and a backend that gains from it), the next forward pass
    runs in a thread while a batch is summarised; without, everything runs in
    the caller's thread (cheaper for a batch or two).
    """
    accumulator = StatsAccumulator(
        probe.specs, per_channel=per_channel, bins=bins, buffer_bytes=_BUFFER_BYTES
    )
    update = accumulator.update if on_device else accumulator.add
    results = (
        run_ahead(probe, batches)
        if prefetch and backends.current().prefetch
        else ((probe.run_batch(batch, n), n) for batch, n in batches)
    )
    for outputs, n in results:
        for key, value in outputs.items():
            update(key, value)
        if advance is not None:
            advance(n)
    return accumulator.result()


#: Host outputs of a layer are summarised in groups of about this many bytes:
#: numpy's fixed cost per call (about 0.1 ms a summary) dominates for the
#: small outputs of small layers, and groups much larger than the CPU's L2
#: cache slow every pass (1 MiB measured fastest, on `benchmarks/record.py`'s model).
_BUFFER_BYTES = 1 << 20


def _summarize(key: str, output: Any, *, per_channel: bool) -> Any:
    del key
    return summarize_output(output, per_channel=per_channel)
