"""`histograms`: the distribution of each layer's activations, one panel per layer."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._common import (
    class_name_of,
    grid,
    layer_array,
    leaves,
    new_figure,
    positive_int,
)
from kerascope.select import unknown_key
from kerascope.stats import LayerStats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["histograms"]


def histograms(
    source: Mapping[str, Any],
    keys: str | Sequence[str] | None = None,
    *,
    bins: int = 64,
    log: bool = False,
    max_layers: int = 16,
) -> Figure:
    """One histogram of activation values per layer: x = value, y = count.

    From captured activations (every value of every sample) or from
    statistics (`LayerStats.histogram`: the whole dataset, bins within the
    sketch's 1% accuracy). Each panel is titled with the key and, when known,
    the layer class; a second line gives the fraction of exact zeros and the
    count of NaN and Inf values when there are any (those are not in the bins).

    Args:
        source: `kerascope.capture.Activations`, any mapping of key -> array
            `(samples, ...)`, or `kerascope.stats.Statistics`. A layer with several
            outputs gives one panel per output, `"key[0]"`, `"key[1]"`, ...
        keys: A key or a list of keys, in the order to show. Defaults to
            `None` (all, in the order of `source`).
        bins: Equal-width bins between each layer's smallest and largest
            finite value. Defaults to `64`.
        log: A logarithmic count axis. Defaults to `False`.
        max_layers: Show at most this many layers (the first ones); the title
            says how many were left out. Defaults to `16`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        SelectionError: for an unknown key.
        InputError: for an empty `source` or `keys`, or bad `bins` or `max_layers`.
        ImportError: if matplotlib is not installed.

    Example:

    >>> s = kerascope.stats(model, x)                          # doctest: +SKIP
    >>> fig = kerascope.plot.histograms(s, log=True)           # doctest: +SKIP
    """
    bins = positive_int(bins, "bins")
    max_layers = positive_int(max_layers, "max_layers")
    chosen = _keys(source, keys)
    shown = chosen[:max_layers]
    rows, columns = grid(len(shown), max_columns=4)
    figure = new_figure(3.2 * columns, 2.4 * rows + 0.6)
    for number, key in enumerate(shown, start=1):
        ax = figure.add_subplot(rows, columns, number)
        layer = source.get(key)
        if isinstance(layer, LayerStats):
            counts, edges, notes = _from_stats(layer, bins)
        else:
            counts, edges, notes = _from_array(layer_array(source, key), bins)
        class_name = class_name_of(layer, key) or class_name_of(source, key)
        title = f"{key} ({class_name})" if class_name else key
        if notes:
            title += "\n" + ", ".join(notes)
        ax.set_title(title, fontsize=8)
        if counts.sum() == 0:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.stairs(counts, edges, fill=True, baseline=0.5 if log else 0.0)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("value", fontsize=8)
        ax.set_ylabel("count", fontsize=8)
        ax.tick_params(labelsize=7)
    heading = "activation histograms" + (", log counts" if log else "")
    if len(shown) < len(chosen):
        heading += (
            f"\nshowing {len(shown)} of {len(chosen)} layers (the first); pass keys= to choose"
        )
    figure.suptitle(heading, fontsize=9)
    return figure


def _keys(source: Mapping[str, Any], keys: str | Sequence[str] | None) -> list[str]:
    statistics = isinstance(next(iter(source.values()), None), LayerStats)
    valid = list(source) if statistics else list(leaves(source))
    if keys is None:
        if not valid:
            raise InputError(
                "Expected activations or statistics of at least one layer. Received: none"
            )
        return valid
    chosen = [keys] if isinstance(keys, str) else list(keys)
    if not chosen:
        raise InputError(f"Expected at least one key. Received: keys={keys!r}")
    for key in chosen:
        if key not in source and key not in valid:
            raise unknown_key(key, valid, "statistics" if statistics else "activations")
    if statistics:
        return chosen
    expanded: list[str] = []  # a layer with several outputs: one panel for each
    for key in chosen:
        expanded.extend(leaves({key: source[key]}) if key in source else [key])
    return expanded


def _from_array(values: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        counts, edges = np.zeros(bins, np.int64), np.linspace(0.0, 1.0, bins + 1)
    else:
        counts, edges = np.histogram(finite, bins=bins)
    size = values.size
    nan = int(np.count_nonzero(np.isnan(values)))
    notes = _notes(
        np.count_nonzero(values == 0) / size if size else 0.0, nan, size - finite.size - nan
    )
    return counts, edges, notes


def _from_stats(layer: LayerStats, bins: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    counts, edges = layer.histogram(bins)
    size = layer.size
    zero = layer.zero_fraction if size else 0.0
    nan = round(layer.nan_fraction * size) if size else 0
    inf = round(layer.inf_fraction * size) if size else 0
    return counts, edges, _notes(zero, nan, inf)


def _notes(zero: float, nan: int, inf: int) -> list[str]:
    notes = []
    if zero > 0 and math.isfinite(zero):
        notes.append(f"zeros {zero:.1%}")
    if nan:
        notes.append(f"NaN {nan:,}")
    if inf:
        notes.append(f"Inf {inf:,}")
    return notes
