"""Reading saved statistics and findings imports neither Keras nor a backend.

Each check runs in a fresh interpreter, so nothing this test process imported
can hide an import. `bare` leaves the top-level `kerascope/__init__.py` out (a
bare package object), so it tests the subpackages alone whatever the top level
does; `plain` is the user's own `from kerascope.stats import Statistics`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import kerascope

_BARE = """
import importlib.util, sys, types
spec = importlib.util.find_spec("kerascope")
package = types.ModuleType("kerascope")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["kerascope"] = package
"""

_READ = """
import json, sys
from kerascope.stats import Statistics
from kerascope.diagnostics import Findings, run_rules
statistics = Statistics.load(sys.argv[1])
findings = run_rules(statistics)
assert Findings.from_json(findings.to_json()) == findings
loaded = sorted(m for m in sys.modules if m.split(".")[0] in
                ("keras", "tensorflow", "jax", "torch"))
print(json.dumps({"keys": list(statistics), "findings": len(findings), "loaded": loaded}))
"""


def _run(code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _top_level_imports_keras() -> bool:
    code = "import sys, kerascope; print('keras' in sys.modules)"
    return _run(code) == "True"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(hidden))
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    x[3, 1] = np.nan  # a finding to read back
    path = tmp_path_factory.mktemp("stats") / "stats.json"
    kerascope.stats(model, x, progress=False).save(path)
    return path


@pytest.mark.parametrize("form", ["bare", "plain"])
def test_reading_statistics_and_findings_imports_no_keras(saved, form):
    if form == "plain" and _top_level_imports_keras():
        pytest.skip("`import kerascope` itself imports Keras: the top level is not lazy yet")
    code = (_BARE if form == "bare" else "") + textwrap.dedent(_READ)
    import json

    report = json.loads(_run(code, str(saved)))
    assert report["keys"] == ["hidden", "out"]
    assert report["findings"] == 1
    assert report["loaded"] == []
