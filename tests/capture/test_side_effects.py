"""Capturing never changes the model or the inputs, and keeps nothing alive."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest

import kerascope
from harness import patched_layers

layers = keras.layers


class Exploding(layers.Layer):
    def call(self, x):
        raise ValueError("boom")


def test_model_is_not_compiled_patched_or_changed(rng):
    inp = keras.Input((4,))
    model = keras.Model(inp, layers.Dense(2, name="out")(layers.Dense(3, name="h")(inp)))
    weights = [w.copy() for w in model.get_weights()]
    x = rng.normal(size=(5, 4)).astype("float32")
    x_copy = x.copy()
    x.flags.writeable = False
    kerascope.capture(model, x)
    kerascope.capture(model, x, training=True)
    assert not model.compiled
    assert patched_layers(model) == []
    np.testing.assert_array_equal(x, x_copy)
    for before, after in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_interception_is_undone_when_the_forward_pass_raises(rng):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3, name="dense")
            self.boom = Exploding(name="boom")

        def call(self, x):
            return self.boom(self.dense(x))

    model = Net()
    model.dense.build((None, 4))
    model.built = True
    with pytest.raises(kerascope.CaptureError, match="boom"):
        kerascope.Probe(model, input_spec=keras.KerasTensor((None, 4)))
    assert patched_layers(model) == []
    # The model still works normally afterwards.
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model.dense(np.ones((1, 4), "float32"))).shape, (1, 3)
    )


def test_results_do_not_keep_the_model_alive(rng):
    inp = keras.Input((4,))
    model = keras.Model(inp, layers.Dense(2, name="out")(inp))
    acts = kerascope.capture(model, rng.normal(size=(3, 4)).astype("float32"))
    model_ref = weakref.ref(model)
    del model, inp
    gc.collect()
    assert model_ref() is None
    assert acts["out"].shape == (3, 2)
