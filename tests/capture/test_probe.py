"""`Probe`: keys and specs before running, one trace for every batch size."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerascope
from harness import to_numpy

layers = keras.layers


class TraceCounter(layers.Layer):
    """Counts how often its Python `call` runs: once per trace when compiled."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.count = 0

    def call(self, x):
        self.count += 1
        return x + 1.0


@pytest.fixture
def model():
    inp = keras.Input((6,))
    hidden = layers.Dense(4, name="hidden")(inp)
    counted = TraceCounter(name="counter")(hidden)
    return keras.Model(inp, layers.Dense(2, name="out")(counted))


def test_keys_and_specs_known_before_running(model):
    probe = kerascope.Probe(model)
    assert probe.keys == ("hidden", "counter", "out")
    assert probe.specs["hidden"].shape == (None, 4)
    assert probe.specs["out"].dtype == "float32"
    assert probe.specs["counter"].class_name == "TraceCounter"
    assert "3 layers" in repr(probe)


def test_no_retrace_for_new_batch_sizes(model, rng, backend):
    probe = kerascope.Probe(model)
    counter = model.get_layer("counter")
    x = rng.normal(size=(32, 6)).astype("float32")
    probe(x)
    traced = counter.count
    for size in (32, 7, 1, 19, 32):
        acts = probe(x[:size])
        assert acts["out"].shape == (size, 2)
        expected = to_numpy(model(x[:size]))
        np.testing.assert_allclose(acts["out"], expected, rtol=1e-5, atol=1e-5)
    if backend == "torch":  # eager: the Python call runs each time, nothing is traced
        assert counter.count == traced + 5 + 5  # the oracle's model() calls count too
    else:
        assert counter.count == traced + 5  # only the oracle's eager calls


def test_probe_sees_new_weights(model, rng):
    probe = kerascope.Probe(model, "hidden")
    x = rng.normal(size=(3, 6)).astype("float32")
    before = probe(x)["hidden"]
    dense = model.get_layer("hidden")
    dense.kernel.assign(dense.kernel * 2.0)
    dense.bias.assign(dense.bias * 2.0)
    np.testing.assert_allclose(probe(x)["hidden"], 2.0 * before, rtol=1e-5, atol=1e-6)


def test_subclassed_model_needs_input_spec_only_when_unknown(rng):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3, name="dense")

        def call(self, x):
            return self.dense(x)

    built_by_call = Tiny()
    built_by_call(np.zeros((1, 4), "float32"))
    assert kerascope.Probe(built_by_call).specs["dense"].shape == (None, 3)

    built_by_hand = Tiny()
    built_by_hand.dense.build((None, 4))
    built_by_hand.built = True
    with pytest.raises(kerascope.InputError, match="input_spec"):
        kerascope.Probe(built_by_hand)
    probe = kerascope.Probe(built_by_hand, input_spec=keras.KerasTensor((None, 4)))
    x = rng.normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(probe(x)["dense"], to_numpy(built_by_hand(x)), rtol=1e-5)


def test_activations_mapping_and_repr(model, rng):
    acts = kerascope.capture(model, rng.normal(size=(5, 6)).astype("float32"))
    assert list(acts.keys()) == ["hidden", "counter", "out"]
    assert len(acts) == 3
    assert "out" in acts
    assert "nope" not in acts
    assert acts.info["out"].shape == (5, 2)
    assert acts.nbytes == 5 * (4 + 4 + 2) * 4
    text = repr(acts)
    assert text.startswith("Activations(3 layers, 200 B)")
    one = kerascope.capture(model, rng.normal(size=(5, 6)).astype("float32"), layers="out")
    assert repr(one).startswith("Activations(1 layer, 40 B)")
    assert "(5, 4)" in text
    assert "TraceCounter" in text
    with pytest.raises(
        kerascope.SelectionError,
        match=r"captured activations.*Closest keys: out\b.*Received: .outt.",
    ):
        acts["outt"]
    with pytest.raises(TypeError):
        acts["out"] = None  # read-only


def test_reduce_runs_inside_the_compiled_function(model, rng):
    def per_unit_sums(key, output):
        return keras.ops.sum(output, axis=0), keras.ops.max(output, axis=0)

    probe = kerascope.Probe(model, ["hidden", "out"], reduce=per_unit_sums)
    x = rng.normal(size=(13, 6)).astype("float32")
    acts = probe(x)
    hidden = to_numpy(model.get_layer("hidden")(x))
    np.testing.assert_allclose(acts["hidden"][0], hidden.sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acts["hidden"][1], hidden.max(0), rtol=1e-5)
    assert acts.info["hidden"].shape == ((4,), (4,))
    # A partial batch is never padded, so reductions see only real samples.
    part = probe(x[:5])
    np.testing.assert_allclose(part["hidden"][0], hidden[:5].sum(0), rtol=1e-5, atol=1e-5)


def test_capture_reuses_its_compiled_probe(model, rng):
    counter = model.get_layer("counter")
    x = rng.normal(size=(4, 6)).astype("float32")
    kerascope.capture(model, x)  # discovers, compiles and runs
    before = counter.count
    kerascope.capture(model, x)
    kerascope.capture(model, x, layers=None)
    # A compiled probe runs no Python; torch's eager one runs `call` once a
    # capture. Rebuilding the probe would trace the model again each time.
    assert counter.count - before <= 2
