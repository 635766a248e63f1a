"""Feature visualization: inputs optimised to excite a unit, on every backend.

`visualize(model, key, channels)` optimises one image per channel, all in one
batched pass, through the fft or pixel parameterisation, random transforms
and composable objectives (`kerascope.visualize.objectives`).
"""

from kerascope.visualize import objectives, transforms
from kerascope.visualize._api import visualize
from kerascope.visualize._result import Visualization

__all__ = ["Visualization", "objectives", "transforms", "visualize"]
