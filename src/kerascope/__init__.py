"""kerascope: layer activations for every Keras 3 model, on every backend.

Example:

>>> import kerascope
>>> acts = kerascope.capture(model, x, layers="conv*")     # doctest: +SKIP
>>> probe = kerascope.Probe(model, layers=keras.layers.Dense)  # doctest: +SKIP
"""

from kerascope import plot
from kerascope.capture import Activations, LayerInfo, Probe, capture, gradcam, gradients
from kerascope.diagnostics import Finding, Findings, diagnose
from kerascope.errors import (
    CaptureError,
    InputError,
    KerascopeError,
    SelectionError,
    StoreError,
)
from kerascope.monitor import ActivationMonitor, MonitorHistory
from kerascope.report import report
from kerascope.stats import LayerStats, Statistics, StatsAccumulator, StatsError, stats
from kerascope.store import Store, StoredArray, record
from kerascope.store import open as open  # re-exported, but not in __all__ (see below)

__version__ = "0.1.0"

# `kerascope.open(path)` opens a store; it is left out of `__all__` so that
# `from kerascope import *` never shadows the built-in `open`.

__all__ = [
    "ActivationMonitor",
    "Activations",
    "CaptureError",
    "Finding",
    "Findings",
    "InputError",
    "KerascopeError",
    "LayerInfo",
    "LayerStats",
    "MonitorHistory",
    "Probe",
    "SelectionError",
    "Statistics",
    "StatsAccumulator",
    "StatsError",
    "Store",
    "StoreError",
    "StoredArray",
    "__version__",
    "capture",
    "diagnose",
    "gradcam",
    "gradients",
    "plot",
    "record",
    "report",
    "stats",
]
