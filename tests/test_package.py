"""The package surface: a lazy top level, its names, the error hierarchy.

The import checks run in a fresh interpreter: this test session imported
Keras and a backend long before any test runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import kerascope

VERBS_AND_CLASSES = {
    "capture": "kerascope.capture",
    "Probe": "kerascope.capture",
    "layers": "kerascope.capture",
    "gradients": "kerascope.capture",
    "stats": "kerascope.stats",
    "record": "kerascope.store",
    "open": "kerascope.store",
    "diagnose": "kerascope.diagnostics",
    "report": "kerascope.report",
    "top_examples": "kerascope.examples",
    "ActivationMonitor": "kerascope.monitor",
    "visualize": "kerascope.visualize",
    "intervene": "kerascope.interventions",
    "ablation": "kerascope.interventions",
    "patching": "kerascope.interventions",
}
ERRORS = ("KerascopeError", "InputError", "SelectionError", "CaptureError", "StoreError")
MOVED = {
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


def fresh_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_kerascope_imports_neither_keras_nor_a_backend():
    code = (
        "import sys\n"
        "import kerascope\n"
        "kerascope.__version__, kerascope.KerascopeError, dir(kerascope)\n"
        "frameworks = ('keras', 'tensorflow', 'jax', 'torch', 'numpy')\n"
        "print(sorted(m for m in frameworks if m in sys.modules))\n"
    )
    assert fresh_python(code) == "[]"


def test_a_verb_imports_keras_on_first_use():
    code = "import sys, kerascope\nkerascope.capture\nprint('keras' in sys.modules)\n"
    assert fresh_python(code) == "True"


def test_the_top_level_is_the_verbs_classes_and_errors():
    public = set(kerascope.__all__) | {"open"}
    expected = {*VERBS_AND_CLASSES, *ERRORS, "StatsError", "gradcam", "plot", "__version__"}
    assert public == expected
    assert public | {"open"} <= set(dir(kerascope))
    assert not {name for name in dir(kerascope) if not name.startswith("__")} - public
    assert "open" not in kerascope.__all__  # `from kerascope import *` keeps the builtin


@pytest.mark.parametrize("name", sorted(VERBS_AND_CLASSES))
def test_each_verb_is_its_subpackages_object(name):
    module = sys.modules.get(VERBS_AND_CLASSES[name]) or __import__(
        VERBS_AND_CLASSES[name], fromlist=["_"]
    )
    assert getattr(kerascope, name) is getattr(module, name)


def test_plot_is_the_plot_subpackage():
    assert isinstance(kerascope.plot, types.ModuleType)
    assert kerascope.plot.__name__ == "kerascope.plot"


def test_gradcam_resolves_to_the_capture_package():
    import kerascope.capture

    capture_package = sys.modules["kerascope.capture"]
    if not hasattr(capture_package, "gradcam"):
        with pytest.raises(AttributeError, match="'kerascope' has no attribute 'gradcam'"):
            kerascope.gradcam  # noqa: B018
    else:
        assert kerascope.gradcam is capture_package.gradcam


def test_verbs_named_like_their_subpackage_survive_its_first_import():
    # Importing `kerascope.stats` for the first time binds the subpackage as an
    # attribute of `kerascope`; the verb must keep its name.
    code = (
        "import kerascope\n"
        "from kerascope.stats import Statistics\n"
        "import kerascope.report, kerascope.capture, kerascope.visualize\n"
        "print(kerascope.stats.__module__, kerascope.report.__module__,"
        " kerascope.capture.__module__, kerascope.visualize.__module__)\n"
    )
    assert fresh_python(code) == (
        "kerascope.stats._api kerascope.report._api kerascope.capture._api kerascope.visualize._api"
    )


@pytest.mark.parametrize("name", sorted(MOVED))
def test_moved_names_warn_and_name_their_new_home(name):
    module = __import__(MOVED[name], fromlist=[name])
    with pytest.warns(DeprecationWarning, match=rf"from {MOVED[name]} import {name}"):
        value = getattr(kerascope, name)
    assert value is getattr(module, name)
    assert name not in kerascope.__all__
    assert name not in dir(kerascope)


def test_an_unknown_name_is_an_attribute_error_naming_the_module():
    with pytest.raises(AttributeError, match=r"^module 'kerascope' has no attribute 'nope'$"):
        kerascope.nope  # noqa: B018
    assert not hasattr(kerascope, "Thresholds")


def test_thresholds_are_where_diagnose_users_find_them():
    from kerascope.diagnostics import Thresholds, diagnose

    assert "Thresholds" in (diagnose.__doc__ or "")
    assert Thresholds().__class__.__name__ == "Thresholds"


def test_error_hierarchy():
    for name in (*ERRORS, "StatsError"):
        assert issubclass(getattr(kerascope, name), kerascope.KerascopeError)


def test_typed_package():
    assert (Path(kerascope.__file__).parent / "py.typed").is_file()
