"""`overlay`: a layer's 2-D activation (or Grad-CAM) heat map over the input image."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from kerascope.errors import InputError
from kerascope.plot._common import colour_limits, layer_array, new_figure, sample_index
from kerascope.plot._image import display_image, resize_bilinear

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["heatmap", "overlay"]

_METHODS = ("mean", "max", "gradcam")


def overlay(
    image: Any,
    activations: Mapping[str, Any] | np.ndarray,
    key: str | None = None,
    *,
    method: str = "mean",
    gradients: Mapping[str, Any] | None = None,
    sample: int = 0,
    alpha: float = 0.5,
    cmap: str = "jet",
) -> Figure:
    """A heat map of one layer's 2-D feature map, upsampled over the input image.

    The heat map is the feature map `(height, width, channels)` of `sample`
    reduced over channels, resized to the image with bilinear interpolation
    (half-pixel centres, as `tf.image.resize`), drawn with a colour bar.

    - `"mean"` / `"max"`: the mean / maximum over channels.
    - `"gradcam"`: Grad-CAM, `ReLU(sum_c(w_c * A_c))` with `w_c` the mean over
      positions of `d(score)/dA_c`, from `gradients`.

    Heat maps computed elsewhere, `(samples, height, width)` such as
    `kerascope.gradcam` returns, are drawn as they are: pass them in place of
    `activations`, without a key.

    Args:
        image: The input image: `(h, w)`, `(h, w, 1)`, `(h, w, 3)` (uint8 or
            float; floats outside `[0, 1]` are stretched to it for display),
            or a batch `(samples, h, w[, c])` holding one image per activation
            sample, from which `sample` is taken.
        activations: `kerascope.capture.Activations` or any mapping of layer key ->
            array `(samples, height, width, channels)`; or heat maps
            `(samples, height, width)`.
        key: The layer key; `None` for heat maps. Defaults to `None`.
        method: `"mean"`, `"max"` or `"gradcam"`. Defaults to `"mean"`.
        gradients: For `"gradcam"`, the gradients of a class score with
            respect to the layer, as `kerascope.gradients(model, x,
            loss=lambda out: out[:, class_index], layers=key)` returns them.
            Defaults to `None`.
        sample: Which sample. Defaults to `0`.
        alpha: The heat map's opacity, in `[0, 1]`. Defaults to `0.5`.
        cmap: A matplotlib colour map name for the heat map. Defaults to `"jet"`.

    Returns:
        A `matplotlib.figure.Figure` with the image, the heat map over it
        (`ax.images[1]`, at the image's size) and its colour bar.

    Raises:
        SelectionError: for a key missing from `activations` or `gradients`.
        InputError: for activations that are not 2-D feature maps, an unknown
            method, `"gradcam"` without gradients or with gradients of another
            shape, a bad image, `sample` or `alpha`.
        ImportError: if matplotlib is not installed.

    Example:

    >>> acts = kerascope.capture(model, x[:1], layers="conv3")     # doctest: +SKIP
    >>> grads = kerascope.gradients(model, x[:1], layers="conv3",
    ...                             loss=lambda out: out[:, 7])    # doctest: +SKIP
    >>> fig = kerascope.plot.overlay(x[0], acts, "conv3", method="gradcam",
    ...                              gradients=grads)              # doctest: +SKIP
    """
    if not (isinstance(alpha, (int, float)) and 0.0 <= alpha <= 1.0):
        raise InputError(f"Expected alpha in [0, 1]. Received: alpha={alpha!r}")
    if isinstance(activations, np.ndarray):
        return _draw_maps(image, activations, sample=sample, alpha=alpha, cmap=cmap)
    if key is None:
        raise InputError("Expected the layer key of the activations. Received: key=None")
    maps = layer_array(activations, key)
    _check_spatial(maps, key, "activations")
    index = sample_index(sample, maps.shape[0], key)
    heat = heatmap(maps, key, method=method, gradients=gradients, sample=index)
    label = {"mean": "mean over channels", "max": "max over channels", "gradcam": "Grad-CAM"}
    return _draw(image, heat, index, maps.shape[0], f"{key} · {label[method]}", alpha, cmap)


def _draw_maps(image: Any, maps: np.ndarray, *, sample: int, alpha: float, cmap: str) -> Figure:
    if maps.ndim != 3:
        raise InputError(
            "Expected heat maps of shape (samples, height, width), or activations by key. "
            f"Received: an array of shape {maps.shape}"
        )
    index = sample_index(sample, maps.shape[0], "heat maps")
    return _draw(
        image, maps[index].astype(np.float64), index, maps.shape[0], "heat map", alpha, cmap
    )


def _draw(
    image: Any, heat: np.ndarray, index: int, samples: int, title: str, alpha: float, cmap: str
) -> Figure:
    """The image with `heat` upsampled over it, a colour bar and a title."""
    picture = display_image(image, index, samples)
    size = heat.shape
    heat = resize_bilinear(heat, *picture.shape[:2])
    figure = new_figure(6.0, 5.0)
    ax = figure.add_subplot()
    ax.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0.0, vmax=1.0)
    vmin, vmax = colour_limits(heat)
    shown = ax.imshow(heat, cmap=cmap, alpha=alpha, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    figure.colorbar(shown, ax=ax, label=title.rpartition(" · ")[2])
    figure.suptitle(
        f"{title} · sample {index}\n"
        f"{size[0]} x {size[1]} map upsampled (bilinear) to {heat.shape[0]} x {heat.shape[1]}",
        fontsize=9,
    )
    return figure


def heatmap(
    maps: np.ndarray,
    key: str,
    *,
    method: str,
    gradients: Mapping[str, Any] | None,
    sample: int,
) -> np.ndarray:
    """The `(height, width)` heat map of `sample` of `maps`, `(samples, height, width, channels)`.

    Raises:
        InputError: for an unknown method, or `"gradcam"` without matching gradients.
        SelectionError: for a key missing from `gradients`.
    """
    if method not in _METHODS:
        raise InputError(f"Expected method 'mean', 'max' or 'gradcam'. Received: method={method!r}")
    values = maps[sample].astype(np.float64)
    if method == "mean":
        return np.asarray(values.mean(axis=-1))
    if method == "max":
        return np.asarray(values.max(axis=-1))
    if gradients is None:
        raise InputError(
            "Expected gradients for method='gradcam', e.g. kerascope.gradients(model, x, "
            f"loss=lambda out: out[:, class_index], layers={key!r}). Received: gradients=None"
        )
    grads = layer_array(gradients, key, "gradients")
    if grads.shape != maps.shape:
        raise InputError(
            f"Expected gradients of the same shape as the activations of {key!r}, "
            f"{maps.shape}. Received: gradients of shape {grads.shape}"
        )
    from kerascope.capture import gradcam_maps

    return np.asarray(gradcam_maps(maps[sample : sample + 1], grads[sample : sample + 1])[0])


def _check_spatial(array: np.ndarray, key: str, what: str) -> None:
    if array.ndim != 4:
        raise InputError(
            "Expected 2-D feature maps of shape (samples, height, width, channels) for "
            f"an overlay. Received: {what} of {key!r} with shape {array.shape}"
        )
