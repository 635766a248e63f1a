"""`intervene`: edits equal the layers run by hand with the edit in numpy between them."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from edit_oracle import TOLERANCE, check_edit, on_channels, run_by_hand

import kerascope
from harness import patched_layers
from kerascope.errors import InputError, SelectionError
from kerascope.interventions import add, clamp, mean, patch, scale, zero
from kerascope.interventions import set as set_to

layers = keras.layers


@pytest.fixture
def cnn():
    inp = keras.Input((8, 8, 2))
    conv = layers.Conv2D(6, 3, name="conv")(inp)
    relu = layers.ReLU(name="relu")(conv)
    pool = layers.GlobalAveragePooling2D(name="pool")(relu)
    out = layers.Dense(3, name="out")(pool)
    return keras.Model(inp, out)


@pytest.fixture
def x(rng):
    return rng.normal(size=(20, 8, 8, 2)).astype("float32")


def _cnn_steps(model, edit):
    names = ["conv", "relu", "pool", "out"]
    return [(model.get_layer(n), edit if n == "conv" else None) for n in names]


@pytest.mark.parametrize(
    ("intervention", "numpy_edit"),
    [
        (zero(channels=[1, 4]), on_channels([1, 4], np.zeros_like)),
        (clamp(-0.1, 0.2, channels=[0, 2]), on_channels([0, 2], lambda v: np.clip(v, -0.1, 0.2))),
        (scale(3.0, channels=5), on_channels([5], lambda v: v * 3.0)),
        (add(np.arange(6.0)), lambda v: v + np.arange(6.0, dtype="float32")),
        (set_to(0.5, channels=[3]), on_channels([3], lambda v: np.full_like(v, 0.5))),
        (zero(positions=[(0, 0), (2, 3)]), None),
    ],
    ids=["zero", "clamp", "scale", "add", "set", "positions"],
)
def test_edit_of_a_functional_model_equals_layers_by_hand(cnn, x, intervention, numpy_edit):
    if numpy_edit is None:  # zero at two (row, col) positions, every channel

        def numpy_edit(v):
            v[:, 0, 0, :] = 0
            v[:, 2, 3, :] = 0
            return v

    expected = run_by_hand(x, _cnn_steps(cnn, numpy_edit))
    check_edit(cnn, {"conv": intervention}, x, expected)


def test_edits_compose_in_order_and_a_user_function_runs_in_the_pass(cnn, x):
    expected = run_by_hand(x, _cnn_steps(cnn, lambda v: np.tanh(v * 2.0 + 1.0)))
    edits = {"conv": [scale(2.0), add(1.0), lambda key, out: keras.ops.tanh(out)]}
    check_edit(cnn, edits, x, expected)


def test_nested_model_layer_is_edited_by_its_path(rng):
    inner_in = keras.Input((5,))
    inner = keras.Model(
        inner_in, layers.Dense(4, name="d2")(layers.Dense(6, name="d1")(inner_in)), name="inner"
    )
    inp = keras.Input((5,))
    model = keras.Model(inp, layers.Dense(2, name="head")(inner(inp)))
    x = rng.normal(size=(12, 5)).astype("float32")
    steps = [
        (inner.get_layer("d1"), on_channels([0, 3], lambda v: v * -2.0)),
        (inner.get_layer("d2"), None),
        (model.get_layer("head"), None),
    ]
    check_edit(model, {"inner/d1": scale(-2.0, channels=[0, 3])}, x, run_by_hand(x, steps))


def test_shared_layer_calls_are_edited_separately(rng):
    shared = layers.Dense(4, name="shared")
    inp = keras.Input((4,))
    model = keras.Model(inp, layers.Dense(2, name="out")(shared(shared(inp))))
    x = rng.normal(size=(9, 4)).astype("float32")
    out = model.get_layer("out")
    second_only = [(shared, None), (shared, on_channels([2], np.zeros_like)), (out, None)]
    check_edit(model, {"shared:1": zero(channels=2)}, x, run_by_hand(x, second_only))
    first_only = [(shared, on_channels([2], np.zeros_like)), (shared, None), (out, None)]
    check_edit(model, {"shared:0": zero(channels=2)}, x, run_by_hand(x, first_only))
    both = [(shared, lambda v: v + 1.0), (shared, lambda v: v * 0.5), (out, None)]
    check_edit(model, {"shared:0": add(1.0), "shared:1": scale(0.5)}, x, run_by_hand(x, both))


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(5, name="a")
        self.b = layers.Dense(3, name="b")

    def call(self, x):
        return self.b(keras.ops.relu(self.a(x)))


def test_subclassed_model_is_edited(rng):
    model = _Subclassed()
    x = rng.normal(size=(10, 4)).astype("float32")
    model(x[:1])
    steps = [
        (model.a, lambda v: np.maximum(np.clip(v, None, 0.1), 0)),
        (model.b, None),
    ]
    check_edit(model, {"a": clamp(max=0.1)}, x, run_by_hand(x, steps))


def test_patch_with_the_clean_input_reproduces_the_clean_output(cnn, x):
    corrupted = x[::-1] + 1.0
    clean_out = keras.ops.convert_to_numpy(cnn(x))
    intervened = kerascope.intervene(cnn, {"conv": patch(x)})
    patched = intervened.predict(corrupted, batch_size=8)
    # Bit for bit what the same compiled pass gives on the clean input itself,
    # and the clean output up to the compiler's rounding.
    np.testing.assert_array_equal(patched, intervened.predict(x, batch_size=8))
    np.testing.assert_allclose(patched, clean_out, rtol=1e-6, atol=1e-6)
    assert not np.allclose(keras.ops.convert_to_numpy(cnn(corrupted)), clean_out)
    # Patching only some channels is not the clean run any more.
    partial = kerascope.intervene(cnn, {"conv": patch(x, channels=[0])}).predict(corrupted)
    assert not np.allclose(partial, clean_out, **TOLERANCE)


def test_mean_ablation_uses_the_statistics_per_channel_means(cnn, x):
    stats = kerascope.stats(cnn, x, layers="conv", progress=False)
    means = stats["conv"].channel_mean.astype("float32")
    expected = run_by_hand(
        x, _cnn_steps(cnn, on_channels([2], lambda v: np.broadcast_to(means[2], v.shape)))
    )
    check_edit(cnn, {"conv": mean(stats, channels=[2])}, x, expected)
    conv_out = keras.ops.convert_to_numpy(cnn.get_layer("conv")(x))
    np.testing.assert_allclose(means, conv_out.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-6)
    check_edit(cnn, {"conv": mean(x, channels=[2])}, x, expected)


def test_capture_of_an_intervened_model_returns_downstream_activations(cnn, x):
    intervened = kerascope.intervene(cnn, {"conv": scale(0.0, channels=[1])})
    acts = kerascope.capture(intervened, x, layers=["conv", "relu", "pool"], batch_size=8)
    conv = keras.ops.convert_to_numpy(cnn.get_layer("conv")(x))
    conv[..., 1] = 0
    np.testing.assert_allclose(acts["conv"], conv, **TOLERANCE)
    np.testing.assert_allclose(acts["relu"], np.maximum(conv, 0), **TOLERANCE)
    np.testing.assert_allclose(acts["pool"], np.maximum(conv, 0).mean(axis=(1, 2)), **TOLERANCE)
    assert list(acts) == ["conv", "relu", "pool"]


def test_new_values_and_calls_do_not_retrace(cnn, x, backend):
    first = kerascope.intervene(cnn, {"conv": scale(2.0, channels=[1])})
    first.predict(x, batch_size=8)
    before = first.traces
    for factor, channel in [(3.0, 2), (0.5, 0), (-1.0, 5)]:
        again = kerascope.intervene(cnn, {"conv": scale(factor, channels=[channel])})
        edit = on_channels([channel], lambda v, f=factor: v * f)
        expected = run_by_hand(x, _cnn_steps(cnn, edit))
        np.testing.assert_allclose(again.predict(x, batch_size=8), expected, **TOLERANCE)
    first.predict(x, batch_size=8)  # its own values again
    np.testing.assert_allclose(
        first.predict(x, batch_size=8),
        run_by_hand(x, _cnn_steps(cnn, on_channels([1], lambda v: v * 2.0))),
        **TOLERANCE,
    )
    if backend != "torch":  # torch runs eagerly: every pass runs the Python
        assert first.traces == before <= 2


def test_model_is_untouched_even_after_an_exception(cnn, x):
    weights = [w.copy() for w in cnn.get_weights()]

    def boom(key, out):
        raise ValueError("boom")

    with pytest.raises(Exception, match="boom"):
        kerascope.intervene(cnn, {"relu": boom}).predict(x)
    kerascope.intervene(cnn, {"conv": zero()}).predict(x)
    assert patched_layers(cnn) == []
    assert not cnn.compiled
    for before, after in zip(weights, cnn.get_weights()):
        np.testing.assert_array_equal(before, after)


def test_bad_edits_raise_clear_errors(cnn):
    with pytest.raises(SelectionError, match="conv"):
        kerascope.intervene(cnn, {"convv": zero()})
    with pytest.raises(InputError, match="Received: channels=\\(9,\\)"):
        kerascope.intervene(cnn, {"conv": zero(channels=[9])})
    with pytest.raises(InputError, match="Expected an intervention"):
        kerascope.intervene(cnn, {"conv": 3})
    with pytest.raises(InputError, match="Expected at least one of min and max"):
        clamp()
    with pytest.raises(InputError, match="broadcastable"):
        kerascope.intervene(cnn, {"conv": add(np.ones(4))})
    with pytest.raises(InputError, match="non-empty dict"):
        kerascope.intervene(cnn, {})


def test_capture_with_inputs_and_a_mode_other_than_the_interventions(cnn, x):
    intervened = kerascope.intervene(cnn, {"conv": zero(channels=[0])})
    acts = kerascope.capture(intervened, x, layers="pool", inputs=True)
    assert list(acts) == ["input_layer", "pool"]
    np.testing.assert_array_equal(acts["input_layer"], x)
    conv = keras.ops.convert_to_numpy(cnn.get_layer("conv")(x))
    conv[..., 0] = 0
    np.testing.assert_allclose(acts["pool"], np.maximum(conv, 0).mean(axis=(1, 2)), **TOLERANCE)
    with pytest.raises(InputError, match="Received: training=True"):
        kerascope.capture(intervened, x, training=True)


def test_values_and_results_import_without_keras():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from kerascope.interventions import Importance, Patching, zero, scale\n"
        "import kerascope.plot\n"
        "zero(channels=[1]); scale(2.0)\n"
        "assert 'keras' not in sys.modules, 'keras imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_capture_of_an_intervened_model_with_every_layer(cnn, x):
    intervened = kerascope.intervene(cnn, {"conv": scale(0.0, channels=[1])})
    acts = kerascope.capture(intervened, x, batch_size=8)
    plain = kerascope.capture(cnn, x, batch_size=8)
    assert list(acts) == list(plain)
    conv = keras.ops.convert_to_numpy(cnn.get_layer("conv")(x))
    conv[..., 1] = 0
    np.testing.assert_allclose(acts["relu"], np.maximum(conv, 0), **TOLERANCE)
    np.testing.assert_allclose(acts["out"], intervened.predict(x), **TOLERANCE)


def test_training_mode_is_not_padded(rng):
    inp = keras.Input((4,))
    hidden = layers.Dense(5, name="dense")(inp)
    norm = layers.BatchNormalization(name="norm")(hidden)
    model = keras.Model(inp, layers.Dense(2, name="out")(norm))
    x = rng.normal(size=(3, 4)).astype("float32")
    edited = kerascope.intervene(model, {"dense": scale(1.0)}, training=True)
    expected = keras.ops.convert_to_numpy(model(x, training=True))
    np.testing.assert_allclose(edited.predict(x), expected, **TOLERANCE)


class _Split(keras.layers.Layer):
    def call(self, x):
        return x[:, :2], x[:, 2:]


def test_capture_of_a_multi_output_layer_through_an_intervened(rng):
    inp = keras.Input((4,))
    dense = layers.Dense(4, name="dense")(inp)
    left, right = _Split(name="split")(dense)
    model = keras.Model(inp, layers.Concatenate(name="cat")([left, right]))
    x = rng.normal(size=(5, 4)).astype("float32")
    edited = kerascope.intervene(model, {"dense": scale(2.0)})
    acts = kerascope.capture(edited, x, layers="split", batch_size=2)
    full = 2 * keras.ops.convert_to_numpy(model.get_layer("dense")(x))
    np.testing.assert_allclose(acts["split"][0], full[:, :2], **TOLERANCE)
    np.testing.assert_allclose(acts["split"][1], full[:, 2:], **TOLERANCE)


def test_the_compiled_pass_cache_keeps_no_user_data(cnn, x):
    import gc
    import weakref

    source = x[::-1].copy()
    data = x + 1.0
    refs = [weakref.ref(source), weakref.ref(data)]
    edited = kerascope.intervene(cnn, {"conv": patch(source), "relu": mean(data, channels=[0])})
    edited.predict(x, batch_size=8)
    del edited, source, data
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_a_changed_layer_configuration_compiles_afresh(rng):
    inp = keras.Input((3,))
    dense = layers.Dense(4, activation="relu", name="dense")
    model = keras.Model(inp, layers.Dense(2, name="out")(dense(inp)))
    x = rng.normal(size=(6, 3)).astype("float32")
    kerascope.intervene(model, {"dense": scale(2.0)}).predict(x)
    dense.activation = keras.activations.linear
    got = kerascope.intervene(model, {"dense": scale(2.0)}).predict(x)
    hidden = 2 * keras.ops.convert_to_numpy(dense(x))
    expected = keras.ops.convert_to_numpy(model.get_layer("out")(hidden))
    np.testing.assert_allclose(got, expected, **TOLERANCE)


def test_an_intervention_without_its_function_raises_a_kerascope_error():
    from kerascope.interventions import Intervention

    output = keras.ops.convert_to_tensor(np.ones((2, 3), "float32"))
    with pytest.raises(InputError, match="kind 'function' without a function"):
        Intervention("function").apply(output, {"mask": np.ones(3, "float32")}, None, "k")


def test_a_mean_of_data_streams_instead_of_holding_every_activation(cnn, rng):
    import tracemalloc

    data = rng.normal(size=(24000, 8, 8, 2)).astype("float32")
    conv = keras.ops.convert_to_numpy(cnn.get_layer("conv")(data[:500]))  # warms the layer
    activations = 24000 * conv[0].size * 4  # bytes of every conv activation, float32
    kerascope.intervene(cnn, {"conv": mean(data[:600], channels=[0])})  # compiles
    tracemalloc.start()
    try:
        edited = kerascope.intervene(cnn, {"conv": mean(data, channels=[0])})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < activations / 2, (peak, activations)
    assert edited.edits["conv"][0].kind == "mean"
