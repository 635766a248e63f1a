"""The report's "What units respond to" section: top examples, visualizations, importance."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np

from kerascope.capture import layers as layers_of
from kerascope.errors import KerascopeError
from kerascope.report._figures import data_uri, spread

__all__ = ["unit_keys", "units_section"]


def unit_keys(model: Any, keys: list[str]) -> list[str]:
    """The keys among `keys` worth a units section: layers with a kernel, else every layer."""
    found = layers_of(model)
    weighted = [key for key in keys if key in found and hasattr(found[key], "kernel")]
    if weighted:
        return weighted
    return [key for key in keys if key in found and found[key].__class__.__name__ != "InputLayer"]


def units_section(
    model: Any,
    data: Any,
    y: Any,
    keys: list[str],
    first: Any,
    *,
    max_layers: int,
    per_layer: int,
    steps: int,
    batch_size: int | None,
) -> list[dict[str, Any]]:
    """Per chosen layer: its most active channels' top examples, visualizations and
    (with `y`) zero-ablation accuracy importance, ready for the template.

    The most active channels are those with the highest top-1 response over
    `data`. Visualization is replaced by a note where `kerascope.visualize`
    cannot run (token or several inputs); `first` (one batch) finds dead channels.
    """

    chosen = spread(unit_keys(model, keys), max_layers)
    if not chosen:
        return []
    with _quiet_retracing():
        return _section(model, data, y, chosen, first, per_layer, steps, batch_size)


@contextlib.contextmanager
def _quiet_retracing() -> Iterator[None]:
    """Hides TensorFlow's "frequent retracing" warning: each probe here is a new
    function traced once, by design, which TensorFlow counts as retracing."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        logger.setLevel(level)


def _section(
    model: Any,
    data: Any,
    y: Any,
    chosen: list[str],
    first: Any,
    per_layer: int,
    steps: int,
    batch_size: int | None,
) -> list[dict[str, Any]]:
    from kerascope import plot
    from kerascope.examples import top_examples
    from kerascope.interventions import ablation
    from kerascope.visualize import visualize

    examples = top_examples(model, data, layers=chosen, k=6, batch_size=batch_size, progress=False)
    importance = None
    if y is not None:
        ablated = [key for key in examples if key in chosen]
        importance = ablation(
            model, data, y, layers=ablated, metric="accuracy", method="zero", progress=False
        )
    section = []
    for key in examples:
        unit = examples[key]
        top1 = np.where(np.isnan(unit.values[:, 0]), -np.inf, unit.values[:, 0])
        channels = [int(c) for c in np.argsort(-top1, kind="stable")[:per_layer]]
        effects = importance.get(key) if importance is not None else None
        rows = [
            {
                "channel": c,
                "top1": f"{unit.values[c, 0]:.4g}",
                "mean": f"{np.nanmean(unit.values[c]):.4g}",
                "importance": "" if effects is None else f"{float(effects[c]):+.4f}",
            }
            for c in channels
        ]
        item: dict[str, Any] = {"key": key, "rows": rows, "importance": effects is not None}
        try:
            item["examples_uri"] = data_uri(plot.examples(examples, key, data, channels))
            item["examples_note"] = ""
        except KerascopeError as error:
            item["examples_uri"] = ""
            item["examples_note"] = f"Examples not drawn: {error}"
        try:
            vis = visualize(model, key, channels, steps=steps, data=first, progress=False)
            item["vis_uri"] = data_uri(plot.visualizations(vis))
            item["vis_note"] = ""
        except KerascopeError as error:
            item["vis_uri"] = ""
            item["vis_note"] = f"Feature visualization skipped: {error}"
        section.append(item)
    return section
