"""`capture`: all selected layers' outputs for a whole input, in one call."""

from __future__ import annotations

from typing import Any

from kerascope import data
from kerascope._progress import ProgressBar
from kerascope.capture._activations import Activations
from kerascope.capture._cache import cached_probe
from kerascope.select import LayerSelection

__all__ = ["capture"]


def capture(
    model: Any,
    inputs: Any,
    layers: LayerSelection = None,
    *,
    batch_size: int = 32,
    training: bool = False,
    progress: bool = False,
) -> Activations:
    """Captures the outputs of a model's layers in one forward pass per batch.

    Works for Sequential, Functional, nested, shared-layer, multi-input/output
    and subclassed models on TensorFlow, JAX and torch. Only the part of the
    model needed for the selected layers runs.

    Args:
        model: A built Keras model.
        inputs: A numpy array `(samples, ...)`, a list or dict of arrays for a
            multi-input model, a `tf.data.Dataset`, a `keras.utils.PyDataset`,
            a torch `DataLoader`, or an iterable of batches (`x` or `(x, y)`).
        layers: Which layers: `None` for all; a key, glob, compiled regex,
            layer class, layer, predicate, or a list of those.
            Defaults to `None`.
        batch_size: Samples per forward pass for array inputs. Defaults to `32`.
        training: Run layers in training mode (the model's state never
            changes). Defaults to `False`.
        progress: Draw a progress bar (samples/s, ETA) on standard error, for
            long captures. Defaults to `False`.

    Returns:
        `Activations`: layer key -> numpy array of shape `(samples, ...)`, in
        execution order (a tuple or dict of arrays for multi-output layers).

    Raises:
        InputError: for a non-Keras or unbuilt model, or unsuitable inputs.
        SelectionError: for a selection that matches nothing or an unknown key.
        CaptureError: if the forward pass fails.

    Example:

    >>> acts = kerascope.capture(model, x_test[:64], layers="conv*")  # doctest: +SKIP
    >>> acts
    Activations(2 layers, 1.2 MiB)
      key    layer   shape              dtype
      conv1  Conv2D  (64, 26, 26, 8)    float32
      conv2  Conv2D  (64, 11, 11, 16)   float32
    """
    probe = cached_probe(model, layers, training=training)
    batches = data.as_batches(inputs, batch_size, probe.input_spec)
    collected: dict[str, list[Any]] = {key: [] for key in probe.keys}
    with ProgressBar(progress, "capturing", total=batches.total) as bar:
        for batch, n in batches:
            for key, value in probe.run_batch(batch, n).items():
                collected[key].append(value)
            bar.advance(n)
    arrays = {key: data.concatenate(parts) for key, parts in collected.items()}
    return probe._activations(arrays)
