"""Figures for the report: rendered to inline PNG data URIs, chosen to be worth a look."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["data_uri", "image_input", "spatial_keys", "spread"]


def data_uri(figure: Any, *, dpi: int = 96) -> str:
    """A matplotlib `Figure` as a `data:image/png;base64,...` URI (no file, no network)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def spatial_keys(arrays: Mapping[str, Any]) -> list[str]:
    """Keys whose output is one `(samples, height, width, channels)` array."""
    return [
        key
        for key, value in arrays.items()
        if isinstance(value, np.ndarray) and value.ndim == 4 and min(value.shape[1:3]) > 1
    ]


def spread(keys: Sequence[str], count: int) -> list[str]:
    """At most `count` keys, evenly spread from first to last (depth matters)."""
    if len(keys) <= count:
        return list(keys)
    picks = np.linspace(0, len(keys) - 1, count).round().astype(int)
    return [keys[i] for i in dict.fromkeys(picks.tolist())]


def image_input(batch: Any) -> np.ndarray | None:
    """The batch as images `(samples, h, w, 1 or 3)` when the model's one input is an image."""
    if not isinstance(batch, np.ndarray) or batch.ndim != 4 or batch.shape[-1] not in (1, 3):
        return None
    if min(batch.shape[1:3]) < 4:
        return None
    return batch
