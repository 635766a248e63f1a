"""The rule for saturation: bounded activations (sigmoid, tanh, softmax) at their bounds."""

from __future__ import annotations

import numpy as np

from kerascope.diagnostics._findings import Finding
from kerascope.diagnostics._ranges import bounds_of, saturated_fraction
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import Statistics

__all__ = ["saturation"]


def saturation(stats: Statistics, limits: Thresholds) -> list[Finding]:
    """Bounded activations (sigmoid, tanh, softmax) sitting at their bounds.

    The model's outputs (`LayerStats.is_output`) are left out: a confident
    classifier's probabilities sit at 0 and 1 by design.
    """
    findings = []
    for key, layer in stats.items():
        bounds = bounds_of(layer)
        if bounds is None or layer.is_output or layer.count == 0:
            continue
        low, high = bounds
        margin = limits.saturation_margin * (high - low)
        at_low, at_high = saturated_fraction(layer, limits.saturation_margin)
        fraction = at_low + at_high
        if fraction < limits.saturation_warning:
            continue
        units: list[int] = []
        if layer.per_channel:
            stuck = (layer.channel_max <= low + margin) | (layer.channel_min >= high - margin)
            units = np.flatnonzero(stuck).tolist()
        findings.append(
            Finding(
                key=key,
                kind="saturated",
                severity="error" if fraction >= limits.saturation_error else "warning",
                message=(
                    f"{fraction:.1%} of {layer.activation or layer.class_name} outputs at their "
                    f"bounds ({at_low:.1%} near {low:g}, {at_high:.1%} near {high:g})"
                ),
                evidence={
                    "fraction": fraction,
                    "at_low": at_low,
                    "at_high": at_high,
                    "bounds": [low, high],
                    "margin": margin,
                    "stuck_units": units,
                },
                hint=(
                    "Saturated units pass almost no gradient: inputs to the activation are "
                    "too large; normalise its inputs (BatchNormalization), shrink the "
                    "initial weights, or lower the learning rate."
                ),
            )
        )
    return findings
