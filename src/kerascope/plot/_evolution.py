"""`evolution`: how one layer's activation distribution moved during training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.monitor import MonitorHistory
from kerascope.plot._common import _matplotlib, new_figure, positive_int
from kerascope.select import unknown_key
from kerascope.stats import LayerStats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["evolution", "rebinned"]

#: The lines drawn over the heat map: (attribute, label, style).
_LINES = (
    ("p99", "p99", ":"),
    ("p50", "median", "-"),
    ("p1", "p1", ":"),
    ("mean", "mean", "--"),
)


def evolution(history: Any, key: str, *, bins: int = 64, log: bool = False) -> Figure:
    """A layer's activation distribution over training, as a heat map with percentile lines.

    One column per snapshot (x = training step, or the snapshot's number when
    the steps do not increase, e.g. after a second `fit`), y = value over the
    range of every snapshot together, colour = the fraction of the snapshot's
    finite values in each bin (each column adds up to 1). The 1st, 50th and
    99th percentiles and the mean are drawn over it.

    Args:
        history: A `kerascope.monitor.MonitorHistory`, or the `ActivationMonitor`
            that recorded it.
        key: A monitored key.
        bins: Value bins, equal-width over the common range. Defaults to `64`.
        log: Colour on a logarithmic scale, so that a spike (e.g. a ReLU
            layer's zeros) does not wash out the rest; empty bins take the
            lowest colour. Defaults to `False`.

    Returns:
        A `matplotlib.figure.Figure`: the heat map is `figure.axes[0].collections[0]`,
        its `get_array()` `(bins, snapshots)`.

    Raises:
        InputError: for something that is not a history, an empty history,
            a snapshot lacking `key`, or bad `bins`.
        SelectionError: for an unknown key.
        ImportError: if matplotlib is not installed.

    Example:

    >>> monitor = kerascope.ActivationMonitor(x_val[:256])            # doctest: +SKIP
    >>> model.fit(x, y, epochs=20, callbacks=[monitor])               # doctest: +SKIP
    >>> fig = kerascope.plot.evolution(monitor, "conv2")              # doctest: +SKIP
    """
    bins = positive_int(bins, "bins")
    snapshots = getattr(history, "history", history)
    if not isinstance(snapshots, MonitorHistory):
        raise InputError(
            "Expected a kerascope.monitor.MonitorHistory or an ActivationMonitor. "
            f"Received: {type(history).__name__}"
        )
    if not snapshots:
        raise InputError(
            "Expected a history with at least one snapshot (the monitor takes them during "
            "`fit`). Received: an empty history"
        )
    if key not in snapshots.keys:
        raise unknown_key(key, snapshots.keys, "monitored statistics")
    layers: list[LayerStats] = []
    for snapshot in snapshots:
        if key not in snapshot.statistics:
            raise InputError(
                f"Expected every snapshot to hold key {key!r}. Received: the snapshot at "
                f"step {snapshot.step} holds {list(snapshot.statistics)}"
            )
        layers.append(snapshot.statistics[key])
    steps = np.array([snapshot.step for snapshot in snapshots], np.float64)
    increasing = bool(np.all(np.diff(steps) > 0))
    x = steps if increasing else np.arange(len(steps), dtype=np.float64)
    edges, density = rebinned(layers, bins)

    figure = new_figure(8.0, 4.5)
    ax = figure.add_subplot()
    mesh = ax.pcolormesh(
        _column_edges(x),
        edges,
        np.ma.masked_invalid(density),
        shading="flat",
        **_colours(density, log),
    )
    for attribute, label, style in _LINES:
        values = [getattr(layer, attribute) if layer.count else np.nan for layer in layers]
        ax.plot(x, values, style, color="cyan" if attribute == "mean" else "white", label=label)
    ax.legend(fontsize=7, loc="upper left", framealpha=0.5)
    ax.set_xlabel("training step" if increasing else "snapshot (steps do not increase)")
    ax.set_ylabel("value")
    figure.colorbar(mesh, ax=ax, label="fraction of values per bin")
    first, last = snapshots[0].step, snapshots[-1].step
    figure.suptitle(
        f"{key} ({layers[0].class_name}) over training: {len(layers)} snapshots, "
        f"steps {first}..{last}",
        fontsize=9,
    )
    return figure


def _colours(density: np.ndarray, log: bool) -> dict[str, Any]:
    """The colour map and, with `log`, a logarithmic norm from the smallest non-zero fraction."""
    colours = _matplotlib()
    if not log:
        return {"cmap": "magma"}
    positive = density[density > 0]
    low = float(positive.min()) if positive.size else 1e-3
    cmap = colours.colormaps["magma"].with_extremes(under="black", bad="black")
    return {"cmap": cmap, "norm": colours.colors.LogNorm(vmin=low, vmax=max(1.0, low))}


def rebinned(layers: list[LayerStats], bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Every layer's value distribution on one set of bins over all their values.

    Returns:
        `(edges, fractions)`: `(bins + 1,)` equal-width edges from the smallest
        `min` to the largest `max`, and `(bins, len(layers))` fractions of each
        layer's finite values per bin (from its quantile sketch, so within its
        1% accuracy); a column of NaN for a layer without finite values.
    """
    seen = [layer for layer in layers if layer.count]
    if not seen:
        return np.linspace(0.0, 1.0, bins + 1), np.full((bins, len(layers)), np.nan)
    low = min(layer.min for layer in seen)
    high = max(layer.max for layer in seen)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    fractions = np.full((bins, len(layers)), np.nan)
    for column, layer in enumerate(layers):
        if not layer.count:
            continue
        below = np.array([layer.fraction_below(edge) for edge in edges[1:]])
        below[-1] = 1.0  # every value is <= the largest max (the sketch may place it 1% above)
        fractions[:, column] = np.diff(below, prepend=0.0)
    return edges, fractions


def _column_edges(x: np.ndarray) -> np.ndarray:
    """Cell edges around increasing centres `x`: halfway between neighbours."""
    if x.size == 1:
        return np.array([x[0] - 0.5, x[0] + 0.5])
    middle = (x[1:] + x[:-1]) / 2
    return np.concatenate([[2 * x[0] - middle[0]], middle, [2 * x[-1] - middle[-1]]])
