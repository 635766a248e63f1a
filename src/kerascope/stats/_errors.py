"""`StatsError`: statistics that cannot be combined, read or asked for.

It belongs with the other errors in `kerascope.errors`; it lives here until
that module gains it, and is re-exported from `kerascope` either way.
"""

from __future__ import annotations

from kerascope.errors import KerascopeError

__all__ = ["StatsError"]


class StatsError(KerascopeError, ValueError):
    """Statistics of different layers or layouts were merged, or a file is not statistics."""
