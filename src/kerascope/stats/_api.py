"""`stats`: streaming activation statistics of a model over a whole dataset."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Hashable
from typing import Any

from kerascope import data as data_module
from kerascope._progress import ProgressBar
from kerascope.capture import Probe
from kerascope.select import LayerSelection
from kerascope.stats._accumulator import StatsAccumulator
from kerascope.stats._statistics import Statistics
from kerascope.stats._summary import summarize_output

__all__ = ["stats"]

# model -> {(selection, training, per_channel): Probe}. Weak both ways, like
# `capture`'s cache: repeated calls reuse the compiled summary function.
_probes: weakref.WeakKeyDictionary[Any, dict[Hashable, Probe]] = weakref.WeakKeyDictionary()


def stats(
    model: Any,
    data: Any,
    layers: LayerSelection = None,
    *,
    per_channel: bool = True,
    bins: int = 64,
    batch_size: int = 32,
    training: bool = False,
    progress: bool = True,
) -> Statistics:
    """Computes activation statistics of a model's layers over a dataset, in one pass.

    Each batch's outputs are summarised on the device inside the compiled
    forward pass (with `keras.ops`), so only small arrays reach the host, and
    memory does not grow with the number of samples. Per layer (and per
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
        batch_size: Samples per forward pass for array inputs. Defaults to `32`.
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
    probe = _probe_for(model, layers, training, per_channel)
    accumulator = StatsAccumulator(probe.specs, per_channel=per_channel, bins=bins)
    batches = data_module.as_batches(data, batch_size, probe.input_spec)
    with ProgressBar(progress, "statistics", total=batches.total) as bar:
        for batch, n in batches:
            for key, summary in probe.run_batch(batch, n).items():
                accumulator.update(key, summary)
            bar.advance(n)
    return accumulator.result()


def _probe_for(model: Any, layers: LayerSelection, training: bool, per_channel: bool) -> Probe:
    # The summary depends only on `per_channel`, not on an accumulator's
    # state, so one compiled probe serves every call.
    reduce = functools.partial(_summarize, per_channel=bool(per_channel))
    selection = tuple(layers) if isinstance(layers, list) else layers
    try:
        hash(selection)
        per_model = _probes.setdefault(model, {})
    except TypeError:  # an unhashable selection, or not a Keras model (Probe says so)
        return Probe(model, layers, training=training, reduce=reduce)
    key = (selection, bool(training), bool(per_channel), _structure_token(model))
    probe = per_model.get(key)
    if probe is None:
        probe = Probe(model, layers, training=training, reduce=reduce, _hold_model=False)
        per_model[key] = probe
    return probe


def _summarize(key: str, output: Any, *, per_channel: bool) -> Any:
    del key
    return summarize_output(output, per_channel=per_channel)


def _structure_token(model: Any) -> tuple[int, ...]:
    """Changes when layers are added to or removed from the model."""
    return tuple(id(layer) for layer in getattr(model, "layers", None) or [])
