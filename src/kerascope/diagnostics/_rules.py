"""The rules, in the order they run, and `run_rules`, which applies them all.

Each rule reads `Statistics` only (so a saved statistics file is diagnosed
the same later, without the model): which keys are model outputs
(`LayerStats.is_output`), the layers' activations and the model inputs'
`InputStats` travel in the statistics.
"""

from __future__ import annotations

from collections.abc import Callable

from kerascope.diagnostics._constant import constant
from kerascope.diagnostics._dead import dead_units
from kerascope.diagnostics._findings import Finding, Findings
from kerascope.diagnostics._nonfinite import non_finite
from kerascope.diagnostics._saturation import saturation
from kerascope.diagnostics._scale import scale
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import Statistics

__all__ = ["RULES", "Rule", "run_rules"]

Rule = Callable[[Statistics, Thresholds], list[Finding]]

RULES: dict[str, Rule] = {
    "nan": non_finite,
    "dead": dead_units,
    "saturated": saturation,
    "scale": scale,
    "constant": constant,
}


def run_rules(statistics: Statistics, *, thresholds: Thresholds | None = None) -> Findings:
    """Applies every rule to `statistics`.

    Args:
        statistics: Per-channel or whole-layer statistics.
        thresholds: When rules report. Defaults to `None` (`Thresholds()`).

    Returns:
        `Findings`: those on the model's inputs first, then by the layers'
        execution order.

    Example:

    >>> run_rules(kerascope.Statistics.load("stats.json"))  # doctest: +SKIP
    Findings(none: no dead, saturated, non-finite or collapsing activations)
    """
    limits = thresholds if thresholds is not None else Thresholds()
    found = [finding for rule in RULES.values() for finding in rule(statistics, limits)]
    order = {key: i for i, key in enumerate(statistics)}
    return Findings(sorted(found, key=lambda f: order.get(f.key, -1)))
