"""Plain-text tables for the `repr`s and the command line."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["table"]


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
