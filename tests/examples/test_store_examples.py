"""`record(..., examples=k)` keeps the live `top_examples` in the store, through crashes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from examples_oracle import assert_same

import kerascope
from kerascope.errors import InputError, StoreError
from kerascope.examples import top_examples


def model_and_data():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((9, 9, 2))
    h = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.GlobalMaxPooling2D(name="pool")(h)
    model = keras.Model(inputs, keras.layers.Dense(2, name="dense")(h))
    x = np.random.default_rng(4).standard_normal((40, 9, 9, 2)).astype("float32")
    return model, x


def test_a_stores_examples_equal_the_live_ones(tmp_path):
    model, x = model_and_data()
    store = kerascope.record(
        model, x, tmp_path / "s.zarr", batch_size=16, examples=5, progress=False
    )
    live = top_examples(model, x, k=5, progress=False)
    assert store.examples.samples == ((0, 40),)
    assert_same(store.examples, live)
    again = kerascope.open(tmp_path / "s.zarr").examples
    assert_same(again, live)
    plain = kerascope.record(model, x, tmp_path / "p.zarr", progress=False)
    assert plain.examples is None


class Crash(Exception):
    pass


def crashing(x, size, after):
    for i, start in enumerate(range(0, len(x), size)):
        if i == after:
            raise Crash
        yield x[start : start + size]


def test_a_crashed_recording_resumes_to_the_live_examples(tmp_path):
    model, x = model_and_data()
    path = tmp_path / "s.zarr"
    with pytest.raises(Crash):
        kerascope.record(model, crashing(x, 8, 3), path, batch_size=8, examples=4,
                         progress=False, commit_seconds=0)  # fmt: skip
    partial = kerascope.open(path)
    assert partial.samples == 24
    assert partial.examples.samples == ((0, 24),)
    assert_same(partial.examples, top_examples(model, x[:24], k=4, progress=False))
    with pytest.raises(StoreError, match=r"recorded with examples=4.*Received: examples=3"):
        kerascope.record(model, crashing(x, 8, 99), path, batch_size=8, examples=3,
                         resume=True, progress=False)  # fmt: skip
    store = kerascope.record(model, crashing(x, 8, 99), path, batch_size=8, examples=4,
                             resume=True, progress=False)  # fmt: skip
    assert store.complete
    assert_same(store.examples, top_examples(model, x, k=4, progress=False))


def test_a_bad_k_is_refused_before_anything_is_written(tmp_path):
    model, x = model_and_data()
    with pytest.raises(InputError, match=r"Expected k to be a positive integer\. Received: k=0"):
        kerascope.record(model, x, tmp_path / "s.zarr", examples=0, progress=False)
    assert not (tmp_path / "s.zarr").exists()
