"""Gradients with respect to activations, against analytic and finite-difference gradients."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope

layers = keras.layers


@pytest.fixture
def mlp():
    inputs = keras.Input((5,))
    h = layers.Dense(4, activation="relu", name="hidden")(inputs)
    return keras.Model(inputs, layers.Dense(3, name="out")(h))


@pytest.fixture
def data(rng):
    return rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=(6, 3)).astype("float32")


def analytic_mse(model, x, y):
    """d mean((out - y)^2) / d out and / d hidden, by hand in float64."""
    w1, b1 = (w.astype(np.float64) for w in model.get_layer("hidden").get_weights())
    w2, b2 = (w.astype(np.float64) for w in model.get_layer("out").get_weights())
    hidden = np.maximum(x @ w1 + b1, 0)
    out = hidden @ w2 + b2
    d_out = 2.0 * (out - y) / out.size
    return {"hidden": d_out @ w2.T, "out": d_out}


def test_explicit_loss_equals_analytic_gradients(mlp, data):
    x, y = data
    grads = kerascope.gradients(mlp, x, y, loss="mse")
    expected = analytic_mse(mlp, x, y)
    assert list(grads) == ["hidden", "out"]
    for key in expected:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-4, atol=1e-7)
    assert grads.info["hidden"].shape == (6, 4)


def test_compiled_loss_is_the_default_and_the_model_is_left_alone(mlp, data):
    x, y = data
    mlp.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in mlp.get_weights()]
    grads = kerascope.gradients(mlp, x, y, layers="hidden")
    assert list(grads) == ["hidden"]
    np.testing.assert_allclose(grads["hidden"], analytic_mse(mlp, x, y)["hidden"], rtol=1e-4)
    for a, b in zip(before, mlp.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all("call" not in vars(layer) for layer in mlp.layers)


def test_a_score_without_targets(mlp, data):
    x, _ = data
    grads = kerascope.gradients(mlp, x, loss=lambda out: out[:, 1])
    expected_out = np.zeros((6, 3))
    expected_out[:, 1] = 1.0
    np.testing.assert_allclose(grads["out"], expected_out)
    w2 = mlp.get_layer("out").get_weights()[0]
    np.testing.assert_allclose(grads["hidden"], np.tile(w2[:, 1], (6, 1)), rtol=1e-6)


def test_finite_differences_on_a_conv_net(rng):
    inputs = keras.Input((6, 6, 2))
    a = layers.Conv2D(3, 3, padding="same", name="conv1")(inputs)
    b = layers.Conv2D(4, 3, activation="tanh", name="conv2")(a)
    c = layers.GlobalAveragePooling2D(name="gap")(b)
    model = keras.Model(inputs, layers.Dense(2, name="out")(c))
    x = rng.normal(size=(2, 6, 6, 2)).astype("float32")

    def score(out):
        return out[:, 0] * 3.0 - out[:, 1]

    grads = kerascope.gradients(model, x, loss=score, layers="conv1")
    conv1 = np.asarray(kerascope.capture(model, x)["conv1"], np.float64)

    def tail(activation):
        out = model.get_layer("out")(
            model.get_layer("gap")(model.get_layer("conv2")(activation.astype("float32")))
        )
        return float(keras.ops.convert_to_numpy(keras.ops.sum(score(out))))

    step = 1e-2
    for index in [(0, 0, 0, 0), (1, 3, 2, 1), (0, 5, 5, 2), (1, 2, 4, 0)]:
        up, down = conv1.copy(), conv1.copy()
        up[index] += step
        down[index] -= step
        numeric = (tail(up) - tail(down)) / (2 * step)
        assert grads["conv1"][index] == pytest.approx(numeric, rel=2e-2, abs=1e-4)


def test_each_call_of_a_shared_layer_has_its_gradient(rng):
    left, right = keras.Input((3,), name="left"), keras.Input((3,), name="right")
    shared = layers.Dense(2, name="shared")
    out = layers.Concatenate(name="join")([shared(left), 2.0 * shared(right)])
    model = keras.Model([left, right], out)
    x = [rng.normal(size=(4, 3)).astype("float32") for _ in range(2)]
    grads = kerascope.gradients(model, x, loss=lambda o: keras.ops.sum(o), layers="shared")
    assert list(grads) == ["shared:0", "shared:1"]
    np.testing.assert_allclose(grads["shared:0"], np.ones((4, 2)))
    np.testing.assert_allclose(grads["shared:1"], np.full((4, 2), 2.0))


class ArgMax(layers.Layer):
    def call(self, x):
        return keras.ops.argmax(x, axis=-1)

    def compute_output_spec(self, x):
        return keras.KerasTensor(x.shape[:-1], dtype="int32")


def test_bad_requests_raise_clearly(mlp, data):
    x, y = data
    with pytest.raises(kerascope.InputError, match="y=None and loss=None"):
        kerascope.gradients(mlp, x)
    with pytest.raises(kerascope.InputError, match="no compiled loss"):
        kerascope.gradients(mlp, x, y)
    with pytest.raises(kerascope.InputError, match="not_a_loss"):
        kerascope.gradients(mlp, x, y, loss="not_a_loss")
    with pytest.raises(kerascope.SelectionError, match="hiden"):
        kerascope.gradients(mlp, x, y, loss="mse", layers="hiden")
    inputs = keras.Input((5,))
    h = layers.Dense(4, name="dense")(inputs)
    model = keras.Model(inputs, [h, ArgMax(name="argmax")(h)])
    with pytest.raises(kerascope.InputError, match="floating-point outputs"):
        kerascope.gradients(model, x, loss=lambda out: out[0], layers="argmax")
    grads = kerascope.gradients(model, x, loss=lambda out: out[0][:, 0])
    assert list(grads) == ["dense"]
