"""The rule for NaN and ±Inf: where non-finite values first appear, in the data or a layer."""

from __future__ import annotations

from kerascope.diagnostics._findings import Finding
from kerascope.diagnostics._thresholds import Thresholds
from kerascope.stats import InputStats, Statistics

__all__ = ["non_finite"]


def non_finite(stats: Statistics, limits: Thresholds) -> list[Finding]:
    """Where NaN or ±Inf first appear: in the model's inputs, else the first such layer.

    With non-finite inputs, every input holding them is reported (the layers
    after them inherit them, so none is blamed); with finite inputs, the first
    layer, in execution order, with NaN or ±Inf in its outputs.
    """
    del limits
    bad = [key for key, layer in stats.items() if layer.size > layer.count]
    inputs = [check for check in stats.inputs.values() if not check.finite]
    if inputs:
        return [_in_input(check, bad) for check in inputs]
    if not bad:
        return []
    first = stats[bad[0]]
    nan = round(first.nan_fraction * first.size)
    inf = round(first.inf_fraction * first.size)
    message = f"first non-finite output: {nan:,} NaN and {inf:,} Inf in {first.size:,} values"
    message += _inheriting(bad[1:])
    checked = "the model's inputs and " if stats.inputs else ""
    return [
        Finding(
            key=first.key,
            kind="nan",
            severity="error",
            message=message,
            evidence={"nan": nan, "inf": inf, "values": first.size, "later_layers": bad[1:]},
            hint=(
                f"The layers before it were finite ({checked}every earlier layer): look for "
                "log/sqrt/division of zero or negative values or exp overflow here; lower "
                "the learning rate or clip gradients if it appeared in training."
            ),
        )
    ]


def _in_input(check: InputStats, bad: list[str]) -> Finding:
    shown = ", ".join(str(i) for i in check.first_bad)
    more = ", ..." if check.bad_samples > len(check.first_bad) else ""
    message = (
        f"{check.nan:,} NaN and {check.inf:,} Inf in {check.values:,} values of input "
        f"{check.name!r}, in {check.bad_samples:,} of {check.samples:,} samples "
        f"(samples {shown}{more})"
    )
    return Finding(
        key=check.name,
        kind="nan",
        severity="error",
        message=message + _inheriting(bad),
        evidence={
            "input": check.name,
            "nan": check.nan,
            "inf": check.inf,
            "values": check.values,
            "samples": check.samples,
            "bad_samples": check.bad_samples,
            "first_bad_samples": list(check.first_bad),
            "later_layers": bad,
        },
        hint=(
            "The data, not the model, holds NaN or Inf: clean or drop those samples, or "
            "fix the preprocessing that made them (a division by a zero std, a log of 0)."
        ),
    )


def _inheriting(later: list[str]) -> str:
    if not later:
        return ""
    return f"; {len(later)} later layer{'s' if len(later) != 1 else ''} inherit it"
