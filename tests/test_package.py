"""The package surface: lazy framework imports, exported names, error hierarchy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kerascope


def test_import_kerascope_imports_no_framework_keras_did_not():
    code = (
        "import sys, keras\n"
        "frameworks = ('tensorflow', 'jax', 'torch')\n"
        "before = {m for m in frameworks if m in sys.modules}\n"
        "import kerascope\n"
        "after = {m for m in frameworks if m in sys.modules}\n"
        "print(sorted(after - before))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert result.stdout.strip() == "[]"


def test_public_names_and_error_hierarchy():
    for name in ("capture", "Probe", "Activations", "LayerInfo", "KerascopeError"):
        assert name in kerascope.__all__
    for error in (
        kerascope.SelectionError,
        kerascope.InputError,
        kerascope.CaptureError,
        kerascope.StoreError,
    ):
        assert issubclass(error, kerascope.KerascopeError)


def test_typed_package():
    assert (Path(kerascope.__file__).parent / "py.typed").is_file()
