"""`patching`: the causal-tracing sweep, one layer (and position) patched at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from kerascope._progress import ProgressBar
from kerascope.capture import cached_probe
from kerascope.capture import layers as layer_map
from kerascope.errors import InputError
from kerascope.interventions._intervene import intervene
from kerascope.interventions._metrics import metric_function
from kerascope.interventions._sweep import Patching
from kerascope.interventions._values import patch, scale
from kerascope.select import LayerSelection, resolve

__all__ = ["patching"]


def patching(
    model: Any,
    clean: Any,
    corrupted: Any,
    layers: LayerSelection = None,
    *,
    metric: str | Callable[[Any, Any], float] = "loss",
    y: Any = None,
    positions: Sequence[int] | str | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> Patching:
    """Activation patching across layers: how much of the clean behaviour each layer carries.

    For each selected layer (and position), the model runs on `corrupted`
    with that layer's activation on `clean` patched in (sample `i` from clean
    sample `i`), in one compiled pass per layer; the metric of each run fills
    a layers x positions table.

    Args:
        model: A built Keras model with one output.
        clean: The clean inputs.
        corrupted: The corrupted inputs, sample-aligned with `clean`.
        layers: Which layers to patch. Defaults to `None` (all).
        metric: `"loss"`, `"accuracy"` (both with `y`), or a function
            `(y_true, y_pred) -> float`. Defaults to `"loss"`.
        y: Targets (the clean answers). Defaults to `None`.
        positions: `None` patches whole layers; a list of indices on the
            first axis after the batch (a token, an image row) patches one
            at a time; `"all"` every index of the longest such axis.
            Defaults to `None`.
        batch_size: Samples per forward pass. Defaults to `32`.
        progress: Draw a progress bar. Defaults to `True`.

    Returns:
        `Patching`, with the clean and corrupted metrics for reference.

    Raises:
        InputError: for a bad metric or positions.
        SelectionError: for a selection that matches nothing.

    Example:

    >>> table = kerascope.patching(model, clean, corrupt, y=y)  # doctest: +SKIP
    >>> kerascope.plot.patching(table)                          # doctest: +SKIP
    """
    score, name, _ = metric_function(metric, model, y)
    keys = resolve(layers, list(layer_map(model).items()))
    specs = cached_probe(model, keys).specs
    lengths = {}
    for key in keys:
        shape = specs[key].shape
        lengths[key] = shape[1] if isinstance(shape, tuple) and len(shape) > 2 else None
    chosen = _positions(positions, lengths)
    y_true = None if y is None else np.asarray(y)

    def run(edits: dict[str, Any] | None, x: Any) -> float:
        if edits is None:  # the same compiled machinery, unedited
            edits = {keys[0]: scale(1.0)}
        out = intervene(model, edits).predict(x, batch_size=batch_size)
        if isinstance(out, (list, tuple, dict)):
            raise InputError("Expected a model with one output for patching. Received: several")
        return float(score(y_true, out))

    columns = [None] if chosen is None else chosen
    values = np.full((len(keys), len(columns)), np.nan)
    samples = len(np.asarray(keras.tree.flatten(corrupted)[0]))
    with ProgressBar(progress, "patching", total=len(keys) * len(columns) * samples) as bar:
        clean_metric = run(None, clean)
        corrupted_metric = run(None, corrupted)
        for row, key in enumerate(keys):
            for col, position in enumerate(columns):
                length = lengths[key]
                if position is not None and (length is None or position >= length):
                    bar.advance(samples)
                    continue
                where = None if position is None else [position]
                values[row, col] = run({key: patch(clean, positions=where)}, corrupted)
                bar.advance(samples)
    return Patching(
        keys, chosen, values, clean=clean_metric, corrupted=corrupted_metric, metric=name
    )


def _positions(
    positions: Sequence[int] | str | None, lengths: dict[str, int | None]
) -> list[int] | None:
    if positions is None:
        return None
    if isinstance(positions, str):
        if positions != "all":
            raise InputError(
                f"Expected positions None, 'all' or a list of ints. Received: {positions!r}"
            )
        known = [n for n in lengths.values() if n is not None]
        if not known:
            raise InputError(
                "Expected layers with a position axis (outputs (batch, positions, ...)) for "
                "positions='all'. Received: only (batch, units) outputs"
            )
        return list(range(max(known)))
    items = [positions] if isinstance(positions, int) else list(positions)
    if not all(isinstance(p, (int, np.integer)) and p >= 0 for p in items):
        raise InputError(f"Expected positions as non-negative ints. Received: {positions!r}")
    return [int(p) for p in items]
