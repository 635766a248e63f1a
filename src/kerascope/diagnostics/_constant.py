"""The rule for constant units: outputs that never vary over samples and positions."""

from __future__ import annotations

import numpy as np

from kerascope.diagnostics._findings import Finding
from kerascope.diagnostics._ranges import is_relu
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import Statistics

__all__ = ["constant"]


def constant(stats: Statistics, limits: Thresholds) -> list[Finding]:
    """Units whose output never varies, over samples and positions alike.

    Units stuck at zero in a ReLU layer are dead units; stuck at zero after
    one (pooling, dropout) they are the same units again, so only non-zero
    constants, and whole constant layers where the problem starts, are reported.
    """
    del limits
    findings = []
    for key, layer in stats.items():
        if layer.samples < 2 or layer.count == 0 or not layer.per_channel or is_relu(layer):
            continue
        flat = layer.channel_std == 0
        stuck = np.flatnonzero(flat & (layer.channel_mean != 0))
        whole = bool(flat.all())
        if not stuck.size and not whole:
            continue
        units = np.flatnonzero(flat) if whole else stuck
        findings.append(
            Finding(
                key=key,
                kind="constant",
                severity="warning",
                message=(
                    f"the whole output is constant ({layer.mean:g})"
                    if whole
                    else f"{units.size} of {flat.size} units constant over "
                    f"{layer.samples:,} samples"
                ),
                evidence={
                    "units": units.tolist(),
                    "values": layer.channel_mean[units].tolist(),
                    "of": int(flat.size),
                    "samples": layer.samples,
                },
                hint=(
                    "A constant output carries no information: check for zero weights, "
                    "a saturated or dead layer before it, or inputs that do not vary."
                ),
            )
        )
    return _first_of_each_cascade(findings)


def _first_of_each_cascade(findings: list[Finding]) -> list[Finding]:
    """Drops whole-layer constants after the first: they inherit it."""
    kept: list[Finding] = []
    seen_whole = False
    for finding in findings:
        whole = finding.message.startswith("the whole output")
        if not (whole and seen_whole):
            kept.append(finding)
        seen_whole = seen_whole or whole
    return kept
