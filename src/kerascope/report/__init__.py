"""A self-contained HTML report of a model's activations: `report`.

Example:

>>> kerascope.report(model, x_val, "report.html")          # doctest: +SKIP
"""

from kerascope.report._api import report

__all__ = ["report"]
