"""Reading a store imports neither Keras nor a backend: checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import store_models as models

import kerascope

# Until the top-level package is lazy (its own change), `import kerascope`
# imports Keras whatever the store does; the child then stands in for the
# top-level package (same path, no __init__) so that it still checks
# everything `kerascope.store` itself imports.
STAND_IN = textwrap.dedent(
    """
    import importlib.util, sys, types
    spec = importlib.util.find_spec("kerascope")
    package = types.ModuleType("kerascope")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["kerascope"] = package
    """
)

READ = textwrap.dedent(
    """
    import sys
    import numpy as np
    import kerascope.store

    store = kerascope.store.open_store(sys.argv[1])
    assert store.metadata["layers"][0]["key"] == "pool", store.metadata
    assert store.samples == 16
    np.save(sys.argv[2], store["pool"][4:12])
    assert store.verify().ok
    assert kerascope.store.verify_store(sys.argv[1]).ok
    if sys.argv[3] == "statistics":
        assert store.statistics["pool"].count == 16 * 4
    if sys.argv[4] == "top-level":
        assert kerascope.open(sys.argv[1]).samples == 16
    loaded = sorted(
        name for name in sys.modules
        if name.split(".")[0] in ("keras", "tensorflow", "jax", "torch")
    )
    assert not loaded, loaded[:10]
    print("ok")
    """
)


def _imports_keras(code: str) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('keras' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ,
    )
    return result.stdout.strip().endswith("True")


def test_reading_a_store_imports_no_keras(tmp_path):
    model = models.build_model()
    x = models.inputs(16)
    kerascope.record(model, x, tmp_path / "s", "pool", batch_size=8, progress=False)
    lazy_top = not _imports_keras("import kerascope")
    prelude = "" if lazy_top else STAND_IN
    # Statistics are read by kerascope.stats, Keras-free once its package is lazy.
    stats_free = not _imports_keras(prelude + "\nimport kerascope.stats")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            prelude + READ,
            str(tmp_path / "s"),
            str(tmp_path / "read.npy"),
            "statistics" if stats_free else "-",
            "top-level" if lazy_top else "-",
        ],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok"
    expected = kerascope.capture(model, x, "pool")["pool"][4:12]
    np.testing.assert_allclose(np.load(tmp_path / "read.npy"), expected, rtol=1e-5, atol=1e-6)
