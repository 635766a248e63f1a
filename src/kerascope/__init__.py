"""kerascope: layer activations for every Keras 3 model, on every backend.

The top level holds the verbs a user types and the classes a user constructs;
result types live in their subpackages (`kerascope.capture.Activations`,
`kerascope.stats.Statistics`, `kerascope.store.Store`,
`kerascope.diagnostics.Findings`, `kerascope.monitor.MonitorHistory`).

`import kerascope` imports neither Keras nor a backend: each name is imported
on first use (PEP 562), so the command line starts at once and saved
statistics, findings, stores and histories open without Keras.

Example:

>>> import kerascope
>>> acts = kerascope.capture(model, x, layers="conv*")         # doctest: +SKIP
>>> probe = kerascope.Probe(model, layers=keras.layers.Dense)  # doctest: +SKIP
>>> kerascope.layers(model)                                    # doctest: +SKIP
{'conv1': <Conv2D name=conv1, built=True>, ...}
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import TYPE_CHECKING, Any

from kerascope.errors import (
    CaptureError,
    InputError,
    KerascopeError,
    SelectionError,
    StatsError,
    StoreError,
)

if TYPE_CHECKING:  # what mypy and IDEs see; at run time `__getattr__` imports these
    from kerascope import plot as plot
    from kerascope.capture import Probe as Probe
    from kerascope.capture import capture as capture
    from kerascope.capture import gradcam as gradcam
    from kerascope.capture import gradients as gradients
    from kerascope.capture import layers as layers
    from kerascope.diagnostics import diagnose as diagnose
    from kerascope.examples import top_examples as top_examples
    from kerascope.interventions import ablation as ablation
    from kerascope.interventions import intervene as intervene
    from kerascope.interventions import patching as patching
    from kerascope.monitor import ActivationMonitor as ActivationMonitor
    from kerascope.report import report as report
    from kerascope.stats import stats as stats
    from kerascope.store import open as open
    from kerascope.store import record as record
    from kerascope.visualize import visualize as visualize

__version__ = "0.1.0"

# Public name -> (module, attribute); attribute None: the module itself.
_LAZY: dict[str, tuple[str, str | None]] = {
    "ActivationMonitor": ("kerascope.monitor", "ActivationMonitor"),
    "Probe": ("kerascope.capture", "Probe"),
    "ablation": ("kerascope.interventions", "ablation"),
    "capture": ("kerascope.capture", "capture"),
    "diagnose": ("kerascope.diagnostics", "diagnose"),
    "gradcam": ("kerascope.capture", "gradcam"),
    "gradients": ("kerascope.capture", "gradients"),
    "intervene": ("kerascope.interventions", "intervene"),
    "layers": ("kerascope.capture", "layers"),
    "open": ("kerascope.store", "open"),
    "patching": ("kerascope.interventions", "patching"),
    "plot": ("kerascope.plot", None),
    "record": ("kerascope.store", "record"),
    "report": ("kerascope.report", "report"),
    "stats": ("kerascope.stats", "stats"),
    "top_examples": ("kerascope.examples", "top_examples"),
    "visualize": ("kerascope.visualize", "visualize"),
}

# Names that left the top level (they warn), and the subpackage that holds them now.
_MOVED: dict[str, str] = {
    "Activations": "kerascope.capture",
    "LayerInfo": "kerascope.capture",
    "LayerStats": "kerascope.stats",
    "Statistics": "kerascope.stats",
    "StatsAccumulator": "kerascope.stats",
    "Store": "kerascope.store",
    "StoredArray": "kerascope.store",
    "Finding": "kerascope.diagnostics",
    "Findings": "kerascope.diagnostics",
    "MonitorHistory": "kerascope.monitor",
}

# `kerascope.open(path)` opens a store; it is left out of `__all__` so that
# `from kerascope import *` never shadows the built-in `open`.
__all__ = [
    "ActivationMonitor",
    "CaptureError",
    "InputError",
    "KerascopeError",
    "Probe",
    "SelectionError",
    "StatsError",
    "StoreError",
    "__version__",
    "ablation",
    "capture",
    "diagnose",
    "gradcam",
    "gradients",
    "intervene",
    "layers",
    "patching",
    "plot",
    "record",
    "report",
    "stats",
    "top_examples",
    "visualize",
]


def __getattr__(name: str) -> Any:
    """Imports a public name on first use (PEP 562)."""
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        if attribute is None:
            return module
        try:
            value = getattr(module, attribute)
        except AttributeError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _MOVED:
        home = _MOVED[name]
        warnings.warn(
            f"`kerascope.{name}` moved to `{home}.{name}`; "
            f"import it with `from {home} import {name}`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(home), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names (what tab completion offers), not the imports made here."""
    dunders = (name for name in globals() if name.startswith("__"))
    return sorted({*__all__, "open", *dunders})


class _Package(types.ModuleType):
    """The `kerascope` module, whose verbs are not overwritten by subpackages.

    Three verbs share their name with the subpackage that defines them
    (`capture`, `stats`, `report`). Importing a subpackage for the first time
    sets it as an attribute of its parent; here that would turn
    `kerascope.stats(model, x)` into a call of a module after any
    `from kerascope.stats import Statistics`. The verb keeps its name; the
    subpackage stays importable by its dotted name.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and _LAZY[name][1] is not None and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
