"""The report's tables: per-layer summary rows and the training findings."""

from __future__ import annotations

from typing import Any

import numpy as np

from kerascope.capture import layers as layers_of
from kerascope.keys import output_leaves
from kerascope.stats import Statistics

__all__ = ["history_findings", "summary_rows"]


def history_findings(history: Any) -> list[dict[str, Any]]:
    """The first snapshot at which each (key, kind) finding appeared in training."""
    if history is None:
        return []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for snapshot in history:
        for finding in snapshot.findings:
            seen.setdefault(
                (finding.key, finding.kind),
                {"step": snapshot.step, "epoch": snapshot.epoch, "finding": finding},
            )
    return list(seen.values())


def summary_rows(specs: Any, statistics: Statistics, model: Any) -> list[dict[str, Any]]:
    params = _params_by_key(specs, model)
    # Each statistics key's layer and output shape (`"lstm[1]"`: one of the LSTM's outputs).
    leaves = {
        leaf: (key, shape)
        for key, info in specs.items()
        for leaf, shape in output_leaves(key, info.shape)
    }
    rows = []
    for key, layer in statistics.items():
        base, shape = leaves.get(key, (key, None))
        rows.append(
            {
                "key": key,
                "class_name": layer.class_name,
                "shape": str(tuple(shape)) if shape is not None else "",
                "activation": layer.activation or "",
                "params": params.get(base, ""),
                "mean": _number(layer.mean),
                "std": _number(layer.std),
                "min": _number(layer.min),
                "max": _number(layer.max),
                "p50": _number(layer.p50),
                "zeros": f"{layer.zero_fraction:.1%}",
                "nonfinite": f"{layer.nan_fraction + layer.inf_fraction:.1%}",
                "bad": layer.nan_fraction + layer.inf_fraction > 0,
            }
        )
    return rows


def _params_by_key(specs: Any, model: Any) -> dict[str, str]:
    """Parameter counts by key; a layer called more than once counts at its first call."""
    counts: dict[str, str] = {}
    seen: set[int] = set()
    for key, layer in layers_of(model).items():
        if key in specs and id(layer) not in seen:
            counts[key] = f"{layer.count_params():,}"
        seen.add(id(layer))
    return counts


def _number(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.4g}"
