"""The rule for scale: the activation RMS collapsing or blowing up with depth."""

from __future__ import annotations

import math

from kerascope.diagnostics._findings import Finding
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import LayerStats, Statistics

__all__ = ["scale"]


def scale(stats: Statistics, limits: Thresholds) -> list[Finding]:
    """The RMS of activations collapsing or blowing up with depth (first crossing each way)."""
    rms = {key: _rms(layer) for key, layer in stats.items()}
    usable = [key for key, value in rms.items() if math.isfinite(value) and value > 0]
    if len(usable) < 2:
        return []
    reference = usable[0]
    findings = []
    for kind, beyond in (
        ("vanishing", lambda ratio: ratio < limits.vanishing),
        ("exploding", lambda ratio: ratio > limits.exploding),
    ):
        for depth, key in enumerate(usable[1:], start=1):
            ratio = rms[key] / rms[reference]
            if not beyond(ratio):
                continue
            findings.append(
                Finding(
                    key=key,
                    kind=kind,
                    severity="warning",
                    message=(
                        f"activation RMS {rms[key]:.3g} is {ratio:.2g}x that of the first "
                        f"layer {reference!r} ({rms[reference]:.3g})"
                    ),
                    evidence={
                        "rms": rms[key],
                        "ratio": ratio,
                        "reference": reference,
                        "reference_rms": rms[reference],
                        "depth": depth,
                        "rms_by_layer": {k: rms[k] for k in usable},
                    },
                    hint=(
                        "Activations shrink layer after layer: check the weight "
                        "initialisation (He for ReLU, Glorot for tanh) and add normalisation."
                        if kind == "vanishing"
                        else "Activations grow layer after layer: weights too large or a "
                        "learning rate too high; add normalisation or clip gradients."
                    ),
                )
            )
            break
    return findings


def _rms(layer: LayerStats) -> float:
    if layer.count == 0:
        return math.nan
    return math.sqrt(layer.mean**2 + layer.std**2)
