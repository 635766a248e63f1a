"""The plain-text table of `Statistics.__repr__`."""

from __future__ import annotations

from collections.abc import Mapping

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
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    return "\n".join("  " + line.rstrip() for line in lines)
