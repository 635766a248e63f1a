"""Shards merge into the whole; examples round-trip through JSON and read without Keras."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from examples_oracle import assert_same

from kerascope.errors import SelectionError
from kerascope.examples import Examples, ExamplesError, top_examples


def small_model() -> keras.Model:
    inputs = keras.Input((8, 3))
    h = keras.layers.Conv1D(4, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.GlobalMaxPooling1D(name="pool")(h)
    return keras.Model(inputs, keras.layers.Dense(2, name="dense")(h))


@pytest.fixture(scope="module")
def setup():
    keras.utils.set_random_seed(0)
    model = small_model()
    x = np.random.default_rng(2).standard_normal((50, 8, 3)).astype("float32")
    whole = top_examples(model, x, k=6, bottom=True, batch_size=16, progress=False)
    return model, x, whole


@pytest.mark.parametrize("cuts", [(20,), (3, 17, 40), (49,)])
def test_merged_shards_equal_the_whole(setup, cuts):
    model, x, whole = setup
    edges = (0, *cuts, len(x))
    shards = [
        top_examples(model, x[a:b], k=6, bottom=True, offset=a, batch_size=16, progress=False)
        for a, b in itertools.pairwise(edges)
    ]
    merged = shards[-1]
    for shard in reversed(shards[:-1]):  # any order
        merged = merged | shard
    assert merged.samples == ((0, 50),)
    assert_same(merged, whole)


def test_mismatched_or_overlapping_shards_are_refused(setup):
    model, x, whole = setup
    again = top_examples(model, x[:5], k=6, bottom=True, progress=False)
    with pytest.raises(ExamplesError, match=r"disjoint samples .* Received: sample ranges"):
        whole | again
    other_k = top_examples(model, x[:5], k=3, bottom=True, offset=50, progress=False)
    with pytest.raises(ExamplesError, match="same keys, k and bottom"):
        whole | other_k
    other_keys = top_examples(model, x[:5], "conv", k=6, bottom=True, offset=50, progress=False)
    with pytest.raises(ExamplesError, match="same keys"):
        whole | other_keys
    with pytest.raises(TypeError):
        whole | 3
    with pytest.raises(SelectionError, match="nope"):
        whole["nope"]
    assert "nope" not in whole
    assert "conv" in whole


def test_json_round_trip_and_files(setup, tmp_path):
    _, _, whole = setup
    text = whole.to_json()
    assert "NaN" not in text
    assert "pickle" not in text
    assert_same(Examples.from_json(text), whole)
    whole.save(tmp_path / "ex.json")
    assert_same(Examples.load(tmp_path / "ex.json"), whole)
    padded = top_examples(setup[0], setup[1][:2], "dense", k=4, progress=False)
    back = Examples.from_json(padded.to_json())
    assert np.isnan(back["dense"].values[:, 2:]).all()
    assert (back["dense"].indices[:, 2:] == -1).all()
    with pytest.raises(ExamplesError, match="Expected kerascope examples"):
        Examples.from_json(json.dumps({"format": "other"}))
    with pytest.raises(ExamplesError, match="Expected JSON text"):
        Examples.from_json("{")


def test_repr_is_a_table(setup):
    text = repr(setup[2])
    assert text.startswith("Examples(3 layers, k=6, bottom=True, samples=50)")
    assert "conv" in text
    assert "Conv1D" in text
    assert "best value" in text


_READ = """
import sys, json
from kerascope.examples import Examples
ex = Examples.load(sys.argv[1])
regions = ex["conv"].regions
loaded = sorted(m for m in sys.modules
          if m.split(".")[0] in ("keras", "tensorflow", "jax", "torch"))
print(json.dumps({"keys": list(ex), "regions": regions.shape, "loaded": loaded}))
"""


def test_reading_saved_examples_imports_no_keras(setup, tmp_path):
    path = tmp_path / "ex.json"
    setup[2].save(path)
    result = subprocess.run(
        [sys.executable, "-c", _READ, str(path)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"keys": ["conv", "pool", "dense"], "regions": [4, 6, 1, 2], "loaded": []}


def test_every_public_function_of_kerascope_examples_is_documented():
    import inspect

    import kerascope.examples as package

    assert "examples_runner" not in package.__all__  # internal to top_examples
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.isfunction(value):
            doc = inspect.getdoc(value) or ""
            assert "Args:" in doc, name
            assert "Returns:" in doc or "Raises:" in doc, name
