"""NaN and Inf in the data are blamed on the data: which input, how many values, which samples.

The oracle is numpy on the inputs themselves, and the captured activations.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from kerascope._demo import build_cnn, load_digits_images
from kerascope.stats import FIRST_BAD, InputStats, Statistics

layers = keras.layers


@pytest.fixture
def digits():
    images, _ = load_digits_images()
    x = images[:96].copy()
    x[5, 3, 4, 0] = np.nan
    x[17, 0, 0, 0] = np.nan
    x[17, 1, 1, 0] = np.inf
    x[70, 2, 2, 0] = -np.inf
    return x


def non_finite_keys(model, x):
    acts = kerascope.capture(model, x)
    return [key for key, value in acts.items() if not np.isfinite(value).all()]


def test_nan_in_one_input_value_is_found_on_the_input_not_the_first_conv(digits):
    model = build_cnn()
    bad = np.flatnonzero(~np.isfinite(digits).reshape(len(digits), -1).all(axis=1))
    assert bad.tolist() == [5, 17, 70]

    # Batches of 8: the bad samples sit in three batches, counted across them.
    findings = kerascope.diagnose(model, digits, batch_size=8, progress=False)

    nan = findings.of_kind("nan")
    assert [f.key for f in nan] == ["digit"]  # the model's `keras.Input` name
    evidence = nan[0].evidence
    assert evidence["input"] == "digit"
    assert evidence["nan"] == int(np.isnan(digits).sum()) == 2
    assert evidence["inf"] == int(np.isinf(digits).sum()) == 2
    assert evidence["values"] == digits.size
    assert evidence["samples"] == len(digits)
    assert evidence["bad_samples"] == 3
    assert evidence["first_bad_samples"] == bad.tolist()
    assert evidence["later_layers"] == non_finite_keys(model, digits)
    assert "samples 5, 17, 70" in nan[0].message
    assert "conv1" not in [f.key for f in findings]
    assert findings[0].key == "digit"  # before every layer


def test_saved_statistics_carry_the_input_check(digits, tmp_path):
    model = build_cnn()
    stats = kerascope.stats(model, digits, progress=False)
    live = kerascope.diagnose(model, digits, progress=False)
    assert kerascope.diagnose(Statistics.from_json(stats.to_json())) == live
    assert kerascope.diagnose(stats) == live

    store = kerascope.record(model, digits, tmp_path / "acts.zarr", batch_size=16, progress=False)
    assert store.statistics.inputs == stats.inputs
    assert [(f.key, f.kind, f.evidence) for f in kerascope.diagnose(store.statistics)] == [
        (f.key, f.kind, f.evidence) for f in live
    ]


def test_merged_shards_count_samples_on(digits):
    model = build_cnn()
    first = kerascope.stats(model, digits[:10], progress=False)
    second = kerascope.stats(model, digits[10:], progress=False)
    whole = kerascope.stats(model, digits, progress=False)
    assert (first | second).inputs == whole.inputs
    assert whole.inputs["digit"].first_bad == (5, 17, 70)


def test_only_the_first_samples_are_listed(rng):
    model = build_cnn()
    x = rng.uniform(size=(40, 8, 8, 1)).astype("float32")
    x[::2, 0, 0, 0] = np.nan
    check = kerascope.stats(model, x, progress=False).inputs["digit"]
    assert check == InputStats(
        "digit",
        samples=40,
        values=x.size,
        nan=20,
        bad_samples=20,
        first_bad=tuple(range(0, 2 * FIRST_BAD, 2)),
    )


def test_finite_inputs_leave_the_blame_on_the_first_bad_layer(rng):
    class Log(layers.Layer):
        def call(self, x):
            return keras.ops.log(x)

    inputs = keras.Input((4,), name="a")
    hidden = layers.Dense(4, name="pre")(inputs)
    model = keras.Model(inputs, layers.Dense(2, name="out")(Log(name="log")(hidden)))
    x = rng.normal(size=(64, 4)).astype("float32")
    findings = kerascope.diagnose(model, x, progress=False).of_kind("nan")
    assert [f.key for f in findings] == ["log"]
    assert "model's inputs" in findings[0].hint
    stats = kerascope.stats(model, x, progress=False)
    assert stats.inputs["a"] == InputStats("a", samples=64, values=x.size)


def test_the_input_holding_nan_is_named_in_a_multi_input_model(rng):
    left = keras.Input((3,), name="left")
    right = keras.Input((5,), name="right")
    joined = layers.Concatenate(name="join")([layers.Dense(2, name="l")(left), right])
    model = keras.Model({"left": left, "right": right}, layers.Dense(1, name="out")(joined))
    x = {
        "left": rng.normal(size=(32, 3)).astype("float32"),
        "right": rng.normal(size=(32, 5)).astype("float32"),
    }
    x["right"][[3, 9], 2] = np.nan
    findings = kerascope.diagnose(model, x, progress=False).of_kind("nan")
    assert [(f.key, f.evidence["first_bad_samples"]) for f in findings] == [("right", [3, 9])]
    assert kerascope.stats(model, x, progress=False).inputs["left"].finite
