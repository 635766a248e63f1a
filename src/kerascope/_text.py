"""Plain-text tables for the `repr`s and the command line."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["human_bytes", "table"]


def table(rows: Sequence[Sequence[str]], *, left: int = 1, indent: str = "  ") -> str:
    """Aligns `rows` (the first is the header) into columns.

    The first `left` columns are left-aligned (names), the rest right-aligned
    (numbers). Lines are indented by `indent` and carry no trailing spaces.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        )
        for row in rows
    ]
    return "\n".join(indent + line.rstrip() for line in lines)


def human_bytes(n: int) -> str:
    """`n` bytes as text: `"512 B"`, `"1.5 MiB"`."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
