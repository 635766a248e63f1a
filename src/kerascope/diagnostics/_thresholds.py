"""`Thresholds`: when a diagnostic rule reports, and how severely."""

from __future__ import annotations

import dataclasses

__all__ = ["Thresholds"]


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

    Example:

    >>> Thresholds(dead_error=0.1).dead_error
    0.1
    """

    dead_error: float = 0.5
    saturation_margin: float = 0.02
    saturation_warning: float = 0.5
    saturation_error: float = 0.9
    vanishing: float = 1e-3
    exploding: float = 1e3
