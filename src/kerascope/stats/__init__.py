"""Streaming, mergeable activation statistics: `stats`, `Statistics`, `LayerStats`.

Example:

>>> s = kerascope.stats(model, x)                          # doctest: +SKIP
>>> s                                                      # doctest: +SKIP
Statistics(7 layers, per_channel=True)
  key    class   count  mean  std  min  max  zeros  nan  p50
  ...
"""

from kerascope.errors import StatsError
from kerascope.stats._accumulator import StatsAccumulator
from kerascope.stats._api import stats
from kerascope.stats._layer import LayerStats
from kerascope.stats._sketch import RELATIVE_ACCURACY
from kerascope.stats._statistics import Statistics, merge

__all__ = [
    "RELATIVE_ACCURACY",
    "LayerStats",
    "Statistics",
    "StatsAccumulator",
    "StatsError",
    "merge",
    "stats",
]
