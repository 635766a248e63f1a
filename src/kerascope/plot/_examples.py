"""`examples`: each unit's top dataset examples, cropped to the input region they respond in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.examples import Examples, UnitExamples
from kerascope.keys import layer_key, output_leaves
from kerascope.plot._common import colour_limits, new_figure
from kerascope.plot._image import display_image, resize_bilinear

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["examples"]


def examples(
    examples: Examples,
    key: str,
    data: Any,
    channels: int | Sequence[int] | None = None,
    *,
    offset: int = 0,
    model: Any = None,
    crop: bool = True,
    bottom: bool = False,
    alpha: float = 0.5,
    cmap: str = "jet",
) -> Figure:
    """Per channel, a row of its `k` top examples with the response as the caption.

    Each panel is one example's input, cropped to the region (receptive
    field) its strongest response sees, or the whole input with that region
    outlined (`crop=False`, or no region known). With `model`, the channel's
    response map over the sample is drawn over it (upsampled bilinearly to
    the input). Inputs `(h, w[, c])` are drawn as images, sequences `(steps,
    features)` as a features x steps map, vectors as one row.

    Args:
        examples: `Examples` from `kerascope.top_examples` (or a store).
        key: The leaf key to draw, e.g. `"conv2"`.
        data: The inputs the examples were found in, `(samples, ...)`, in the
            same order (one array).
        channels: A channel, a sequence of channels, or None for the 8 with
            the strongest top example. Defaults to `None`.
        offset: The global index of `data[0]` (as given to `top_examples`).
            Defaults to `0`.
        model: The model, to overlay each channel's response map. Defaults
            to `None` (no overlay).
        crop: Crop to the region where one is known. Defaults to `True`.
        bottom: Draw the bottom examples (`bottom=True` examples) instead.
            Defaults to `False`.
        alpha: The response map's opacity, in `[0, 1]`. Defaults to `0.5`.
        cmap: The response map's colour map. Defaults to `"jet"`.

    Returns:
        A `matplotlib.figure.Figure`, one row of `k` panels per channel.

    Raises:
        SelectionError: for a key the examples do not hold.
        InputError: for a channel out of range, data that does not hold the
            examples' samples, `bottom` without bottom examples, or a bad `alpha`.
        ImportError: if matplotlib is not installed.

    Example:

    >>> ex = kerascope.top_examples(model, x, "conv2")                     # doctest: +SKIP
    >>> kerascope.plot.examples(ex, "conv2", x, channels=range(4), model=model)  # doctest: +SKIP
    """
    unit = examples[key]
    if not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
        raise InputError(f"Expected alpha in [0, 1]. Received: alpha={alpha!r}")
    ranking = unit.bottom if bottom else unit.top
    if ranking is None:
        raise InputError(
            "Expected examples made with bottom=True to draw the bottom ones. Received: none"
        )
    rows = _channels(unit, channels)
    data = np.asarray(data)
    local = ranking.indices - offset
    used = np.unique(local[rows][ranking.indices[rows] >= 0])
    if used.size and (used[0] < 0 or used[-1] >= len(data)):
        raise InputError(
            f"Expected data holding samples {offset}..{offset + len(data) - 1} to include every "
            f"example shown. Received: examples of samples {used[0] + offset}..{used[-1] + offset}"
        )
    responses = _responses(model, data, used, key) if model is not None else None
    boxes = unit.region.boxes(ranking.positions) if unit.region is not None else None
    k = unit.k
    figure = new_figure(1.4 * k + 0.6, 1.5 * len(rows) + 0.4)
    axes = figure.subplots(len(rows), k, squeeze=False)
    for row, channel in enumerate(rows):
        for j in range(k):
            ax = axes[row][j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(f"channel {channel}", fontsize=8)
            index = int(local[channel, j])
            if ranking.indices[channel, j] < 0:
                ax.set_axis_off()
                continue
            picture, heat = _picture(data[index], unit, responses, index, channel)
            box = None if boxes is None else boxes[channel, j]
            _panel(ax, picture, heat, box, crop=crop, alpha=alpha, cmap=cmap)
            sample = int(ranking.indices[channel, j])
            ax.set_title(f"#{sample}  {ranking.values[channel, j]:.3g}", fontsize=7)
    which = "bottom" if bottom else "top"
    figure.suptitle(f"{key} · {which} {k} examples per channel (sample · response)", fontsize=9)
    return figure


def _channels(unit: UnitExamples, channels: int | Sequence[int] | None) -> list[int]:
    if channels is None:
        best = np.where(np.isnan(unit.values[:, 0]), -np.inf, unit.values[:, 0])
        return sorted(np.argsort(-best, kind="stable")[:8].tolist())
    chosen = [channels] if isinstance(channels, (int, np.integer)) else list(channels)
    bad = [c for c in chosen if not isinstance(c, (int, np.integer)) or not 0 <= c < unit.channels]
    if bad or not chosen:
        raise InputError(
            f"Expected channels in [0, {unit.channels}) of {unit.key!r}. Received: {chosen!r}"
        )
    return [int(c) for c in chosen]


def _responses(model: Any, data: np.ndarray, used: np.ndarray, key: str) -> dict[int, Any]:
    """Sample index -> the layer's output for that sample (for the overlay)."""
    from kerascope.capture import capture

    acts = capture(model, data[used], layer_key(key))
    leaf = dict(output_leaves(layer_key(key), acts[layer_key(key)]))[key]
    return {int(i): np.asarray(leaf[n]) for n, i in enumerate(used)}


def _picture(
    sample: np.ndarray, unit: UnitExamples, responses: dict[int, Any] | None, index: int, c: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """The sample as a displayable `(h, w[, 3])` array, and the response map at its size."""
    if sample.ndim == 1:
        picture = _stretch(sample[None, :])
    elif sample.ndim == 2 and (unit.region is not None and unit.region.ndim == 1):
        picture = _stretch(sample.T)  # (features, steps): the steps run along x
    else:
        picture = display_image(sample, 0, 1)
    heat = None
    if responses is not None and unit.spatial_ndim in (1, 2):
        response = responses[index][..., c].astype(np.float64)
        if unit.region is not None and unit.region.ndim == response.ndim:
            heat = _placed(response, unit.region)
            if heat.ndim == 1:  # a sequence: the same along every feature row
                heat = np.broadcast_to(heat[None, :], picture.shape[:2])
        else:  # no geometry known: stretch the map over the input
            if response.ndim == 1:
                response = response[None, :]
            heat = resize_bilinear(response, picture.shape[0], picture.shape[1])
    return picture, heat


def _placed(response: np.ndarray, region: Any) -> np.ndarray:
    """The response map in input coordinates, NaN where no position is placed.

    Position `p`'s field is `[start + p * stride, + size)` per axis; its
    value fills the `min(stride, size)` wide cell at the centre of that
    field, so neighbouring positions tile the input without overlap and each
    value lies inside its own field (padding, stride and the start respected).
    """
    heat = np.full(tuple(region.input_shape), np.nan)
    cells = []
    for axis in range(response.ndim):
        stride, start, size = region.stride[axis], region.start[axis], region.size[axis]
        width = max(1, min(stride, size))
        first = start + max(size - stride, 0) // 2 + stride * np.arange(response.shape[axis])
        cells.append((first, width))
    for position in np.ndindex(*response.shape):
        window = []
        for axis, p in enumerate(position):
            first, width = cells[axis]
            low = int(np.clip(first[p], 0, heat.shape[axis]))
            high = int(np.clip(first[p] + width, 0, heat.shape[axis]))
            window.append(slice(low, high))
        heat[tuple(window)] = response[position]
    return heat


def _stretch(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float64)
    low, high = np.nanmin(values), np.nanmax(values)
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def _panel(
    ax: Any,
    picture: np.ndarray,
    heat: np.ndarray | None,
    box: np.ndarray | None,
    *,
    crop: bool,
    alpha: float,
    cmap: str,
) -> None:
    """Draws one example: cropped to `box` (rows, then columns) or with it outlined."""
    if box is not None and box.shape[0] == 1:  # a sequence: steps along x, all rows
        box = np.array([[0, picture.shape[0]], box[0]])
    if box is not None and crop:
        (top, bottom), (left, right) = box[0], box[1]
        picture = picture[top:bottom, left:right]
        heat = None if heat is None else heat[top:bottom, left:right]
    gray = picture.ndim == 2
    ax.imshow(picture, cmap="gray" if gray else None, vmin=0.0, vmax=1.0, aspect="auto")
    if heat is not None:
        vmin, vmax = colour_limits(heat)
        ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=vmin, vmax=vmax, aspect="auto")
    if box is not None and not crop:
        from matplotlib.patches import Rectangle

        (top, bottom), (left, right) = box[0], box[1]
        ax.add_patch(
            Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, color="red")
        )
