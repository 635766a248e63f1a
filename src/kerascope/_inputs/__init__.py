"""Models and inputs from files, for the command line: `.keras`/`.h5`, images, arrays.

Example:

>>> model = load_model("model.keras")                              # doctest: +SKIP
>>> x = load_inputs(["digits/"], model, preprocess="unit")         # doctest: +SKIP
>>> x.shape                                                        # doctest: +SKIP
(10, 8, 8, 1)

Importing this package imports neither numpy nor Keras (the command line's
`--help` reads `PREPROCESS`); `load_inputs` and `load_model` import them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kerascope._inputs._images import IMAGE_SUFFIXES, PREPROCESS

if TYPE_CHECKING:
    from kerascope._inputs._load import load_inputs as load_inputs
    from kerascope._inputs._model import load_model as load_model

__all__ = ["IMAGE_SUFFIXES", "PREPROCESS", "load_inputs", "load_model"]

_LAZY = {"load_inputs": "kerascope._inputs._load", "load_model": "kerascope._inputs._model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
