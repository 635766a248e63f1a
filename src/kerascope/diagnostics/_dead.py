"""The rule for dead units: ReLU units never active, > 0, for any sample."""

from __future__ import annotations

from kerascope.diagnostics._findings import Finding
from kerascope.diagnostics._ranges import dead_units_of, is_relu
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import Statistics

__all__ = ["dead_units"]


def dead_units(stats: Statistics, limits: Thresholds) -> list[Finding]:
    """ReLU units (channels) never active, > 0, for any sample."""
    findings = []
    for key, layer in stats.items():
        if not is_relu(layer) or layer.samples == 0 or layer.size > layer.count:
            continue
        units, total = dead_units_of(layer)
        if units.size == 0:
            continue
        fraction = units.size / total
        findings.append(
            Finding(
                key=key,
                kind="dead",
                severity="error" if fraction >= limits.dead_error else "warning",
                message=(
                    f"{units.size} of {total} units never active ({fraction:.1%}) "
                    f"over {layer.samples:,} samples"
                ),
                evidence={
                    "units": units.tolist() if layer.per_channel else "all",
                    "dead": int(units.size),
                    "of": int(total),
                    "fraction": fraction,
                    "samples": layer.samples,
                },
                hint=(
                    "Dead ReLUs: a large negative bias or a too-high learning rate pushed "
                    "them below zero for every input; use He initialisation, a lower "
                    "learning rate, BatchNormalization before the ReLU, or LeakyReLU."
                ),
            )
        )
    return findings
