"""Activation diagnostics: dead units, saturation, NaN origins, scale, constants.

Example:

>>> findings = kerascope.diagnose(model, x_val)            # doctest: +SKIP
>>> findings                                               # doctest: +SKIP
Findings(none: no dead, saturated, non-finite or collapsing activations)
"""

from kerascope.diagnostics._api import diagnose, run_rules
from kerascope.diagnostics._findings import KINDS, SEVERITIES, Finding, Findings
from kerascope.diagnostics._rules import Thresholds

__all__ = ["KINDS", "SEVERITIES", "Finding", "Findings", "Thresholds", "diagnose", "run_rules"]
