"""`kerascope.layers(model)`: every key capture uses, mapped to the model's own layer objects.

The oracle is Keras itself: `model.get_layer(name)` and a nested model's
`get_layer`, never kerascope's discovery.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from kerascope.capture import input_spec

layers = keras.layers


def functional() -> keras.Model:
    inputs = keras.Input((6,), name="x")
    h = layers.Dense(5, activation="relu", name="hidden")(inputs)
    h = layers.Dropout(0.5, name="drop")(h)
    outputs = layers.Dense(3, activation="softmax", name="probs")(h)
    return keras.Model(inputs, outputs, name="mlp")


def nested_with_shared() -> tuple[keras.Model, keras.Model, keras.layers.Layer]:
    inner_in = keras.Input((4,), name="inner_in")
    h = layers.Dense(3, name="proj")(inner_in)
    inner = keras.Model(inner_in, layers.ReLU(name="act")(h), name="encoder")
    inputs = keras.Input((4,), name="x")
    shared = layers.Dense(4, name="shared")
    model = keras.Model(inputs, layers.Dense(2, name="head")(inner(shared(shared(inputs)))))
    return model, inner, shared


def test_functional_keys_are_its_layers_in_order():
    model = functional()

    found = kerascope.layers(model)

    names = [layer.name for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    assert list(found) == names
    for key, layer in found.items():
        assert layer is model.get_layer(key)


def test_nested_and_shared_layers_map_to_the_models_objects():
    model, inner, shared = nested_with_shared()

    found = kerascope.layers(model)

    # Execution order; a nested model's key follows its own layers'.
    assert list(found) == ["shared:0", "shared:1", "encoder/proj", "encoder/act", "encoder", "head"]
    assert found["shared:0"] is found["shared:1"] is model.get_layer("shared") is shared
    assert found["encoder"] is model.get_layer("encoder") is inner
    assert found["encoder/proj"] is inner.get_layer("proj")
    assert found["encoder/act"] is inner.get_layer("act")
    assert found["head"] is model.get_layer("head")


def test_the_keys_are_the_keys_capture_returns(rng):
    model, _, _ = nested_with_shared()
    x = rng.normal(size=(3, 4)).astype("float32")

    assert list(kerascope.layers(model)) == list(kerascope.capture(model, x))


def test_subclassed_model_with_an_input_spec():
    class TwoStep(keras.Model):
        def __init__(self):
            super().__init__(name="two_step")
            self.first = layers.Dense(4, name="first")
            self.second = layers.Dense(2, name="second")

        def call(self, x):
            return self.second(self.first(x))

    model = TwoStep()
    model.build((None, 3))

    found = kerascope.layers(model, input_spec=keras.KerasTensor((None, 3)))

    assert found == {"first": model.first, "second": model.second}


def test_the_model_is_left_as_it_was():
    model, _, _ = nested_with_shared()
    weights = [w.copy() for w in model.get_weights()]

    kerascope.layers(model)

    assert not model.compiled
    for layer in model._flatten_layers(include_self=True):
        assert "call" not in vars(layer)  # no call left patched
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_input_spec_is_the_probes():
    model = functional()

    spec = input_spec(model)

    assert tuple(spec.shape) == (None, 6)
    assert tuple(kerascope.Probe(model).input_spec.shape) == tuple(spec.shape)


def test_a_non_model_is_an_input_error():
    with pytest.raises(kerascope.InputError, match="Expected a Keras 3 model"):
        kerascope.layers(np.zeros(3))
    with pytest.raises(kerascope.InputError, match="Expected a Keras 3 model"):
        input_spec("model.keras")
