"""Models and inputs from files, for the command line: `.keras`/`.h5`, images, arrays.

Example:

>>> model = load_model("model.keras")                              # doctest: +SKIP
>>> x = load_inputs(["digits/"], model, preprocess="unit")         # doctest: +SKIP
>>> x.shape                                                        # doctest: +SKIP
(10, 8, 8, 1)
"""

from kerascope._inputs._images import IMAGE_SUFFIXES, PREPROCESS
from kerascope._inputs._load import load_inputs
from kerascope._inputs._model import load_model

__all__ = ["IMAGE_SUFFIXES", "PREPROCESS", "load_inputs", "load_model"]
