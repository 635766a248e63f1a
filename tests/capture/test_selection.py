"""`layers=`: keys, globs, regexes, classes, layers, predicates, and their errors."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kerascope
from kerascope import SelectionError

layers = keras.layers


@pytest.fixture
def model():
    inp = keras.Input((8, 8, 1))
    x = layers.Conv2D(2, 3, name="conv_1")(inp)
    x = layers.ReLU(name="relu_1")(x)
    x = layers.Conv2D(2, 3, name="conv_2")(x)
    x = layers.ReLU(name="relu_2")(x)
    x = layers.Flatten(name="flatten")(x)
    return keras.Model(inp, layers.Dense(3, name="dense")(x))


@pytest.fixture
def x(rng):
    return rng.normal(size=(4, 8, 8, 1)).astype("float32")


ALL = ["conv_1", "relu_1", "conv_2", "relu_2", "flatten", "dense"]


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (None, ALL),
        ("relu_2", ["relu_2"]),
        (["dense", "conv_1"], ["conv_1", "dense"]),  # execution order, not selection order
        ("relu_*", ["relu_1", "relu_2"]),
        (re.compile(r"_2$"), ["conv_2", "relu_2"]),
        (layers.Conv2D, ["conv_1", "conv_2"]),
        ([layers.ReLU, "dense", "relu_1"], ["relu_1", "relu_2", "dense"]),
        (lambda layer: isinstance(layer, layers.Dense), ["dense"]),
    ],
)
def test_selectors(model, x, selection, expected):
    assert list(kerascope.capture(model, x, selection)) == expected
    assert kerascope.Probe(model, selection).keys == tuple(expected)


def test_layer_object_selects_its_calls(model, x):
    assert list(kerascope.capture(model, x, model.get_layer("conv_2"))) == ["conv_2"]


def test_unknown_key_names_the_closest_keys(model, x):
    with pytest.raises(SelectionError, match=r"'relu2'.*Closest valid keys: relu_2") as info:
        kerascope.capture(model, x, "relu2")
    assert isinstance(info.value, kerascope.KerascopeError)


@pytest.mark.parametrize("selection", ["block_*", re.compile("nothing"), layers.LSTM, []])
def test_selection_matching_nothing_is_an_error(model, x, selection):
    with pytest.raises(SelectionError, match="Received: layers="):
        kerascope.capture(model, x, selection)


def test_bad_selector_type(model, x):
    with pytest.raises(SelectionError, match=r"Received: 3\.5 of type float"):
        kerascope.capture(model, x, 3.5)


def test_few_early_layers_do_not_run_the_rest(rng):
    calls = []

    class Counting(layers.Layer):
        def call(self, x):
            calls.append(1)
            return x * 2.0

    inp = keras.Input((4,))
    early = layers.Dense(4, name="early")(inp)
    model = keras.Model(inp, layers.Dense(2, name="late")(Counting(name="counting")(early)))
    probe = kerascope.Probe(model, layers="early")
    calls.clear()  # discovery traced the whole model once
    x = rng.normal(size=(3, 4)).astype("float32")
    acts = probe(x)
    acts = probe(x)
    np.testing.assert_allclose(
        acts["early"], keras.ops.convert_to_numpy(model.get_layer("early")(x)), rtol=1e-5
    )
    assert calls == []  # the counting layer was neither traced nor run
