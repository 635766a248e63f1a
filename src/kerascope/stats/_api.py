"""`stats`: streaming activation statistics of a model over a whole dataset."""

from __future__ import annotations

from typing import Any

from kerascope._progress import ProgressBar
from kerascope.select import LayerSelection
from kerascope.stats._runner import StatisticsRunner
from kerascope.stats._statistics import Statistics

__all__ = ["stats"]


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
        with several outputs has keys `"key[0]"`, `"key[1]"`, ... The model's
        inputs are checked for NaN and Inf too (`Statistics.inputs`).

    Raises:
        InputError: for a non-Keras or unbuilt model, unsuitable data or bins.
        SelectionError: for a selection that matches nothing or an unknown key.
        CaptureError: if the forward pass fails.

    Example:

    >>> s = kerascope.stats(model, x_test, layers="conv*")  # doctest: +SKIP
    >>> s["conv1"].p99, s["conv1"].active_count.min()       # doctest: +SKIP
    (2.31, 0)
    """
    runner = StatisticsRunner(model, layers, training=training, per_channel=per_channel, bins=bins)
    batches = runner.batches(data, batch_size)
    with ProgressBar(progress, "statistics", total=batches.total) as bar:
        return runner.run(batches, advance=bar.advance)
