"""`feature_maps`: one sample's activations of one layer, channel by channel."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._channels import Maps, arrange, select_channels
from kerascope.plot._common import class_name_of, colour_limits, grid, layer_array, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["feature_maps"]

_PER_CHANNEL = "each channel scaled to its own range"
_SHARED = "one colour scale for all channels"


def feature_maps(
    activations: Mapping[str, Any],
    key: str,
    *,
    sample: int = 0,
    max_channels: int = 64,
    channels: Sequence[int] | None = None,
    normalize: str = "channel",
    cmap: str = "viridis",
    data_format: str = "channels_last",
    depth: int | None = None,
) -> Figure:
    """A grid of one sample's channel maps of one layer, for activations of any rank.

    - 2-D feature maps `(samples, height, width, channels)`: one panel per
      channel, labelled `"ch 12"`.
    - 3-D volumes `(samples, depth, height, width, channels)`: the same, of
      one depth slice (`depth=`) or of the maximum over depth.
    - Sequences `(samples, time, channels)`: one image, time across, one row
      per channel.
    - Dense vectors `(samples, units)`: one image of the units laid out
      row-major on a near-square grid, padding cells left blank; all units on
      one colour scale, whatever `normalize`.

    Beyond `max_channels` channels, the most active are shown (largest mean
    absolute activation in this sample), most active first, and the title
    says so. A constant channel (e.g. dead) is labelled `"ch 3 (constant 0)"`
    and drawn in the colour map's lowest colour when scaled on its own.
    NaN and Inf are left blank and counted in the panel's label.

    Args:
        activations: `kerascope.capture.Activations` or any mapping of layer key ->
            array `(samples, ...)`.
        key: The layer key (or an output of a multi-output layer, `"key[0]"`).
        sample: Which sample. Defaults to `0`.
        max_channels: Show at most this many channels. Defaults to `64`.
        channels: Show these channel indices, in this order (`max_channels`
            then does not apply); for a dense vector, these units. Defaults
            to `None` (chosen as above).
        normalize: `"channel"`: each panel on its own colour scale, no colour
            bar; `"layer"`: one colour scale shared by all panels, with one
            colour bar. Defaults to `"channel"`.
        cmap: A matplotlib colour map name. Defaults to `"viridis"`.
        data_format: `"channels_last"` or `"channels_first"` (the channel
            axis right after the sample axis). Defaults to `"channels_last"`.
        depth: For 3-D volumes, the depth index to show. Defaults to `None`
            (the maximum over depth).

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        SelectionError: for an unknown key.
        InputError: for an array of another rank, a bad option, or an index
            (`sample`, `channels`, `depth`) out of range.
        ImportError: if matplotlib is not installed.

    Example:

    >>> acts = kerascope.capture(model, x, layers="conv1")       # doctest: +SKIP
    >>> fig = kerascope.plot.feature_maps(acts, "conv1", sample=3)  # doctest: +SKIP
    >>> fig.savefig("conv1.png")                                  # doctest: +SKIP
    """
    if normalize not in ("channel", "layer"):
        raise InputError(
            f"Expected normalize 'channel' or 'layer'. Received: normalize={normalize!r}"
        )
    maps = arrange(
        layer_array(activations, key), key, sample=sample, data_format=data_format, depth=depth
    )
    class_name = class_name_of(activations, key)
    heading = f"{key}{f' ({class_name})' if class_name else ''} · sample {maps.sample} · "
    heading += maps.description
    if maps.kind == "dense":
        units, _ = select_channels(maps.values, channels, maps.values.size)
        return _dense(maps, units, heading, cmap, in_order=channels is None)
    shown, note = select_channels(maps.values, channels, max_channels)
    scale = _PER_CHANNEL if normalize == "channel" else _SHARED
    title = f"{heading}\n{note}; {scale}"
    if maps.kind == "sequence":
        return _sequence(maps, shown, title, normalize=normalize, cmap=cmap)
    return _panels(maps, shown, title, normalize=normalize, cmap=cmap)


def _panels(maps: Maps, shown: list[int], title: str, *, normalize: str, cmap: str) -> Figure:
    rows, columns = grid(len(shown))
    figure = new_figure(1.5 * columns + 1.0, 1.5 * rows + 0.8)
    shared = colour_limits(maps.values[..., shown]) if normalize == "layer" else None
    axes = []
    for number, channel in enumerate(shown, start=1):
        panel = maps.values[..., channel]
        ax = figure.add_subplot(rows, columns, number)
        vmin, vmax = shared or colour_limits(panel)
        image = ax.imshow(
            np.ma.masked_invalid(panel), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
        )
        ax.set_title(_label(channel, panel), fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
        axes.append(ax)
    if shared is not None:
        figure.colorbar(image, ax=axes, label="activation", shrink=0.8)
    figure.suptitle(title, fontsize=9)
    return figure


def _sequence(maps: Maps, shown: list[int], title: str, *, normalize: str, cmap: str) -> Figure:
    rows = maps.values[:, shown].T  # (channels shown, time)
    if normalize == "channel":
        rows = np.stack([_unit_range(row) for row in rows])
    figure = new_figure(8.0, min(12.0, 1.2 + 0.22 * len(shown)))
    ax = figure.add_subplot()
    vmin, vmax = (0.0, 1.0) if normalize == "channel" else colour_limits(rows)
    image = ax.imshow(
        np.ma.masked_invalid(rows),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        aspect="auto",
        interpolation="nearest",
    )
    ax.set_yticks(range(len(shown)), [_label(c, maps.values[:, c]) for c in shown], fontsize=7)
    ax.set_xlabel("time step")
    ax.set_ylabel("channel")
    if normalize == "layer":
        figure.colorbar(image, ax=ax, label="activation")
    figure.suptitle(title, fontsize=9)
    return figure


def _dense(maps: Maps, units: list[int], title: str, cmap: str, *, in_order: bool) -> Figure:
    count = len(units)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cells = np.full(rows * columns, np.nan)
    cells[:count] = maps.values[units]
    padding = np.arange(rows * columns) >= count
    layout = np.ma.array(cells, mask=padding | ~np.isfinite(cells)).reshape(rows, columns)
    figure = new_figure(min(10.0, max(6.0, 2.5 + 0.3 * columns)), min(10.0, 2.5 + 0.3 * rows))
    ax: Axes = figure.add_subplot()
    vmin, vmax = colour_limits(cells[:count])
    image = ax.imshow(layout, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xlabel("column")
    ax.set_ylabel("first unit of the row" if in_order else "row")
    if in_order:  # row r, column c is unit r * columns + c
        step = max(1, rows // 10)
        ax.set_yticks(range(0, rows, step), [str(r * columns) for r in range(0, rows, step)])
    which = f"all {count} units" if in_order else f"units {units[:8]}{'...' if count > 8 else ''}"
    note = f"{which} as {rows} x {columns}, row-major; blank cells are padding"
    figure.colorbar(image, ax=ax, label="activation")
    figure.suptitle(f"{title}\n{note}\none colour scale for all units", fontsize=9)
    return figure


def _label(channel: int, values: np.ndarray) -> str:
    """`"ch 12"`, with `(constant v)` or `(n NaN/Inf)` when so."""
    finite = values[np.isfinite(values)]
    label = f"ch {channel}"
    if finite.size == 0:
        return f"{label} (all NaN/Inf)"
    if finite.size < values.size:
        label += f" ({values.size - finite.size} NaN/Inf)"
    if finite.min() == finite.max():
        label += f" (constant {finite[0]:.3g})"
    return label


def _unit_range(row: np.ndarray) -> np.ndarray:
    """`row` scaled to `[0, 1]` over its finite range (a constant row: all 0)."""
    low, high = colour_limits(row)
    return (row - low) / (high - low)
