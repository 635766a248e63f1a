"""`diagnose`: findings from a model's activations over data, or from saved statistics."""

from __future__ import annotations

from typing import Any

from kerascope.diagnostics._findings import Findings
from kerascope.diagnostics._rules import run_rules
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.errors import InputError
from kerascope.select import LayerSelection
from kerascope.stats import Statistics

__all__ = ["diagnose"]


def diagnose(
    model: Any,
    data: Any = None,
    layers: LayerSelection = None,
    *,
    thresholds: Thresholds | None = None,
    batch_size: int | None = None,
    progress: bool = True,
) -> Findings:
    """Finds what is wrong with a model's activations: dead, saturated, NaN, collapsing.

    Computes streaming statistics of the selected layers over `data` (one
    pass, memory bounded by the batch; see `kerascope.stats`) and applies the
    rules, or applies them to `Statistics` computed earlier. Kinds of finding:

    - `"nan"`: a model input holding NaN or ±Inf (keyed by the input's name,
      with the samples that hold them), or, when the inputs were finite, the
      first layer in execution order whose outputs hold NaN or ±Inf;
    - `"dead"`: units of ReLU layers (including `Dense`/`Conv` with
      `activation="relu"`) that are never > 0 for any sample, with indices;
    - `"saturated"`: sigmoid/tanh/softmax outputs at their bounds for most
      values (the model's own outputs are left out);
    - `"vanishing"` / `"exploding"`: activation RMS falling below 1e-3 or
      rising above 1e3 times the first layer's;
    - `"constant"`: units with zero variance over all samples.

    Args:
        model: A built Keras model, or `Statistics` (then `data` must be None).
        data: Inputs as for `kerascope.stats`.
        layers: Which layers (see `kerascope.capture`). Defaults to `None` (all).
        thresholds: When rules report: a
            `kerascope.diagnostics.Thresholds`, e.g.
            `Thresholds(dead_error=0.3)`. Defaults to `None` (`Thresholds()`).
        batch_size: At most this many samples per forward pass (see
            `kerascope.stats`). Defaults to `None` (chosen by `stats`).
        progress: Draw a progress bar on standard error. Defaults to `True`.

    Returns:
        `Findings`, in execution order; empty for a healthy model.

    Raises:
        InputError: for a missing `data`, or `data` given with `Statistics`.
        SelectionError: for a selection that matches nothing.

    Example:

    >>> findings = kerascope.diagnose(model, x_val)        # doctest: +SKIP
    >>> for f in findings.errors:                          # doctest: +SKIP
    ...     print(f.key, f.kind, f.message)
    dense_1 dead 20 of 64 units never active (31.2%) over 1,000 samples
    """
    if isinstance(model, Statistics):
        if data is not None:
            raise InputError(
                "Expected either a model and data, or Statistics alone. "
                f"Received: Statistics and data of type {type(data).__name__}"
            )
        statistics = model if layers is None else model.select(layers)
        return run_rules(statistics, thresholds=thresholds)
    if data is None:
        raise InputError(
            "Expected data to run the model on: diagnose(model, data). "
            "Received: data=None (pass Statistics to diagnose saved statistics)"
        )
    from kerascope.stats import stats  # runs the model: imports Keras

    statistics = stats(model, data, layers, batch_size=batch_size, progress=progress)
    return run_rules(statistics, thresholds=thresholds)
