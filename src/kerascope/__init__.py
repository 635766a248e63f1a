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

__version__ = "0.1.0"

__all__ = [
    "Activations",
    "CaptureError",
    "InputError",
    "KerascopeError",
    "LayerInfo",
    "Probe",
    "SelectionError",
    "StoreError",
    "__version__",
    "capture",
]
