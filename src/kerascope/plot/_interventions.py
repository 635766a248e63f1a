"""`importance` and `patching`: the effects of ablating units and patching layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kerascope.errors import InputError
from kerascope.interventions import Importance, Patching
from kerascope.plot._common import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["importance", "patching"]


def importance(
    result: Importance, *, keys: list[str] | None = None, top: int | None = None
) -> Figure:
    """One bar chart per layer: the effect of ablating each unit on the metric.

    Bars are in unit order (or, with `top`, the `top` most important units,
    most important first); the most harmful unit's bar is highlighted, and a
    line marks zero. The title gives the metric and its baseline.

    Args:
        result: An `Importance`, from `kerascope.ablation`.
        keys: Which layers. Defaults to `None` (all).
        top: Show only the `top` most important units per layer. Defaults to
            `None` (all units).

    Returns:
        A `matplotlib.figure.Figure` with one axes per layer.

    Raises:
        InputError: for a result that is not an `Importance`, or a `top` below 1.
        SelectionError: for an unknown key (naming the closest ones).
        ImportError: if matplotlib is not installed.

    Example:

    >>> imp = kerascope.ablation(model, x, y, layers="conv*")   # doctest: +SKIP
    >>> kerascope.plot.importance(imp, top=10).savefig("importance.png")  # doctest: +SKIP
    """
    if not isinstance(result, Importance):
        raise InputError(
            f"Expected an Importance from kerascope.ablation. Received: {type(result).__name__}"
        )
    if top is not None and (not isinstance(top, int) or top < 1):
        raise InputError(f"Expected top to be a positive int or None. Received: top={top!r}")
    chosen = list(result) if keys is None else list(keys)
    for key in chosen:
        result[key]  # raises SelectionError naming the closest keys for an unknown one
    if not chosen:
        raise InputError("Expected at least one layer to plot. Received: keys=[]")
    figure = new_figure(7.0, 1.0 + 2.2 * len(chosen))
    axes = figure.subplots(len(chosen), 1, squeeze=False)[:, 0]
    for ax, key in zip(axes, chosen):
        effect = result[key]
        order = result.ranked(key)[:top] if top is not None else np.arange(effect.size)
        heights = effect[order]
        colours = ["#c0392b" if unit == result.ranked(key)[0] else "#5d6d7e" for unit in order]
        ax.bar(np.arange(len(order)), heights, color=colours)
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xticks(np.arange(len(order)), [str(int(u)) for u in order], fontsize=7)
        ax.set_ylabel(f"{result.metric} change")
        ax.set_title(f"{key}: ablating each {'unit' if result.per == 'channel' else 'layer'}")
        ax.set_xlabel("unit (most important first)" if top is not None else "unit")
    figure.suptitle(
        f"{result.method} ablation, {result.metric} baseline {result.baseline:.4g} "
        f"({result.samples} samples)"
    )
    return figure


def patching(result: Patching, *, restored: bool = False) -> Figure:
    """A heatmap of the patching sweep: layers down, positions across.

    Args:
        result: A `Patching`, from `kerascope.patching`.
        restored: Show the fraction of the clean metric each patch restores
            (`Patching.restored`) rather than the metric itself.
            Defaults to `False`.

    Returns:
        A `matplotlib.figure.Figure`: the heatmap and its colour bar.

    Raises:
        InputError: for a result that is not a `Patching`.
        ImportError: if matplotlib is not installed.

    Example:

    >>> sweep = kerascope.patching(model, clean, corrupt, y=y, positions="all")  # doctest: +SKIP
    >>> kerascope.plot.patching(sweep, restored=True)                           # doctest: +SKIP
    """
    if not isinstance(result, Patching):
        raise InputError(
            f"Expected a Patching from kerascope.patching. Received: {type(result).__name__}"
        )
    values = result.restored() if restored else result.values
    rows, columns = values.shape
    figure = new_figure(1.5 + 0.45 * max(columns, 4), 1.2 + 0.35 * max(rows, 3))
    ax = figure.add_subplot()
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(masked, aspect="auto", cmap="viridis", interpolation="nearest")
    figure.colorbar(image, ax=ax, label="restored" if restored else result.metric)
    ax.set_yticks(np.arange(rows), list(result.keys), fontsize=8)
    labels = ["all"] if result.positions is None else [str(p) for p in result.positions]
    ax.set_xticks(np.arange(columns), labels, fontsize=8)
    ax.set_xlabel("position" if result.positions is not None else "whole layer")
    ax.set_title(
        f"patching clean into corrupted: {result.metric} "
        f"(clean {result.clean:.4g}, corrupted {result.corrupted:.4g})"
    )
    return figure
