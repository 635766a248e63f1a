"""`layer_profile`: mean, spread, dead and saturated fractions across depth."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from kerascope.diagnostics import Thresholds, dead_fraction, saturated_fraction
from kerascope.errors import InputError
from kerascope.plot._common import new_figure
from kerascope.stats import LayerStats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["layer_profile"]

#: Up to this many layers, each layer a measure does not apply to is marked "n/a".
_MARKED = 60


def layer_profile(
    stats: Mapping[str, LayerStats], *, thresholds: Thresholds | None = None
) -> Figure:
    """One point per layer, in execution order: where to look first.

    Four stacked axes sharing the layer axis (keys as tick labels):

    - mean, with the 1st-99th percentile band;
    - standard deviation;
    - dead fraction: the fraction of units (channels) never above zero for
      any sample; ReLU layers only;
    - saturated fraction: the fraction of values within
      `thresholds.saturation_margin` of the output range of a bound; layers
      with a bounded activation (sigmoid, tanh, softmax, ...) only.

    The last two are the measures `kerascope.diagnose` reports on. Where a
    measure does not apply the point is missing (a gap in the line) and
    marked "n/a" (up to 60 layers), and the axis says which layers it covers.

    Args:
        stats: `kerascope.stats.Statistics` (or any mapping of key -> `LayerStats`),
            e.g. from `kerascope.stats(model, x)`.
        thresholds: The saturation margin. Defaults to `None` (`Thresholds()`).

    Returns:
        A `matplotlib.figure.Figure` with four axes: `figure.axes[0:4]`.

    Raises:
        InputError: for empty statistics or values that are not `LayerStats`.
        ImportError: if matplotlib is not installed.

    Example:

    >>> fig = kerascope.plot.layer_profile(kerascope.stats(model, x))  # doctest: +SKIP
    """
    layers = list(stats.values())
    if not layers or not all(isinstance(layer, LayerStats) for layer in layers):
        raise InputError(
            "Expected statistics of at least one layer, e.g. kerascope.stats(model, x). "
            f"Received: {type(stats).__name__} with {len(layers)} entries"
        )
    margin = (thresholds or Thresholds()).saturation_margin
    keys = list(stats)
    x = np.arange(len(keys))
    mean = np.array([layer.mean for layer in layers])
    p1 = np.array([_quantile(layer, 0.01) for layer in layers])
    p99 = np.array([_quantile(layer, 0.99) for layer in layers])
    rows = [
        ("std", np.array([layer.std for layer in layers]), None),
        ("dead fraction", np.array([dead_fraction(layer) for layer in layers]), "ReLU layers"),
        (
            "saturated fraction",
            np.array([sum(saturated_fraction(layer, margin)) for layer in layers]),
            "bounded layers",
        ),
    ]
    figure = new_figure(max(6.0, 0.3 * len(keys) + 2.0), 8.0)
    axes = figure.subplots(4, 1, sharex=True)
    axes[0].fill_between(x, p1, p99, alpha=0.25, label="p1-p99")
    axes[0].plot(x, mean, "o-", markersize=4, label="mean")
    axes[0].set_ylabel("mean", fontsize=8)
    axes[0].legend(fontsize=7, loc="best")
    for ax, (name, values, covers) in zip(axes[1:], rows):
        ax.plot(x, values, "o-", markersize=4)
        ax.set_ylabel(name if covers is None else f"{name}\n({covers})", fontsize=8)
        if covers is None:
            continue
        ax.set_ylim(-0.05, 1.05)
        if np.isnan(values).all():
            ax.text(0.5, 0.5, f"n/a: no {covers}", ha="center", va="center", transform=ax.transAxes)
        elif len(keys) <= _MARKED:
            for position in np.flatnonzero(np.isnan(values)):
                ax.text(position, 0.5, "n/a", ha="center", va="center", fontsize=6, color="grey")
    axes[-1].set_xticks(x, keys, rotation=60, ha="right", fontsize=7)
    axes[-1].set_xlabel("layer (execution order)")
    figure.suptitle(f"layer profile: {len(keys)} layers", fontsize=9)
    return figure


def _quantile(layer: LayerStats, q: float) -> float:
    """A quantile, or NaN for a layer without finite values."""
    return layer.quantile(q) if layer.count else math.nan
