"""`kerascope.stats` against numpy on materialised activations, on every backend."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from stats_oracle import check_stats

import kerascope
from kerascope.stats import RELATIVE_ACCURACY

layers = keras.layers


class Log(layers.Layer):
    """`log(x)`: -Inf at zeros, NaN at negatives."""

    def call(self, x):
        return keras.ops.log(x)


class Pair(layers.Layer):
    """Two outputs: `(x, -2x)`."""

    def call(self, x):
        return x, -2.0 * x


class Counts(layers.Layer):
    """An integer output: `x` rounded to int32."""

    def call(self, x):
        return keras.ops.cast(keras.ops.round(x * 3.0), "int32")


@pytest.fixture
def cnn():
    inp = keras.Input((6, 6, 2))
    x = layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    x = layers.Flatten(name="flat")(x)
    return keras.Model(inp, layers.Dense(5, name="dense")(x))


def test_every_layer_matches_numpy_on_captured(cnn, rng):
    x = rng.normal(size=(50, 6, 6, 2)).astype("float32")
    stats = kerascope.stats(cnn, x, batch_size=16, progress=False)
    # The same batches: on a GPU, values differ in their last bits with the batch size.
    acts = kerascope.capture(cnn, x, batch_size=16)
    assert list(stats) == list(acts) == ["conv", "flat", "dense"]
    for key in stats:
        check_stats(stats[key], acts[key])
    assert stats["conv"].class_name == "Conv2D"
    assert stats["conv"].channel_mean.shape == (4,)


def test_dense_matches_independent_oracle(cnn, rng):
    x = rng.normal(size=(40, 6, 6, 2)).astype("float32")
    stats = kerascope.stats(cnn, x, layers="dense", batch_size=7, progress=False)
    # By hand, without kerascope: the model's own Dense on the flattened conv.
    flat = keras.Model(cnn.inputs, cnn.get_layer("flat").output).predict(x, verbose=0)
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in cnn.get_layer("dense").weights)
    expected = flat.astype(np.float64) @ kernel + bias
    assert list(stats) == ["dense"]
    s = stats["dense"]
    np.testing.assert_allclose(s.mean, expected.mean(), rtol=1e-5)
    np.testing.assert_allclose(s.std, expected.std(), rtol=1e-5)
    np.testing.assert_allclose(s.channel_mean, expected.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose([s.min, s.max], [expected.min(), expected.max()], rtol=1e-5)
    median = np.quantile(expected, 0.5, method="lower")
    assert abs(s.p50 - median) <= RELATIVE_ACCURACY * abs(median) + 1e-5


def test_nan_and_inf_are_counted_not_averaged(rng):
    inp = keras.Input((8,))
    model = keras.Model(inp, Log(name="log")(inp))
    x = rng.normal(size=(30, 8)).astype("float32")
    x[::4, 2] = 0.0  # -> -Inf
    stats = kerascope.stats(model, x, batch_size=8, progress=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.log(x)
    s = stats["log"]
    assert s.nan_fraction == np.isnan(expected).mean() > 0
    assert s.inf_fraction == np.isinf(expected).mean() > 0
    assert np.isfinite([s.mean, s.std, s.min, s.max, s.p50]).all()
    check_stats(s, kerascope.capture(model, x)["log"])


def test_dead_units_have_no_active_samples(rng):
    inp = keras.Input((5,))
    dense = layers.Dense(6, activation="relu", name="relu")
    model = keras.Model(inp, dense(inp))
    dense.bias.assign(np.array([-100.0, -100.0, 0.0, 0.0, 0.0, 0.0], "float32"))
    x = rng.uniform(size=(64, 5)).astype("float32")
    stats = kerascope.stats(model, x, batch_size=10, progress=False)
    s = stats["relu"]
    # The same batches: on a GPU, values differ in their last bits with the batch size.
    acts = kerascope.capture(model, x, batch_size=10)["relu"]
    np.testing.assert_array_equal(s.active_count, (acts > 0).sum(axis=0))
    np.testing.assert_array_equal(s.active_count[:2], [0, 0])
    assert s.samples == 64
    np.testing.assert_array_equal(s.channel_zero_fraction[:2], [1.0, 1.0])
    check_stats(s, acts)


def test_stable_at_a_huge_offset(rng):
    inp = keras.Input((4, 3))
    model = keras.Model(inp, layers.Rescaling(1.0, offset=1e4, name="shifted")(inp))
    x = rng.normal(size=(200, 4, 3)).astype("float32")
    stats = kerascope.stats(model, x, batch_size=32, progress=False)
    values = kerascope.capture(model, x)["shifted"].astype(np.float64)
    np.testing.assert_allclose(stats["shifted"].std, values.std(), rtol=1e-3)
    np.testing.assert_allclose(stats["shifted"].channel_std, values.std(axis=(0, 1)), rtol=1e-3)
    np.testing.assert_allclose(stats["shifted"].mean, values.mean(), rtol=1e-7)


def test_each_output_of_a_multi_output_layer_gets_a_key(rng):
    inp = keras.Input((3,))
    first, second = Pair(name="pair")(inp)
    model = keras.Model(inp, [first, second])
    x = rng.normal(size=(20, 3)).astype("float32")
    stats = kerascope.stats(model, x, progress=False)
    assert list(stats) == ["pair[0]", "pair[1]"]
    assert stats["pair[1]"].class_name == "Pair"
    check_stats(stats["pair[0]"], x)
    check_stats(stats["pair[1]"], -2.0 * x)


def test_integer_outputs_and_whole_layer_mode(rng):
    inp = keras.Input((4, 2))
    model = keras.Model(inp, Counts(name="counts")(inp))
    x = rng.normal(size=(25, 4, 2)).astype("float32")
    values = kerascope.capture(model, x)["counts"]
    assert values.dtype == np.int32
    check_stats(kerascope.stats(model, x, progress=False)["counts"], values)
    whole = kerascope.stats(model, x, per_channel=False, progress=False)["counts"]
    check_stats(whole, values, per_channel=False)
    with pytest.raises(kerascope.StatsError, match="per_channel=True"):
        _ = whole.channel_mean
