"""Activation diagnostics: dead units, saturation, NaN origins, scale, constants.

Findings, the rules and diagnosing saved `Statistics` import neither Keras nor
a backend; `diagnose(model, data)` imports them when it runs the model.

Example:

>>> findings = kerascope.diagnose(model, x_val)            # doctest: +SKIP
>>> findings                                               # doctest: +SKIP
Findings(none: no dead, saturated, non-finite or collapsing activations)
"""

from kerascope.diagnostics._api import diagnose
from kerascope.diagnostics._findings import KINDS, SEVERITIES, Finding, Findings
from kerascope.diagnostics._ranges import bounds_of, dead_fraction, is_relu, saturated_fraction
from kerascope.diagnostics._rules import run_rules
from kerascope.diagnostics._thresholds import Thresholds

__all__ = [
    "KINDS",
    "SEVERITIES",
    "Finding",
    "Findings",
    "Thresholds",
    "bounds_of",
    "dead_fraction",
    "diagnose",
    "is_relu",
    "run_rules",
    "saturated_fraction",
]
