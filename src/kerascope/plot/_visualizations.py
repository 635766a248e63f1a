"""`visualizations`: a labelled grid of feature visualizations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._common import grid, new_figure, positive_int

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["visualizations"]


def visualizations(vis: Any, *, max_images: int = 64, cmap: str = "gray") -> Figure:
    """A grid of the images of a `kerascope.visualize` result, one per unit.

    Each panel is labelled with its channel and final objective value
    (`"ch 12\\n0.83"`); the title names the layer and the objective, and
    lists the dead channels (which have no image) with how they were found.

    - Images `(n, height, width, 3)`: colour, scaled from `value_range`.
    - Images with another number of channels: the mean over channels, grey,
      on `value_range`.
    - Sequences `(n, steps, features)`: features down, steps across.
    - Vectors `(n, features)`: one bar per feature.

    Args:
        vis: A `kerascope.visualize.Visualization`.
        max_images: Show at most this many (the first ones). Defaults to `64`.
        cmap: The colour map of one-channel images and sequences. Defaults
            to `"gray"`.

    Returns:
        A `matplotlib.figure.Figure`.

    Raises:
        InputError: if `vis` is not a `Visualization`.

    Example:

    >>> vis = kerascope.visualize(model, "conv2", channels=range(16))      # doctest: +SKIP
    >>> kerascope.plot.visualizations(vis).savefig("conv2.png")            # doctest: +SKIP
    """
    images = getattr(vis, "images", None)
    if not isinstance(images, np.ndarray) or not hasattr(vis, "dead"):
        raise InputError(
            f"Expected a kerascope.visualize.Visualization. Received: {type(vis).__name__}"
        )
    limit = positive_int(max_images, "max_images")
    shown = min(len(images), limit)
    rows, columns = grid(max(shown, 1))
    figure = new_figure(1.6 * columns, 1.6 * rows + 0.6)
    low, high = vis.value_range
    for i in range(shown):
        ax = figure.add_subplot(rows, columns, i + 1)
        _draw(ax, images[i], low, high, cmap)
        ax.set_title(f"ch {vis.channels[i]}\n{float(vis.values[i]):.3g}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    title = f"{vis.key}: {vis.objective}"
    if shown < len(images):
        title += f" (first {shown} of {len(images)})"
    if vis.dead:
        dead = ", ".join(f"{c} ({how})" for c, how in vis.dead.items())
        title += f"\ndead, not drawn: {dead}"
    if getattr(vis, "stuck", None):
        title += f"\nno gradient (flat, maybe dead; pass data=): {sorted(vis.stuck)}"
    if not shown:
        figure.add_subplot(1, 1, 1).axis("off")
    figure.suptitle(title, fontsize=9)
    return figure


def _draw(ax: Axes, image: np.ndarray, low: float, high: float, cmap: str) -> None:
    if image.ndim == 3 and image.shape[-1] == 3:
        ax.imshow(np.clip((image - low) / (high - low), 0.0, 1.0))
    elif image.ndim == 3:
        ax.imshow(image.mean(axis=-1), cmap=cmap, vmin=low, vmax=high)
    elif image.ndim == 2:
        ax.imshow(image.T, cmap=cmap, vmin=low, vmax=high, aspect="auto")
    else:
        ax.bar(np.arange(image.size), image.ravel())
        ax.set_ylim(low, high)
