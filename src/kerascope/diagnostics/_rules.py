"""The rules that turn activation statistics into findings.

Each rule reads `Statistics` only (so a saved statistics file can be diagnosed
later, without the model) and returns findings for the layers it concerns.
What a layer's outputs can be comes from its activation (`LayerStats.activation`:
`relu` for `Dense(..., activation="relu")`, a `ReLU` layer or `Activation("relu")`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection

import numpy as np

from kerascope.diagnostics._findings import Finding
from kerascope.stats import LayerStats, Statistics

__all__ = [
    "RULES",
    "Thresholds",
    "bounds_of",
    "dead_fraction",
    "is_relu",
    "saturated_fraction",
]

_RELU = frozenset({"relu", "relu6"})
#: The output range of bounded activations.
_BOUNDS = {
    "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
    "hard_tanh": (-1.0, 1.0),
    "softsign": (-1.0, 1.0),
    "softmax": (0.0, 1.0),
}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """When a rule reports, and how severely.

    Attributes:
        dead_error: A ReLU layer with at least this fraction of dead units is an
            error (fewer: a warning). Defaults to `0.5`.
        saturation_margin: Values within this fraction of the output range of
            a bound count as "at the bound". Defaults to `0.02` (e.g. a sigmoid
            output below 0.02 or above 0.98).
        saturation_warning: A bounded layer with at least this fraction of its
            values at a bound is reported. Defaults to `0.5`.
        saturation_error: ... and is an error from this fraction. Defaults to `0.9`.
        vanishing: An activation RMS below this fraction of the first layer's
            is vanishing. Defaults to `1e-3`.
        exploding: An activation RMS above this multiple of the first layer's
            is exploding. Defaults to `1e3`.
    """

    dead_error: float = 0.5
    saturation_margin: float = 0.02
    saturation_warning: float = 0.5
    saturation_error: float = 0.9
    vanishing: float = 1e-3
    exploding: float = 1e3


def is_relu(layer: LayerStats) -> bool:
    """Whether the layer's outputs come out of a ReLU (so can be "dead")."""
    return layer.activation in _RELU or layer.class_name == "ReLU"


def bounds_of(layer: LayerStats) -> tuple[float, float] | None:
    """The output range of a layer with a bounded activation, else None."""
    if layer.activation in _BOUNDS:
        return _BOUNDS[layer.activation]
    if layer.class_name == "Softmax":
        return _BOUNDS["softmax"]
    return None


def dead_fraction(layer: LayerStats) -> float:
    """The fraction of a ReLU layer's units never active (> 0); NaN for other layers.

    Without per-channel statistics the layer counts as one unit: dead when its
    largest value is <= 0.
    """
    if not is_relu(layer) or layer.samples == 0 or layer.count == 0:
        return math.nan
    units, total = _dead_units(layer)
    return units.size / total


def _dead_units(layer: LayerStats) -> tuple[np.ndarray, int]:
    """`(indices of the units never > 0, number of units)`; one unit without per-channel data."""
    if layer.per_channel:
        return np.flatnonzero(layer.active_count == 0), int(layer.active_count.size)
    return np.zeros(1 if layer.max <= 0 else 0, np.int64), 1


def saturated_fraction(layer: LayerStats, margin: float = 0.02) -> tuple[float, float]:
    """`(at_low, at_high)`: the fractions of a bounded layer's values at each bound.

    A value is at a bound within `margin` times the output range. NaN for a
    layer without a bounded activation.
    """
    bounds = bounds_of(layer)
    if bounds is None or layer.count == 0:
        return math.nan, math.nan
    low, high = bounds
    width = margin * (high - low)
    return layer.fraction_below(low + width), layer.fraction_above(high - width)


Rule = Callable[[Statistics, Thresholds, Collection[str]], list[Finding]]


def non_finite(stats: Statistics, limits: Thresholds, outputs: Collection[str]) -> list[Finding]:
    """The first layer, in execution order, with NaN or ±Inf in its outputs."""
    del limits, outputs
    bad = [key for key, layer in stats.items() if layer.size > layer.count]
    if not bad:
        return []
    first = stats[bad[0]]
    nan = round(first.nan_fraction * first.size)
    inf = round(first.inf_fraction * first.size)
    later = len(bad) - 1
    message = f"first non-finite output: {nan:,} NaN and {inf:,} Inf in {first.size:,} values"
    if later:
        message += f"; {later} later layer{'s' if later != 1 else ''} inherit it"
    return [
        Finding(
            key=first.key,
            kind="nan",
            severity="error",
            message=message,
            evidence={
                "nan": nan,
                "inf": inf,
                "values": first.size,
                "later_layers": bad[1:],
            },
            hint=(
                "The layers before it were finite: look for log/sqrt/division of zero or "
                "negative values or exp overflow here; lower the learning rate or clip "
                "gradients if it appeared in training."
            ),
        )
    ]


def dead_units(stats: Statistics, limits: Thresholds, outputs: Collection[str]) -> list[Finding]:
    """ReLU units (channels) never active, > 0, for any sample."""
    del outputs
    findings = []
    for key, layer in stats.items():
        if not is_relu(layer) or layer.samples == 0 or layer.size > layer.count:
            continue
        units, total = _dead_units(layer)
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


def saturation(stats: Statistics, limits: Thresholds, outputs: Collection[str]) -> list[Finding]:
    """Bounded activations (sigmoid, tanh, softmax) sitting at their bounds.

    The model's outputs are left out: a confident classifier's probabilities
    sit at 0 and 1 by design.
    """
    findings = []
    for key, layer in stats.items():
        bounds = bounds_of(layer)
        if bounds is None or key in outputs or layer.count == 0:
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


def scale(stats: Statistics, limits: Thresholds, outputs: Collection[str]) -> list[Finding]:
    """The RMS of activations collapsing or blowing up with depth (first crossing each way)."""
    del outputs
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


def constant(stats: Statistics, limits: Thresholds, outputs: Collection[str]) -> list[Finding]:
    """Units whose output never varies, over samples and positions alike.

    Units stuck at zero in a ReLU layer are dead units; stuck at zero after
    one (pooling, dropout) they are the same units again, so only non-zero
    constants, and whole constant layers where the problem starts, are reported.
    """
    del limits, outputs
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


def _rms(layer: LayerStats) -> float:
    if layer.count == 0:
        return math.nan
    return math.sqrt(layer.mean**2 + layer.std**2)


RULES: dict[str, Rule] = {
    "nan": non_finite,
    "dead": dead_units,
    "saturated": saturation,
    "scale": scale,
    "constant": constant,
}
