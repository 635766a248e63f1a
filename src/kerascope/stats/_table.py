"""The plain-text table of `Statistics.__repr__`."""

from __future__ import annotations

from collections.abc import Mapping

from kerascope._text import table as text_table
from kerascope.stats._layer import LayerStats

__all__ = ["table"]

_HEADER = ("key", "class", "count", "mean", "std", "min", "max", "zeros", "nan", "p50")


def table(stats: Mapping[str, LayerStats]) -> str:
    """One row per layer: key, class, count, mean, std, min, max, zeros, nan, p50."""
    rows = [_HEADER]
    for key, s in stats.items():
        rows.append(
            (
                key,
                s.class_name,
                f"{s.count:,}",
                f"{s.mean:.4g}",
                f"{s.std:.4g}",
                f"{s.min:.4g}",
                f"{s.max:.4g}",
                f"{s.zero_fraction:.1%}",
                f"{s.nan_fraction:.1%}",
                f"{s.p50:.4g}",
            )
        )
    return text_table(rows, left=2)
