"""Streaming, mergeable activation statistics: `stats`, `Statistics`, `LayerStats`.

Reading saved statistics (`Statistics.load`, `Statistics.from_json`) imports
neither Keras nor a backend: `stats`, `StatisticsRunner` and `StatsAccumulator`,
which run models, are imported on first use (PEP 562).

Example:

>>> s = kerascope.stats(model, x)                          # doctest: +SKIP
>>> s                                                      # doctest: +SKIP
Statistics(7 layers, per_channel=True)
  key    class   count  mean  std  min  max  zeros  nan  p50
  ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerascope.errors import StatsError
from kerascope.stats._inputs import FIRST_BAD, InputStats
from kerascope.stats._layer import LayerStats
from kerascope.stats._sketch import RELATIVE_ACCURACY
from kerascope.stats._statistics import Statistics, merge

if TYPE_CHECKING:
    from kerascope.stats._accumulator import StatsAccumulator
    from kerascope.stats._api import stats
    from kerascope.stats._runner import StatisticsRunner

__all__ = [
    "FIRST_BAD",
    "RELATIVE_ACCURACY",
    "InputStats",
    "LayerStats",
    "Statistics",
    "StatisticsRunner",
    "StatsAccumulator",
    "StatsError",
    "merge",
    "stats",
]

# The names that need Keras, and the modules that define them.
_LAZY = {
    "StatsAccumulator": "kerascope.stats._accumulator",
    "StatisticsRunner": "kerascope.stats._runner",
    "stats": "kerascope.stats._api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerascope.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
