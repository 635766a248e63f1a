"""`ablation`: batched ablations equal brute force (one edited run per unit)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from kerascope.errors import InputError, SelectionError
from kerascope.interventions import Importance, mean, zero

layers = keras.layers


def _numpy_loss(y, probs):
    """Cross-entropy of integer labels, in numpy: the oracle's metric."""
    return float(-np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1)).mean())


def _numpy_accuracy(y, probs):
    return float((probs.argmax(-1) == y).mean())


@pytest.fixture
def small(rng):
    inp = keras.Input((8, 8, 1))
    conv = layers.Conv2D(6, 3, activation="relu", name="conv")(inp)
    dense = layers.Dense(5, activation="relu", name="dense")(
        layers.GlobalAveragePooling2D(name="pool")(conv)
    )
    model = keras.Model(inp, layers.Dense(4, activation="softmax", name="out")(dense))
    x = rng.normal(size=(40, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 4, 40)
    return model, x, y


def _brute_force(model, x, y, key, units, intervention_of, metric):
    """One edited run per unit, by `intervene`, against the unedited model's output."""
    base = metric(y, keras.ops.convert_to_numpy(model(x)))
    return np.array(
        [
            metric(y, kerascope.intervene(model, {key: intervention_of(u)}).predict(x)) - base
            for u in range(units)
        ]
    )


@pytest.mark.parametrize("units_per_pass", [None, 4])
def test_zero_ablation_equals_brute_force(small, units_per_pass):
    model, x, y = small
    imp = kerascope.ablation(
        model,
        x,
        y,
        layers=["conv", "dense"],
        batch_size=16,
        units_per_pass=units_per_pass,
        progress=False,
    )
    assert list(imp) == ["conv", "dense"]
    for key, units in [("conv", 6), ("dense", 5)]:
        expected = _brute_force(model, x, y, key, units, lambda u: zero(channels=[u]), _numpy_loss)
        np.testing.assert_allclose(imp[key], expected, atol=1e-5)
    assert imp.baseline == pytest.approx(
        _numpy_loss(y, keras.ops.convert_to_numpy(model(x))), abs=1e-5
    )
    assert not np.allclose(imp["conv"], 0)


def test_mean_ablation_per_layer_and_accuracy_equal_brute_force(small):
    model, x, y = small
    imp = kerascope.ablation(
        model, x, y, layers="conv", metric="accuracy", method="mean", per="layer", progress=False
    )
    conv = keras.ops.convert_to_numpy(model.get_layer("conv")(x))
    means = conv.mean(axis=(0, 1, 2))
    fill = np.broadcast_to(means, conv.shape)
    after = keras.ops.convert_to_numpy(
        model.get_layer("out")(model.get_layer("dense")(model.get_layer("pool")(fill)))
    )
    expected = _numpy_accuracy(y, after) - _numpy_accuracy(y, keras.ops.convert_to_numpy(model(x)))
    assert imp["conv"].shape == (1,)
    assert imp["conv"][0] == pytest.approx(expected, abs=1e-9)
    assert imp.higher_is_better is True
    stats = kerascope.stats(model, x, layers="conv", progress=False)
    channelwise = kerascope.ablation(model, x, y, layers="conv", method="mean", progress=False)
    expected = _brute_force(
        model, x, y, "conv", 6, lambda u: mean(stats, channels=[u]), _numpy_loss
    )
    np.testing.assert_allclose(channelwise["conv"], expected, atol=1e-5)


def test_a_callable_metric_and_a_channel_with_zero_weights(small):
    model, x, _ = small
    conv = model.get_layer("conv")
    kernel, bias = conv.get_weights()
    kernel[..., 3] = 0
    bias[3] = 0
    conv.set_weights([kernel, bias])

    def top_prob(y_true, y_pred):
        return np.asarray(y_pred).max(-1).mean()

    imp = kerascope.ablation(model, x, layers="conv", metric=top_prob, progress=False)
    assert imp.metric == "top_prob"
    assert imp["conv"][3] == 0.0
    others = np.delete(imp["conv"], 3)
    assert np.all(np.abs(others) > 0)
    expected = _brute_force(model, x, None, "conv", 6, lambda u: zero(channels=[u]), top_prob)
    np.testing.assert_allclose(imp["conv"], expected, atol=1e-5)


@pytest.fixture(scope="module")
def digits_cnn():
    from sklearn.datasets import load_digits

    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images[..., None] / 16.0).astype("float32")
    y = digits.target.astype("int64")
    inp = keras.Input((8, 8, 1))
    h = layers.Conv2D(8, 3, activation="relu", name="conv1")(inp)
    h = layers.Conv2D(12, 3, activation="relu", name="conv2")(h)
    h = layers.Flatten(name="flat")(h)
    model = keras.Model(inp, layers.Dense(10, activation="softmax", name="out")(h))
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x[:1200], y[:1200], epochs=3, batch_size=64, verbose=0)
    return model, x[1200:1500], y[1200:1500]


def test_a_planted_key_unit_of_a_trained_digits_cnn_ranks_first(digits_cnn):
    model, x, y = digits_cnn
    trained = [w.copy() for w in model.get_weights()]
    try:
        # Channel 5 of conv2 becomes a constant 50 that the output layer
        # cancels exactly: the model still works, but ablating it breaks it.
        conv2, out = model.get_layer("conv2"), model.get_layer("out")
        kernel, bias = conv2.get_weights()
        kernel[..., 5], bias[5] = 0.0, 50.0
        conv2.set_weights([kernel, bias])
        w, b = out.get_weights()
        direction = np.random.default_rng(0).normal(size=10).astype("float32")
        w[5::12] = direction / 16  # the 4x4 positions of channel 5, flattened
        out.set_weights([w, b - 50.0 * direction])
        accuracy = (keras.ops.convert_to_numpy(model(x)).argmax(-1) == y).mean()
        assert accuracy > 0.8
        imp = kerascope.ablation(model, x, y, layers="conv*", metric="accuracy", progress=False)
        assert imp.baseline == pytest.approx(accuracy)
        assert int(imp.ranked("conv2")[0]) == 5
        assert imp["conv2"][5] < -0.5
        assert np.all(np.delete(imp["conv2"], 5) > -0.2)
    finally:
        model.set_weights(trained)


def test_importance_prints_a_table_and_round_trips_through_json(small, tmp_path):
    model, x, y = small
    imp = kerascope.ablation(model, x, y, layers="conv", progress=False)
    text = repr(imp)
    assert text.startswith("Importance(1 layers, metric='loss'")
    assert "top unit" in text
    assert "\n  conv " in text
    path = tmp_path / "importance.json"
    imp.save(path)
    again = Importance.load(path)
    assert list(again) == list(imp)
    np.testing.assert_array_equal(again["conv"], imp["conv"])
    assert (again.baseline, again.metric, again.per, again.samples) == (
        imp.baseline,
        "loss",
        "channel",
        40,
    )
    with pytest.raises(InputError, match="format"):
        Importance.from_json('{"format": "other"}')
    assert "conv" in imp
    assert "x" not in imp
    with pytest.raises(InputError, match="field 'metric'"):
        Importance.from_json('{"format": "kerascope.importance/1", "effects": {}}')
    with pytest.raises(InputError, match="invalid JSON"):
        Importance.from_json("{not json")
    with pytest.raises(SelectionError, match="Closest keys: conv"):
        imp["conv_"]


def test_bad_arguments_raise_clear_errors(small):
    model, x, y = small
    with pytest.raises(InputError, match="Received: method='max'"):
        kerascope.ablation(model, x, y, method="max", progress=False)
    with pytest.raises(InputError, match="Received: per='unit'"):
        kerascope.ablation(model, x, y, per="unit", progress=False)
    with pytest.raises(InputError, match="Received: y=None"):
        kerascope.ablation(model, x, layers="conv", progress=False)
    with pytest.raises(InputError, match="Received: metric='f1'"):
        kerascope.ablation(model, x, y, metric="f1", progress=False)
    with pytest.raises(InputError, match="one per sample"):
        kerascope.ablation(model, x, y[:5], layers="conv", progress=False)


def test_a_residual_connection_around_the_ablated_layer(rng):
    # The copies cannot start at `mid` (the skip connection still holds one
    # copy of the batch): ablation repeats the inputs instead.
    inp = keras.Input((5,))
    first = layers.Dense(6, activation="relu", name="first")(inp)
    mid = layers.Dense(6, activation="relu", name="mid")(first)
    joined = layers.Add(name="add")([first, mid])
    model = keras.Model(inp, layers.Dense(3, activation="softmax", name="out")(joined))
    x = rng.normal(size=(30, 5)).astype("float32")
    y = rng.integers(0, 3, 30)
    imp = kerascope.ablation(model, x, y, layers=["first", "mid"], batch_size=8, progress=False)
    for key in ("first", "mid"):
        expected = _brute_force(model, x, y, key, 6, lambda u: zero(channels=[u]), _numpy_loss)
        np.testing.assert_allclose(imp[key], expected, atol=1e-5)


class _Split(keras.layers.Layer):
    def call(self, x):
        return x[:, :2], x[:, 2:]


def test_every_layer_skips_a_multi_output_layer_but_a_named_one_raises(rng):
    inp = keras.Input((3,))
    dense = layers.Dense(4, name="dense")(inp)
    left, right = _Split(name="split")(dense)
    cat = layers.Concatenate(name="cat")([left, right])
    model = keras.Model(inp, layers.Dense(2, name="out")(cat))
    x = rng.normal(size=(10, 3)).astype("float32")

    def total(y_true, y_pred):
        return float(np.asarray(y_pred).sum(-1).mean())

    imp = kerascope.ablation(model, x, metric=total, progress=False)
    assert "split" not in imp
    assert {"dense", "cat", "out"} <= set(imp)
    hidden = keras.ops.convert_to_numpy(model.get_layer("dense")(x))
    kernel = keras.ops.convert_to_numpy(model.get_layer("out").kernel)
    for unit in range(4):  # zeroing unit u of dense removes its row of `out`'s kernel
        expected = -(hidden[:, unit : unit + 1] * kernel[unit]).sum(-1).mean()
        np.testing.assert_allclose(imp["dense"][unit], expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(InputError, match="'split'"):
        kerascope.ablation(model, x, layers="split", metric=total, progress=False)


def test_logits_are_scored_as_logits_in_every_batch_and_copy(rng):
    # A logit of 0.3 for every sample: inside [0, 1], yet a logit (linear
    # output), so it predicts class 1 (threshold 0) with loss -log(sigmoid(0.3)).
    inp = keras.Input((2,))
    hidden = layers.Dense(3, name="hidden")(inp)
    out = layers.Dense(1, name="out", kernel_initializer="zeros", bias_initializer="zeros")
    model = keras.Model(inp, out(hidden))
    model.get_layer("out").bias.assign(np.array([0.3], "float32"))
    x = rng.normal(size=(12, 2)).astype("float32")
    y = np.ones((12, 1), "float32")
    acc = kerascope.ablation(model, x, y, layers="hidden", metric="accuracy", progress=False)
    assert acc.baseline == 1.0
    np.testing.assert_array_equal(acc["hidden"], 0.0)
    loss = kerascope.ablation(model, x, y, layers="hidden", metric="loss", progress=False)
    np.testing.assert_allclose(loss.baseline, -np.log(1 / (1 + np.exp(-0.3))), rtol=1e-5)
    np.testing.assert_allclose(loss["hidden"], 0.0, atol=1e-6)
