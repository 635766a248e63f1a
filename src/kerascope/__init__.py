"""kerascope: layer activations for every Keras 3 model, on every backend.

Example:

>>> import kerascope
>>> acts = kerascope.capture(model, x, layers="conv*")     # doctest: +SKIP
>>> probe = kerascope.Probe(model, layers=keras.layers.Dense)  # doctest: +SKIP
"""

from kerascope.capture import Activations, LayerInfo, Probe, capture
from kerascope.errors import (
    CaptureError,
    InputError,
    KerascopeError,
    SelectionError,
    StoreError,
)
from kerascope.stats import LayerStats, Statistics, StatsAccumulator, StatsError, stats
from kerascope.store import Store, StoredArray, open, record

__version__ = "0.1.0"

__all__ = [
    "Activations",
    "CaptureError",
    "InputError",
    "KerascopeError",
    "LayerInfo",
    "LayerStats",
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
    "open",
    "record",
    "stats",
]
