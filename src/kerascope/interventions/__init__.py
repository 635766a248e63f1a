"""Interventions: edit layer outputs in flight, in one compiled pass; ablation, patching.

The intervention values and the result types (`Importance`, `Patching`) import
without Keras, so saved results open anywhere; `intervene`, `ablation` and
`patching`, which run models, are imported on first use (PEP 562).

Example:

>>> from kerascope.interventions import zero, scale
>>> edited = kerascope.intervene(model, {"conv2": zero(channels=[7])})   # doctest: +SKIP
>>> edited.predict(x)                                                     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerascope.interventions._importance import Importance
from kerascope.interventions._sweep import Patching
from kerascope.interventions._values import (
    Intervention,
    add,
    clamp,
    function,
    mean,
    patch,
    scale,
    zero,
)
from kerascope.interventions._values import set_value as set

if TYPE_CHECKING:
    from kerascope.interventions._ablation import ablation
    from kerascope.interventions._intervene import EditedProbe, Intervened, intervene
    from kerascope.interventions._patching import patching

__all__ = [
    "EditedProbe",
    "Importance",
    "Intervened",
    "Intervention",
    "Patching",
    "ablation",
    "add",
    "clamp",
    "function",
    "intervene",
    "mean",
    "patch",
    "patching",
    "scale",
    "set",
    "zero",
]

# The names that run models (and so import Keras), and their modules.
_LAZY = {
    "EditedProbe": "kerascope.interventions._intervene",
    "Intervened": "kerascope.interventions._intervene",
    "ablation": "kerascope.interventions._ablation",
    "intervene": "kerascope.interventions._intervene",
    "patching": "kerascope.interventions._patching",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerascope.interventions' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
