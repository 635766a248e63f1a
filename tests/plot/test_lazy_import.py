"""`import kerascope.plot` works without matplotlib; plotting then says what to install."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import kerascope


def test_import_without_matplotlib_and_the_error_on_use(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    for name in [
        n for n in sys.modules if n == "kerascope.plot" or n.startswith("kerascope.plot.")
    ]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(kerascope, "plot", raising=False)

    plot = importlib.import_module("kerascope.plot")

    with pytest.raises(ImportError, match=r"Install it with `pip install kerascope\[viz\]`"):
        plot.histograms({"a": np.zeros((2, 3))})
