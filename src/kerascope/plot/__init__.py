"""Matplotlib figures of activations: feature maps, histograms, overlays, profiles, training.

Every function returns a `matplotlib.figure.Figure` built without pyplot (no
global state, no GUI backend, nothing shown): save it with `fig.savefig(...)`
or display it in a notebook. matplotlib is imported on first use, so
`import kerascope.plot` works without it (`pip install kerascope[viz]`).

Example:

>>> import kerascope.plot
>>> acts = kerascope.capture(model, x, layers="conv*")              # doctest: +SKIP
>>> kerascope.plot.feature_maps(acts, "conv1").savefig("conv1.png")  # doctest: +SKIP
>>> kerascope.plot.layer_profile(kerascope.stats(model, x))          # doctest: +SKIP
"""

from kerascope.plot._distributions import histograms
from kerascope.plot._evolution import evolution
from kerascope.plot._examples import examples
from kerascope.plot._feature_maps import feature_maps
from kerascope.plot._interventions import importance, patching
from kerascope.plot._overlay import overlay
from kerascope.plot._profile import layer_profile
from kerascope.plot._visualizations import visualizations

__all__ = [
    "evolution",
    "examples",
    "feature_maps",
    "histograms",
    "importance",
    "layer_profile",
    "overlay",
    "patching",
    "visualizations",
]
