"""Dataset examples: the samples that drive each unit hardest, and where in the input.

`top_examples` streams a dataset once and keeps, per channel of each layer
output, the `k` samples with the strongest responses (`Examples`, a mapping of
leaf key -> `UnitExamples`), with the input region (receptive field) each
response sees. Examples merge over shards (`a | b`) and are saved as JSON.

Reading saved examples (`Examples.load`, `Examples.from_json`) imports
neither Keras nor a backend: `top_examples` and the helpers that run models
are imported on first use (PEP 562).

Example:

>>> ex = kerascope.top_examples(model, x, "conv2", k=9)    # doctest: +SKIP
>>> ex                                                     # doctest: +SKIP
Examples(1 layers, k=9, bottom=False, samples=1,797)
  key    class   channels  best unit  best value  best sample  region
  conv2  Conv2D        16          7       3.912          812     5x5
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerascope.examples._examples import FORMAT, Examples
from kerascope.examples._geometry import Region
from kerascope.examples._unit import ExamplesError, Ranking, UnitExamples

if TYPE_CHECKING:
    from kerascope.examples._accumulator import ExamplesAccumulator
    from kerascope.examples._api import (
        check_k,
        examples_accumulator,
        top_examples,
    )
    from kerascope.examples._regions import gradient_box

__all__ = [
    "FORMAT",
    "Examples",
    "ExamplesAccumulator",
    "ExamplesError",
    "Ranking",
    "Region",
    "UnitExamples",
    "check_k",
    "examples_accumulator",
    "gradient_box",
    "top_examples",
]

# The names that need Keras, and the modules that define them.
_LAZY = {
    "ExamplesAccumulator": "kerascope.examples._accumulator",
    "check_k": "kerascope.examples._api",
    "examples_accumulator": "kerascope.examples._api",
    "gradient_box": "kerascope.examples._regions",
    "top_examples": "kerascope.examples._api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kerascope.examples' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
