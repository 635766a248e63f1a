"""`top_examples` equals a brute-force sort of the materialised activations."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from examples_oracle import check_examples, check_unit

import kerascope
from kerascope.errors import InputError
from kerascope.examples import top_examples


def conv_model() -> keras.Model:
    inputs = keras.Input((10, 10, 2))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")(inputs)
    h = keras.layers.MaxPooling2D(2, name="pool")(h)
    h = keras.layers.Conv2D(6, 3, name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    return keras.Model(inputs, keras.layers.Dense(3, name="dense")(h))


def sequence_model() -> keras.Model:
    inputs = keras.Input((7, 3))
    h = keras.layers.Conv1D(4, 3, padding="causal", name="conv")(inputs)
    # A layer with several outputs: leaf keys lstm[0], lstm[1], lstm[2].
    seq, state_h, state_c = keras.layers.LSTM(
        5, return_sequences=True, return_state=True, name="lstm"
    )(h)
    h = keras.layers.Concatenate(name="cat")(
        [keras.layers.Flatten(name="flat")(seq), state_h, state_c]
    )
    return keras.Model(inputs, keras.layers.Dense(2, name="dense")(h))


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(1).standard_normal((37, 10, 10, 2)).astype("float32")


@pytest.mark.parametrize(("k", "batch_size"), [(1, 8), (5, 16), (9, 37)])
def test_conv_and_dense_layers_equal_brute_force(data, k, batch_size):
    model = conv_model()
    examples = top_examples(model, data, k=k, batch_size=batch_size, progress=False)
    assert list(examples) == ["conv1", "pool", "conv2", "gap", "dense"]
    assert examples["conv2"].positions.shape == (6, k, 2)
    assert examples["dense"].positions.shape == (3, k, 0)
    assert examples.count == 37
    check_examples(model, data, examples, k)


def test_bottom_keeps_the_most_negative_ascending(data):
    model = conv_model()
    examples = top_examples(
        model, data, ["conv2", "dense"], k=4, bottom=True, batch_size=10, progress=False
    )
    unit = examples["conv2"]
    assert unit.bottom is not None
    assert np.all(np.diff(unit.bottom.values, axis=1) >= 0)
    assert np.all(np.diff(unit.values, axis=1) <= 0)
    check_examples(model, data, examples, 4)


def test_sequences_and_a_multi_output_layer(rng):
    model = sequence_model()
    x = rng.standard_normal((29, 7, 3)).astype("float32")
    examples = top_examples(model, x, k=3, batch_size=8, bottom=True, progress=False)
    assert {"lstm[0]", "lstm[1]", "lstm[2]"} <= set(examples)
    assert examples["lstm[0]"].spatial_shape == (7,)
    assert examples["lstm[1]"].spatial_shape == ()
    check_examples(model, x, examples, 3)


def test_fewer_samples_than_k_pad_with_minus_one_and_nan(rng):
    model = conv_model()
    x = rng.standard_normal((3, 10, 10, 2)).astype("float32")
    unit = top_examples(model, x, "dense", k=5, progress=False)["dense"]
    assert (unit.indices[:, 3:] == -1).all()
    assert np.isnan(unit.values[:, 3:]).all()
    assert (np.sort(unit.indices[:, :3], axis=1) == [0, 1, 2]).all()
    check_unit(unit, kerascope.capture(model, x, "dense")["dense"], 5)


def test_nan_responses_never_rank(rng):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, name="dense")(inputs))
    x = rng.standard_normal((12, 4)).astype("float32")
    x[[2, 5]] = np.nan  # all of their responses NaN
    unit = top_examples(model, x, k=12, batch_size=4, bottom=True, progress=False)["dense"]
    for ranking in (unit.top, unit.bottom):
        assert not np.isin([2, 5], ranking.indices).any()
        assert (ranking.indices[:, 10:] == -1).all()
    check_unit(unit, kerascope.capture(model, x)["dense"], 12)


def test_offset_makes_indices_global(data):
    model = conv_model()
    examples = top_examples(model, data, "conv2", k=3, offset=1000, progress=False)
    assert examples.samples == ((1000, 1037),)
    check_unit(examples["conv2"], kerascope.capture(model, data, "conv2")["conv2"], 3, offset=1000)


def test_integer_outputs_rank_as_float(rng):
    class Argmax(keras.layers.Layer):
        def call(self, x):
            return keras.ops.argmax(x, axis=-1)

    inputs = keras.Input((5, 4))
    model = keras.Model(inputs, Argmax(name="argmax")(inputs))
    x = rng.standard_normal((20, 5, 4)).astype("float32")
    unit = top_examples(model, x, k=4, progress=False)["argmax"]
    assert unit.values.dtype == np.float64
    assert unit.positions.shape == (5, 4, 0)
    check_unit(unit, kerascope.capture(model, x)["argmax"], 4)


def test_the_top_level_verb_and_its_progress_bar(data, capsys):
    model = conv_model()
    examples = kerascope.top_examples(model, data[:8], "dense", k=2, progress=False)
    assert list(examples) == ["dense"]
    assert capsys.readouterr().err == ""
    kerascope.top_examples(model, data[:8], "dense", k=2, progress=True)
    assert "examples" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0}, "Expected k to be a positive integer. Received: k=0"),
        ({"k": 2.5}, "Received: k=2.5"),
        ({"k": True}, "Received: k=True"),
        ({"offset": -1}, "Expected offset to be an integer >= 0. Received: offset=-1"),
    ],
)
def test_bad_arguments_are_refused(data, kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        top_examples(conv_model(), data, progress=False, **kwargs)


def test_ties_rank_the_lower_sample_and_the_first_position(rng):
    inputs = keras.Input((6, 6, 1))
    conv = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv")
    model = keras.Model(inputs, conv(inputs))
    conv.set_weights([np.ones((3, 3, 1, 2), "float32"), np.array([0.0, -100.0], "float32")])
    x = rng.random((10, 6, 6, 1)).astype("float32")
    x[[1, 4, 7]] = 0.0  # responses all 0: ties everywhere
    x[[2, 5]] = -1.0
    examples = top_examples(model, x, k=10, batch_size=3, progress=False)
    unit = examples["conv"]
    # Channel 1 is dead: every sample ties at 0, in index order, at position (0, 0).
    assert unit.indices[1].tolist() == list(range(10))
    assert (unit.positions[1] == 0).all()
    assert unit.indices[0, -5:].tolist() == [1, 2, 4, 5, 7]
    assert (unit.positions[0, -5:] == 0).all()
    check_unit(unit, kerascope.capture(model, x)["conv"], 10)
