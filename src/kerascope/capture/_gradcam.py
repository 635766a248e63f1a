"""`gradcam`: Grad-CAM heat maps of a layer, as arrays, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kerascope.capture._api import capture
from kerascope.capture._gradients import gradients
from kerascope.errors import InputError

__all__ = ["gradcam", "gradcam_maps"]

Target = int | Any | Callable[[Any], Any] | None


def gradcam(
    model: Any,
    x: Any,
    key: str,
    target: Target = None,
    *,
    upsample: bool = False,
    normalize: bool = True,
) -> np.ndarray:
    """Grad-CAM heat maps of one layer: where in the input a class score comes from.

    For each sample, `ReLU(sum_c(w_c * A_c))`, where `A` is the layer's
    feature map `(height, width, channels)` and `w_c` the mean over positions
    of the gradient of the target score with respect to `A_c` (Selvaraju et
    al. 2017, as in the keras-io Grad-CAM example).

    Args:
        model: A built Keras model with one output of class scores
            `(samples, classes)`, unless `target` is a function.
        x: A batch of inputs, as for `kerascope.gradients`.
        key: The layer, whose output is `(samples, height, width, channels)`:
            usually the last convolutional block.
        target: Which score: `None` for each sample's predicted class (the
            argmax of the model's output); a class index for every sample; one
            class index per sample; or a function of the model's outputs
            returning one score per sample, `(samples,)`. Defaults to `None`.
        upsample: Resize the maps to the input's height and width (bilinear),
            to lay over the image. Defaults to `False` (the layer's resolution).
        normalize: Divide each sample's map by its maximum, so it lies in
            `[0, 1]` (an all-zero map stays zero). Defaults to `True`.

    Returns:
        Heat maps, `(samples, height, width)`, float32.

    Raises:
        InputError: for a layer whose output is not a 2-D feature map, or a
            target that does not fit the model's output.
        SelectionError: for an unknown key.

    Example:

    >>> cam = kerascope.gradcam(model, x[:8], "conv2")           # doctest: +SKIP
    >>> cam.shape                                                # doctest: +SKIP
    (8, 5, 5)
    >>> kerascope.plot.overlay(x[:8], cam, sample=3)             # doctest: +SKIP
    """
    # Inference mode: the feature maps (compiled pass) and their gradients
    # (eager pass) come from the same computation.
    acts = capture(model, x, layers=key, batch_size=1 << 30)
    maps = acts[key]
    if not isinstance(maps, np.ndarray) or maps.ndim != 4:
        shape = getattr(maps, "shape", type(maps).__name__)
        raise InputError(
            "Expected a layer with 2-D feature maps, output shape (samples, height, width, "
            f"channels), for Grad-CAM. Received: {key!r} with output shape {shape}"
        )
    score = _score(target, maps.shape[0])
    grads = gradients(model, x, loss=score, layers=key)[key]
    cams = gradcam_maps(maps, grads)
    if upsample:
        cams = _resize(cams, _input_size(x))
    if normalize:
        peak = cams.max(axis=(1, 2), keepdims=True)
        cams = np.divide(cams, peak, out=np.zeros_like(cams), where=peak > 0)
    return cams.astype(np.float32)


def gradcam_maps(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM maps from a layer's feature maps and the score's gradients.

    Args:
        activations: `(samples, height, width, channels)`.
        gradients: `d(score)/d(activations)`, the same shape.

    Returns:
        `ReLU(sum_c(w_c * A_c))` per sample, `(samples, height, width)`,
        float64, unnormalised; `w_c` is the mean of the gradient over positions.

    Raises:
        InputError: for arrays of different shapes.

    Example:

    >>> maps = gradcam_maps(acts["conv2"], grads["conv2"])       # doctest: +SKIP
    >>> maps.shape                                               # doctest: +SKIP
    (8, 5, 5)
    """
    if activations.shape != gradients.shape:
        raise InputError(
            f"Expected gradients of the same shape as the activations, {activations.shape}. "
            f"Received: gradients of shape {gradients.shape}"
        )
    weights = gradients.astype(np.float64).mean(axis=(1, 2))  # (samples, channels)
    maps = np.einsum("shwc,sc->shw", activations.astype(np.float64), weights)
    return np.asarray(np.maximum(maps, 0.0))


def _score(target: Target, samples: int) -> Callable[[Any], Any]:
    """The per-sample score of the model's outputs that Grad-CAM explains."""
    if callable(target):
        return target
    if target is None:
        chosen = None
    else:
        chosen = np.asarray(target)
        if chosen.dtype.kind not in "iu" or chosen.ndim > 1:
            raise InputError(
                "Expected target to be None, a class index, one class index per sample or a "
                f"function of the model's outputs. Received: target={target!r}"
            )
        if chosen.ndim == 1 and chosen.shape[0] != samples:
            raise InputError(
                f"Expected one class index per sample ({samples}). "
                f"Received: {chosen.shape[0]} class indices"
            )

    def score(outputs: Any) -> Any:
        if not hasattr(outputs, "shape") or len(outputs.shape) != 2:
            raise InputError(
                "Expected a model with one output of class scores (samples, classes), or "
                "target= a function of its outputs. Received: outputs "
                f"{keras.tree.map_structure(lambda t: tuple(t.shape), outputs)}"
            )
        classes = outputs.shape[-1]
        index = keras.ops.argmax(outputs, axis=-1) if chosen is None else chosen
        if chosen is not None and (chosen.min() < 0 or chosen.max() >= classes):
            raise InputError(
                f"Expected class indices in [0, {classes}). Received: target={target!r}"
            )
        mask = keras.ops.one_hot(keras.ops.broadcast_to(index, (samples,)), classes)
        return keras.ops.sum(outputs * keras.ops.cast(mask, outputs.dtype), axis=-1)

    return score


def _input_size(x: Any) -> tuple[int, int]:
    leaves = [np.shape(a) for a in keras.tree.flatten(x) if len(np.shape(a)) == 4]
    if not leaves:
        raise InputError(
            "Expected an image input (samples, height, width, channels) for upsample=True. "
            f"Received: inputs of shapes {[np.shape(a) for a in keras.tree.flatten(x)]}"
        )
    return int(leaves[0][1]), int(leaves[0][2])


def _resize(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of `(samples, h, w)` maps (half-pixel centres, as Keras)."""
    resized = keras.ops.image.resize(maps[..., None].astype(np.float32), size)
    return np.asarray(keras.ops.convert_to_numpy(resized))[..., 0].astype(np.float64)
