"""Interventions: edit layer outputs in flight, in one compiled pass; ablation, patching.

Example:

>>> from kerascope.interventions import zero, scale
>>> edited = kerascope.intervene(model, {"conv2": zero(channels=[7])})   # doctest: +SKIP
>>> edited.predict(x)                                                     # doctest: +SKIP
"""

from kerascope.interventions._ablation import ablation
from kerascope.interventions._importance import Importance
from kerascope.interventions._intervene import EditedProbe, Intervened, intervene
from kerascope.interventions._patching import Patching, patching
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
